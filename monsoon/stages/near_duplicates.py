"""Drop every member of a near-duplicate cluster but its representative; the representative records the
cluster size (metadata["cluster_size"]) for later up-sampling.

The clusters come from the run's cluster files, one per language and documents rank (`<language>/<rank>.parquet`:
id, cluster_id, cluster_size of that rank's clustered documents), which both engines' clusterings write; write
rank r reads the files of documents rank r, for this run only (nothing is cached across runs or ranks).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder

from monsoon.accounting import LedgerFilter, count_dropped

CLUSTER_SCHEMA = pa.schema([("id", pa.string()), ("cluster_id", pa.string()), ("cluster_size", pa.int64())])


def cluster_file(language: str, rank: int) -> str:
    return f"{language}/{rank:05d}.parquet"


def write_cluster_file(folder: DataFolderLike, language: str, rank: int, rows: Iterable[tuple[str, str, int]]) -> None:
    """(id, cluster_id, cluster_size) rows of one language's documents of one documents rank, sorted by id."""
    rows = sorted(rows)
    table = pa.table(list(zip(*rows, strict=True)) if rows else [[], [], []], schema=CLUSTER_SCHEMA)
    with get_datafolder(folder).open(cluster_file(language, rank), "wb") as file:
        pq.write_table(table, file)


def read_cluster_file(folder: DataFolderLike, language: str, rank: int) -> dict[str, tuple[str, int]]:
    """id -> (cluster representative, cluster size); empty when the rank has no clustered document."""
    folder = get_datafolder(folder)
    path = cluster_file(language, rank)
    if not folder.exists(path):
        return {}
    with folder.open(path, "rb") as file:
        table = pq.read_table(file).to_pydict()
    return {i: (c, s) for i, c, s in zip(table["id"], table["cluster_id"], table["cluster_size"], strict=True)}


class NearDuplicateFilter(LedgerFilter):
    name = "🫂 Near-duplicate filter"

    def __init__(self, clusters_folder: DataFolderLike):
        super().__init__()
        self.clusters_folder = clusters_folder
        self._rank = 0
        self._clusters: dict[str, dict[str, tuple[str, int]]] = {}

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._rank, self._clusters = rank, {}
        yield from super().run(data, rank, world_size)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language = doc.metadata["language"]
        if language not in self._clusters:
            self._clusters[language] = read_cluster_file(self.clusters_folder, language, self._rank)
        cluster_id, size = self._clusters[language].get(doc.id, (doc.id, 1))
        if cluster_id != doc.id:
            count_dropped(self, doc, "near_duplicate")
            return False, "near_duplicate"
        doc.metadata["cluster_size"] = size
        return True
