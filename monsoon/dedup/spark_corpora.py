"""`monsoon dedup --engine spark`: the global dedup of finished runs (dedup/corpora.py says why it is one run's
result) with the same refusals, outputs and summary as the local engine, and nothing collected to the driver:

1. the union of the runs' index parts, one row per (language, id): the first run in the command's order holding it;
2. dedup/spark.py `decide` over it (no earlier rows), each id's verdict written by the executors as a temporary
   parquet, `DIR/_work/decisions/language=<language>/`;
3. one Spark task per language writes its dedup table, and one per (run, corpus file) reads its file and the
   verdicts of its ids only (a pyarrow dataset filter) and writes its kept documents; the driver gets their counts.
"""

from __future__ import annotations

from functools import partial

import pyarrow.compute as pc
import pyarrow.dataset as ds
from datatrove.io import get_datafolder
from fsspec.core import url_to_fs

from monsoon import storage
from monsoon.dedup.corpora import add_counts, check_runs, corpus_files, index_parts, write_dropped, write_kept
from monsoon.stages.near_duplicates import DECISION_SCHEMA

_WORK = "_work"
_VERDICT_COLUMNS = ["id", "run", "cluster_size", "reason"]


def _decisions_of(to: str, language: str, where: pc.Expression, columns: list[str]):
    """The verdict rows of `language` that `where` selects, read from the temporary decisions (only those rows are
    in memory); None if it has none (a language whose index parts hold no row)."""
    fs, path = url_to_fs(storage.join(to, _WORK, "decisions", f"language={language}"))
    if not fs.exists(path):
        return None
    return ds.dataset(path, format="parquet", filesystem=fs).to_table(columns=columns, filter=where)


def _write_dropped_task(to: str, language: str) -> None:
    """Spark task: the language's dedup table, from the temporary decisions."""
    rows = _decisions_of(to, language, pc.field("reason").is_valid(), DECISION_SCHEMA.names)
    write_dropped(to, language, DECISION_SCHEMA.empty_table() if rows is None else rows)


def _write_kept_task(to: str, task: tuple[str, int, str, str]) -> dict:
    """Spark task: the kept documents of one corpus file; returns its counts."""
    language, number, run, uri = task
    table = storage.read_parquet(uri)
    ids = table.column("id").to_pylist()
    found = _decisions_of(to, language, pc.field("id").isin(ids), _VERDICT_COLUMNS)
    rows = found.to_pydict() if found is not None else {column: [] for column in _VERDICT_COLUMNS}
    verdict_of = {
        i: (first, size, reason)
        for i, first, size, reason in zip(rows["id"], rows["run"], rows["cluster_size"], rows["reason"], strict=True)
    }
    verdicts = [verdict_of.get(i, (None, 1, None)) for i in ids]  # an id absent from the indexes is not kept
    return {"language": language, **write_kept(to, language, number, run, table, verdicts)}


def _index_rows(spark, runs: list[str], languages: list[str], seed: int):
    """(language, id, run, text_hash, minhash_bands, order) of every index part of the runs, read by the executors
    (order: the run's position in the command), and the languages that have parts."""
    from pyspark.sql import functions as F

    from monsoon.dedup.spark import index_rows

    parts = [(language, run, uri) for language in languages for run, uri in index_parts(runs, language, seed)]
    if not parts:
        return None, []
    indexed = [language for language in languages if any(part[0] == language for part in parts)]
    order = F.array_position(F.array(*[F.lit(run) for run in runs]), F.col("run"))
    return index_rows(spark, parts).withColumn("order", order), indexed


def dedup_runs_spark(runs: list[str], to: str, master: str | None = None) -> dict[str, dict[str, int]]:
    """dedup/corpora.py `dedup_runs` on Spark (`master=None`: the one spark-submit set): the same files and
    summary."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from monsoon.dedup.spark import decide
    from monsoon.spark_session import spark_session

    seed, languages = check_runs(runs, to)
    spark = spark_session("monsoon dedup", master, progress=False)
    context = spark.sparkContext
    context.setCheckpointDir(storage.join(to, _WORK, "checkpoints"))
    rows, indexed = _index_rows(spark, runs, languages, seed)
    if rows is None:
        return {}
    first = Window.partitionBy("language", "id").orderBy("order")
    documents = (
        rows.withColumn("_n", F.row_number().over(first)).where(F.col("_n") == 1).drop("_n", "order").cache()
    )  # a record two runs read is one document, of the first run
    decided = decide(documents.select("language", "id", "text_hash", "minhash_bands"), documents.where(F.lit(False)))
    run_of_duplicate = documents.select(
        "language", F.col("id").alias("duplicate_of"), F.col("run").alias("duplicate_run")
    )
    verdicts = (
        documents.select("language", "id", "run")
        .join(decided.drop("duplicate_run"), ["language", "id"], "left")
        .withColumn("cluster_id", F.coalesce("cluster_id", "id"))
        .withColumn("cluster_size", F.coalesce("cluster_size", F.lit(1).cast("long")))
        .join(run_of_duplicate, ["language", "duplicate_of"], "left")
    )
    verdicts.write.partitionBy("language").parquet(storage.join(to, _WORK, "decisions"))
    documents.unpersist()

    context.parallelize(indexed, len(indexed)).foreach(partial(_write_dropped_task, to))
    tasks = [
        (language, number, run, uri)
        for language in indexed
        for number, (run, uri) in enumerate(corpus_files(runs, language))
    ]
    summary = {language: {"documents": 0, "kept": 0} for language in indexed}
    if tasks:
        for counts in context.parallelize(tasks, len(tasks)).map(partial(_write_kept_task, to)).collect():
            add_counts(summary[counts.pop("language")], counts)
    get_datafolder(to).rm(_WORK, recursive=True)
    return summary
