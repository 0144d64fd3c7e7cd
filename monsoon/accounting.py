"""Per-document outcome accounting: the run's one ledger.

Every record a reader yields as a document ends in exactly one outcome: kept, dropped (with a reason) or
errored (with a reason), booked by the step where it happened through `count_dropped` / `count_errored` (steps
that judge one document at a time derive from `LedgerFilter`). Outcomes go through datatrove's own stats
(`stat_update`), so they land in the per-rank `stats/NNNNN.json` files every executor writes and survive resumed
runs; `collect` merges those files into the `accounting.json` contract:

    {"total": {"read", "kept", "dropped": {reason: n}, "errored": {reason: n}, "steps": {reason: step}},
     "languages": {code: same}}

`steps` names the step each drop or error reason comes from (the step's class, or for the quality filter the
filter family). Each bucket also has `tokens` (tokens kept) and `dropped_tokens` / `errored_tokens`
({reason: tokens}) for the documents lost after extraction, since token counts are taken right after extraction,
and `masked` ({kind: n}: the personal-data masks in the kept documents' text, from their `pii.<kind>` quality
signals). An errored document's traceback is logged (to the task log) the first time each (step, reason) occurs
in a rank.

A run that read remote inputs also has `fetch` (monsoon/fetch.py, booked by the WARC reader through `count_fetch`):
{"requests", "bytes", "wait_seconds", "stalled_seconds", "retries": {cause: n}, "failed_inputs"}: `wait_seconds` in
backoff and the request budget, `stalled_seconds` the readers held up for bytes (less than the waits when a
read-ahead fetched while they parsed); `failed_inputs` counts the input files a read failed on for good (their
records read before the failure stay counted).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger
from datatrove.utils.typeshelper import StatHints

UNDETERMINED = "und"  # documents that leave the pipeline before language identification
_PREFIX = "acct"
_SEP = "|"
MASK_SIGNAL_PREFIX = "pii."  # quality_signals["pii.<kind>"]: masks of that kind in the document's text
_DROPPED_WRITER = "dropped_writer"  # the step attribute keep_dropped sets


def _key(outcome: str, language: str = "", reason: str = "", step: str = "") -> str:
    return _SEP.join((_PREFIX, outcome, language, reason, step))


def language_of(doc: Document | None) -> str:
    return (doc.metadata.get("language") if doc is not None else None) or UNDETERMINED


def count_read(step: PipelineStep) -> None:
    step.stat_update(_key("read"))


def _count_lost(step: PipelineStep, outcome: str, doc: Document | None, reason: str, by: str | None) -> None:
    language, by = language_of(doc), by or type(step).__name__
    step.stat_update(_key(outcome, language, reason, by))
    tokens = doc.metadata.get("token_count") if doc is not None else None
    if tokens is not None:  # counted right after extraction, so every later loss is known in tokens too
        step.stat_update(_key(f"{outcome}_tokens", language, reason, by), value=int(tokens))


def count_dropped(step: PipelineStep, doc: Document | None, reason: str, by: str | None = None) -> None:
    """Book a dropped document; `by` names the part of the step that dropped it (default: the step's class). A
    step given a dropped-documents writer (`keep_dropped`) hands it the document too."""
    _count_lost(step, "dropped", doc, reason, by)
    writer = getattr(step, _DROPPED_WRITER, None)
    if writer is not None and doc is not None:
        writer.keep(doc, reason, by or type(step).__name__)


def keep_dropped(steps: list[PipelineStep], writer: PipelineStep) -> list[PipelineStep]:
    """The steps, each handing the documents it drops to `writer` (stages/dropped.py's DroppedWriter, which must
    come last: it passes documents through and closes its files when the rank's documents are drained)."""
    for step in steps:
        # a step under the per-document budget (stages/budget.py) books its drops through the step it wraps
        setattr(getattr(step, "wrapped", step), _DROPPED_WRITER, writer)
    return [*steps, writer]


def count_errored(step: PipelineStep, doc: Document | None, reason: str, by: str | None = None) -> None:
    """Book an errored document; called while handling the exception, the first one of each reason in a rank
    (a step instance runs one rank) is logged with its traceback, so a bug is never only a count."""
    _count_lost(step, "errored", doc, reason, by)
    logged = step.__dict__.setdefault("_logged_errors", set())
    if reason not in logged:
        logged.add(reason)
        where = f"document {doc.id}" if doc is not None else "a record"
        logger.opt(exception=sys.exc_info()[0] is not None).warning(
            f"{by or type(step).__name__}: {where} errored ({reason}); later errors of this reason are only counted"
        )


class LedgerFilter(PipelineStep):
    """Base of the steps that keep or lose documents one at a time: `filter(doc)` returns True to keep the
    document, or books its loss (count_dropped / count_errored) and returns (False, reason). Unlike datatrove's
    BaseFilter, no `dropped_<reason>` counter is kept beside the ledger (it would count errors as drops)."""

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        raise NotImplementedError

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update(StatHints.total)
            with self.track_time():
                kept = self.filter(doc) is True
            if kept:
                self.stat_update(StatHints.forwarded)
                yield doc


def count_kept(step: PipelineStep, doc: Document) -> None:
    language = language_of(doc)
    step.stat_update(_key("kept", language))
    step.stat_update(_key("tokens", language), value=int(doc.metadata.get("token_count") or 0))
    for name, value in (doc.metadata.get("quality_signals") or {}).items():
        if name.startswith(MASK_SIGNAL_PREFIX):
            step.stat_update(_key("masked", language, name.removeprefix(MASK_SIGNAL_PREFIX)), value=int(value))


def count_fetch(step: PipelineStep, counters: dict[str, int]) -> None:
    """Book remote-read counters (fetch.FetchStats.counters, and `failed_inputs`)."""
    for name, value in counters.items():
        if value:
            step.stat_update(_key("fetch", "", name), value=value)


_BY_REASON = ("dropped", "errored", "dropped_tokens", "errored_tokens", "masked")


def _empty() -> dict:
    return {"read": 0, "kept": 0, "tokens": 0, **{outcome: {} for outcome in _BY_REASON}, "steps": {}}


def _stat_total(value) -> int:
    return int(value["total"] if isinstance(value, dict) else value)


def merge_stats(ranks: Iterable[list[dict]]) -> dict:
    """Merge outcome counters from datatrove per-rank stats (each a list of per-step dicts, as in the stats
    files) into the accounting contract."""
    counters: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for steps in ranks:
        for step in steps:
            for key, value in step.get("stats", {}).items():
                parts = key.split(_SEP)
                if len(parts) == 5 and parts[0] == _PREFIX:
                    counters[tuple(parts[1:])] += _stat_total(value)

    total = _empty()
    languages: dict[str, dict] = defaultdict(_empty)
    fetch = {"requests": 0, "bytes": 0, "wait_seconds": 0.0, "stalled_seconds": 0.0, "retries": {}, "failed_inputs": 0}
    for (outcome, language, reason, step), n in sorted(counters.items()):
        if outcome == "read":
            total["read"] += n
            continue
        if outcome == "fetch":
            if reason.startswith("retries."):
                fetch["retries"][reason.removeprefix("retries.")] = n
            elif reason in ("wait_ms", "stalled_ms"):
                fetch[reason.replace("_ms", "_seconds")] = n / 1000
            else:
                fetch[reason] = n
            continue
        for bucket in (total, languages[language]):
            if outcome in _BY_REASON:
                bucket[outcome][reason] = bucket[outcome].get(reason, 0) + n
                bucket["steps"][reason] = step
            else:
                bucket[outcome] += n
    for bucket in languages.values():  # a language's documents are those that ended in it
        bucket["read"] = bucket["kept"] + sum(bucket["dropped"].values()) + sum(bucket["errored"].values())
    accounting = {"total": total, "languages": dict(sorted(languages.items()))}
    if fetch["requests"] or fetch["failed_inputs"]:  # a run of local files has none
        accounting["fetch"] = fetch
    return accounting


def collect(logs: DataFolder) -> dict:
    """Accounting for a whole run: every stage's per-rank stats files (`<stage>/stats/NNNNN.json`) under `logs`."""
    return merge_stats(json.loads(logs.read_text(path)) for path in logs.list_files(glob_pattern="*/stats/*.json"))


def unaccounted(bucket: dict) -> int:
    """Documents read but neither kept, dropped nor errored (0 when the identity holds)."""
    return bucket["read"] - bucket["kept"] - sum(bucket["dropped"].values()) - sum(bucket["errored"].values())


def format_table(accounting: dict) -> str:
    """A plain-text summary table: one row per language, then the total."""
    header = (
        f"{'language':<10} {'read':>7} {'kept':>7} {'dropped':>8} {'errored':>8} {'tokens kept':>12}  top drop reasons"
    )
    lines = [header, "-" * len(header)]

    def row(name: str, bucket: dict) -> str:
        top = sorted(bucket["dropped"].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        reasons = ", ".join(f"{reason}={n}" for reason, n in top)
        return (
            f"{name:<10} {bucket['read']:>7} {bucket['kept']:>7} {sum(bucket['dropped'].values()):>8} "
            f"{sum(bucket['errored'].values()):>8} {bucket['tokens']:>12}  {reasons}"
        )

    lines += [row(code, bucket) for code, bucket in accounting["languages"].items()]
    lines += ["-" * len(header), row("total", accounting["total"])]
    if fetch := accounting.get("fetch"):
        retries = ", ".join(f"{cause} {n}" for cause, n in sorted(fetch["retries"].items()))
        lines.append(
            f"fetch: {fetch['requests']} requests, {fetch['bytes'] / 1e6:.1f} MB, retries: {retries or 'none'},"
            f" {fetch['wait_seconds']:.1f} s waiting, readers held up {fetch['stalled_seconds']:.1f} s;"
            f" {fetch['failed_inputs']} input files failed"
        )
    missing = unaccounted(accounting["total"])
    if missing:
        lines.append(f"WARNING: {missing} documents read but not accounted for")
    return "\n".join(lines)


def read_so_far(step: PipelineStep) -> int:
    """The records `step` (a reader) has booked as read so far in this rank (read from another thread: no key is
    created)."""
    metric = step.stats.stats.get(_key("read"))
    return int(metric.total) if metric is not None else 0
