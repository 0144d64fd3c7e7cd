"""Reading a run's files wherever they are: a local path or any fsspec URI (s3://, gs://, hdfs://, https://).

Credentials and endpoints are the filesystem's own (for S3, s3fs reads the AWS_* environment variables,
~/.aws, or fsspec's config such as FSSPEC_S3_ENDPOINT_URL); nothing here names a store. A remote file's bytes are
read through monsoon/fetch.py (retries, timeouts), with its default settings."""

from __future__ import annotations

import hashlib
import os
import posixpath
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.core import url_to_fs

from monsoon import fetch
from monsoon.config import FetchConfig

_PARQUET_BLOCK = 1 << 20  # bytes per range request of a parquet file: its reads jump to the columns asked for


def is_uri(path: str | Path) -> bool:
    return "://" in str(path)


def join(folder: str | Path, *parts: str) -> str:
    """`folder/part/...`, a URI staying a URI."""
    return posixpath.join(str(folder), *parts) if is_uri(folder) else os.path.join(folder, *parts)


def glob(pattern: str | Path) -> list[str]:
    """The files matching `pattern`, sorted, named as the pattern is (URIs keep their protocol)."""
    fs, stripped = url_to_fs(str(pattern))
    found = sorted(fs.glob(stripped))
    return [fs.unstrip_protocol(path) for path in found] if is_uri(pattern) else found


def exists(path: str | Path) -> bool:
    fs, stripped = url_to_fs(str(path))
    return fs.exists(stripped)


def read_text(path: str | Path) -> str:
    return fetch.read_text(str(path))


def _parquet_source(path: str | Path) -> str | fetch.RemoteFile:
    path = str(path)
    if fetch.is_remote(path):
        return fetch.RemoteFile(path, FetchConfig(), block_size=_PARQUET_BLOCK)
    return path.removeprefix("file://")


def parquet_file(path: str | Path) -> pq.ParquetFile:
    return pq.ParquetFile(_parquet_source(path))


def read_parquet(path: str | Path, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(_parquet_source(path), columns=columns)


def sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, read in chunks (models are hundreds of MB), a remote one through fetch.py."""
    digest = hashlib.sha256()
    with fetch.open_input(str(path), FetchConfig()) as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
