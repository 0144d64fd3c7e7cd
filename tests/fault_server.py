"""A static file server on 127.0.0.1 with Range support (as data.commoncrawl.org has) that injects faults, for the
tests and bench/network.py.

Or it forwards every request to an upstream server (`upstream`: the moto S3 server of tests/s3.py, so an s3://
client pointed at it gets S3's answers with the faults injected). Faults are queued per path (`inject`): each GET
of that path takes the next one (`times` GETs each; None: every GET from then on). With `rates`, each request
(HEAD or GET) draws a fault at random (seeded). Every request is logged
(`requests`: method, path, Range header, status) so a test can see a resumed range request.

Faults: `slowdown` (503 with Amazon's <Error><Code>SlowDown</Code> body), `rate_limited` (429 with Retry-After),
`forbidden` (a CDN's rate-limit 403, an HTML page), `denied` (S3's AccessDenied 403 XML), `not_found` (404),
`server_error` (500), `reset` (the right headers, `after` bytes of the body, then a TCP reset), `stall` (headers and
`after` bytes, then silence for `seconds`), `short` (a well-formed response with only `after` bytes of the range),
`error_page` (200 with an XML error document for a body); a fault of None lets a GET through (queued before a fault).
A path in `sizeless` is answered without a Content-Length, its body ending where the connection closes; a path in
`head_sizes` is answered to a HEAD with that length.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SLOWDOWN_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.'
    b"</Message><RequestId>K2H6N7ZGQT6WHCEG</RequestId></Error>"
)
DENIED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
)
FORBIDDEN_BODY = (
    b"<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1>Request blocked.</body></html>"
)
_STATUS = {"slowdown": 503, "rate_limited": 429, "forbidden": 403, "denied": 403, "not_found": 404, "server_error": 500}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(
            sys.exc_info()[1], ConnectionError
        ):  # a client that hung up (a worker that exited) is no news
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class Fault:
    kind: str
    after: int = 0  # bytes of the body sent first (reset, stall, short)
    seconds: float = 0.0  # stall: how long; rate_limited: the Retry-After value


class FaultServer:
    """`with FaultServer(root) as server:` serves the files under `root` at `server.url`; `FaultServer(upstream=URL)`
    forwards every request to that server instead (the moto S3 server: an S3 endpoint that injects faults)."""

    def __init__(self, root: Path | None = None, upstream: str | None = None):
        self.root = Path(root) if root else None
        self.upstream = upstream.split("://", 1)[-1] if upstream else None  # host:port to proxy to
        self.faults: dict[str, deque[tuple[Fault, int | None]]] = {}
        self.rates: dict[str, float] = {}
        self.random = random.Random(0)
        self.requests: list[tuple[str, str, str | None, int]] = []
        self.sizeless: set[str] = set()  # paths answered without a Content-Length (a body that ends at the close)
        self.head_sizes: dict[str, int] = {}  # path -> the Content-Length a HEAD of it answers (not the file's)
        self.lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FaultServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, path: str, fault: Fault, times: int | None = 1) -> None:
        """The next `times` GETs of `path` (relative to the root, no leading slash) answer with `fault`."""
        with self.lock:
            self.faults.setdefault("/" + path.lstrip("/"), deque()).append((fault, times))

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.rates = {}
            self.requests.clear()

    def set_rates(self, seed: int = 0, **rates: float) -> None:
        """Each request draws `kind` with probability rates[kind] (e.g. slowdown=0.05, reset=0.01)."""
        with self.lock:
            self.rates, self.random = dict(rates), random.Random(seed)

    def fault_for(self, method: str, path: str, size: int) -> Fault | None:
        with self.lock:
            queue = self.faults.get(path)
            if method == "GET" and queue:
                fault, times = queue[0]
                if times is not None:
                    if times <= 1:
                        queue.popleft()
                    else:
                        queue[0] = (fault, times - 1)
                return fault
            draw = self.random.random()
            for kind, rate in self.rates.items():
                if draw < rate and (method == "GET" or kind not in ("reset", "stall", "short")):
                    return Fault(kind, after=size // 2)
                draw -= rate
        return None

    def log(self, method: str, path: str, range_header: str | None, status: int) -> None:
        with self.lock:
            self.requests.append((method, path, range_header, status))

    def gets(self, path: str) -> list[tuple[str | None, int]]:
        """(Range header, status) of each GET of `path`, in order."""
        path = "/" + path.lstrip("/")
        with self.lock:
            return [(r, status) for method, p, r, status in self.requests if method == "GET" and p == path]


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # no line per request on stderr
            pass

        def do_HEAD(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def do_PUT(self) -> None:  # proxied only (uploads to moto through the proxy)
            self._serve()

        def _answer(self, status: int, body: bytes, headers: dict | None = None, length: int | None = None) -> None:
            self.send_response(status)
            headers = {"Content-Length": str(len(body) if length is None else length), **(headers or {})}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _from_file(self, path: str) -> tuple[int, dict, bytes]:
            file = (server.root / path.lstrip("/")).resolve()
            if server.root.resolve() not in file.parents or not file.is_file():
                return 404, {}, b"not found"
            data = file.read_bytes()
            start, end, status = 0, len(data), 200
            if match := _RANGE.match(self.headers.get("Range", "")):
                first, last = match.groups()
                if first:
                    start, end = int(first), min(len(data), int(last) + 1 if last else len(data))
                else:  # a suffix: the last N bytes
                    start, end = max(0, len(data) - int(last)), len(data)
                if start >= len(data):
                    return 416, {"Content-Range": f"bytes */{len(data)}"}, b""
                status = 206
            headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
            if status == 206:
                headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
            return status, headers, data[start:end]

        def _forward(self) -> tuple[int, dict, bytes]:
            """The upstream server's answer to this request (moto, for s3://)."""
            length = int(self.headers.get("Content-Length") or 0)
            connection = http.client.HTTPConnection(server.upstream, timeout=30)
            connection.request(self.command, self.path, self.rfile.read(length) if length else None, dict(self.headers))
            response = connection.getresponse()
            body = response.read()
            connection.close()
            hop = {
                "transfer-encoding",
                "connection",
                "keep-alive",
                *(() if self.command == "HEAD" else ("content-length",)),
            }
            return response.status, {k: v for k, v in response.getheaders() if k.lower() not in hop}, body

        def _serve(self) -> None:
            path = self.path.split("?", 1)[0]
            status, headers, body = self._forward() if server.upstream else self._from_file(path)
            fault = server.fault_for(self.command, path, len(body)) if status in (200, 206) else None
            server.log(
                self.command, path, self.headers.get("Range"), _STATUS.get(fault.kind, status) if fault else status
            )
            if self.command == "HEAD" and path in server.head_sizes:
                return self._answer(status, b"", headers, length=server.head_sizes[path])
            if path in server.sizeless:  # no length anywhere: the body runs until the connection closes
                self.send_response(status)
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                self.close_connection = True
                return None
            if fault is None:
                return self._answer(status, body, headers)
            kind = fault.kind
            if kind == "slowdown":
                return self._answer(503, SLOWDOWN_BODY, {"Content-Type": "application/xml"})
            if kind == "rate_limited":
                return self._answer(429, b"Too Many Requests", {"Retry-After": f"{fault.seconds:g}"})
            if kind == "forbidden":
                return self._answer(403, FORBIDDEN_BODY, {"Content-Type": "text/html"})
            if kind == "denied":
                return self._answer(403, DENIED_BODY, {"Content-Type": "application/xml"})
            if kind == "not_found":
                return self._answer(404, b"not found")
            if kind == "server_error":
                return self._answer(500, b"Internal Server Error")
            if kind == "error_page":
                return self._answer(200, SLOWDOWN_BODY, {"Content-Type": "application/xml"})
            if kind == "short":
                cut = body[: fault.after]
                if match := re.match(r"bytes (\d+)-\d+/(\d+)", headers.get("Content-Range", "")):
                    start, size = map(int, match.groups())
                    headers["Content-Range"] = f"bytes {start}-{start + len(cut) - 1}/{size}"
                return self._answer(status, cut, headers)
            # reset, stall: the full response announced, part of it sent
            self._answer(status, body[: fault.after], headers, length=len(body))
            self.wfile.flush()
            if kind == "stall":
                time.sleep(fault.seconds)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # SO_LINGER 0: a TCP reset, not an orderly close
            self.close_connection = True

    return Handler
