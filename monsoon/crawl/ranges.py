"""Byte ranges of WARC files: which to request (coalescing neighbours), and reading them through monsoon/fetch.py
(retries, timeouts, the request budget) as requests of exactly their size."""

from __future__ import annotations

import dataclasses

from monsoon.config import FetchConfig
from monsoon.fetch import open_input


def range_settings(settings: FetchConfig) -> FetchConfig:
    """The fetch settings of a range reader: a read asks for its own bytes, not a block of `block_size`, and nothing
    ahead of them."""
    return dataclasses.replace(settings, block_size=1, read_ahead=0)


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


def read_ranges(uri: str, ranges: list[tuple[int, int]], settings: FetchConfig | None = None) -> list[bytes]:
    """The bytes of each (offset, length) range of a file (a local path or an fsspec URI), one request each."""
    chunks = []
    with open_input(uri, range_settings(settings or FetchConfig())) as stream:
        for offset, length in ranges:
            stream.seek(offset)
            chunks.append(stream.read(length))
    return chunks
