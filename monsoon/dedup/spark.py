"""Dedup in Spark: the local engine's clusters and decisions (dedup/local.py), computed without collecting
signatures, edges or index rows anywhere.

1. every (language, band, hash) bucket links its documents to the bucket's smallest id (a star, not all pairs);
2. connected components of those edges by alternating large-star and small-star (Kiveris et al., "Connected
   Components in MapReduce and Beyond", SoCC 2014), in plain DataFrame joins and aggregations;
3. until every component is a star around its smallest id: the representative, as in the local engine;
4. with dedup.lines, (language, line hash) groups of the kept documents: every id but the smallest loses the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

# src > dst in every edge row: an undirected edge has one row
_EDGE_COLUMNS = ("src", "dst")


def bucket_edges(bands: DataFrame) -> DataFrame:
    """(src, dst) edges from (language, id, band, hash) rows: each document to the smallest id of each bucket it
    shares."""
    bucket = ["language", "band", "hash"]
    smallest = bands.groupBy(*bucket).agg(F.min("id").alias("dst"))
    return bands.join(smallest, bucket).where(F.col("id") != F.col("dst")).select(F.col("id").alias("src"), "dst")


def _large_star(edges: DataFrame) -> DataFrame:
    """Connect every neighbour larger than a node to the smallest of the node's neighbourhood (itself included)."""
    both = edges.select(F.col("src").alias("node"), F.col("dst").alias("other")).union(
        edges.select(F.col("dst").alias("node"), F.col("src").alias("other"))
    )
    smallest = both.groupBy("node").agg(F.least(F.min("other"), F.first("node")).alias("m"))
    return (
        both.join(smallest, "node")
        .where(F.col("other") > F.col("node"))
        .select(F.col("other").alias("src"), F.col("m").alias("dst"))
        .distinct()
    )


def _small_star(edges: DataFrame) -> DataFrame:
    """Connect every node and its smaller neighbours to the smallest of them."""
    smallest = edges.groupBy("src").agg(F.min("dst").alias("m"))
    neighbours = (
        edges.join(smallest, "src")
        .where(F.col("dst") != F.col("m"))
        .select(F.col("dst").alias("src"), F.col("m").alias("dst"))
    )
    return neighbours.union(smallest.select("src", F.col("m").alias("dst"))).distinct()


def _is_union_of_stars(edges: DataFrame) -> bool:
    """Every src has a single dst and no dst is a src: each component is a star around its smallest id."""
    roles = edges.select(F.col("src").alias("node"), F.lit(1).alias("as_src"), F.lit(0).alias("as_dst")).union(
        edges.select(F.col("dst").alias("node"), F.lit(0).alias("as_src"), F.lit(1).alias("as_dst"))
    )
    per_node = roles.groupBy("node").agg(F.sum("as_src").alias("as_src"), F.max("as_dst").alias("as_dst"))
    return per_node.where((F.col("as_src") > 1) | ((F.col("as_src") > 0) & (F.col("as_dst") > 0))).isEmpty()


def _materialise(edges: DataFrame) -> DataFrame:
    """Compute once, keep, and cut the lineage (checkpoint dir required), so plans do not grow with rounds."""
    return edges.persist().checkpoint()


def connected_components(edges: DataFrame, max_rounds: int = 100) -> DataFrame:
    """(id, cluster_id) for every node of `edges` (src > dst); cluster_id is the component's smallest id."""
    edges = _materialise(edges.select(*_EDGE_COLUMNS).distinct())
    rounds = 0
    while not _is_union_of_stars(edges):
        if rounds == max_rounds:
            raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
        edges, previous = _materialise(_small_star(_large_star(edges))), edges
        previous.unpersist()
        rounds += 1
    leaves = edges.select(F.col("src").alias("id"), F.col("dst").alias("cluster_id"))
    centres = edges.select(F.col("dst").alias("id"), F.col("dst").alias("cluster_id")).distinct()
    return leaves.union(centres)


def near_duplicate_clusters(documents: DataFrame) -> DataFrame:
    """(id, cluster_id, cluster_size) for every document in a cluster of two or more, from rows of
    (language, id, minhash_bands)."""
    bands = documents.select("language", "id", F.posexplode("minhash_bands").alias("band", "hash"))
    members = connected_components(bucket_edges(bands))
    sizes = members.groupBy("cluster_id").agg(F.count("*").alias("cluster_size"))
    return members.join(sizes, "cluster_id").select("id", "cluster_id", "cluster_size")


def decide(documents: DataFrame, earlier: DataFrame) -> DataFrame:
    """The local engine's decisions (dedup/local.py `decide`: its rules, in its order) in joins and aggregations:
    (language, id, cluster_id, cluster_size, reason, duplicate_of, duplicate_run) for every document of
    `documents` (language, id, text_hash, minhash_bands) that is dropped or stands for others; `earlier` holds the
    --dedup-against indexes' rows (language, id, run, text_hash, minhash_bands)."""
    copies = documents.groupBy("language", "text_hash").agg(F.min("id").alias("first"), F.count("*").alias("copies"))
    docs = documents.join(copies, ["language", "text_hash"])
    firsts = docs.where(F.col("id") == F.col("first"))
    near = near_duplicate_clusters(firsts.select("language", "id", "minhash_bands")).select("id", "cluster_id")
    earlier_row = F.struct("id", "run").alias("earlier")
    own = (
        firsts.select("language", "id", F.posexplode("minhash_bands").alias("band", "hash"))
        .join(
            earlier.select("language", earlier_row, F.posexplode("minhash_bands").alias("band", "hash")),
            ["language", "band", "hash"],
        )
        .groupBy("id")
        .agg(F.min("earlier").alias("own"))  # a struct's minimum: by id, then run, as local tuples
    )
    clustered = (
        firsts.select("id", "copies")
        .join(near, "id", "left")
        .withColumn("cluster_id", F.coalesce("cluster_id", "id"))
        .join(own, "id", "left")
    )
    per_cluster = clustered.groupBy("cluster_id").agg(
        F.sum("copies").alias("cluster_size"), F.min("own").alias("cluster_earlier")
    )
    first_of = clustered.join(per_cluster, "cluster_id").select(
        F.col("id").alias("first"), "cluster_id", "cluster_size", "cluster_earlier", "own"
    )
    exact_earlier = earlier.groupBy("language", "text_hash").agg(F.min(earlier_row).alias("exact_earlier"))
    rows = (
        docs.select("language", "id", "text_hash", "first")
        .join(first_of, "first")
        .join(exact_earlier, ["language", "text_hash"], "left")
    )
    earlier_of = F.coalesce("own", "cluster_earlier")
    reason = (
        F.when(F.col("exact_earlier").isNotNull(), F.lit("exact_duplicate"))
        .when(F.col("id") != F.col("first"), F.lit("exact_duplicate"))
        .when(F.col("cluster_earlier").isNotNull(), F.lit("near_duplicate_of_earlier"))
        .when(F.col("cluster_id") != F.col("id"), F.lit("near_duplicate"))
    )
    duplicate_of = (
        F.when(F.col("exact_earlier").isNotNull(), F.col("exact_earlier.id"))
        .when(F.col("id") != F.col("first"), F.col("first"))
        .when(F.col("cluster_earlier").isNotNull(), earlier_of.getField("id"))
        .when(F.col("cluster_id") != F.col("id"), F.col("cluster_id"))
    )
    duplicate_run = F.when(F.col("exact_earlier").isNotNull(), F.col("exact_earlier.run")).when(
        (F.col("id") == F.col("first")) & F.col("cluster_earlier").isNotNull(), earlier_of.getField("run")
    )
    return rows.select(
        "language",
        "id",
        "cluster_id",
        F.col("cluster_size").cast("long").alias("cluster_size"),
        reason.alias("reason"),
        duplicate_of.alias("duplicate_of"),
        duplicate_run.alias("duplicate_run"),
    ).where(F.col("reason").isNotNull() | (F.col("cluster_size") > 1))


def line_removals(documents: DataFrame) -> DataFrame:
    """The local engine's line removals (dedup/local.py `line_removals`): (language, id, rank, line_hash) for every
    line hash of `documents` (language, id, rank, line_hashes: the documents kept) that a smaller id of the language
    also has."""
    lines = documents.select("language", "id", "rank", F.explode("line_hashes").alias("line_hash"))
    first = lines.groupBy("language", "line_hash").agg(F.min("id").alias("first"))
    return (
        lines.join(first, ["language", "line_hash"])
        .where(F.col("id") != F.col("first"))
        .select("language", "id", "rank", "line_hash")
    )


INDEX_ROWS = "language string, id string, run string, text_hash bigint, minhash_bands array<bigint>"


def index_rows(spark: SparkSession, parts: Iterable[tuple[str, str, str]]) -> DataFrame:
    """(language, id, run, text_hash, minhash_bands) of dedup index parts given as (language, run, part URI): read
    by the executors, never collected; an empty frame of that schema when there is no part."""
    by_key: dict[tuple[str, str], list[str]] = {}
    for language, run, uri in parts:
        by_key.setdefault((language, run), []).append(uri)
    frames = [spark.createDataFrame([], INDEX_ROWS)] + [
        spark.read.parquet(*uris).select(
            F.lit(language).alias("language"), "id", F.lit(run).alias("run"), "text_hash", "minhash_bands"
        )
        for (language, run), uris in by_key.items()
    ]
    return reduce(lambda a, b: a.unionByName(b), frames)
