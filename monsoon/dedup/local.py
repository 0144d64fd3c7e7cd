"""Near-duplicate clusters on one machine: union-find over documents sharing any MinHash band."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow.parquet as pq
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from monsoon.stages.near_duplicates import write_cluster_file
from monsoon.stages.writer import rank_of_file


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
    from the intermediate parquet and write the cluster files of each documents rank that holds some
    (stages/near_duplicates.py)."""

    name = "🫂 MinHash clusters"

    def __init__(self, intermediate_dir: DataFolderLike, clusters_dir: DataFolderLike, languages: list[str]):
        super().__init__()
        self.intermediate_dir = intermediate_dir
        self.clusters_dir = clusters_dir
        self.languages = sorted(languages)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        intermediate = get_datafolder(self.intermediate_dir)
        for language in self.languages[rank::world_size]:
            files = intermediate.list_files(glob_pattern=f"{language}/*.parquet")
            ranks_of: dict[str, set[int]] = {}  # document id -> the documents ranks whose files hold it
            bands = []
            with self.track_time():
                for path in files:
                    with intermediate.open(path, "rb") as file:
                        table = pq.read_table(file, columns=["id", "minhash_bands"]).to_pydict()
                    for doc_id in table["id"]:
                        ranks_of.setdefault(doc_id, set()).add(rank_of_file(path))
                    bands += zip(table["id"], table["minhash_bands"], strict=True)
                found = clusters(bands)
            self.stat_update("clustered_docs", value=len(found))
            by_rank: dict[int, list[tuple[str, str, int]]] = {rank_of_file(path): [] for path in files}
            for doc_id, (representative, size) in found.items():
                for documents_rank in ranks_of[doc_id]:
                    by_rank[documents_rank].append((doc_id, representative, size))
            for documents_rank, rows in sorted(by_rank.items()):
                write_cluster_file(self.clusters_dir, language, documents_rank, rows)
        yield from ()
