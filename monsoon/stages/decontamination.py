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
- Each item field's n-grams, and each document's, are hashed to 64 bits (token ids spread by splitmix64, then a
  polynomial over the window); a benchmark is a sorted array of hashes per n-gram length, looked up by binary search.
- Items shorter than `ngram` tokens: one n-gram of the whole item, so a page matches when it holds the whole item (the
  GPT-3 paper's treatment of short examples) when the item has at least `min_tokens` tokens (default 8, the n-gram
  of the Llama 3 paper's contamination analysis, arXiv 2407.21783 §5.1.4); shorter items (a one-word answer, a
  number) would match unrelated pages by chance and are skipped, counted in the log line of the index build.

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

import fsspec
import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.utils.logging import logger
from datatrove.utils.text import TextNormConfig, simplify_text
from fsspec.core import url_to_fs
from numpy.lib.stride_tricks import sliding_window_view

from monsoon import storage
from monsoon.accounting import LedgerFilter, count_dropped, count_errored
from monsoon.config import DecontaminationConfig
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


@cache
def _powers(n: int) -> np.ndarray:
    base = 0x100000001B3  # an odd multiplier (FNV-1's 64-bit prime); arithmetic is mod 2**64
    return np.array([pow(base, n - 1 - i, 2**64) for i in range(n)], dtype=np.uint64)


def ngram_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """The 64-bit hashes of every n-token window of `ids` (mixed token ids), in order; none when shorter than n."""
    if len(ids) < n:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return sliding_window_view(ids, n) @ _powers(n)  # uint64 products and sums wrap: a hash mod 2**64


def token_ids(text: str, tokenizer: str) -> np.ndarray:
    """The mixed token ids of the normalised text."""
    return _mix(np.asarray(load_token_counter(tokenizer).encode(normalise(text)), dtype=np.uint64))


@dataclass(frozen=True)
class Benchmark:
    name: str
    hashes: dict[int, np.ndarray]  # n-gram length -> sorted unique hashes (`ngram`, and short items' own lengths)
    items: int  # item texts read
    skipped: int  # items shorter than min_tokens

    def hits(self, windows: dict[int, np.ndarray]) -> int:
        """How many of a document's n-grams (`windows`: length -> its window hashes) are this benchmark's."""
        found = 0
        for length, index in self.hashes.items():
            doc = windows[length]
            if len(doc) and len(index):
                at = np.minimum(np.searchsorted(index, doc), len(index) - 1)
                found += int(np.count_nonzero(index[at] == doc))
        return found


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
    with fsspec.open(path, "rt", encoding="utf-8", compression="infer") as file:
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


def build_benchmark(name: str, texts: list[str], ngram: int, min_tokens: int, tokenizer: str) -> Benchmark:
    by_length: dict[int, list[np.ndarray]] = {}
    skipped = 0
    for text in texts:
        ids = token_ids(text, tokenizer)
        if len(ids) < min_tokens:
            skipped += 1
            continue
        length = min(len(ids), ngram)  # a short item is one n-gram of its whole length
        by_length.setdefault(length, []).append(ngram_hashes(ids, length))
    hashes = {length: np.unique(np.concatenate(parts)) for length, parts in sorted(by_length.items())}
    return Benchmark(name, hashes, len(texts), skipped)


@cache
def benchmark_index(
    entries: tuple[str, ...], ngram: int, min_tokens: int, text_fields: tuple[str, ...], tokenizer: str
) -> tuple[Benchmark, ...]:
    """Every benchmark file's n-gram hashes, built once per process."""
    benchmarks = []
    for name, path in benchmark_files(list(entries)):
        start = time.perf_counter()
        benchmark = build_benchmark(name, item_texts(path, list(text_fields)), ngram, min_tokens, tokenizer)
        grams = sum(len(h) for h in benchmark.hashes.values())
        logger.info(
            f"decontamination: {name}: {benchmark.items} items, {benchmark.skipped} shorter than {min_tokens} tokens"
            f" skipped, {grams} n-gram hashes ({grams * 8 / 2**20:.1f} MiB) in {time.perf_counter() - start:.2f} s"
        )
        benchmarks.append(benchmark)
    return tuple(benchmarks)


def benchmark_digests(config: DecontaminationConfig) -> dict[str, str]:
    """`benchmarks/<name>: sha256` of every benchmark file, for the job fingerprint (a changed file is a new job)."""
    digests = {}
    for name, path in benchmark_files(config.benchmarks):
        with fsspec.open(path, "rb") as file:
            digests[f"benchmarks/{name}"] = hashlib.sha256(file.read()).hexdigest()
    return digests


def contamination(text: str, benchmarks: tuple[Benchmark, ...], tokenizer: str) -> dict[str, int]:
    """benchmark name -> how many of the text's n-grams are that benchmark's, for the benchmarks it matches."""
    ids = token_ids(text, tokenizer)
    lengths = {length for benchmark in benchmarks for length in benchmark.hashes}
    windows = {length: np.sort(ngram_hashes(ids, length)) for length in lengths}  # sorted: faster binary search
    hits = {benchmark.name: benchmark.hits(windows) for benchmark in benchmarks}
    return {name: n for name, n in hits.items() if n}


class Decontamination(LedgerFilter):
    name = "🧪 Benchmark decontamination"

    def __init__(self, config: DecontaminationConfig, tokenizer: str = LLAMA3):
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer
        benchmark_files(config.benchmarks)  # a missing or ambiguous benchmark fails at build time

    def _benchmarks(self) -> tuple[Benchmark, ...]:
        c = self.config
        return benchmark_index(tuple(c.benchmarks), c.ngram, c.min_tokens, tuple(c.text_fields), self.tokenizer)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for benchmark in self._benchmarks():  # every benchmark has its counters, 0 when nothing matched
            self.stat_update(DOCS_STAT + benchmark.name, TOKENS_STAT + benchmark.name, value=0)
        yield from super().run(data, rank, world_size)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        try:
            hits = contamination(doc.text, self._benchmarks(), self.tokenizer)
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
