"""Benchmark decontamination: a document that shares a long token n-gram with a test item of a benchmark file is
dropped with the reason `benchmark_contamination:<name>` (action `drop`), or kept with the quality signal
`decontamination.benchmark_ngrams` > 0 (action `tag`). Every checked document gets that signal: the number of its
token n-grams found in any benchmark (0: clean).

The rule is GPT-3's (arXiv 2005.14165 §4 and appendix C): 13-grams, case and punctuation ignored (restated with
OpenAI's settings in EleutherAI/lm-evaluation-harness@121b7096ab608a3ef8a73957c0f6efae053b5f15
scripts/clean_training_data/README.md: `ngram_n = 13`). The n-grams are over the run's tokenizer's token ids
(Llama 3 by default), not whitespace words, so unspaced scripts (Thai, Japanese, Khmer) have n-grams too.

- Text is normalised before tokenising, the same way for items and documents: NFKC, then datatrove 0.10.1's
  `simplify_text` (lower case, punctuation to spaces, whitespace runs to one space; as its NGramsDecontFilter does)
  without its number and diacritic folding (removing combining marks deletes Thai, Tamil and Khmer vowel signs), and
  one leading space, so an item's first word gets the token it has inside a page.
- An n-gram is `ngram` consecutive tokens, stretched until it spans `min_bytes` UTF-8 bytes (default 75): Llama 3
  splits Tamil, Khmer, Lao and Myanmar into bytes, so 13 tokens there are 19-27 bytes, a word or two, and 127 of
  634 unrelated UDHR paragraphs (and 5 of the bundled sample's 30 Tamil sentences) matched the NTREX sentences;
  stretched, none did. Elsewhere 13 tokens are already 43-77 bytes (English ~65, Thai ~77), so windows there grow by
  a few tokens at most (bench/decontamination_eval.py).
- Each item field's n-grams, and each document's, are hashed to 64 bits (token ids spread by splitmix64, then a
  polynomial over the window, from prefix sums so any window costs two lookups); a benchmark is a sorted array of
  hashes, looked up by binary search.
- Items too short for one n-gram: the whole item is one n-gram, so a page matches when it holds the whole item (the
  GPT-3 paper's treatment of short examples, as we read its §4), if the item has at least `min_tokens` tokens
  (default 8, the n-gram of the Llama 3 paper's contamination analysis, arXiv 2407.21783 §5.1.4) and
  `min_item_bytes` bytes (default 30: 8 Lao tokens are ~13 bytes, 4 characters); shorter items (a one-word answer,
  a number) would match unrelated pages by chance and are skipped, counted in the log line of the index build.
  A short item is found through the hash of its first `min_tokens` tokens, then checked whole at those positions.

datatrove's own NGramsDecontIndexer/NGramsDecontFilter are not used: they split words with a per-language word
tokenizer, their index is built from lighteval tasks in a separate single-worker stage, and the filter books no
tokens in monsoon's ledger. Here the benchmark files' n-grams are built once per worker process (a module cache).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import posixpath
import time
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.utils.logging import logger
from datatrove.utils.text import TextNormConfig, simplify_text
from fsspec.core import url_to_fs

from monsoon import fetch, storage
from monsoon.accounting import LedgerFilter, count_dropped, count_errored
from monsoon.config import DecontaminationConfig
from monsoon.sorted_keys import in_sorted
from monsoon.tokens import LLAMA3, load_token_counter

REASON_PREFIX = "benchmark_contamination:"
SIGNAL = "decontamination.benchmark_ngrams"
DOCS_STAT, TOKENS_STAT = "decontamination.documents:", "decontamination.tokens:"  # + benchmark name, per rank
ITEM_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv", ".tsv")
_NORM = TextNormConfig(norm_numbers=False, norm_unicode_diacritics=False)


def signal_names() -> list[str]:
    """The quality signal this step writes."""
    return [SIGNAL]


def normalise(text: str) -> str:
    return " " + simplify_text(unicodedata.normalize("NFKC", text), _NORM)


def _mix(ids: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: token ids (small integers) spread over 64 bits before they are combined."""
    z = ids.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_BASE = 0x100000001B3  # an odd multiplier (FNV-1's 64-bit prime), so invertible mod 2**64
_POWERS = {"up": np.ones(1, np.uint64), "down": np.ones(1, np.uint64)}  # BASE**k and BASE**-k mod 2**64


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**k and BASE**-k for k < n (at least), grown as longer texts come."""
    if len(_POWERS["up"]) < n:
        size = max(n, 2 * len(_POWERS["up"]))
        for name, base in (("up", _BASE), ("down", pow(_BASE, -1, 2**64))):
            factors = np.full(size, base, dtype=np.uint64)
            factors[0] = 1  # k = 0, 1, ...: 1, base, base**2, ... (the products wrap mod 2**64)
            with np.errstate(over="ignore"):
                _POWERS[name] = np.cumprod(factors, dtype=np.uint64)
    return _POWERS["up"], _POWERS["down"]


@dataclass(frozen=True)
class Tokens:
    """A normalised text as token prefix sums, from which the hash of any window [i, j) is two lookups:
    sum(mix(id_k) * BASE**(j-1-k)) = BASE**(j-1) * (prefix[j] - prefix[i]), prefix[j] = sum_{k<j} mix(id_k) * BASE**-k
    (all mod 2**64), the same wherever the window stands."""

    prefix: np.ndarray  # len + 1 values
    offsets: np.ndarray  # offsets[j]: UTF-8 bytes of the first j tokens

    def __len__(self) -> int:
        return len(self.prefix) - 1

    def hashes(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        up, _ = _powers(len(self) + 1)
        with np.errstate(over="ignore"):
            return up[ends - 1] * (self.prefix[ends] - self.prefix[starts])

    def windows(self, length: int) -> np.ndarray:
        """Every window of `length` tokens."""
        starts = np.arange(max(len(self) - length + 1, 0))
        return self.hashes(starts, starts + length)

    def ngrams(self, n: int, min_bytes: int) -> np.ndarray:
        """The window of n tokens at each position, longer where needed to span `min_bytes` bytes (scripts the
        vocabulary splits into bytes, Lao, Myanmar, Khmer, Tamil: 13 tokens are 19-27 bytes there, 5-10 characters)."""
        starts = np.arange(len(self))
        ends = np.maximum(starts + n, np.searchsorted(self.offsets, self.offsets[:-1] + min_bytes))
        inside = ends <= len(self)
        return self.hashes(starts[inside], ends[inside])


_TOKEN_BYTES: dict[str, np.ndarray] = {}  # tokenizer -> bytes of each token id (-1: not seen yet), grown as needed


def _token_bytes(raw: np.ndarray, tokenizer: str) -> np.ndarray:
    table = _TOKEN_BYTES.get(tokenizer, np.full(0, -1, np.int64))
    if len(raw) and raw.max() >= len(table):
        table = np.concatenate((table, np.full(int(raw.max()) + 1 - len(table), -1, np.int64)))
    missing = np.unique(raw[table[raw] < 0]) if len(raw) else raw
    token_bytes = load_token_counter(tokenizer).token_bytes
    table[missing] = [token_bytes(token) for token in missing.tolist()]
    _TOKEN_BYTES[tokenizer] = table
    return table[raw]


def tokens_of(text: str, tokenizer: str) -> Tokens:
    raw = np.asarray(load_token_counter(tokenizer).encode(normalise(text)), dtype=np.int64)
    _, down = _powers(len(raw) + 1)
    prefix = np.zeros(len(raw) + 1, np.uint64)  # filled in place: uint64 mixed with Python ints turns float64
    with np.errstate(over="ignore"):
        np.cumsum(_mix(raw) * down[: len(raw)], dtype=np.uint64, out=prefix[1:])
    offsets = np.zeros(len(raw) + 1, np.int64)
    np.cumsum(_token_bytes(raw, tokenizer), out=offsets[1:])
    return Tokens(prefix, offsets)


@dataclass(frozen=True)
class Rule:
    """What an n-gram is (decontamination.ngram, min_bytes, min_tokens, min_item_bytes; defaults: the config's)."""

    ngram: int
    min_bytes: int
    min_tokens: int
    min_item_bytes: int

    @classmethod
    def of(cls, config: DecontaminationConfig) -> Rule:
        return cls(config.ngram, config.min_bytes, config.min_tokens, config.min_item_bytes)


@dataclass(frozen=True)
class Benchmark:
    name: str
    ngrams: np.ndarray  # sorted unique hashes of the items' n-grams
    # the short items matched whole, sorted by the hash of their first min_tokens tokens (a page's windows of
    # min_tokens are looked up, then the whole item's hash at the few positions that match)
    whole_prefix: np.ndarray
    whole_length: np.ndarray
    whole_hash: np.ndarray
    items: int  # item texts read
    skipped: int  # items too short even to match whole

    def hits(self, ngrams: np.ndarray, tokens: Tokens, prefixes: np.ndarray) -> int:
        """How many of a page's n-grams (sorted hashes) are this benchmark's, plus the short items it holds whole
        (`prefixes`: the page's windows of min_tokens tokens)."""
        found = _found(self.ngrams, ngrams)
        if not len(self.whole_prefix) or not len(prefixes):
            return found
        first = np.minimum(np.searchsorted(self.whole_prefix, prefixes), len(self.whole_prefix) - 1)
        for start in np.flatnonzero(self.whole_prefix[first] == prefixes).tolist():  # rare: verify each
            candidate = int(first[start])
            while candidate < len(self.whole_prefix) and self.whole_prefix[candidate] == prefixes[start]:
                end = start + int(self.whole_length[candidate])
                if end <= len(tokens):
                    whole = tokens.hashes(np.array([start]), np.array([end]))[0]
                    found += int(whole == self.whole_hash[candidate])
                candidate += 1
        return found


def _found(index: np.ndarray, hashes: np.ndarray) -> int:
    return int(np.count_nonzero(in_sorted(index, hashes)))


def benchmark_files(entries: list[str]) -> list[tuple[str, str]]:
    """(name, path) of every item file: a file entry is named by its file name, the files of a folder entry by the
    folder's name and their path under it. Two files of the same name are an error (their drops would merge)."""
    files: list[tuple[str, str]] = []
    for entry in entries:
        fs, path = url_to_fs(entry)
        if not fs.exists(path):
            raise FileNotFoundError(f"decontamination benchmark not found: {entry}")
        if fs.isdir(path):
            found = sorted(p for p in fs.find(path) if p.removesuffix(".gz").endswith(ITEM_SUFFIXES))
            if not found:
                raise FileNotFoundError(f"no {'/'.join(ITEM_SUFFIXES)} files in the benchmark folder {entry}")
            folder = posixpath.basename(path.rstrip("/"))
            named = [(f"{folder}/{posixpath.relpath(p, path)}", p) for p in found]
            files += [(name, fs.unstrip_protocol(p) if storage.is_uri(entry) else p) for name, p in named]
        else:
            files.append((posixpath.basename(path), entry))
    names = [name for name, _ in files]
    for name in names:
        if names.count(name) > 1 or "|" in name:  # "|" separates the ledger's key parts
            raise ValueError(f"decontamination: two benchmark files named {name!r} (or a '|' in it); rename one")
    return files


def _rows(path: str) -> list[dict]:
    suffix = path.removesuffix(".gz").rsplit(".", 1)[-1]
    if suffix == "parquet":
        return storage.read_parquet(path).to_pylist()
    with fetch.open_text(path) as file:
        text = file.read()
    if suffix == "tsv":  # tab-separated values have no quoting: a '"' in a text is text
        return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    if suffix == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def item_texts(path: str, text_fields: list[str]) -> list[str]:
    """The item texts of a file: each text field of each row on its own (a list field: each of its strings)."""
    texts: list[str] = []
    rows = _rows(path)
    for row in rows:
        for name in text_fields:
            value = row.get(name)
            values = value if isinstance(value, list) else [value]
            texts += [v for v in values if isinstance(v, str) and v.strip()]
    if rows and not any(name in rows[0] for name in text_fields):
        raise ValueError(f"{path}: none of the text fields {text_fields} is a column (it has {sorted(rows[0])})")
    return texts


def build_benchmark(name: str, texts: list[str], rule: Rule, tokenizer: str) -> Benchmark:
    ngrams: list[np.ndarray] = []
    whole: set[tuple[int, int, int]] = set()  # (prefix hash, length, hash) of the short items
    skipped = 0
    for text in texts:
        tokens = tokens_of(text, tokenizer)
        grams = tokens.ngrams(rule.ngram, rule.min_bytes)
        if len(grams):
            ngrams.append(grams)
        elif len(tokens) >= rule.min_tokens and tokens.offsets[-1] >= rule.min_item_bytes:  # one n-gram: all of it
            whole.add((int(tokens.windows(rule.min_tokens)[0]), len(tokens), int(tokens.windows(len(tokens))[0])))
        else:
            skipped += 1
    prefix, length, full = zip(*sorted(whole), strict=True) if whole else ((), (), ())
    return Benchmark(
        name,
        _sorted(ngrams),
        np.array(prefix, np.uint64),
        np.array(length, np.int64),
        np.array(full, np.uint64),
        len(texts),
        skipped,
    )


def _sorted(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, np.uint64)


def benchmark_index(config: DecontaminationConfig, tokenizer: str) -> tuple[Benchmark, ...]:
    """Every benchmark file's n-gram hashes, built once per process."""
    return _index(tuple(config.benchmarks), tuple(config.text_fields), Rule.of(config), tokenizer)


@cache
def _index(entries: tuple[str, ...], text_fields: tuple[str, ...], rule: Rule, tokenizer: str) -> tuple[Benchmark, ...]:
    benchmarks = []
    for name, path in benchmark_files(list(entries)):
        start = time.perf_counter()
        benchmark = build_benchmark(name, item_texts(path, list(text_fields)), rule, tokenizer)
        grams = len(benchmark.ngrams) + len(benchmark.whole_hash)
        logger.info(
            f"decontamination: {name}: {benchmark.items} items ({len(benchmark.whole_hash)} short ones matched whole,"
            f" {benchmark.skipped} too short, skipped),"
            f" {grams} n-gram hashes ({grams * 8 / 2**20:.1f} MiB) in {time.perf_counter() - start:.2f} s"
        )
        benchmarks.append(benchmark)
    return tuple(benchmarks)


def benchmark_digests(config: DecontaminationConfig) -> dict[str, str]:
    """`benchmarks/<name>: sha256` of every benchmark file, for the job fingerprint (a changed file is a new job)."""
    digests = {}
    for name, path in benchmark_files(config.benchmarks):
        digests[f"benchmarks/{name}"] = hashlib.sha256(fetch.read_bytes(path)).hexdigest()
    return digests


def contamination(text: str, benchmarks: tuple[Benchmark, ...], rule: Rule, tokenizer: str) -> dict[str, int]:
    """benchmark name -> how many of the text's n-grams are that benchmark's, for the benchmarks it matches."""
    tokens = tokens_of(text, tokenizer)
    ngrams = np.sort(tokens.ngrams(rule.ngram, rule.min_bytes))  # sorted: a faster binary search
    prefixes = tokens.windows(rule.min_tokens)
    hits = {benchmark.name: benchmark.hits(ngrams, tokens, prefixes) for benchmark in benchmarks}
    return {name: n for name, n in hits.items() if n}


class Decontamination(LedgerFilter):
    name = "🧪 Benchmark decontamination"

    def __init__(self, config: DecontaminationConfig, tokenizer: str = LLAMA3):
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer
        benchmark_files(config.benchmarks)  # a missing or ambiguous benchmark fails at build time

    def _benchmarks(self) -> tuple[Benchmark, ...]:
        return benchmark_index(self.config, self.tokenizer)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for benchmark in self._benchmarks():  # every benchmark has its counters, 0 when nothing matched
            self.stat_update(DOCS_STAT + benchmark.name, TOKENS_STAT + benchmark.name, value=0)
        yield from super().run(data, rank, world_size)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        try:
            hits = contamination(doc.text, self._benchmarks(), Rule.of(self.config), self.tokenizer)
        except Exception:
            count_errored(self, doc, "decontamination_failed")
            return False, "decontamination_failed"
        doc.metadata.setdefault("quality_signals", {})[SIGNAL] = float(sum(hits.values()))
        for name in hits:
            self.stat_update(DOCS_STAT + name)
            self.stat_update(TOKENS_STAT + name, value=int(doc.metadata.get("token_count") or 0))
        if hits and self.config.action == "drop":
            reason = REASON_PREFIX + next(iter(hits))  # the first benchmark in config order
            count_dropped(self, doc, reason)
            return False, reason
        return True
