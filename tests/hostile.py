"""A hostile-input corpus, built by the code that uses it (tests/test_hostile.py, bench/hostile.py): real pages from
../shared/data/realweb_sea/dev that a clean run keeps, and records, files and configs as the web and users give
them (issue 20). Big cases are generated (a gzip member that inflates to 2 GiB is ~2 MB), never committed."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from conftest import shared
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# real articles a clean run keeps (one per language is enough to see the good work survive)
GOOD_PAGES = (
    "tha_Thai/bangkokbangkok_net/Hyundai.html",
    "tha_Thai/bangkokbangkok_net/csr.html",
    "jpn_Jpan/postlight_parser/news.mynavi.jp.html",
    "jpn_Jpan/postlight_parser/wired.jp.html",
    "vie_Latn/goose_go/vnexpress.net.html",
    "ind_Latn/anpandu_indonesian_news_scraper/antara-singlepage2.html",
)
GIB = 1 << 30


def good_pages() -> list[tuple[str, bytes]]:
    """(url, html bytes) of the good pages."""
    return [
        (f"https://good.example/{i}", shared("realweb_sea", "dev", path).read_bytes())
        for i, path in enumerate(GOOD_PAGES)
    ]


def record(
    url: str, payload: bytes, content_type: str = "text/html", record_id: str | None = None, gz: bool = True
) -> bytes:
    """One response record (its own gzip member when `gz`)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    rec = writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http)
    if record_id:
        rec.rec_headers.replace_header("WARC-Record-ID", record_id)
    writer.write_record(rec)
    return buffer.getvalue()


def good_warc(gz: bool = True) -> bytes:
    return b"".join(record(url, html, gz=gz) for url, html in good_pages())


def _thai_html(extra_head: str = "", extra_body: str = "", page: str = "starfish") -> str:
    """A real Thai article that is none of the good pages, with markup added."""
    text = shared("realweb_sea", "dev", f"tha_Thai/bangkokbangkok_net/{page}.html").read_text(encoding="utf-8")
    return text.replace("<head>", "<head>" + extra_head, 1).replace("</body>", extra_body + "</body>", 1)


def _article(lang: str, title: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    head = f"<!DOCTYPE html><html lang='{lang}'><head><title>{title}</title></head>"
    return f"{head}<body><article><h1>{title}</h1>{body}</article></body></html>"


def _bomb_member(prefix: bytes, filler: bytes, inflated_size: int, suffix: bytes = b"") -> bytes:
    """A gzip member inflating to prefix + filler repeated to ~`inflated_size` bytes + suffix, built in ~1 s: after a
    full flush each 1 MiB block of filler compresses to the same bytes, so they are compressed thrice and repeated."""
    block = filler * ((1 << 20) // len(filler))
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH) == repeated
    tail = compressor.compress(suffix) + compressor.flush()
    blocks = max(3, inflated_size // len(block))
    crc = zlib.crc32(prefix)
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(suffix, crc)
    size = (len(prefix) + blocks * len(block) + len(suffix)) & 0xFFFFFFFF
    # the deflate stream is rebuilt with more repeats; so is gzip's trailer (CRC-32, size mod 2^32)
    return head + first + repeated * (blocks - 1) + tail[:-8] + crc.to_bytes(4, "little") + size.to_bytes(4, "little")


@dataclass(frozen=True)
class RecordCase:
    """A hostile record placed among the good pages; `outcome`: the reason it must end with (a prefix), or
    "kept" / "not_failed" (any outcome but an error of a step)."""

    name: str
    build: object  # () -> bytes (WARC bytes, gzip members)
    outcome: str


def _bracket_link() -> bytes:
    page = _thai_html('<link rel="alternate" hreflang="en" href="https://[your-domain]/en/">')
    return record("https://th.example/bracket-link", page.encode())


def _bracket_uri() -> bytes:
    return record("https://[your-domain]/th/news", _thai_html().encode())


def _utf7() -> bytes:
    page = "<html><head><meta charset='utf-7'><title>t</title></head><body><p>+2AA- plain words here</p></body></html>"
    return record("https://utf7.example/", page.encode(), "text/html; charset=utf-7")


def _meta_bomb() -> bytes:
    return record("https://meta.example/", _thai_html("<meta " * 100_000).encode())


def _thai_digits() -> bytes:
    return record("https://digits.example/", _thai_html(extra_body="<p>" + "1" * 100_000 + "</p>").encode())


def _letter_run() -> bytes:
    paragraphs = ["Warga kota menghadiri rapat umum tentang rencana pembangunan jembatan baru."] * 5
    page = _article("id", "Berita", [*paragraphs, "a" * 160_000])
    return record("https://letters.example/", page.encode())


def _colon_run() -> bytes:
    paragraphs = ["The council approved the new bridge plan on Tuesday after a long debate."] * 5
    page = _article("en", "News", [*paragraphs, "1:" * 40_000])
    return record("https://colons.example/", page.encode())


def _header_line_bomb() -> bytes:
    prefix = b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://bomb.example/\r\nX-Bomb: "
    return _bomb_member(prefix, b"A", 2 * GIB, b"\r\n\r\n")


def _blank_lines_bomb() -> bytes:
    one = gzip.decompress(record("https://blank-lines.example/", _thai_html().encode()))
    return _bomb_member(one, b"\n", 2 * GIB)


def _utf16() -> bytes:
    page = (
        _thai_html(page="enfybag")
        .replace('charset="utf-8"', 'charset="utf-16"')
        .replace("charset=utf-8", "charset=utf-16")
    )
    return record("https://utf16.example/", page.encode("utf-16"), "text/html; charset=utf-16")


def _charset_undefined() -> bytes:
    return record(
        "https://undefined.example/", _thai_html(page="grab-thailand").encode(), "text/html; charset=undefined"
    )


RECORD_CASES = (
    RecordCase("bracketed host in an hreflang link", _bracket_link, "not_failed"),
    RecordCase("bracketed host in the record's URI", _bracket_uri, "not_failed"),
    RecordCase("utf-7 page with a lone surrogate", _utf7, "not_failed"),
    RecordCase("0.5 MB of '<meta '", _meta_bomb, "not_failed"),
    RecordCase("Thai page with 100k digits on one line", _thai_digits, "not_failed"),
    RecordCase("160k letters without '@'", _letter_run, "not_failed"),
    RecordCase("80k chars of '1:1:1:'", _colon_run, "not_failed"),
    RecordCase("2 GiB WARC header line (2 MB gzip member)", _header_line_bomb, "header_line_too_long"),
    RecordCase("2 GiB of blank lines after a record", _blank_lines_bomb, "too_many_blank_lines"),
    RecordCase("UTF-16 page", _utf16, "kept"),
    RecordCase("charset=undefined", _charset_undefined, "kept"),
)


def record_case_warc(case: RecordCase | None) -> bytes:
    """The good pages with the hostile record in the middle (none: the good pages alone)."""
    good = [record(url, html) for url, html in good_pages()]
    return b"".join(good[:3]) + (case.build() if case else b"") + b"".join(good[3:])


def write_file_cases(inputs: Path) -> None:
    """The hostile files beside good ones: the same WARC twice, a plain WARC whose second record's Content-Length
    runs 50 kB past it, a text file named .warc.gz, two records sharing a WARC-Record-ID (copies of good pages).
    Read: 6 + 6 + 6 + 1 + 2 records; kept: the 6 good pages once."""
    (inputs / "a.warc.gz").write_bytes(good_warc())
    (inputs / "b-copy-of-a.warc.gz").write_bytes(good_warc())
    plain = [record(url, html, gz=False) for url, html in good_pages()]
    length = int(plain[1].split(b"Content-Length: ")[1].split(b"\r\n")[0])
    plain[1] = plain[1].replace(b"Content-Length: %d" % length, b"Content-Length: %d" % (length + 50_000))
    (inputs / "c.warc").write_bytes(b"".join(plain))
    (inputs / "d-not-a-warc.warc.gz").write_text("this is a text file\n" * 50)
    twin = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    (inputs / "e-shared-ids.warc.gz").write_bytes(b"".join(record(u, h, record_id=twin) for u, h in good_pages()[:2]))


# (config text, what its one-line error says)
BAD_CONFIGS = (
    ("input: in\noutput: out\nsource: &a [lol, lol]\nrecipe: &b [*a, *a]\n", "YAML aliases (*name) are not allowed"),
    ("input: in\noutput: out\ntasks: two\n", "tasks must be int, not str 'two'"),
    ("input: in\noutput: out\nprelid: {min_score: high}\n", "prelid.min_score must be float"),
    ("input: in\noutput: out\nbudget: {steps: {pii: {seconds: 1}}}\n", "unknown step 'pii'"),
)


def write_config(folder: Path, budget_seconds: float = 5.0, tasks: int = 1) -> Path:
    config = folder / "run.yaml"
    config.write_text(
        "input: in\noutput: out\nsource: hostile\ndump: CC-TEST\n"
        f"tasks: {tasks}\nworkers: 1\nbudget:\n  seconds: {budget_seconds}\n"
        "languages: [tha_Thai, jpn_Jpan, vie_Latn, ind_Latn, zsm_Latn, tam_Taml, eng_Latn]\n"
    )
    return config


@dataclass
class Result:
    code: int
    wall: float
    peak_rss_mib: float
    stdout: str
    stderr: str


# Runs the command and reports its peak RSS: a child's ru_maxrss counts what it had before exec, i.e. a copy of
# its parent (a pytest process of 1 GB), so the command is started from this small launcher instead
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
sys.stderr.write(f"\\nPEAK-RSS-KIB {usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_monsoon(*args: str, timeout: float = 600) -> Result:
    """`monsoon ARGS` in a child process: exit status, wall seconds, peak RSS of the process and the children it
    waited for; its process group is killed after `timeout` seconds."""
    started = time.monotonic()
    command = [sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "monsoon.cli", *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, open(os.devnull, "rb") as stdin:
        child = subprocess.Popen(command, stdin=stdin, stdout=out, stderr=err, start_new_session=True)
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    stderr, _, peak = stderr.rpartition("\nPEAK-RSS-KIB ")
    peak_mib = int(peak) / 1024 if peak.strip().isdigit() else float("nan")
    return Result(child.returncode, time.monotonic() - started, peak_mib, stdout, stderr)


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "in").mkdir()
    return folder
