"""Drop every member of a near-duplicate cluster but its representative; the representative records the
cluster size (metadata["cluster_size"]) for later up-sampling."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pyarrow.parquet as pq
from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from monsoon.accounting import count_dropped

# language -> {document id: (cluster representative id, cluster size)} for the documents in a cluster
ClusterLookup = Callable[[str], dict[str, tuple[str, int]]]


@cache
def cluster_table(clusters_dir: str, language: str) -> dict[str, tuple[str, int]]:
    """The local engine's clusters: `<clusters_dir>/<language>.parquet` (id, cluster_id, cluster_size)."""
    path = Path(clusters_dir, f"{language}.parquet")
    if not path.exists():
        return {}
    table = pq.read_table(path).to_pydict()
    return {i: (c, s) for i, c, s in zip(table["id"], table["cluster_id"], table["cluster_size"], strict=True)}


class NearDuplicateFilter(BaseFilter):
    name = "🫂 Near-duplicate filter"

    def __init__(self, clusters: ClusterLookup):
        super().__init__()
        self.clusters = clusters

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        cluster_id, size = self.clusters(doc.metadata["language"]).get(doc.id, (doc.id, 1))
        if cluster_id != doc.id:
            count_dropped(self, doc, "near_duplicate")
            return False, "near_duplicate"
        doc.metadata["cluster_size"] = size
        return True
