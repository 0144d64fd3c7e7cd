"""The local engine: one datatrove LocalPipelineExecutor per stage of the plan (pipelines/plan.py), each resumable
through its logging dir (datatrove's completion markers), all paths from the run's layout (local or URI)."""

from __future__ import annotations

import dataclasses

from datatrove.executor import LocalPipelineExecutor

from monsoon.accounting import collect
from monsoon.config import RunConfig
from monsoon.crawl.select import index_ledger
from monsoon.dedup.index import check_against
from monsoon.fetch import per_process
from monsoon.pipelines import plan
from monsoon.pipelines.layout import RunLayout, input_files, job_fingerprint, refuse_foreign_output, start_or_resume
from monsoon.processes import forked_children_die_with_parent


class StageExecutor(LocalPipelineExecutor):
    """datatrove's local executor for one stage of the run: a rank is marked complete only as plan.may_complete
    says (not while inputs it or the run could not read are listed)."""

    def __init__(self, steps, layout: RunLayout, stage: str, **kwargs):
        super().__init__(steps, logging_dir=layout.stage_logs(stage), **kwargs)
        self.layout, self.stage = layout, stage

    def mark_rank_as_completed(self, rank: int) -> None:
        if plan.may_complete(self.layout, self.stage, rank, self.pipeline):
            super().mark_rank_as_completed(rank)


def build_executors(config: RunConfig, layout: RunLayout) -> dict[str, LocalPipelineExecutor]:
    """One executor per stage of the plan, by stage name, in order."""
    return {
        stage.name: StageExecutor(
            stage.steps(layout.output),
            layout,
            stage.name,
            tasks=len(config.languages) if stage.per_language else config.tasks,
            workers=config.workers,
        )
        for stage in plan.stages(config, layout)
    }


def prepare(config: RunConfig, restart: bool = False) -> RunLayout:
    """List the inputs, check the --dedup-against folders (dedup/index.py check_against) and make the output folder
    ready for the job: the same job's earlier run resumes (its finished ranks are skipped), another job's raises
    JobChanged unless `restart` (pipelines/layout.py)."""
    layout = RunLayout.of(config)
    refuse_foreign_output(layout)
    _, inputs = input_files(config)
    check_against(config.dedup.against, config.output, config.languages, config.dedup.seed, config.dedup.enabled)
    start_or_resume(layout, job_fingerprint(config, inputs, "local", config.tasks), restart)
    return layout


def run_prepared(config: RunConfig, layout: RunLayout) -> dict:
    """Run the stages of a prepared job; returns the accounting, also written to `<output>/accounting.json`.

    The stages run one after the other (a failed rank raises), so no stage starts on a predecessor's partial
    output."""
    forked_children_die_with_parent()
    config = dataclasses.replace(config, fetch=per_process(config.fetch, config.workers))  # the job's fetch budget
    executors = build_executors(config, layout)
    seconds = plan.run_in_order(layout, {name: executor.run for name, executor in executors.items()})
    layout.write_failed_inputs()
    logs = layout.folder("_work", "logs")
    accounting = plan.add_quality_buckets(config, layout, index_ledger(config, collect(logs), logs))
    layout.write_accounting(accounting)
    layout.write_stage_seconds(seconds)
    return accounting


def run_local(config: RunConfig, restart: bool = False) -> dict:
    """Run the job, or resume the same job's earlier run in its output folder; returns the accounting."""
    return run_prepared(config, prepare(config, restart))
