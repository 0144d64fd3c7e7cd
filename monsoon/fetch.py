"""The one way monsoon reads remote bytes, for every fsspec filesystem (http(s)://, s3://, gs://, ...).

A read is a sequence of requests (`size`, then `cat_file(start, end)` block by block). Each request:
- waits for the worker process's budget (`requests_per_second`, `bytes_per_second`);
- runs with a socket read timeout (aiohttp's `sock_read` for http(s), botocore's `read_timeout` for s3), so no read
  hangs;
- is checked: a block shorter than asked for (the size is known) is a `short_body`; a first block that lacks the
  magic the file type must start with (gzip, parquet, WARC), or a body that is an XML/HTML error document, is an
  `error_document`: retried, never data;
- on a transient error (503/SlowDown, 429, 500/502/504, a CDN's 403, reset, timeout, short body, a checksum that
  does not match, error document) is tried again after an exponential backoff with jitter, never sooner than
  `backoff_base` (Common Crawl's advice: retry at most once per second, for a long time), or after the server's
  Retry-After;
- on a permanent error (404, an access-denied 403, other 4xx), or once its attempts are spent, raises FetchFailed
  (an OSError) naming the path, the byte range, the last error and the attempts.

The filesystems' own retries are turned off (s3fs, botocore) so that these are the only ones, and counted.
`RemoteFile` is a seekable file object over such requests: a WARC read sequentially resumes, after any failed
request, with a range request at the first byte the reader has not had, so no record is lost or duplicated.
Local paths never come here (`is_remote`): they are opened as they are.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import io
import queue
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

import fsspec
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger
from fsspec.compression import compr
from fsspec.core import url_to_fs
from fsspec.utils import infer_compression

from monsoon.accounting import count_fetch
from monsoon.config import FetchConfig

T = TypeVar("T")

_LOCAL_PROTOCOLS = ("file://", "local://")
# the bytes a file of this type starts with: anything else in their place (an error page saved as .warc.gz) is no data
_MAGIC = {".gz": b"\x1f\x8b", ".parquet": b"PAR1", ".warc": b"WARC/"}
FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")  # fastText's model header (lid.176.bin/.ftz, GlotLID)
_ERROR_DOCUMENT = re.compile(rb"\A\s*(?:<\?xml[^>]*\?>\s*)?(?:<Error\b|<!doctype html|<html\b)", re.IGNORECASE)
_SLOWDOWN_CODES = {"SlowDown", "ServiceUnavailable", "Throttling", "ThrottlingException", "RequestLimitExceeded"}
_TIMEOUT_ERRORS = {"ReadTimeoutError", "ConnectTimeoutError", "FSTimeoutError"}  # botocore, fsspec
_RESET_ERRORS = {  # a connection that broke: aiohttp, botocore, urllib3, http.client
    "ClientConnectionError",
    "ClientPayloadError",
    "ServerDisconnectedError",
    "EndpointConnectionError",
    "ConnectionClosedError",
    "ResponseStreamingError",
    "ProtocolError",
    "IncompleteRead",
}
_CHECKSUM_ERRORS = {"FlexibleChecksumError", "ChecksumError"}  # botocore: a body that is not what was sent
_RETRY_AFTER_CAP = 600.0  # s: a Retry-After past this is taken as this (a bogus header must not park a worker)
_MAX_REQUEST = 64 << 20  # bytes: a larger read is several requests, so a failure costs at most this much again


class FetchFailed(OSError):
    """A remote read that failed for good: a permanent error, or a transient one past its attempts."""

    def __init__(self, path: str, start: int | None, end: int | None, cause: str, attempts: int, error: BaseException):
        super().__init__(f"{path}: {cause} after {attempts} attempt{'s' * (attempts != 1)}: {_describe(error)}")
        self.path, self.start, self.end, self.cause, self.attempts = path, start, end, cause, attempts
        self.error = error

    def record(self) -> dict:
        """The failed-inputs list's line (OUTPUT/_work/failed_inputs.jsonl)."""
        whole = self.start is None
        return {
            "path": self.path,
            "range": None if whole else [self.start, self.end],
            "cause": self.cause,
            "error": _describe(self.error),
            "attempts": self.attempts,
        }


class _BadBody(Exception):
    """A response whose body cannot be the bytes asked for (`cause`: short_body or error_document)."""

    def __init__(self, cause: str, detail: str):
        super().__init__(detail)
        self.cause = cause


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


@dataclass
class FetchStats:
    """What the requests of one read cost (accounting.json `fetch`)."""

    requests: int = 0
    bytes: int = 0
    wait_seconds: float = 0.0  # in backoff and in the budget
    # the reader held up for bytes: requests, backoff and budget it waited for (not what a read-ahead fetched
    # while the reader parsed)
    stalled_seconds: float = 0.0
    retries: Counter = field(default_factory=Counter)  # cause -> retries

    def counters(self) -> dict[str, int]:
        """Integer counters for datatrove's stats (accounting.count_fetch): wait in milliseconds."""
        return {
            "requests": self.requests,
            "bytes": self.bytes,
            "wait_ms": round(self.wait_seconds * 1000),
            "stalled_ms": round(self.stalled_seconds * 1000),
            **{f"retries.{cause}": n for cause, n in self.retries.items()},
        }


# --- what a failed request was ---


def _chain(error: BaseException) -> list[BaseException]:
    """The error and those it was raised from (fsspec's http `info` wraps a 503 in a FileNotFoundError)."""
    seen: list[BaseException] = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def _response(error: BaseException) -> tuple[int | None, str, dict]:
    """(HTTP status, error code, headers) of an aiohttp ClientResponseError or a botocore ClientError."""
    if "ClientResponseError" in _names(error):
        return getattr(error, "status", None), "", dict(getattr(error, "headers", None) or {})
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        metadata = response.get("ResponseMetadata", {})
        return metadata.get("HTTPStatusCode"), response["Error"].get("Code", ""), metadata.get("HTTPHeaders", {})
    return None, "", {}


def _retry_after(headers: dict) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), _RETRY_AFTER_CAP)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)  # an HTTP date
        return min(max(when.timestamp() - time.time(), 0.0), _RETRY_AFTER_CAP) if when else None


def _by_status(status: int | None, code: str) -> str | None:
    if code in _SLOWDOWN_CODES or status == 503:
        return "slowdown"
    if status == 429:
        return "rate_limited"
    if status == 403:  # S3 names an access-denied 403 (code AccessDenied); a CDN's rate-limit 403 has no code
        return None if code else "forbidden"
    if status == 408:
        return "timeout"
    if status is not None and status >= 500:
        return "server_error"
    return None


def classify(error: BaseException) -> tuple[str | None, float | None]:
    """(cause, Retry-After seconds) of a failed request; cause None: permanent, not to be retried."""
    chain = _chain(error)
    for link in chain:  # a server's answer says most
        status, code, headers = _response(link)
        if status is not None or code:
            return _by_status(status, code), _retry_after(headers)
    for link in chain:  # before the FileNotFoundError fsspec's http `info` wraps any failure in
        names = _names(link)
        if isinstance(link, _BadBody):
            return link.cause, None
        if isinstance(link, TimeoutError) or names & _TIMEOUT_ERRORS:
            return "timeout", None
        if isinstance(link, ConnectionError) or names & _RESET_ERRORS:
            return "reset", None
        if names & _CHECKSUM_ERRORS:
            return "checksum", None
    if any(
        isinstance(link, FileNotFoundError | PermissionError | IsADirectoryError | NotADirectoryError) for link in chain
    ):
        return None, None
    if isinstance(error, OSError):  # s3fs's EIO for an error code it does not know: an I/O error, worth retrying
        return "io_error", None
    return None, None


# --- the budget of this worker process ---


class _Pacer:
    """At most `rate` units a second on average in this process: each `take` reserves its units' time slot."""

    def __init__(self, rate: float):
        self.rate, self.next, self.lock = rate, 0.0, threading.Lock()

    def take(self, amount: float) -> float:
        """Wait for `amount` units' slot; the seconds waited."""
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next)
            self.next = start + amount / self.rate
        wait = start - now
        if wait > 0:
            time.sleep(wait)
        return wait


_pacers: dict[tuple[str, float], _Pacer] = {}
_pacers_lock = threading.Lock()


def _pace(kind: str, rate: float, amount: float) -> float:
    if rate <= 0 or amount <= 0:
        return 0.0
    with _pacers_lock:
        pacer = _pacers.setdefault((kind, rate), _Pacer(rate))
    return pacer.take(amount)


# --- requests ---


def _smaller(limit: float, share: float) -> float:
    """The tighter of two budgets, 0 meaning none."""
    return min(limit, share) if limit and share else limit or share


def per_process(settings: FetchConfig, processes: int) -> FetchConfig:
    """The settings of one of `processes` worker processes: the job-wide budget divided among them."""
    return dataclasses.replace(
        settings,
        requests_per_second=_smaller(settings.requests_per_second, settings.job_requests_per_second / processes),
        bytes_per_second=_smaller(settings.bytes_per_second, settings.job_bytes_per_second / processes),
    )


def is_remote(path: str) -> bool:
    """A URI this module reads (not a local path, nor a file:// URI)."""
    return "://" in path and not path.startswith(_LOCAL_PROTOCOLS)


def _filesystem(url: str, settings: FetchConfig):
    """The fsspec filesystem of `url` with a read timeout on every socket and its own retries off."""
    protocol = url.split("://", 1)[0]
    options: dict[str, Any] = {}
    if protocol in ("http", "https"):
        import aiohttp

        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=settings.connect_timeout, sock_read=settings.read_timeout
        )
        options = {"client_kwargs": {"timeout": timeout}}
    elif protocol in ("s3", "s3a"):
        options = {
            "config_kwargs": {
                "connect_timeout": settings.connect_timeout,
                "read_timeout": settings.read_timeout,
                "retries": {"total_max_attempts": 1, "mode": "standard"},  # botocore's retries: none
            }
        }
    fs, path = url_to_fs(url, **options)
    if protocol in ("s3", "s3a"):
        fs.retries = 1  # s3fs's own loop (a class attribute): one try; fsspec caches this instance for these options
    return fs, path


def _backoff(settings: FetchConfig, attempt: int, retry_after: float | None) -> float:
    """Seconds before try `attempt + 1`: uniform in [d/2, d], d = base * 2^attempt capped, so never sooner than
    `backoff_base`; a server's Retry-After when longer."""
    ceiling = min(settings.backoff_cap, settings.backoff_base * 2**attempt)
    delay = random.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)


def retrying(
    call: Callable[[], T],
    url: str,
    settings: FetchConfig,
    stats: FetchStats,
    start=None,
    end=None,
    pause: Callable[[float], None] = time.sleep,
) -> T:
    """`call()` (one request) under the budget, tried again after each transient failure; FetchFailed when a
    failure is permanent or the attempts are spent. `pause` waits between tries (a read-ahead's can be cut short)."""
    attempt = 0
    while True:
        attempt += 1
        stats.wait_seconds += _pace("requests", settings.requests_per_second, 1)
        stats.requests += 1
        try:
            return call()
        except Exception as error:  # noqa: BLE001 (classified: what is not known to be transient fails for good)
            cause, retry_after = classify(error)
            limit = settings.forbidden_attempts if cause == "forbidden" else settings.attempts
            if cause is None or attempt >= limit:
                raise FetchFailed(url, start, end, cause or "permanent", attempt, error) from error
            stats.retries[cause] += 1
            delay = _backoff(settings, attempt, retry_after)
            stats.wait_seconds += delay
            pause(delay)


def _magic(path: str) -> bytes | None:
    return next((magic for suffix, magic in _MAGIC.items() if path.endswith(suffix)), None)


def _check(body: bytes, start: int, expected: int, magic: bytes | None, probe: int = 0) -> bytes:
    """The body of a range request, or _BadBody when it cannot be the file's bytes [start, start + expected).
    `probe`: bytes asked for past the end the file's size gives, which only a file longer than that returns."""
    if start == 0 and magic and body[: len(magic)] != magic[: len(body)]:
        raise _BadBody("error_document", f"the file does not start with {magic!r}: {body[:60]!r}")
    if _ERROR_DOCUMENT.match(body) and (len(body) != expected or (start == 0 and magic is None)):
        raise _BadBody("error_document", f"an error document instead of data: {body[:200]!r}")
    if len(body) < expected:
        raise _BadBody("short_body", f"{len(body)} bytes of {expected} at {start}")
    if len(body) > expected + probe:  # a server that ignores Range: the file whole each time, unaffordable
        raise ValueError(f"{len(body)} bytes for a range of {expected} at {start}: the server ignores Range")
    return body


class _Stopped(Exception):
    """A read-ahead told to stop while it waited to retry."""


class _ReadAhead:
    """A thread fetching a remote file's blocks in order from `start`, up to `depth` blocks ahead of the reader, so
    that a retry's backoff (1 s and more) passes while the reader parses the blocks before it instead of with it
    idle. Each item is (block start, bytes) or (block start, FetchFailed); the thread stops after a failure."""

    def __init__(self, remote: RemoteFile, start: int, depth: int):
        self.next_start = start  # the start of the next block `take` returns
        self._blocks: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(remote, start), daemon=True, name="monsoon-fetch")
        self._thread.start()

    def _pause(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _Stopped

    def _run(self, remote: RemoteFile, start: int) -> None:
        while start < remote.size and not self._stop.is_set():
            end = min(remote.size, start + remote.block_size)
            try:
                item: bytes | FetchFailed = remote._fetch(start, end, self._pause)
            except FetchFailed as failed:
                item = failed
            except _Stopped:
                return
            while not self._stop.is_set():  # a full queue: wait for the reader, or for `stop`
                try:
                    self._blocks.put((start, item), timeout=0.1)
                    break
                except queue.Full:
                    continue
            if isinstance(item, FetchFailed):
                return
            start = end

    def take(self) -> tuple[int, bytes | FetchFailed]:
        start, item = self._blocks.get()
        if isinstance(item, bytes):  # after a failure the reader stops the read-ahead
            self.next_start = start + len(item)
        return start, item

    def stop(self) -> None:
        """Stop fetching and wait for the thread (its counters are then final)."""
        self._stop.set()
        self._thread.join()


class RemoteFile(io.RawIOBase):
    """A remote file as a seekable binary file object, read in blocks of at least `block_size` bytes, each block one
    range request under `retrying`. The size comes first (one request). After a failed request the next one asks
    for the first byte not yet returned, so a sequential reader resumes where it was.

    `read_ahead` (bytes, 0: none): a sequential reader's next blocks are fetched by a thread (`_ReadAhead`) while it
    parses the ones it has; a read elsewhere starts the read-ahead again there.

    `truncate_on_failure`: once a request fails for good, the file ends there (reads return b"") and `failure` holds
    the FetchFailed, as for a truncated file, so a reader books the record in flight its usual way and its caller
    lists the input (the WARC reader); otherwise FetchFailed is raised."""

    def __init__(
        self,
        url: str,
        settings: FetchConfig,
        block_size: int | None = None,
        magic: bytes | None = None,
        truncate_on_failure: bool = False,
        read_ahead: int = 0,
    ):
        super().__init__()
        self.url, self.settings = url, settings
        self.block_size = block_size or settings.block_size
        self.magic = magic if magic is not None else _magic(url)
        self.truncate_on_failure = truncate_on_failure
        self.stats = FetchStats()
        self.failure: FetchFailed | None = None
        self._block, self._block_start, self._position = b"", 0, 0
        self._depth = max(1, read_ahead // self.block_size) if read_ahead else 0
        self._ahead: _ReadAhead | None = None
        self._recent: dict[int, bytes] = {}  # the last blocks the read-ahead gave: a short seek back finds them
        self.fs, self._path = _filesystem(url, settings)
        started = time.monotonic()
        try:
            size = retrying(lambda: self.fs.size(self._path), url, settings, self.stats)
            if size is None:  # a server that sends no Content-Length: nowhere to stop, no block to resume
                raise FetchFailed(url, None, None, "no_size", 1, ValueError("the server gives no size for the file"))
            self.size = size
        except FetchFailed as failed:
            self.size = 0
            self._fail(failed)
        finally:
            self.stats.stalled_seconds += time.monotonic() - started

    def _fail(self, failed: FetchFailed) -> None:
        if not self.truncate_on_failure:
            raise failed
        self.failure = failed

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def _fetch(self, start: int, end: int, pause: Callable[[float], None] = time.sleep) -> bytes:
        """Bytes [start, end): one range request under `retrying`, checked, counted and paced. A request that ends
        the file asks for one byte more: a store clamps a range to the file, so a byte there means the size the
        reader was given is short (a HEAD answered by something else), and reading on would lose the rest."""
        probe = int(end == self.size)
        body = retrying(
            lambda: _check(
                self.fs.cat_file(self._path, start=start, end=end + probe), start, end - start, self.magic, probe
            ),
            self.url,
            self.settings,
            self.stats,
            start,
            end,
            pause,
        )
        if len(body) > end - start:
            raise FetchFailed(
                self.url, start, end, "size_mismatch", 1, ValueError(f"the file is longer than its {self.size} bytes")
            )
        self.stats.bytes += len(body)
        self.stats.wait_seconds += _pace("bytes", self.settings.bytes_per_second, len(body))
        return body

    def _fill(self, wanted: int) -> bool:
        """Fetch the block at the position; False when there is nothing (more) to read."""
        start = self._position
        end = min(self.size, start + min(max(wanted, self.block_size), _MAX_REQUEST))
        if self.failure is not None or start >= end:
            return False
        started = time.monotonic()  # the reader waits from here until it has the block
        try:
            return self._fill_ahead(start) if self._depth else self._fill_in_turn(start, end)
        finally:
            self.stats.stalled_seconds += time.monotonic() - started

    def _fill_in_turn(self, start: int, end: int) -> bool:
        try:
            self._block, self._block_start = self._fetch(start, end), start
        except FetchFailed as failed:
            self._fail(failed)
            return False
        return True

    def _fill_ahead(self, start: int) -> bool:
        """The block holding `start`, from the read-ahead (started, or started again, at `start` as needed)."""
        for block_start, block in self._recent.items():
            if block_start <= start < block_start + len(block):
                self._block, self._block_start = block, block_start
                return True
        if self._ahead is not None and self._ahead.next_start > start:
            self._stop_ahead()  # behind the read-ahead: it starts again at `start`
        while True:
            if self._ahead is None:
                self._ahead = _ReadAhead(self, start, self._depth)
            block_start, item = self._ahead.take()
            if isinstance(item, FetchFailed):
                self._stop_ahead()
                self._fail(item)
                return False
            self._recent[block_start] = item
            if len(self._recent) > 2:
                del self._recent[next(iter(self._recent))]
            if block_start <= start < block_start + len(item):
                self._block, self._block_start = item, block_start
                return True
            # a block before `start` (the reader skipped forward): the next one follows it

    def _stop_ahead(self) -> None:
        if self._ahead is not None:
            self._ahead.stop()
            self._ahead = None

    def close(self) -> None:
        self._stop_ahead()
        super().close()

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = max(0, self.size - self._position)
        parts = []
        while size > 0:
            offset = self._position - self._block_start
            if not 0 <= offset < len(self._block):
                if not self._fill(size):
                    break
                offset = self._position - self._block_start
            part = self._block[offset : offset + size]
            parts.append(part)
            self._position += len(part)
            size -= len(part)
        return b"".join(parts)

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_input(path: str, settings: FetchConfig) -> io.RawIOBase | io.BufferedReader:
    """An input file for a sequential reader: a local file as it is; a remote one as a RemoteFile that ends where
    a request failed for good, with `failure` set (see `failure_of`)."""
    if not is_remote(path):
        return open(path.removeprefix("file://"), "rb")
    return RemoteFile(path, settings, truncate_on_failure=True, read_ahead=settings.read_ahead)


def failure_of(stream) -> FetchFailed | None:
    """Why an `open_input` stream ended early (None: it did not, or it is local)."""
    return getattr(stream, "failure", None)


def read_bytes(path: str, settings: FetchConfig | None = None, magic: bytes | None = None) -> bytes:
    """A whole file's bytes (local or remote)."""
    if not is_remote(path):
        with open(path.removeprefix("file://"), "rb") as file:
            return file.read()
    with RemoteFile(path, settings or FetchConfig(), magic=magic) as remote:
        return remote.read()


def read_text(path: str, settings: FetchConfig | None = None) -> str:
    return read_bytes(path, settings).decode("utf-8")


def open_text(path: str, settings: FetchConfig | None = None) -> IO[str]:
    """A UTF-8 text file for reading line by line, decompressed as its name says (fsspec's compression="infer")."""
    if not is_remote(path):
        return fsspec.open(path, "rt", encoding="utf-8", compression="infer").open()
    raw: IO[bytes] = io.BufferedReader(RemoteFile(path, settings or FetchConfig()), 1 << 20)
    if compression := infer_compression(path):
        raw = compr[compression](raw, mode="rb")
    return io.TextIOWrapper(raw, encoding="utf-8")


def copy_to_local(path: str, target: str, settings: FetchConfig | None = None, magic: bytes | None = None) -> None:
    """Copy a remote file to a local path, block by block."""
    with RemoteFile(path, settings or FetchConfig(), magic=magic) as remote, open(target, "wb") as out:
        while block := remote.read(remote.block_size):
            out.write(block)


# --- the WARC reader's inputs ---

FAILED_INPUTS = "failed_inputs"  # the attribute of a step listing the inputs it could not read (`failures_of`)


@contextlib.contextmanager
def input_stream(step: PipelineStep, path: str, settings: FetchConfig) -> Iterator[IO[bytes]]:
    """`open_input(path)` for a reading step: its fetch counters are booked on the step (accounting.json `fetch`)
    and, when a read failed for good, the input is listed on the step (`failures_of`; the engines write the list)
    and the error a half-read file then raises (a gzip member cut short) is not the step's."""
    stream = open_input(path, settings)
    try:
        with stream:
            yield stream
    except Exception:
        if failure_of(stream) is None:
            raise
    finally:
        _book(step, stream)


def _book(step: PipelineStep, stream) -> None:
    stats: FetchStats | None = getattr(stream, "stats", None)
    if stats is None:  # a local file
        return
    count_fetch(step, stats.counters())
    if failed := failure_of(stream):
        count_fetch(step, {"failed_inputs": 1})
        step.__dict__.setdefault(FAILED_INPUTS, []).append(failed.record())
        logger.warning(f"{step.name}: could not read {failed.path} (listed in _work/failed_inputs.jsonl): {failed}")


def failures_of(steps: list[PipelineStep]) -> list[dict]:
    """The failed-inputs records the steps of a rank listed."""
    return [record for step in steps for record in getattr(step, FAILED_INPUTS, [])]
