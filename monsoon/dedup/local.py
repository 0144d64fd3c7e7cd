"""Dedup on one machine: exact copies by text hash, near-duplicate clusters by union-find over documents sharing
any MinHash band, what the --dedup-against indexes already hold (dedup/index.py), and (dedup.lines) the lines the
kept documents share."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow.parquet as pq
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from monsoon.dedup.index import Earlier, earlier_matches, earlier_parts
from monsoon.stages.near_duplicates import Decision, dedup_keys, write_cluster_file, write_line_file
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


EXACT, NEAR, EARLIER = "exact_duplicate", "near_duplicate", "near_duplicate_of_earlier"  # drop reasons


def decide(
    docs: Iterable[tuple[str, int, list[int]]],
    earlier_exact: dict[int, Earlier] | None = None,
    earlier_bands: dict[tuple[int, int], Earlier] | None = None,
) -> list[Decision]:
    """The dedup decision of every document of (id, text_hash, bands) that is dropped or stands for others, in
    this order of rules:

    1. its text hash is an earlier document's (`earlier_exact`): exact_duplicate of the smallest such id;
    2. another document of the run with its text hash has a smaller id: exact_duplicate of that one (exact dedup
       first: only each text's smallest id is clustered);
    3. its near-duplicate cluster shares a band with an earlier document (`earlier_bands`, keyed (band, hash)):
       near_duplicate_of_earlier, of the smallest earlier id it shares a band with itself, else of the smallest
       one its cluster does. The whole cluster goes, as it would in one run over both runs' inputs, where the
       earlier document would have been clustered with all of it and only one document kept;
    4. its cluster's smallest id is another's: near_duplicate of that one;
    5. else kept; cluster_size counts the run's documents it stands for (its cluster's and their exact copies).
    Both engines apply these rules (dedup/spark.py `decide`); the tests compare them."""
    earlier_exact, earlier_bands = earlier_exact or {}, earlier_bands or {}
    docs = list(docs)
    bands_of = {doc_id: bands for doc_id, _, bands in docs}
    copies: dict[int, list[str]] = {}
    for doc_id, text_hash, _ in docs:
        copies.setdefault(text_hash, []).append(doc_id)
    first = {text_hash: min(ids) for text_hash, ids in copies.items()}  # the only copy that is clustered
    found = clusters((doc_id, bands_of[doc_id]) for doc_id in sorted(first.values()))
    own: dict[str, Earlier] = {}
    for doc_id in first.values():
        matches = [earlier_bands[key] for key in enumerate(bands_of[doc_id]) if key in earlier_bands]
        if matches:
            own[doc_id] = min(matches)
    cluster_earlier: dict[str, Earlier] = {}
    cluster_docs: dict[str, int] = {}
    for text_hash, doc_id in first.items():
        cluster_id = found.get(doc_id, (doc_id, 1))[0]
        cluster_docs[cluster_id] = cluster_docs.get(cluster_id, 0) + len(copies[text_hash])
        if doc_id in own and (cluster_id not in cluster_earlier or own[doc_id] < cluster_earlier[cluster_id]):
            cluster_earlier[cluster_id] = own[doc_id]

    rows: list[Decision] = []
    for doc_id, text_hash, _ in docs:
        representative = first[text_hash]
        cluster_id = found.get(representative, (representative, 1))[0]
        size = cluster_docs[cluster_id]
        if text_hash in earlier_exact:
            rows.append((doc_id, cluster_id, size, EXACT, *earlier_exact[text_hash]))
        elif doc_id != representative:
            rows.append((doc_id, cluster_id, size, EXACT, representative, None))
        elif cluster_id in cluster_earlier:
            rows.append((doc_id, cluster_id, size, EARLIER, *own.get(doc_id, cluster_earlier[cluster_id])))
        elif cluster_id != doc_id:
            rows.append((doc_id, cluster_id, size, NEAR, cluster_id, None))
        elif size > 1:
            rows.append((doc_id, cluster_id, size, None, None, None))
    return rows


def line_removals(docs: Iterable[tuple[str, list[int]]]) -> list[tuple[str, int]]:
    """cc_net-style exact line dedup: the (id, line hash) pairs to remove from documents of (id, line hashes), each
    line hash being kept only by the smallest id that has it (not input order, so engines agree).

    Given the documents exact and near dedup keep (a dropped document must not take a line from a kept one), per
    language, over the whole run (cc_net, Wenzek et al. 2019, over a shard of a snapshot: here the run)."""
    docs = list(docs)
    first: dict[int, str] = {}
    for doc_id, hashes in docs:
        for hash_ in hashes:
            if hash_ not in first or doc_id < first[hash_]:
                first[hash_] = doc_id
    return [(doc_id, hash_) for doc_id, hashes in docs for hash_ in hashes if first[hash_] != doc_id]


class MinhashClusters(PipelineStep):
    """Cross-document step: for each language given to this rank, read the (id, text_hash, bands) of every document
    that reached dedup from the intermediate parquet, look its keys up in the --dedup-against indexes, and write
    the decisions (`decide`) of each documents rank that holds some (stages/near_duplicates.py); with `lines`, also
    each rank's line removals among the documents kept (`line_removals`)."""

    name = "🫂 MinHash clusters"

    def __init__(
        self,
        intermediate_dir: DataFolderLike,
        clusters_dir: DataFolderLike,
        table_dir: DataFolderLike,
        languages: list[str],
        against: list[str],
        seed: int,
        lines: bool = False,
    ):
        super().__init__()
        self.intermediate_dir = intermediate_dir
        self.clusters_dir = clusters_dir
        self.table_dir = table_dir
        self.languages = sorted(languages)
        self.against = against
        self.seed = seed
        self.lines = lines

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        intermediate = get_datafolder(self.intermediate_dir)
        for language in self.languages[rank::world_size]:
            files = intermediate.list_files(glob_pattern=f"{language}/*.parquet")
            ranks_of: dict[str, set[int]] = {}  # document id -> the documents ranks whose files hold it
            docs, lines = [], []
            columns = ["id", "warc_path", "text_hash", "minhash_bands", *(["line_hashes"] if self.lines else [])]
            with self.track_time():
                tables = []
                for path in files:
                    with intermediate.open(path, "rb") as file:
                        tables.append((rank_of_file(path), pq.read_table(file, columns=columns).to_pydict()))
                ids = [doc_id for _, table in tables for doc_id in table["id"]]
                keys = dedup_keys(ids, [path for _, table in tables for path in table["warc_path"]])
                renamed = {key for key, doc_id in zip(keys, ids, strict=True) if key != doc_id}
                position = 0
                for documents_rank, table in tables:
                    ids = keys[position : position + len(table["id"])]
                    position += len(ids)
                    for doc_id in ids:
                        ranks_of.setdefault(doc_id, set()).add(documents_rank)
                    docs += zip(ids, table["text_hash"], table["minhash_bands"], strict=True)
                    if self.lines:
                        lines += zip(ids, table["line_hashes"], strict=True)
                parts = earlier_parts(self.against, language, self.seed)
                buckets = (key for _, _, bands in docs for key in enumerate(bands))
                exact, near = earlier_matches(parts, (text_hash for _, text_hash, _ in docs), buckets)
                found = decide(docs, exact, near)
                decided = {row[0] for row in found}  # a renamed copy the rules keep alone still needs its row
                found += [(key, key, 1, None, None, None) for key in sorted(renamed - decided)]
                dropped = {row[0] for row in found if row[3] is not None}
                removals = line_removals(row for row in lines if row[0] not in dropped)
            self.stat_update("clustered_docs", value=len(found))
            by_rank: dict[int, list[Decision]] = {rank_of_file(path): [] for path in files}
            for row in found:
                for documents_rank in ranks_of[row[0]]:
                    by_rank[documents_rank].append(row)
            for documents_rank, rows in sorted(by_rank.items()):
                write_cluster_file(self.clusters_dir, self.table_dir, language, documents_rank, rows)
            if self.lines:
                removed: dict[int, list[tuple[str, int]]] = {documents_rank: [] for documents_rank in by_rank}
                for row in removals:
                    for documents_rank in ranks_of[row[0]]:
                        removed[documents_rank].append(row)
                for documents_rank, rows in sorted(removed.items()):
                    write_line_file(self.clusters_dir, language, documents_rank, rows)
        yield from ()
