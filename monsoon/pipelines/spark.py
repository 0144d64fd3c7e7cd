"""The Spark engine: the local engine's datatrove steps inside Spark tasks, MinHash clusters in Spark SQL.

1. extract  one task per input file: the same steps as the local engine (pipelines/extract.py), built inside the
            task, write `_work/intermediate/<language>/<rank>.parquet`;
2. clusters connected components of the documents sharing a MinHash band (dedup/spark.py), in Spark;
3. write    one task per extract task: the local engine's NearDuplicateFilter and CorpusWriter, fed the
            cluster rows of its intermediate files only, write `<output>/<language>/<rank>.parquet`.

Each task writes into its own attempt folder and moves the finished files into place, so a retried task replaces
its files instead of adding some. Tasks return their datatrove stats as JSON, saved where the local engine keeps
its stats and merged into the same `accounting.json`.

Re-running the same command resumes, as with the local engine: an extract task saves its stats once its files
are in place, and those stats are its completion marker, so a rerun extracts only the input files that have
none; clusters and the final files are rebuilt. A run of other inputs or settings in the folder starts over.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections import deque
from collections.abc import Iterator
from functools import cache, partial

from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger
from datatrove.utils.stats import PipelineStats
from fsspec.core import url_to_fs

from monsoon.accounting import merge_stats
from monsoon.config import RunConfig
from monsoon.pipelines.extract import document_steps, pipe, warc_reader
from monsoon.pipelines.local import run_layout
from monsoon.stages.near_duplicates import NearDuplicateFilter
from monsoon.stages.writer import CorpusWriter, intermediate_reader

_RANK_OF_FILE = r"(\d+)\.parquet$"


def _rank_of(intermediate_file: str) -> int:
    """The extract task that wrote `<language>/<rank>.parquet`."""
    return int(re.search(_RANK_OF_FILE, intermediate_file).group(1))


def _join(*parts: str) -> str:
    return "/".join(part.rstrip("/") for part in parts)


def _move_tree(source: str, target: str) -> None:
    """Move every file under `source` to the same relative path under `target`, replacing what is there."""
    fs, source_path = url_to_fs(source)
    target_path = url_to_fs(target)[1]
    if not fs.exists(source_path):
        return
    for path in sorted(fs.find(source_path)):
        destination = _join(target_path, path[len(source_path) :].lstrip("/"))
        fs.makedirs(destination.rsplit("/", 1)[0], exist_ok=True)
        fs.mv(path, destination)
    fs.rm(source_path, recursive=True)


def _attempt_dir(output: str, stage: str, index: int) -> str:
    from pyspark import TaskContext

    return _join(output, "_work", "attempts", stage, f"{index:05d}-{TaskContext.get().attemptNumber()}")


@cache
def _warnings_only() -> None:
    """datatrove logs every file it opens at INFO: in a Spark executor's stderr, keep warnings and errors."""
    logger.remove()
    logger.add(sys.stderr, level="WARNING", colorize=False)


def _run_steps(steps: list[PipelineStep], rank: int, world_size: int) -> str:
    """Pipe the documents of `rank` through `steps`, as datatrove's executors do; the steps' stats as JSON."""
    _warnings_only()
    deque(pipe(steps, rank, world_size), maxlen=0)
    return PipelineStats(steps).to_json()


def _extract_task(config: RunConfig, world_size: int, indices: Iterator[int]) -> Iterator[tuple[int, str]]:
    """Stage 1 for each input file index in `indices` (one per partition) of `world_size`; the reader's own
    sharding picks the file."""
    for index in indices:
        attempt = _attempt_dir(config.output, "1_extract", index)
        steps = [
            warc_reader(config),
            *document_steps(config),
            CorpusWriter(attempt, tokenizer=config.tokenizer, final=False),
        ]
        stats = _run_steps(steps, index, world_size)
        _move_tree(attempt, run_layout(config.output)["intermediate"])
        _save_stats(config, "1_extract", [(index, stats)])  # last: it marks the task done
        yield index, stats


def _write_task(config: RunConfig, index: int, rows: Iterator[tuple[int, tuple | None]]) -> Iterator[tuple[int, str]]:
    """Stage 3 for the intermediate files of extract task `index`; `rows` holds their cluster rows
    (id, cluster_id, cluster_size)."""
    rows = list(rows)
    if not rows:  # extract task `index` kept nothing
        return
    clusters = {row[0]: (row[1], row[2]) for _, row in rows if row is not None}
    attempt = _attempt_dir(config.output, "3_write", index)
    reader = intermediate_reader(run_layout(config.output)["intermediate"], rank=index)
    steps: list[PipelineStep] = [NearDuplicateFilter(lambda language: clusters)] if config.dedup.enabled else []
    steps.append(CorpusWriter(attempt, tokenizer=config.tokenizer, final=True))
    _warnings_only()
    # the reader runs as rank 0 of 1 (its glob names this task's files already); the writer gets `index`, so its
    # files are named after the extract task: <language>/<index>.parquet
    deque(pipe(steps, index, 1, data=reader(None, 0, 1)), maxlen=0)
    _move_tree(attempt, config.output)
    yield index, PipelineStats([reader, *steps]).to_json()


def _remove(config: RunConfig, *names: str) -> None:
    fs, root = url_to_fs(config.output)
    for name in names:
        if fs.exists(_join(root, name)):
            fs.rm(_join(root, name), recursive=True)


def _extracted_earlier(config: RunConfig, inputs: list[str]) -> dict[int, str]:
    """Stats of the extract tasks an earlier run of this job (same inputs and settings) finished in the output
    folder; the parts of an earlier run of another job, and the stages after extract, are removed."""
    fs, root = url_to_fs(config.output)
    job = json.dumps({"inputs": inputs, "config": dataclasses.asdict(config)}, sort_keys=True, default=str)
    marker = _join(root, "_work", "job.json")
    _remove(config, "accounting.json", *config.languages, "_work/attempts", "_work/checkpoints", "_work/logs/3_write")
    if not fs.exists(marker) or fs.read_text(marker) != job:
        _remove(config, "_work")
        fs.makedirs(_join(root, "_work"), exist_ok=True)
        fs.write_text(marker, job)
        return {}
    stats = _join(run_layout(config.output)["logs"], "1_extract", "stats")
    done = sorted(fs.glob(_join(url_to_fs(stats)[1], "*.json")))
    return {int(path.rsplit("/", 1)[1].split(".")[0]): fs.read_text(path) for path in done}


def _save_stats(config: RunConfig, stage: str, results: list[tuple[int, str]]) -> None:
    fs, logs = url_to_fs(run_layout(config.output)["logs"])
    fs.makedirs(_join(logs, stage, "stats"), exist_ok=True)
    for index, stats in results:
        with fs.open(_join(logs, stage, "stats", f"{index:05d}.json"), "w") as file:
            file.write(stats)


def _cluster_rows(spark, config: RunConfig, files: list[str]):
    """(extract rank, (id, cluster_id, cluster_size)) for every document in a near-duplicate cluster."""
    from pyspark.sql import functions as F

    from monsoon.dedup.spark import near_duplicate_clusters

    intermediate = run_layout(config.output)["intermediate"]
    documents = (
        spark.read.parquet(*[_join(intermediate, name) for name in files])
        .select(
            "language",
            "id",
            "minhash_bands",
            F.regexp_extract(F.input_file_name(), _RANK_OF_FILE, 1).cast("int").alias("rank"),
        )
        .cache()
    )
    clusters = near_duplicate_clusters(documents)
    rows = clusters.join(documents.select("id", "rank"), "id")
    return rows.rdd.map(lambda row: (row.rank, (row.id, row.cluster_id, row.cluster_size)))


def run_spark(config: RunConfig, master: str | None = None) -> dict:
    """Run the whole job on Spark (`master=None`: the one spark-submit set); returns the accounting, also written
    to `<output>/accounting.json`."""
    from monsoon.spark_session import spark_session

    reader = warc_reader(config)
    inputs = reader.data_folder.list_files()  # pipelines/inputs.py: the local engine's input list
    if not inputs:
        raise FileNotFoundError(f"no WARC files match {config.input}")
    spark = spark_session("monsoon run", master)
    context = spark.sparkContext
    layout = run_layout(config.output)
    extracted = _extracted_earlier(config, inputs)
    context.setCheckpointDir(_join(config.output, "_work", "checkpoints"))

    missing = [index for index in range(len(inputs)) if index not in extracted]
    if extracted:
        print(f"resuming: {len(extracted)} of {len(inputs)} input files were extracted earlier", file=sys.stderr)
    if missing:
        context.setJobDescription(f"monsoon extract: {len(missing)} files")
        tasks = context.parallelize(missing, len(missing))  # one index a partition: one task per file
        extracted.update(tasks.mapPartitions(partial(_extract_task, config, len(inputs))).collect())
    results = [extracted[index] for index in sorted(extracted)]

    intermediate = intermediate_reader(layout["intermediate"])
    files = intermediate.data_folder.list_files(glob_pattern=intermediate.glob_pattern, recursive=True)
    ranks = sorted({_rank_of(name) for name in files})
    if ranks:  # else nothing was kept
        every_rank = context.parallelize([(rank, None) for rank in ranks])
        if config.dedup.enabled:
            context.setJobDescription("monsoon near-duplicate clusters")
            every_rank = every_rank.union(_cluster_rows(spark, config, files))
        context.setJobDescription(f"monsoon write: {len(ranks)} tasks")
        written = (
            every_rank.partitionBy(len(inputs), lambda rank: rank)
            .mapPartitionsWithIndex(partial(_write_task, config))
            .collect()
        )
        _save_stats(config, "3_write", written)
        results += [stats for _, stats in written]

    accounting = merge_stats(json.loads(stats) for stats in results)
    fs, root = url_to_fs(config.output)
    for scratch in ("attempts", "checkpoints"):
        if fs.exists(_join(root, "_work", scratch)):
            fs.rm(_join(root, "_work", scratch), recursive=True)
    with fs.open(_join(root, "accounting.json"), "w") as file:
        file.write(json.dumps(accounting, indent=2, sort_keys=True) + "\n")
    return accounting
