"""FineWeb's URL filter for languages whose YAML has `url_filter`: datatrove 0.10.1's `URLFilter` as FineWeb runs it
first of its filters (huggingface/datatrove examples/fineweb.py @05194d3: its defaults), decision for decision, on
the document's `url`. A page is dropped, with datatrove's own rule names as reasons, when
- `url_filter.domain`: its registered domain (tldextract, public suffix list) is in datatrove's blocklist (v0.3.0,
  4.56 M domains), `url_filter.subdomain`: its full host name is;
- `url_filter.url`: the URL itself is in the blocklist's URL list (entries have no scheme, as in datatrove);
- `url_filter.hard_blacklisted`: one of the URL's alphanumeric runs (case kept) is a banned word;
- `url_filter.soft_blacklisted`: at least `soft_word_threshold` of them are soft-banned words;
- `url_filter.blacklisted_subword`: a banned subword occurs in the URL reduced to lower-case letters and digits.
A document without a URL errors (`url_filter.no_url`), as datatrove's filter fails on it.

The same decisions with little memory: datatrove holds the blocked domains in a Python set (~670 MB resident, ~800
MB at its peak, ~5-7 s per process: bench/url_filter_eval.py); here they are a sorted array of 64-bit hashes (xxh3_64
of each entry), 36 MB, built from datatrove's installed asset on first use (~3-5 s) and cached on disk
(`MONSOON_CACHE_DIR`, else `$XDG_CACHE_HOME/monsoon`, else ~/.cache/monsoon), then memory-mapped (~0.1 s), so the
processes of a machine share one copy. A missing or damaged cache means a rebuild; an unwritable one, a copy in
the process's memory. A domain not listed is taken for a listed one only when its hash equals one of the
4.56 M: probability 4.56e6 / 2^64 = 2.5e-13 per lookup (one wrong drop in ~2e12 documents). tldextract reads only
the suffix list bundled with it: no download, ever.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import numpy as np
import xxhash
from datatrove.data import Document
from datatrove.utils._import_utils import ASSETS_PATH

from monsoon.accounting import LedgerFilter, count_dropped, count_errored
from monsoon.languages import UrlFilterSpec, get_language
from monsoon.sorted_keys import in_sorted

BLOCKLIST_ARCHIVE = "url_filterblacklistsv0_3_0.tar.gz"  # datatrove's asset: members `domains` and `urls`
FORMAT = "xxh3_64-v1"  # changes when the cached arrays would be built differently
_NOT_ALNUM = re.compile(r"[^a-zA-Z0-9]+")  # datatrove's normaliser


def normalize(text: str) -> str:
    """datatrove's normal form of a word or URL: its ASCII letters and digits, lower-cased."""
    return _NOT_ALNUM.sub("", text).lower()


def list_entries(lines: Iterable[str], normalized: bool) -> Iterator[str]:
    """The entries of one of datatrove's list files as its `parse_list` reads them: every line not starting with
    '#', stripped (`normalized`: in normal form)."""
    return (normalize(line) if normalized else line.strip() for line in lines if line[0] != "#")


def hash_entries(entries: Iterable[str]) -> np.ndarray:
    """The entries' distinct 64-bit hashes, sorted (the entries are hashed one at a time: no set of 4.56 M
    strings is ever held)."""
    hashes = np.fromiter((_hash(entry) for entry in entries), dtype=np.uint64)
    hashes.sort()  # in place (np.unique takes ~3x the memory and time here)
    return np.concatenate((hashes[:1], hashes[1:][hashes[1:] != hashes[:-1]]))


def _hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(text.encode("utf-8", "surrogatepass"))


def cache_dir() -> Path:
    configured = os.environ.get("MONSOON_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "monsoon"


def _cache_key(archive: Path) -> str:
    """A new key when datatrove ships another archive (its size) or the arrays are built otherwise."""
    return f"url_blocklist-{archive.stat().st_size}-{FORMAT}"


def build_arrays(archive: Path) -> dict[str, np.ndarray]:
    """member (`domains`, `urls`) -> its hash array, from datatrove's blocklist archive."""
    arrays = {}
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar:  # in the archive's order: one pass over the compressed stream
            if info.name in ("domains", "urls"):
                lines = io.TextIOWrapper(tar.extractfile(info), encoding="utf-8")  # newlines as open() reads them
                arrays[info.name] = hash_entries(list_entries(lines, normalized=False))
    return arrays


def _save(folder: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Write the arrays atomically (a process reading the cache sees a whole file or none)."""
    folder.mkdir(parents=True, exist_ok=True)
    for member, array in arrays.items():
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".npy.tmp")
        with os.fdopen(handle, "wb") as f:
            np.save(f, array)
        os.replace(temporary, folder / f"{key}.{member}.npy")


@cache
def blocklist_arrays() -> dict[str, np.ndarray]:
    """The hash arrays of datatrove's installed blocklist, memory-mapped from the cache (built there if missing)."""
    archive = Path(ASSETS_PATH) / BLOCKLIST_ARCHIVE
    folder, key = cache_dir(), _cache_key(archive)
    paths = {member: folder / f"{key}.{member}.npy" for member in ("domains", "urls")}
    try:
        return {member: np.load(path, mmap_mode="r") for member, path in paths.items()}
    except (OSError, ValueError):  # not cached yet (or a damaged file): rebuild
        pass
    arrays = build_arrays(archive)
    try:
        _save(folder, key, arrays)
    except OSError:  # a read-only home: this process keeps its own copy
        return arrays
    return {member: np.load(path, mmap_mode="r") for member, path in paths.items()}


def _listed(array: np.ndarray, text: str) -> bool:
    return bool(in_sorted(array, np.array([_hash(text)], dtype=np.uint64))[0])


@cache
def _word_lists() -> tuple[frozenset[str], frozenset[str], object]:
    """datatrove's banned words, soft-banned words and an Aho-Corasick automaton of its banned subwords."""
    import ahocorasick

    def read(name: str) -> set[str]:
        with open(os.path.join(ASSETS_PATH, name), encoding="utf-8") as f:
            return set(list_entries(f, normalized=True))

    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for i, word in enumerate(sorted(read("banned_subwords.txt"))):
        automaton.add_word(word, i)
    automaton.make_automaton()
    return frozenset(read("banned_words.txt")), frozenset(read("soft_banned_words.txt")), automaton


@cache
def _suffixes():
    from tldextract import TLDExtract

    return TLDExtract(cache_dir=None, suffix_list_urls=())  # the snapshot bundled with tldextract: offline


def url_filter_reason(url: str, spec: UrlFilterSpec) -> str | None:
    """The drop reason of a URL under FineWeb's URL filter (its rules in datatrove's order), or None."""
    arrays = blocklist_arrays()
    host = _suffixes()(url)  # registered domain and full host name, as datatrove takes them
    if _listed(arrays["domains"], host.top_domain_under_public_suffix):
        return "url_filter.domain"
    if _listed(arrays["domains"], host.fqdn):
        return "url_filter.subdomain"
    if _listed(arrays["urls"], url):
        return "url_filter.url"
    banned, soft, subwords = _word_lists()
    words = set(_NOT_ALNUM.split(url))  # not lower-cased: datatrove matches its lower-case lists as they are
    if not banned.isdisjoint(words):
        return "url_filter.hard_blacklisted"
    if len(soft & words) >= spec.soft_word_threshold:
        return "url_filter.soft_blacklisted"
    if next(subwords.iter(normalize(url)), None) is not None:
        return "url_filter.blacklisted_subword"
    return None


class UrlFilter(LedgerFilter):
    """The first of a language's filters, right after language identification: FineWeb runs it first."""

    name = "🔗 URL filter"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        spec = get_language(doc.metadata["language"]).url_filter
        if spec is None:
            return True
        url = doc.metadata.get("url")
        if not url:
            count_errored(self, doc, "url_filter.no_url")
            return False, "url_filter.no_url"
        if reason := url_filter_reason(url, spec):
            count_dropped(self, doc, reason)
            return False, reason
        return True
