"""Reading WARCs: real crawl files and deliberately broken ones; every record is accounted for."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import (
    gzip_member,
    html_page,
    identity_holds,
    run_job,
    shared,
    thai_news,
    warc_response,
)
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from monsoon.accounting import merge_stats
from monsoon.stages.warc_reader import WarcDocumentReader


def test_real_warc_samples_are_read_and_accounted(tmp_path):
    folder = shared("warc_samples")
    with open(folder / "manifest.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    documents = [r for r in rows if r["warc_type"] in ("response", "resource", "conversion")]

    accounting, _ = run_job(tmp_path, folder)

    total = accounting["total"]
    assert total["read"] >= len(documents)
    assert identity_holds(total)
    assert all(identity_holds(bucket) for bucket in accounting["languages"].values())
    assert total["kept"] > 0  # the English wget crawl has real articles


def test_broken_warc_is_read_to_the_end_and_every_record_counted(tmp_path):
    thai = thai_news(4)
    good = warc_response("https://news.example.th/1", html_page("ข่าว", thai, lang="th").encode("utf-8"))
    # legacy Thai encoding declared nowhere: must be detected, not lost
    undeclared = warc_response(
        "https://news.example.th/2",
        html_page("ข่าว", thai_news(5), lang="th", charset=None).encode("cp874"),
        content_type="text/html",
    )
    not_html = warc_response("https://img.example.th/a.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
    garbage = gzip_member(b"this is not a WARC record at all\r\n\r\n")
    binary_as_html = warc_response("https://x.example.com/", bytes(range(256)) * 20, "text/html")
    after = warc_response("https://news.example.th/3", html_page("ข่าว", thai_news(10), lang="th").encode("utf-8"))
    truncated = warc_response("https://news.example.th/4", html_page("ข่าว", thai_news(11)).encode("utf-8"))[:300]
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(good + undeclared + not_html + garbage + binary_as_html + after + truncated)

    accounting, output = run_job(tmp_path, path)

    total = accounting["total"]
    assert total["read"] == 7
    assert identity_holds(total)
    assert total["errored"] == {"malformed_record": 1, "truncated_or_corrupt_gzip": 1}
    assert total["dropped"].get("not_html") == 1
    assert total["dropped"].get("binary_payload") == 1
    kept = pq.read_table(output / "tha_Thai").to_pylist()
    assert sorted(row["url"] for row in kept) == [
        "https://news.example.th/1",
        "https://news.example.th/2",
        "https://news.example.th/3",
    ]
    assert next(row for row in kept if row["url"].endswith("/2"))["charset"] == "cp874"


def _peak_rss_mib_of_run(tmp_path: Path, name: str, warc: bytes) -> tuple[int, dict]:
    """Run `monsoon run` on one WARC file in its own process: (its peak RSS in MiB, accounting)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "input.warc.gz").write_bytes(warc)
    config = folder / "run.yaml"
    config.write_text(f"input: {folder / 'input.warc.gz'}\noutput: {folder / 'out'}\ntasks: 1\nworkers: 1\n")
    code = (
        "import resource, sys; from monsoon.cli import main; main(sys.argv[1:]); "
        "print('PEAK', max(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "run", str(config)], capture_output=True, text=True, check=True
    )
    peak_kib = int(result.stdout.rsplit("PEAK ", 1)[1])
    return peak_kib // 1024, json.loads((folder / "out" / "accounting.json").read_text())


def test_a_50_mb_page_is_dropped_undecoded_and_the_job_goes_on(tmp_path):
    article = warc_response("https://news.example.th/1", html_page("ข่าว", thai_news(4), lang="th").encode())
    huge = html_page("big", "lorem ipsum dolor sit amet " * 1_900_000).encode()  # 51 MB
    assert len(huge) > 50_000_000

    baseline, _ = _peak_rss_mib_of_run(tmp_path, "baseline", article)
    peak, accounting = _peak_rss_mib_of_run(tmp_path, "huge", warc_response("https://big.example.com/", huge) + article)

    assert accounting["total"]["read"] == 2 and identity_holds(accounting["total"])
    assert accounting["total"]["dropped"] == {"html_too_large": 1}
    assert accounting["languages"]["tha_Thai"]["kept"] == 1
    assert peak - baseline < 20, f"peak RSS {peak} MiB with the 50 MB page vs {baseline} MiB without"


def test_gzip_bomb_and_deeply_nested_html_end_counted(tmp_path):
    import gzip
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    bomb = gzip.compress(b"<html><body>" + b"A" * 200_000_000, mtime=0)  # ~200 KB that inflates to 200 MB
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = StatusAndHeaders(
        "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], protocol="HTTP/1.1"
    )
    writer.write_record(
        writer.create_warc_record(
            "https://bomb.example.com/", "response", payload=io.BytesIO(bomb), http_headers=headers
        )
    )
    nested = "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>"  # 1.1 MB
    path = tmp_path / "hostile.warc.gz"
    path.write_bytes(buffer.getvalue() + warc_response("https://deep.example.com/", nested.encode()))

    accounting, _ = run_job(tmp_path, path)

    total = accounting["total"]
    assert total["read"] == 2
    assert identity_holds(total)
    assert total["dropped"].get("html_too_large") == 1  # the bomb is never inflated past the size limit
    assert total["kept"] == 0  # the nested page ends dropped or errored, without hanging the job


# --- a fuzzed corpus: real Common Crawl response members with one fault after each ---

_REAL_CRAWL = "cc-main-2020-34__resiliparse-warcfile.warc.gz"


def _real_response_members(count: int) -> list[tuple[str, bytes]]:
    """(url, raw gzip member) of the first `count` response records of a real CC-MAIN-2020-34 file."""
    path = shared("warc_samples", _REAL_CRAWL)
    data, members = path.read_bytes(), []
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            url = record.rec_headers.get_header("WARC-Target-URI")
            record.content_stream().read()
            if record.rec_type == "response":
                offset = records.get_record_offset()
                members.append((url, data[offset : offset + records.get_record_length()]))
            if len(members) == count:
                return members
    raise AssertionError("the sample has fewer responses than asked for")


def _raw_record(warc_headers: list[tuple[str, str]], block: bytes, length: int | None = None) -> bytes:
    """A WARC record written byte by byte (no validation), `length` overriding the true Content-Length."""
    lines = [b"WARC/1.0"] + [f"{name}: {value}".encode() for name, value in warc_headers]
    lines.append(f"Content-Length: {len(block) if length is None else length}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + block + b"\r\n\r\n"


def _written(rec_type: str, url: str, payload: bytes, **kwargs) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(writer.create_warc_record(url, rec_type, payload=io.BytesIO(payload), **kwargs))
    return buffer.getvalue()


_HTTP_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
_PAGE = html_page("ข่าว", thai_news(3), lang="th").encode("utf-8")
_ID = [("WARC-Type", "response"), ("WARC-Date", "2020-08-04T00:00:00Z"), ("WARC-Record-ID", "<urn:uuid:fuzz>")]
_URI = [("WARC-Target-URI", "https://fuzz.example.th/page")]
_HTTP_TYPE = [("Content-Type", "application/http; msgtype=response")]

# name -> (bytes, documents read, dropped {reason: n}, errored {reason: n}, fault's url when it is kept);
# None: a real member cut in half
FAULTS = {
    "missing_target_uri": (
        gzip_member(_raw_record(_ID + _HTTP_TYPE, _HTTP_OK + _PAGE)),
        1,
        {},
        {"missing_target_uri": 1},
    ),
    "truncated_gzip_member": (None, 1, {}, {"malformed_record": 1}),
    "broken_warc_header": (
        gzip_member(b"WARC/1.0\r\nWARC-Type response\r\nContent-Length: twelve\r\n\r\n" + _PAGE),
        1,
        {},
        {"malformed_record": 1},
    ),
    "broken_http_header": (
        gzip_member(_raw_record(_ID + _URI + _HTTP_TYPE, b"this is no status line\r\nnor: a\r\n\r\n" + _PAGE)),
        1,
        {"http_status_not_ok": 1},
        {},
    ),
    "cut_mid_payload": (
        gzip_member(_raw_record(_ID + _URI + _HTTP_TYPE, _HTTP_OK + _PAGE[:200], length=len(_HTTP_OK + _PAGE))),
        1,
        {},
        {"record_cut_short": 1},
    ),
    "huge_warc_header": (
        gzip_member(_raw_record(_ID + _URI + [("X-Padding", "a" * 2_000_000)] + _HTTP_TYPE, _HTTP_OK + _PAGE)),
        1,
        {},
        {},
    ),
    "huge_http_header": (
        gzip_member(
            _raw_record(
                _ID + _URI + _HTTP_TYPE, _HTTP_OK[:-2] + b"X-Padding: " + b"b" * 2_000_000 + b"\r\n\r\n" + _PAGE
            )
        ),
        1,
        {},
        {},
    ),
    "zero_length_record": (gzip_member(_raw_record(_ID + _URI + _HTTP_TYPE, b"")), 1, {"empty_payload": 1}, {}),
    "revisit_request_metadata_records": (
        _written("revisit", "https://fuzz.example.th/r", b"")
        + _written("request", "https://fuzz.example.th/q", b"GET / HTTP/1.1\r\nHost: fuzz.example.th\r\n\r\n")
        + _written(
            "metadata", "https://fuzz.example.th/m", b"fetchTimeMs: 12\r\n", warc_content_type="application/warc-fields"
        ),
        0,
        {},
        {},
    ),
    "resource_record": (
        _written("resource", "https://fuzz.example.th/res.html", _PAGE, warc_content_type="text/html"),
        1,
        {},
        {},
    ),
    "garbage_between_members": (b"\x00\xffnot a gzip member\r\n" * 40, 1, {}, {"truncated_or_corrupt_gzip": 1}),
}


def _fuzzed_warc(name: str, reals: list[tuple[str, bytes]]) -> bytes:
    fault = FAULTS[name][0]
    if fault is None:
        fault = reals[2][1][: len(reals[2][1]) // 2]
    return reals[0][1] + fault + reals[1][1]


def _read_alone(folder: Path, name: str) -> tuple[list[str], dict]:
    reader = WarcDocumentReader(str(folder))
    urls = [document.metadata["url"] for document in reader.read_file(name)]
    return urls, merge_stats([[reader.stats.to_dict()]])["total"]


KEPT_FAULTS = {
    "huge_warc_header": "https://fuzz.example.th/page",
    "huge_http_header": "https://fuzz.example.th/page",
    "resource_record": "https://fuzz.example.th/res.html",
}


@pytest.mark.parametrize("name", FAULTS)
def test_each_fault_is_counted_and_the_next_real_page_is_read(tmp_path, name):
    reals = _real_response_members(3)
    (tmp_path / "fuzzed.warc.gz").write_bytes(_fuzzed_warc(name, reals))

    urls, total = _read_alone(tmp_path, "fuzzed.warc.gz")

    _, read, dropped, errored = FAULTS[name]
    middle = [KEPT_FAULTS[name]] if name in KEPT_FAULTS else []
    assert urls == [reals[0][0], *middle, reals[1][0]]
    assert (total["read"], total["dropped"], total["errored"]) == (2 + read, dropped, errored)
    assert total["read"] == len(urls) + sum(dropped.values()) + sum(errored.values())


def test_a_fuzzed_corpus_runs_to_the_end_with_every_record_accounted(tmp_path):
    reals = _real_response_members(3)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in FAULTS:
        (inputs / f"{name}.warc.gz").write_bytes(_fuzzed_warc(name, reals))

    accounting, _ = run_job(tmp_path, inputs)

    total = accounting["total"]
    assert total["read"] == 2 * len(FAULTS) + sum(fault[1] for fault in FAULTS.values())
    assert identity_holds(total)
    assert total["errored"] == {
        "missing_target_uri": 1,
        "malformed_record": 2,
        "record_cut_short": 1,
        "truncated_or_corrupt_gzip": 1,
    }
    assert total["steps"]["missing_target_uri"] == "WarcDocumentReader"
