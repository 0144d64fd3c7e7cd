"""Byte ranges of WARC files: which to request (coalescing neighbours) and the one function that reads them.

Every remote byte-range read of the index-first input goes through `read_ranges`, so that it can be routed through
the fault-tolerant fetch layer (issue 21's monsoon/fetch.py: retries, budget) in one place."""

from __future__ import annotations

from fsspec.core import url_to_fs


def coalesce(records: list[tuple[int, int]], gap: int, max_request: int) -> list[tuple[int, int]]:
    """(offset, length) requests covering the records (offset, length; sorted by offset): a record starting less
    than `gap` bytes after the previous request's end joins it, while the request stays within `max_request` bytes
    (a record longer than that is one request of its own)."""
    requests: list[tuple[int, int]] = []
    for offset, length in records:
        if requests:
            start, size = requests[-1]
            end = offset + length
            if offset - (start + size) < gap and end - start <= max_request:
                requests[-1] = (start, max(size, end - start))
                continue
        requests.append((offset, length))
    return requests


def file_size(uri: str) -> int:
    fs, path = url_to_fs(uri)
    return fs.size(path)


def read_ranges(uri: str, ranges: list[tuple[int, int]]) -> list[bytes]:
    """The bytes of each (offset, length) range of a file (a local path or an fsspec URI), one request each."""
    fs, path = url_to_fs(uri)
    return [fs.cat_file(path, start=offset, end=offset + length) for offset, length in ranges]
