"""Near-duplicate clusters on one machine: union-find over documents sharing any MinHash band."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

CLUSTER_SCHEMA = pa.schema([("id", pa.string()), ("cluster_id", pa.string()), ("cluster_size", pa.int64())])


def clusters(docs: Iterable[tuple[str, list[int]]]) -> dict[str, tuple[str, int]]:
    """id -> (cluster representative, cluster size) for every document in a cluster of two or more.

    The representative is the smallest id, so the choice does not depend on input order or engine."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    buckets: dict[tuple[int, int], str] = {}
    for doc_id, bands in docs:
        parent.setdefault(doc_id, doc_id)
        for band, value in enumerate(bands):
            first = buckets.setdefault((band, value), doc_id)
            a, b = find(first), find(doc_id)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for doc_id in parent:
        members.setdefault(find(doc_id), []).append(doc_id)
    return {doc_id: (min(group), len(group)) for group in members.values() if len(group) > 1 for doc_id in group}


class MinhashClusters(PipelineStep):
    """Cross-document step: for each language given to this rank, read the (id, bands) of every kept document
    from the intermediate parquet and write `<clusters_dir>/<language>.parquet` (id, cluster_id, cluster_size)."""

    name = "🫂 MinHash clusters"

    def __init__(self, intermediate_dir: str, clusters_dir: str, languages: list[str]):
        super().__init__()
        self.intermediate_dir = intermediate_dir
        self.clusters_dir = clusters_dir
        self.languages = sorted(languages)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for language in self.languages[rank::world_size]:
            files = sorted(Path(self.intermediate_dir, language).glob("*.parquet"))
            with self.track_time():
                found = clusters(
                    (row["id"], row["minhash_bands"])
                    for path in files
                    for row in pq.read_table(path, columns=["id", "minhash_bands"]).to_pylist()
                )
            self.stat_update("clustered_docs", value=len(found))
            rows = sorted((doc_id, rep, size) for doc_id, (rep, size) in found.items())
            table = pa.table(list(zip(*rows, strict=True)) if rows else [[], [], []], schema=CLUSTER_SCHEMA)
            Path(self.clusters_dir).mkdir(parents=True, exist_ok=True)
            pq.write_table(table, Path(self.clusters_dir, f"{language}.parquet"))
        yield from ()
