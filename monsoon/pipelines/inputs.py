"""The run's input files, listed once from the config for every engine: a WARC file, a folder, a glob, or a
listing of WARC paths as Common Crawl publishes one per crawl (`warc.paths.gz`: one path per line, relative to
the bucket, e.g. crawl-data/CC-MAIN-2024-22/segments/.../warc/....warc.gz), joined to `input_prefix`."""

from __future__ import annotations

import glob
import gzip
import os
import posixpath
import re

from datatrove.io import DataFolder

from monsoon import fetch
from monsoon.config import FetchConfig

WARC_GLOB = "**/*.warc*"
LISTING_SUFFIXES = (".paths", ".paths.gz")
_GLOB_CHARS = re.compile(r"[*?\[]")


class ListedFolder(DataFolder):
    """A DataFolder whose files are a given list of paths relative to it, in that order, rather than whatever a
    listing of the folder finds: a reader shards exactly this list, and every engine reads the same one."""

    def __init__(self, path: str, paths: list[str], **storage_options):
        super().__init__(path, **storage_options)
        self.paths = paths

    def list_files(self, *args, **kwargs) -> list[str]:
        return list(self.paths)


def is_listing(path: str) -> bool:
    """A listing of WARC paths is recognised by its name: `*.paths` or `*.paths.gz`."""
    return path.endswith(LISTING_SUFFIXES)


def split_input(path: str) -> tuple[str, str]:
    """An input path, file or glob (local or URI) as (folder, glob pattern relative to it)."""
    if _GLOB_CHARS.search(path):
        parts = path.split("/")
        first_glob = next(i for i, part in enumerate(parts) if _GLOB_CHARS.search(part))
        return "/".join(parts[:first_glob]) or ".", "/".join(parts[first_glob:])
    if "://" not in path and os.path.isfile(path):
        return os.path.dirname(path) or ".", glob.escape(os.path.basename(path))
    return path, WARC_GLOB


def read_listing(listing: str, settings: FetchConfig | None = None) -> list[str]:
    """The paths of a listing (local or URI, gzip'd when it ends in .gz), one per non-empty line, in order."""
    data = fetch.read_bytes(listing, settings)
    text = (gzip.decompress(data) if listing.endswith(".gz") else data).decode("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def input_folder(
    input: str, prefix: str | None = None, limit: int | None = None, settings: FetchConfig | None = None
) -> ListedFolder:
    """The files a run reads, as the folder the reader takes: its `list_files()` is the input list, sorted for a
    folder or glob, in the listing's order for a listing; `limit` keeps the first N. A listing's relative paths
    are joined to `prefix` (default: the listing's own folder). A remote listing is read through fetch.py with
    `settings`."""
    if is_listing(input):
        folder = (prefix or posixpath.dirname(input) or ".").rstrip("/") or "/"  # a "/" more doubles in URLs
        paths = read_listing(input, settings)
    elif prefix:
        raise ValueError(f"input_prefix applies to a listing of WARC paths (*.paths, *.paths.gz), not to {input}")
    else:
        folder, pattern = split_input(input)
        paths = DataFolder(folder).list_files(glob_pattern=pattern)
    return ListedFolder(folder, paths[:limit] if limit is not None else paths)
