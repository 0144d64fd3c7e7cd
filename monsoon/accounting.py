"""Per-document outcome accounting.

Every record a reader yields as a document ends in exactly one outcome: kept, dropped (with a reason) or
errored (with a reason). Steps report outcomes through datatrove's own stats (`stat_update`), so they land in
the per-rank `stats/NNNNN.json` files every executor writes and survive resumed runs; `collect` merges those
files into the `accounting.json` contract:

    {"total": {"read", "kept", "dropped": {reason: n}, "errored": {reason: n}}, "languages": {code: same}}

Each bucket also has `tokens` (tokens kept) and `dropped_tokens` / `errored_tokens` ({reason: tokens}) for the
documents lost after extraction, since token counts are taken right after extraction, and `masked` ({kind: n}:
the personal-data masks in the kept documents' text, from their `pii.<kind>` quality signals).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

UNDETERMINED = "und"  # documents that leave the pipeline before language identification
_PREFIX = "acct"
_SEP = "|"
MASK_SIGNAL_PREFIX = "pii."  # quality_signals["pii.<kind>"]: masks of that kind in the document's text


def _key(outcome: str, language: str = "", reason: str = "") -> str:
    return _SEP.join((_PREFIX, outcome, language, reason))


def language_of(doc: Document | None) -> str:
    return (doc.metadata.get("language") if doc is not None else None) or UNDETERMINED


def count_read(step: PipelineStep) -> None:
    step.stat_update(_key("read"))


def _count_lost(step: PipelineStep, outcome: str, doc: Document | None, reason: str) -> None:
    language = language_of(doc)
    step.stat_update(_key(outcome, language, reason))
    tokens = doc.metadata.get("token_count") if doc is not None else None
    if tokens is not None:  # counted right after extraction, so every later loss is known in tokens too
        step.stat_update(_key(f"{outcome}_tokens", language, reason), value=int(tokens))


def count_dropped(step: PipelineStep, doc: Document | None, reason: str) -> None:
    _count_lost(step, "dropped", doc, reason)


def count_errored(step: PipelineStep, doc: Document | None, reason: str) -> None:
    _count_lost(step, "errored", doc, reason)


def count_kept(step: PipelineStep, doc: Document) -> None:
    language = language_of(doc)
    step.stat_update(_key("kept", language))
    step.stat_update(_key("tokens", language), value=int(doc.metadata.get("token_count") or 0))
    for name, value in (doc.metadata.get("quality_signals") or {}).items():
        if name.startswith(MASK_SIGNAL_PREFIX):
            step.stat_update(_key("masked", language, name.removeprefix(MASK_SIGNAL_PREFIX)), value=int(value))


_BY_REASON = ("dropped", "errored", "dropped_tokens", "errored_tokens", "masked")


def _empty() -> dict:
    return {"read": 0, "kept": 0, "tokens": 0, **{outcome: {} for outcome in _BY_REASON}}


def _stat_total(value) -> int:
    return int(value["total"] if isinstance(value, dict) else value)


def merge_stats_files(stats_files: Iterable[Path]) -> dict:
    """Merge outcome counters from datatrove per-rank stats files into the accounting contract."""
    return merge_stats(json.loads(Path(path).read_text()) for path in stats_files)


def merge_stats(ranks: Iterable[list[dict]]) -> dict:
    """Merge outcome counters from datatrove per-rank stats (each a list of per-step dicts, as in the stats
    files) into the accounting contract."""
    counters: dict[tuple[str, str, str], int] = defaultdict(int)
    for steps in ranks:
        for step in steps:
            for key, value in step.get("stats", {}).items():
                parts = key.split(_SEP)
                if len(parts) == 4 and parts[0] == _PREFIX:
                    counters[(parts[1], parts[2], parts[3])] += _stat_total(value)

    total = _empty()
    languages: dict[str, dict] = defaultdict(_empty)
    for (outcome, language, reason), n in sorted(counters.items()):
        if outcome == "read":
            total["read"] += n
            continue
        for bucket in (total, languages[language]):
            if outcome in _BY_REASON:
                bucket[outcome][reason] = bucket[outcome].get(reason, 0) + n
            else:
                bucket[outcome] += n
    for bucket in languages.values():  # a language's documents are those that ended in it
        bucket["read"] = bucket["kept"] + sum(bucket["dropped"].values()) + sum(bucket["errored"].values())
    return {"total": total, "languages": dict(sorted(languages.items()))}


def collect(logging_root: Path) -> dict:
    """Accounting for a whole run: every stage's per-rank stats under `logging_root`."""
    return merge_stats_files(sorted(Path(logging_root).glob("*/stats/*.json")))


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
    missing = unaccounted(accounting["total"])
    if missing:
        lines.append(f"WARNING: {missing} documents read but not accounted for")
    return "\n".join(lines)
