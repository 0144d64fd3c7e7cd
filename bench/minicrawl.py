"""A mini Common Crawl bucket built from real pages, for the index-first tests and bench/index_recall.py:

    ROOT/crawl-data/CRAWL/segments/SEGMENT/warc/CRAWL-<n>.warc.gz      request + response records, one gzip member each
    ROOT/crawl-data/CRAWL/warc.paths.gz                                the WARC listing, as Common Crawl publishes it
    ROOT/crawl-data/CRAWL/cc-index-table.paths.gz                      the index files' listing, likewise
    ROOT/cc-index/table/cc-main/warc/crawl=CRAWL/subset=warc/part-00000.parquet   the columnar index of the responses

and `range_server(ROOT)`, a local HTTP server with Range support serving it, standing in for data.commoncrawl.org.

The index has the columns of commoncrawl/cc-index-table's flat schema that a selection or a reader uses, with
`content_languages` computed as Common Crawl computes it (commoncrawl/language-detection-cld2, called by its crawler):
CLD2 on the HTML (not plain text) converted to UTF-8 first, with the top-level domain, the Content-Language header
and the charset as hints; up to three languages, primary first, as ISO 639-3 codes (a language without one, and every
"unknown" after the first, is left out). pycld2 is a test/bench dependency only.
"""

from __future__ import annotations

import gzip
import io
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

CRAWL = "CC-MAIN-2099-01"
SEGMENT = "1700000000000.00"
# CLD2's language codes -> ISO 639-3, as language-detection-cld2's Language table writes them (the languages the
# shared pages have; others keep CLD2's code, which names no run language either)
CLD2_ISO639_3 = {
    "en": "eng", "th": "tha", "ja": "jpn", "vi": "vie", "id": "ind", "ms": "msa", "ta": "tam", "tl": "tgl",
    "km": "khm", "lo": "lao", "my": "mya", "zh": "zho", "zh-Hant": "zho", "ko": "kor", "de": "deu", "fr": "fra",
    "es": "spa", "it": "ita", "pt": "por", "ru": "rus", "nl": "nld", "pl": "pol", "ar": "ara", "hi": "hin",
    "tr": "tur", "sv": "swe", "cs": "ces", "uk": "ukr", "fa": "fas", "el": "ell", "he": "heb", "iw": "heb",
}  # fmt: skip


@dataclass(frozen=True)
class Page:
    url: str
    payload: bytes
    content_type: str = "text/html"
    record_id: str | None = None  # kept when the page comes from a WARC, so ids match its record's


def cld2_languages(payload: bytes, content_type: str, url: str, content_language: str | None = None) -> str | None:
    """content_languages as Common Crawl's index has it (see the module docstring); None when CLD2 finds none."""
    import pycld2

    from monsoon.stages.charset import decode_html

    text, charset = decode_html(payload, content_type)
    if not text:
        return None
    tld = urlsplit(url).hostname.rsplit(".", 1)[-1] if urlsplit(url).hostname else ""
    hints = {"hintTopLevelDomain": tld, "hintLanguageHTTPHeaders": content_language or ""}
    if charset:
        hints["hintEncoding"] = charset
    try:
        _, _, details = pycld2.detect(text.encode("utf-8", "replace"), isPlainText=False, **hints)
    except pycld2.error:
        try:  # an encoding hint CLD2 does not know
            hints.pop("hintEncoding", None)
            _, _, details = pycld2.detect(text.encode("utf-8", "replace"), isPlainText=False, **hints)
        except pycld2.error:
            return None
    codes: list[str] = []
    for position, (_, code, _, _) in enumerate(details):
        if code == "un":
            if position > 0:
                break  # only the first "unknown" counts, and it has no ISO code
            continue
        iso = CLD2_ISO639_3.get(code, code)
        if iso not in codes:
            codes.append(iso)
    return ",".join(codes) or None


def _registered_domain(host: str) -> str:
    labels = host.split(".")
    return (
        ".".join(labels[-3:])
        if len(labels) > 2 and labels[-2] in ("co", "com", "ac", "go", "or")
        else ".".join(labels[-2:])
    )


def _records(n: int, page: Page) -> tuple[bytes, bytes]:
    """A request and a response record for a page, each its own gzip member."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    members = []
    for kind in ("request", "response"):
        out = io.BytesIO()
        writer = WARCWriter(out, gzip=False)
        if kind == "request":
            headers = StatusAndHeaders(
                "GET / HTTP/1.1", [("Host", urlsplit(page.url).hostname or "")], is_http_request=True
            )
            record = writer.create_warc_record(page.url, "request", payload=io.BytesIO(b""), http_headers=headers)
        else:
            headers = StatusAndHeaders("200 OK", [("Content-Type", page.content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                page.url, "response", payload=io.BytesIO(page.payload), http_headers=headers
            )
            record.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:{page.record_id or uuid.UUID(int=n + 1)}>")
            record.rec_headers.add_header("WARC-Identified-Payload-Type", page.content_type.split(";")[0].strip())
        writer.write_record(record)
        members.append(gzip.compress(out.getvalue(), mtime=0))
    return members[0], members[1]


def build(root: Path, pages: list[Page], files: int = 4, crawl: str = CRAWL) -> dict:
    """Write the mini bucket under `root` (pages dealt round-robin over `files` WARC files); returns the relative
    paths: {"warcs": [...], "listing": ..., "index": ...}."""
    warcs = [f"crawl-data/{crawl}/segments/{SEGMENT}/warc/{crawl}-{i:05d}.warc.gz" for i in range(files)]
    rows: list[dict] = []
    for i, name in enumerate(warcs):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            for n in range(i, len(pages), files):
                page = pages[n]
                request, response = _records(n, page)
                out.write(request)
                host = urlsplit(page.url).hostname or ""
                rows.append(
                    {
                        "url_surtkey": ",".join(reversed(host.split("."))) + ")" + urlsplit(page.url).path,
                        "url": page.url,
                        "url_host_name": host,
                        "url_host_registered_domain": _registered_domain(host),
                        "fetch_status": 200,
                        "content_mime_type": page.content_type.split(";")[0].strip(),
                        "content_mime_detected": page.content_type.split(";")[0].strip(),
                        "content_languages": cld2_languages(page.payload, page.content_type, page.url),
                        "content_truncated": None,
                        "warc_filename": name,
                        "warc_record_offset": out.tell(),
                        "warc_record_length": len(response),
                        "warc_segment": SEGMENT,
                        "crawl": crawl,
                        "subset": "warc",
                    }
                )
                out.write(response)
    listing = f"crawl-data/{crawl}/warc.paths.gz"
    (root / listing).write_bytes(gzip.compress("".join(f"{w}\n" for w in warcs).encode(), mtime=0))
    index = f"cc-index/table/cc-main/warc/crawl={crawl}/subset=warc/part-00000.parquet"
    (root / index).parent.mkdir(parents=True, exist_ok=True)
    write_index(rows, root / index)
    index_listing = f"crawl-data/{crawl}/cc-index-table.paths.gz"  # as Common Crawl lists a crawl's index files
    (root / index_listing).write_bytes(gzip.compress(f"{index}\n".encode(), mtime=0))
    return {"warcs": warcs, "listing": listing, "index": index, "index_listing": index_listing}


INDEX_SCHEMA = pa.schema(
    [
        ("url_surtkey", pa.string()),
        ("url", pa.string()),
        ("url_host_name", pa.string()),
        ("url_host_registered_domain", pa.string()),
        ("fetch_status", pa.int16()),
        ("content_mime_type", pa.string()),
        ("content_mime_detected", pa.string()),
        ("content_languages", pa.string()),
        ("content_truncated", pa.string()),
        ("warc_filename", pa.string()),
        ("warc_record_offset", pa.int32()),
        ("warc_record_length", pa.int32()),
        ("warc_segment", pa.string()),
        ("crawl", pa.string()),
        ("subset", pa.string()),
    ]
)  # fmt: skip  (commoncrawl/cc-index-table's flat schema: short, integer -> int16, int32)


def write_index(rows: list[dict], path: Path) -> None:
    pq.write_table(pa.Table.from_pylist(rows, schema=INDEX_SCHEMA), path)


def warc_pages(paths: list[Path]) -> list[Page]:
    """The response records of WARC files as pages, with their record ids."""
    from warcio.archiveiterator import ArchiveIterator

    pages = []
    for path in paths:
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response" and record.http_headers is not None:
                    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>")
                    pages.append(
                        Page(
                            record.rec_headers.get_header("WARC-Target-URI"),
                            record.content_stream().read(),
                            record.http_headers.get_header("Content-Type") or "text/html",
                            record_id.removeprefix("urn:uuid:") or None,
                        )
                    )
    return pages


_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


@dataclass
class RangeServer:
    url: str
    latency: float = 0.0  # seconds each request waits before its answer (a remote store's first-byte latency)
    bandwidth: float = 0.0  # bytes per second of one answer, when set (a remote store's per-connection throughput)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, Range header)
    served: int = 0  # body bytes sent


def _handler(root: Path, server: RangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _file(self) -> Path | None:
            path = (root / self.path.split("?", 1)[0].lstrip("/")).resolve()
            return path if path.is_file() and root in path.parents else None

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            server.requests.append((self.command, self.path, self.headers.get("Range", "")))
            if server.latency:
                time.sleep(server.latency)
            path = self._file()
            if path is None:
                self.send_error(404)
                return
            size = path.stat().st_size
            start, end, status = 0, size, 200
            if body and (found := _RANGE.match(self.headers.get("Range", ""))):
                start = int(found.group(1))
                end = min(size, int(found.group(2)) + 1 if found.group(2) else size)
                status = 206
                if start >= size:  # as a store answers a range past the end
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            self.send_response(status)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            self.end_headers()
            if body:
                server.served += end - start
                if server.bandwidth:
                    time.sleep((end - start) / server.bandwidth)
                with open(path, "rb") as file:  # the range only: the server shares the measured process
                    file.seek(start)
                    self.wfile.write(file.read(end - start))

    return Handler


@contextmanager
def range_server(root: Path, latency: float = 0.0, bandwidth: float = 0.0) -> Iterator[RangeServer]:
    """Serve `root` on 127.0.0.1 (a free port) while the context lasts: a local HTTP server with Range support,
    standing in for https://data.commoncrawl.org/ (GET whole or `Range: bytes=a-b`, answered 206; HEAD)."""
    state = RangeServer("", latency, bandwidth)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(root.resolve(), state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
