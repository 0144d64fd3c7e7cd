"""A local HTTP server with Range support on 127.0.0.1, standing in for https://data.commoncrawl.org/: GET (whole
or `Range: bytes=a-b`, answered 206 with Content-Range) and HEAD of the files under a folder; it counts requests."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


@dataclass
class RangeServer:
    url: str
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, Range header)


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
            path = self._file()
            if path is None:
                self.send_error(404)
                return
            data = path.read_bytes()
            start, end, status = 0, len(data), 200
            if body and (found := _RANGE.match(self.headers.get("Range", ""))):
                start = int(found.group(1))
                end = min(len(data), int(found.group(2)) + 1 if found.group(2) else len(data))
                status = 206
            self.send_response(status)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
            self.end_headers()
            if body:
                self.wfile.write(data[start:end])

    return Handler


@contextmanager
def range_server(root: Path) -> Iterator[RangeServer]:
    """Serve `root` on 127.0.0.1 (a free port) while the context lasts."""
    state = RangeServer("")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(root.resolve(), state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
