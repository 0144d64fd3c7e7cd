"""Drop the exact and near duplicates the dedup decisions name (monsoon/dedup/local.py `decide`, or the Spark
engine's same rule); a kept document records its cluster size (metadata["cluster_size"]: the documents of this run
it stands for) for later up-sampling, a dropped one the id it duplicates (metadata["duplicate_of"]).

The decisions come from the run's cluster files, one per language and documents rank (`<language>/<rank>.parquet`:
DECISION_SCHEMA, a row for each of that rank's documents that is dropped or stands for others), which both
engines' clusterings write; write rank r reads the files of documents rank r, for this run only (nothing is cached
across runs or ranks). The same dropped rows are the run's dedup table, `OUTPUT/_dedup/<language>/<rank>.parquet`.

With dedup.lines, the kept documents then lose the lines the clusters stage found in a document of a smaller id
(`lines/<language>/<rank>.parquet` beside the cluster files: LINES_SCHEMA, one row per (id, line hash) to remove);
a changed text's tokens are counted again, a document left without text is dropped (duplicate_lines).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder

from monsoon.accounting import LedgerFilter, count_dropped
from monsoon.dedup.signatures import line_hash
from monsoon.stages.token_count import set_text
from monsoon.tokens import LLAMA3

# duplicate_run: the --dedup-against DIR whose index holds duplicate_of; null when it is a document of this run
DECISION_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("cluster_id", pa.string()),
        ("cluster_size", pa.int64()),
        ("reason", pa.string()),  # null: kept
        ("duplicate_of", pa.string()),
        ("duplicate_run", pa.string()),
    ]
)
Decision = tuple[str, str, int, str | None, str | None, str | None]  # a DECISION_SCHEMA row


def copy_key(doc_id: str, warc_path: str) -> str:
    """The id of a copy of a record another input file also holds (the same WARC given twice, a re-download beside
    its truncated first copy): the copy in the file first by path keeps the record's id, the others take this one,
    so ids stay unique in the corpus and exact dedup sees the copies whatever their ids. Both engines' clusters
    stages key documents so, and write a decision for every renamed one (kept ones too)."""
    return f"{doc_id}@{warc_path}"


def dedup_keys(ids: list[str], warc_paths: list[str]) -> list[str]:
    """Each document's dedup key (copy_key for the copies an id has in files after its first, else its id)."""
    first: dict[str, str] = {}
    for doc_id, path in zip(ids, warc_paths, strict=True):
        if doc_id not in first or path < first[doc_id]:
            first[doc_id] = path
    return [
        doc_id if path == first[doc_id] else copy_key(doc_id, path)
        for doc_id, path in zip(ids, warc_paths, strict=True)
    ]


def cluster_file(language: str, rank: int) -> str:
    return f"{language}/{rank:05d}.parquet"


def _write(folder: DataFolderLike, path: str, rows: list[tuple], schema: pa.Schema = DECISION_SCHEMA) -> None:
    table = pa.table(list(zip(*rows, strict=True)) if rows else [[]] * len(schema), schema=schema)
    with get_datafolder(folder).open(path, "wb") as file:
        pq.write_table(table, file)


def _read(folder: DataFolderLike, path: str) -> dict[str, list] | None:
    """The file's columns, or None when the rank wrote none."""
    folder = get_datafolder(folder)
    if not folder.exists(path):
        return None
    with folder.open(path, "rb") as file:
        return pq.read_table(file).to_pydict()


def write_cluster_file(
    folder: DataFolderLike, table_folder: DataFolderLike, language: str, rank: int, rows: Iterable[Decision]
) -> None:
    """The decisions of one language's documents of one documents rank, sorted by id, into `folder`; the dropped
    ones also into `table_folder` (the run's dedup table)."""
    rows = sorted(rows)
    _write(folder, cluster_file(language, rank), rows)
    _write(table_folder, cluster_file(language, rank), [row for row in rows if row[3] is not None])


def read_cluster_file(folder: DataFolderLike, language: str, rank: int) -> dict[str, Decision]:
    """id -> decision; empty when the rank has no document dropped or standing for others."""
    table = _read(folder, cluster_file(language, rank))
    if table is None:
        return {}
    return {row[0]: row for row in zip(*(table[name] for name in DECISION_SCHEMA.names), strict=True)}


LINES_SCHEMA = pa.schema([("id", pa.string()), ("line_hash", pa.int64())])
DUPLICATE_LINES = "duplicate_lines"  # drop reason: every line of the text is in a document of a smaller id


def line_file(language: str, rank: int) -> str:
    return f"lines/{cluster_file(language, rank)}"


def write_line_file(folder: DataFolderLike, language: str, rank: int, rows: Iterable[tuple[str, int]]) -> None:
    """The (id, line hash) pairs to remove from one language's documents of one documents rank, sorted."""
    _write(folder, line_file(language, rank), sorted(rows), LINES_SCHEMA)


def read_line_file(folder: DataFolderLike, language: str, rank: int) -> dict[str, set[int]]:
    """id -> the hashes of the lines to remove from it; empty when the rank has none (no file)."""
    table = _read(folder, line_file(language, rank))
    if table is None:
        return {}
    removals: dict[str, set[int]] = {}
    for doc_id, hash_ in zip(table["id"], table["line_hash"], strict=True):
        removals.setdefault(doc_id, set()).add(hash_)
    return removals


def remove_lines(text: str, hashes: set[int]) -> str:
    """The text without its lines whose line_hash is in `hashes` (a line too short to be hashed never is: its
    normalised text is shorter than any that was, so min_chars 1 finds the same hashes)."""
    return "\n".join(line for line in text.split("\n") if line_hash(line, 1) not in hashes)


class NearDuplicateFilter(LedgerFilter):
    name = "🫂 Near-duplicate filter"

    def __init__(self, clusters_folder: DataFolderLike, lines: bool = False, tokenizer: str = LLAMA3):
        super().__init__()
        self.clusters_folder = clusters_folder
        self.lines = lines
        self.tokenizer = tokenizer
        self._rank = 0
        self._clusters: dict[str, dict[str, Decision]] = {}
        self._lines: dict[str, dict[str, set[int]]] = {}

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._rank, self._clusters, self._lines = rank, {}, {}
        yield from super().run(data, rank, world_size)

    def _remove_lines(self, doc: Document) -> bool | tuple[bool, str]:
        language = doc.metadata["language"]
        if language not in self._lines:
            self._lines[language] = read_line_file(self.clusters_folder, language, self._rank)
        hashes = self._lines[language].get(doc.id)
        if not hashes:
            return True
        text = remove_lines(doc.text, hashes)
        self.stat_update("lines_removed", value=doc.text.count("\n") - text.count("\n"))
        if not text.strip():
            count_dropped(self, doc, DUPLICATE_LINES)
            return False, DUPLICATE_LINES
        tokens = doc.metadata.get("token_count") or 0
        if not set_text(self, doc, text, self.tokenizer):
            return False, "token_count_failed"
        self.stat_update("line_dedup_tokens_removed", value=tokens - doc.metadata["token_count"])
        return True

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language = doc.metadata["language"]
        if language not in self._clusters:
            self._clusters[language] = read_cluster_file(self.clusters_folder, language, self._rank)
        if (key := copy_key(doc.id, doc.metadata.get("warc_path") or "")) in self._clusters[language]:
            doc.id = key  # a copy of a record another file holds first (copy_key)
        _, _, size, reason, duplicate_of, _ = self._clusters[language].get(
            doc.id, (doc.id, doc.id, 1, None, None, None)
        )
        if reason is not None:
            doc.metadata["duplicate_of"] = duplicate_of
            count_dropped(self, doc, reason)
            return False, reason
        doc.metadata["cluster_size"] = size
        return self._remove_lines(doc) if self.lines else True
