"""Near-duplicate clusters in Spark: the local engine's clusters (dedup/local.py), computed without collecting
signatures or edges anywhere.

1. every (language, band, hash) bucket links its documents to the bucket's smallest id (a star, not all pairs);
2. connected components of those edges by alternating large-star and small-star (Kiveris et al., "Connected
   Components in MapReduce and Beyond", SoCC 2014), in plain DataFrame joins and aggregations;
3. until every component is a star around its smallest id: the representative, as in the local engine.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
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
