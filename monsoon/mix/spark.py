"""`monsoon mix build --engine spark`: build.py's decisions as Spark operations.

- a row's documents are taken by a window sum over (doc_key, id) within the row;
- copies come from `explode(sequence(...))`, their keys from Spark's sha2 over the same strings as build.py;
  with rehydration, their number is times the weight of the cluster size (a `when` chain over REHYDRATION);
- the running sum of the interleaved stream is a window sum within buckets of the first two hex digits of the
  key (keys are uniform, and bucket order is stream order) plus each bucket's offset, so no single task sees
  the whole stream;
- executors write the shards with build.write_shard: the files are the local engine's, byte for byte.
Only per-row and per-bucket sums come back to the driver.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from monsoon.mix.build import (
    ORDER,
    REHYDRATION,
    SHARD_FILE,
    copies_schema,
    files_of_rows,
    finish,
    repeats,
    shard_count,
    shard_schema,
    source_entry,
    write_shard,
)
from monsoon.mix.plan import common_tokenizer
from monsoon.mix.table import MixError, MixTable
from monsoon.schema import QUALITY_BUCKET, corpus_schema
from monsoon.spark_session import LOCAL_MASTER, spark_session

_BUCKET_HEX = 2


def _sha_key(*columns):
    from pyspark.sql import functions as F

    return F.substring(F.sha2(F.concat_ws("|", *columns), 256), 1, 16)


def _rehydration_weight(rehydrate: bool):
    """build.rehydration_weight as a column expression over cluster_size (1 without rehydration)."""
    from pyspark.sql import functions as F

    if not rehydrate:
        return F.lit(1)
    size, weight = F.coalesce(F.col("cluster_size"), F.lit(1)), F.lit(1)
    for smallest, copies in REHYDRATION:  # the largest band is tested first
        weight = F.when(size >= smallest, copies).otherwise(weight)
    return weight


def _shard_writer(shards_dir: str, tokenizer: str):
    """mapInArrow function: write every shard of the partition."""

    def write(batches):
        batches = list(batches)
        if not batches:
            return
        table = pa.Table.from_batches(batches)
        schema = shard_schema(tokenizer)
        for shard in sorted(set(table["_shard"].to_pylist())):
            rows = table.filter(pc.equal(table["_shard"], shard))
            entry = write_shard(rows, Path(shards_dir) / SHARD_FILE.format(shard), schema)
            yield pa.RecordBatch.from_pydict({"shard": [shard], "entry": [json.dumps(entry)]})

    return write


def build_spark(
    table: MixTable,
    out_dir: str | Path,
    shards_dir: Path,
    tokens_per_shard: int,
    seed: int,
    master: str = LOCAL_MASTER,
    rehydrate: bool = False,
) -> dict:
    """Build the shards with Spark; returns the same manifest as build_local."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = spark_session("monsoon mix build", master, progress=False)
    files_by_row = files_of_rows(table, out_dir)
    tokenizer = common_tokenizer(table, files_by_row)
    corpus_columns = corpus_schema(tokenizer).names

    def documents(index: int, columns: list[str] | None):
        row, files = table.rows[index], files_by_row[index]
        frame = spark.read.parquet(*[str(path) for path in files])
        if row.dataset:
            frame = frame.filter(F.col("source") == row.dataset)
        if row.quality:  # as mix/plan.py read_batches: null buckets are in no range
            bucket = F.col(QUALITY_BUCKET)
            frame = frame.filter((bucket > row.quality[0]) & (bucket <= row.quality[1]))
        frame = frame.select(*[c for c in (columns or corpus_columns) if c in frame.columns])
        for name in [c for c in columns or [] if c not in frame.columns]:  # external parquet: no cluster_size
            frame = frame.withColumn(name, F.lit(None).cast("long"))
        return frame.withColumn("_row", F.lit(index))

    mapped = [i for i, files in enumerate(files_by_row) if files]

    def every_row(columns: list[str] | None):
        """The documents of every row with source files (`columns` only, or the corpus columns)."""
        frames = [documents(index, columns) for index in mapped]
        return functools.reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)

    docs = every_row(["id", "token_count", "cluster_size"]).withColumn("_weight", _rehydration_weight(rehydrate))
    # 1. per row: the documents taken (a prefix in doc_key order) and their copies
    wanted = {i: None if row.unique is None else table.tokens(row.unique) for i, row in enumerate(table.rows)}
    params = spark.createDataFrame(
        [(i, row.source, wanted[i]) for i, row in enumerate(table.rows)], "_row int, mix_source string, _wanted long"
    )
    in_row = Window.partitionBy("_row").orderBy("_dkey", "id").rowsBetween(Window.unboundedPreceding, 0)
    docs = (
        docs.withColumn("_dkey", _sha_key(F.lit(str(seed)), F.col("id")))
        .withColumn("_cum", F.sum("token_count").over(in_row))
        .join(F.broadcast(params), "_row")
    )
    is_taken = F.col("_wanted").isNull() | (F.col("_cum") <= F.col("_wanted"))
    available, taken_sums = {}, {}
    for r in (
        docs.groupBy("_row")
        .agg(
            F.count("*").alias("docs"),
            F.countDistinct("id").alias("ids"),
            F.sum("token_count").alias("tokens"),
            F.count(F.when(is_taken, 1)).alias("taken_docs"),
            F.sum(F.when(is_taken, F.col("token_count"))).alias("taken_tokens"),
        )
        .collect()
    ):
        if r["ids"] != r["docs"]:
            raise MixError(f"row {table.rows[r['_row']].source!r}: a document id occurs more than once")
        available[r["_row"]] = (r["docs"], r["tokens"])
        taken_sums[r["_row"]] = (r["taken_docs"], r["taken_tokens"] or 0)
    taken = docs.filter(is_taken)
    plan = {i: repeats(row, taken_sums.get(i, (0, 0))[1]) for i, row in enumerate(table.rows)}
    copies_of = spark.createDataFrame([(i, w, e) for i, (w, e) in plan.items()], "_row int, _whole int, _extra long")
    repeated = (
        taken.join(F.broadcast(copies_of), "_row")
        .withColumn("_repeats", F.col("_whole") + F.when(F.col("_cum") <= F.col("_extra"), 1).otherwise(0))
        .withColumn("_copies", F.col("_repeats") * F.col("_weight"))
    )
    rehydrated: dict[int, tuple[dict[int, int], int]] = {}
    if rehydrate:  # per row: taken documents per weight, and tokens before rehydration
        for r in (
            repeated.groupBy("_row", "_weight")
            .agg(F.count("*").alias("docs"), F.sum(F.col("token_count") * F.col("_repeats")).alias("tokens"))
            .collect()
        ):
            by_weight, tokens = rehydrated.get(r["_row"], ({}, 0))
            rehydrated[r["_row"]] = ({**by_weight, r["_weight"]: r["docs"]}, tokens + r["tokens"])
    copies = (
        repeated.filter(F.col("_copies") > 0)
        .withColumn("mix_copy", F.explode(F.sequence(F.lit(0), F.col("_copies") - 1)))
        .withColumn(
            "_key", _sha_key(F.lit(str(seed)), F.col("mix_source"), F.col("id"), F.col("mix_copy").cast("string"))
        )
        .withColumn("_bucket", F.substring("_key", 1, _BUCKET_HEX))
        .select("_row", "id", "mix_copy", "mix_source", "token_count", "_key", "_bucket")
        .cache()
    )
    out = {r["_row"]: (r["docs"], r["tokens"]) for r in _sums(copies)}
    sources = [
        source_entry(
            row,
            wanted[i],
            *available.get(i, (0, 0)),
            taken_sums.get(i, (0, 0)),
            out.get(i, (0, 0)),
            rehydrated.get(i, ({}, 0)) if rehydrate else None,
        )
        for i, row in enumerate(table.rows)
    ]

    # 2. the running sum of the interleaved stream, per key bucket plus the bucket's offset, gives the shard
    total = sum(tokens for _, tokens in out.values())
    n_shards = shard_count(total, tokens_per_shard)
    shards_dir.mkdir(parents=True, exist_ok=True)
    entries: dict[int, dict] = {}
    if n_shards:
        bucket_tokens = sorted(
            (r["_bucket"], r["tokens"])
            for r in copies.groupBy("_bucket").agg(F.sum("token_count").alias("tokens")).collect()
        )
        offsets, before = [], 0
        for bucket, tokens in bucket_tokens:
            offsets.append((bucket, before))
            before += tokens
        offset_frame = spark.createDataFrame(offsets, "_bucket string, _offset long")
        in_bucket = Window.partitionBy("_bucket").orderBy(*ORDER).rowsBetween(Window.unboundedPreceding, 0)
        placed = (
            copies.join(F.broadcast(offset_frame), "_bucket")
            .withColumn("_before", F.col("_offset") + F.sum("token_count").over(in_bucket) - F.col("token_count"))
            .withColumn(
                "_shard",
                F.expr(f"least({n_shards - 1}, ({n_shards} * (2 * _before + token_count)) div {2 * total})").cast(
                    "int"
                ),
            )
            .select("_row", "id", "mix_copy", "mix_source", "_key", "_shard")
        )

        # 3. join the documents' columns back and let the executors write their shards
        rows = every_row(None).join(placed, ["_row", "id"]).repartitionByRange(n_shards, "_shard")
        written = rows.mapInArrow(_shard_writer(str(shards_dir), tokenizer), "shard long, entry string").collect()
        entries = {r["shard"]: json.loads(r["entry"]) for r in written}
    schema = shard_schema(tokenizer)
    empty = copies_schema(tokenizer).empty_table()  # a shard no copy's middle fell in (documents > a shard)
    shards = [
        entries.get(shard) or write_shard(empty, shards_dir / SHARD_FILE.format(shard), schema)
        for shard in range(n_shards)
    ]
    copies.unpersist()
    return finish(table, shards_dir, tokenizer, tokens_per_shard, seed, rehydrate, sources, shards)


def _sums(frame) -> list:
    from pyspark.sql import functions as F

    return frame.groupBy("_row").agg(F.count("*").alias("docs"), F.sum("token_count").alias("tokens")).collect()
