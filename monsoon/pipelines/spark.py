"""The Spark engine: the plan's stages (pipelines/plan.py) with one Spark task per rank, clusters in Spark SQL.

1. documents one task per input file: plan.documents_stage, built inside the task;
2. clusters  exact copies, connected components of the documents sharing a MinHash band and the matches in the
             --dedup-against indexes (dedup/spark.py `decide`), and with dedup.lines the kept documents' duplicate
             lines (`line_removals`), in Spark joins, written as the same per-rank cluster and line files the
             local engine's clustering writes;
3. write     one task per documents rank: plan.write_stage.

Each rank runs through datatrove's own per-rank protocol (`PipelineExecutor._run_for_rank`: task log, stats file,
completion marker), as datatrove's Ray executor runs its ranks, in the same logging folders as the local engine.
Its steps write the layout's paths under the task attempt's folder (corpus or intermediate files, dropped documents),
moved onto the output folder just before the rank is marked complete, so a retried task replaces its files instead of
adding some. The accounting merges the per-rank stats files, as the local engine's does.

Resuming is the local engine's contract (pipelines/layout.py): the same job skips its finished ranks (and its
clusters, once computed); another job is refused unless restarted.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import time
from functools import partial

from datatrove.executor.base import DistributedEnvVars, PipelineExecutor
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import collect
from monsoon.config import RunConfig
from monsoon.crawl.select import index_ledger, is_index, select_with_spark
from monsoon.dedup.index import check_against, earlier_parts
from monsoon.fetch import per_process
from monsoon.pipelines import plan
from monsoon.pipelines.layout import (
    RunLayout,
    input_files,
    job_fingerprint,
    join,
    refuse_foreign_output,
    start_or_resume,
)
from monsoon.stages.near_duplicates import write_cluster_file, write_line_file

_RANK_OF_FILE = r"(\d+)\.parquet$"
_CLUSTERS_DONE = "completions/00000"  # the clusters stage is one Spark job: one marker


def move_tree(source: str, target: str) -> None:
    """Move every file under `source` to the same relative path under `target`, replacing what is there."""
    source_folder, target_folder = get_datafolder(source), get_datafolder(target)
    if not source_folder.exists(""):
        return
    for path in source_folder.list_files():
        destination = target_folder.resolve_paths(path)
        target_folder.fs.makedirs(destination.rsplit("/", 1)[0], exist_ok=True)
        source_folder.fs.mv(source_folder.resolve_paths(path), destination)
    source_folder.fs.rm(source_folder.path, recursive=True)


class SparkRank(PipelineExecutor):
    """One rank of one stage, run inside a Spark task through datatrove's per-rank protocol; its steps write into
    `attempt`, whose files are moved into the run's output before the rank is marked complete (unless
    plan.may_complete says not to: inputs that could not be read are listed).

    `_run_for_rank` is datatrove's private per-rank protocol (as its Ray executor calls it): pyproject.toml pins
    datatrove exactly (==0.10.1) while this calls it."""

    def __init__(self, steps: list[PipelineStep], layout: RunLayout, stage: str, world_size: int, attempt: str):
        super().__init__(steps, logging_dir=layout.stage_logs(stage))
        self._world_size = world_size
        self.attempt = attempt
        self.layout, self.stage = layout, stage

    @property
    def world_size(self) -> int:
        return self._world_size

    def run(self):
        raise TypeError("a SparkRank runs one rank in a Spark task: call _run_for_rank (see run_spark)")

    def get_distributed_env(self, node_rank: int = -1) -> DistributedEnvVars:
        return DistributedEnvVars(
            datatrove_node_ips="",
            datatrove_cpus_per_task="1",
            datatrove_mem_per_cpu="0",
            datatrove_gpus_on_node="0",
            datatrove_executor="SPARK",
        )

    def mark_rank_as_completed(self, rank: int) -> None:
        move_tree(self.attempt, self.layout.output)
        if plan.may_complete(self.layout, self.stage, rank, self.pipeline):  # else rerun by the same command
            super().mark_rank_as_completed(rank)


def _run_rank(config: RunConfig, stage: plan.Stage, world_size: int, rank: int) -> None:
    """Rank `rank` of `stage`, in a Spark task; its steps are built here."""
    from pyspark import TaskContext

    layout = RunLayout.of(config)
    attempt_path = layout.attempt(stage.name, rank, TaskContext.get().attemptNumber())
    layout.remove(attempt_path)  # left by a killed run's attempt of the same number
    attempt = layout.uri(attempt_path)
    executor = SparkRank(stage.steps(attempt), layout, stage.name, world_size, attempt)
    executor._run_for_rank(rank, local_rank=1)  # local_rank 1: only errors to the executor's stderr
    # pyspark's daemon runs a full gc.collect() after each task of a reused Python worker; with the models, tries and
    # word-tokenizer vocabularies a worker keeps (~0.7M objects) that took ~210 ms a task. This task's garbage is
    # collected here, what survives (those caches) is frozen, so the daemon's collection scans only what the next
    # task makes (bench/spark_vs_local.py, 96 files: documents stage 198.6 -> 190.9 s, write stage 14.5 -> 4.0 s).
    gc.collect()
    gc.freeze()


def _run_stage(context, config: RunConfig, layout: RunLayout, stage: plan.Stage, world_size: int) -> None:
    """Every rank of `stage` without a completion marker, one Spark task each."""
    ranks = layout.incomplete_ranks(stage.name, world_size)
    if stage.name == plan.DOCUMENTS and len(ranks) < world_size:
        print(
            f"resuming: {world_size - len(ranks)} of {world_size} input files were extracted earlier", file=sys.stderr
        )
    if ranks:
        context.setJobDescription(f"monsoon {stage.name}: {len(ranks)} tasks")
        context.parallelize(ranks, len(ranks)).foreach(partial(_run_rank, config, stage, world_size))


def _write_clusters(clusters: str, table: str, item) -> None:
    (language, rank), rows = item
    write_cluster_file(clusters, table, language, rank, rows)


def _write_lines(clusters: str, item) -> None:
    (language, rank), rows = item
    write_line_file(clusters, language, rank, rows)


def _earlier(spark, config: RunConfig):
    """The rows of every --dedup-against index part of the run's languages (each folder's settings checked), with
    the DIR they come from: read by the executors, joined, never collected."""
    from monsoon.dedup.spark import index_rows

    against, seed = config.dedup.against, config.dedup.seed
    parts = [(language, *part) for language in config.languages for part in earlier_parts(against, language, seed)]
    return index_rows(spark, parts)


def _cluster(spark, config: RunConfig, layout: RunLayout) -> None:
    """The dedup decisions of every intermediate file, written per language and documents rank."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from monsoon.dedup.spark import decide, line_removals

    # an earlier run in this session (a rerun in the same driver) leaves its last connected-components edges
    # persisted; the same plan over the files that are there now must not be answered from them
    spark.catalog.clearCache()
    files = get_datafolder(layout.intermediate).list_files(glob_pattern="*/*.parquet")
    # the language folders, not each file: past 32 paths Spark lists them in a job of one task per path (a
    # 672-task job of 2.5-3.7 s on bench/spark_vs_local.py's 96 input files)
    languages = sorted({name.split("/", 1)[0] for name in files})
    documents = (
        spark.read.parquet(*[join(layout.intermediate, language) for language in languages])
        .select(
            "language",
            "id",
            "text_hash",
            "minhash_bands",
            *(["line_hashes"] if config.dedup.lines else []),
            F.regexp_extract(F.input_file_name(), _RANK_OF_FILE, 1).cast("int").alias("rank"),
            # stages/near_duplicates.py dedup_keys: an id several files hold is kept by the first file's copy
            F.when(F.col("warc_path") == F.min("warc_path").over(Window.partitionBy("id")), F.col("id"))
            .otherwise(F.concat("id", F.lit("@"), "warc_path"))
            .alias("key"),
        )
        .withColumn("renamed", F.col("key") != F.col("id"))
        .withColumn("id", F.col("key"))
        .drop("key")
        .cache()
    )
    # filled here, in one scan: the decisions' shuffles start at once, and each would scan the files while the cache
    # is still empty (the clusters stage 7.6 -> 6.5 s on bench/spark_vs_local.py's 96 files, past JVM warm-up)
    documents.count()
    decisions = decide(documents.select("language", "id", "text_hash", "minhash_bands"), _earlier(spark, config))
    renamed_alone = (  # a renamed copy the rules keep alone still needs its row (dedup/local.py, likewise)
        documents.where("renamed")
        .select("language", "id")
        .join(decisions, ["language", "id"], "left_anti")
        .select(
            "language",
            "id",
            F.col("id").alias("cluster_id"),
            F.lit(1).cast("long").alias("cluster_size"),
            *(F.lit(None).cast("string").alias(name) for name in ("reason", "duplicate_of", "duplicate_run")),
        )
    )
    decisions = decisions.unionByName(renamed_alone)
    rows = decisions.join(documents.select("language", "id", "rank"), ["language", "id"])
    layout.remove("_work/clusters", "_dedup")
    rows.rdd.map(
        lambda row: (
            (row.language, row.rank),
            (row.id, row.cluster_id, row.cluster_size, row.reason, row.duplicate_of, row.duplicate_run),
        )
    ).groupByKey().foreach(partial(_write_clusters, layout.clusters, layout.dedup_table))
    if config.dedup.lines:  # among the documents kept, as the local engine
        dropped = decisions.where(F.col("reason").isNotNull()).select("language", "id")
        removals = line_removals(documents.join(dropped, ["language", "id"], "left_anti"))
        removals.rdd.map(lambda row: ((row.language, row.rank), (row.id, row.line_hash))).groupByKey().foreach(
            partial(_write_lines, layout.clusters)
        )
    documents.unpersist()


def _cluster_once(spark, config: RunConfig, layout: RunLayout) -> None:
    """The clusters stage, unless an earlier run of the job finished it."""
    logs = get_datafolder(layout.stage_logs(plan.CLUSTERS))
    if not logs.exists(_CLUSTERS_DONE):
        spark.sparkContext.setJobDescription("monsoon near-duplicate clusters")
        _cluster(spark, config, layout)
        if not layout.failed_inputs():  # as plan.may_complete: recomputed once a rerun has read them
            logs.open(_CLUSTERS_DONE, "w").close()


def run_spark(config: RunConfig, master: str | None = None, restart: bool = False) -> dict:
    """Run the job on Spark (`master=None`: the one spark-submit set), or resume the same job's earlier run;
    returns the accounting, also written to `<output>/accounting.json`."""
    from monsoon.spark_session import spark_session

    layout = RunLayout.of(config)
    refuse_foreign_output(layout)
    if is_index(config.input):  # the selection in Spark SQL; input_files then reuses it
        select_with_spark(config, master)
    _, inputs = input_files(config)
    ranks = len(inputs)  # one documents rank per input file
    check_against(config.dedup.against, config.output, config.languages, config.dedup.seed, config.dedup.enabled)
    start_or_resume(layout, job_fingerprint(config, inputs, "spark", ranks), restart)
    started = time.perf_counter()
    spark = spark_session("monsoon run", master)
    seconds = {"spark_session": time.perf_counter() - started}  # the JVM's start, or nothing when one runs already
    context = spark.sparkContext
    context.setCheckpointDir(layout.uri("_work", "checkpoints"))
    # the job's fetch budget divided among the Python workers that run at once: one per executor core
    config = dataclasses.replace(config, fetch=per_process(config.fetch, context.defaultParallelism))

    runs = {
        stage.name: partial(_cluster_once, spark, config, layout)  # the one engine-specific stage
        if stage.name == plan.CLUSTERS
        else partial(_run_stage, context, config, layout, stage, ranks)
        for stage in plan.stages(config, layout)
    }
    seconds.update(plan.run_in_order(layout, runs))
    layout.write_failed_inputs()

    logs = layout.folder("_work", "logs")
    accounting = plan.add_quality_buckets(config, layout, index_ledger(config, collect(logs), logs))
    layout.remove("_work/attempts", "_work/checkpoints")
    layout.write_accounting(accounting)
    layout.write_stage_seconds(seconds)
    return accounting
