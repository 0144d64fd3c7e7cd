"""The local engine: three datatrove LocalPipelineExecutor jobs, each resumable through its logging dir.

1. extract  (config.tasks ranks): WARC -> ... -> intermediate parquet per language, with MinHash bands
2. clusters (one rank per language): near-duplicate clusters from the bands
3. write    (config.tasks ranks): intermediate -> drop non-representatives -> output parquet
"""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor

from monsoon.accounting import collect
from monsoon.config import RunConfig
from monsoon.dedup.local import MinhashClusters
from monsoon.pipelines.extract import extract_pipeline
from monsoon.processes import forked_children_die_with_parent
from monsoon.stages.near_duplicates import NearDuplicateFilter, cluster_table
from monsoon.stages.writer import CorpusWriter, intermediate_reader


def run_layout(output: str) -> dict[str, str]:
    """Where a run keeps its parts, all under the output folder."""
    work = os.path.join(output, "_work")
    return {
        "intermediate": os.path.join(work, "intermediate"),
        "clusters": os.path.join(work, "clusters"),
        "logs": os.path.join(work, "logs"),
    }


def build_executors(config: RunConfig) -> list[LocalPipelineExecutor]:
    layout = run_layout(config.output)
    extract = LocalPipelineExecutor(
        extract_pipeline(config, layout["intermediate"]),
        tasks=config.tasks,
        workers=config.workers,
        logging_dir=os.path.join(layout["logs"], "1_extract"),
    )
    executors = [extract]
    write_steps = [intermediate_reader(layout["intermediate"])]
    if config.dedup.enabled:
        executors.append(
            LocalPipelineExecutor(
                [MinhashClusters(layout["intermediate"], layout["clusters"], config.languages)],
                tasks=len(config.languages),
                workers=config.workers,
                logging_dir=os.path.join(layout["logs"], "2_clusters"),
            )
        )
        write_steps.append(NearDuplicateFilter(partial(cluster_table, layout["clusters"])))
    write_steps.append(CorpusWriter(config.output, tokenizer=config.tokenizer, final=True))
    executors.append(
        LocalPipelineExecutor(
            write_steps,
            tasks=config.tasks,
            workers=config.workers,
            logging_dir=os.path.join(layout["logs"], "3_write"),
        )
    )
    return executors


def run_local(config: RunConfig) -> dict:
    """Run (or resume) the whole job; returns the accounting, also written to `<output>/accounting.json`.

    The jobs run one after the other (a failed rank raises), so no job starts on a predecessor's partial output."""
    forked_children_die_with_parent()
    extract, *after_extract = build_executors(config)
    extract.run()
    if any(Path(run_layout(config.output)["intermediate"]).glob("*/*.parquet")):  # else nothing was kept
        for executor in after_extract:
            executor.run()
    accounting = collect(Path(run_layout(config.output)["logs"]))
    Path(config.output, "accounting.json").write_text(json.dumps(accounting, indent=2, sort_keys=True) + "\n")
    return accounting
