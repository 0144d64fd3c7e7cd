"""The audit's PNG plots (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure  # the object API: no pyplot state, no display backend needed
from matplotlib.ticker import FuncFormatter

from monsoon.audit.funnel import Step
from monsoon.mix.table import human

_DOCS, _TOKENS, _LOST = "#1f77b4", "#ff7f0e", "#d62728"
_TOKEN_AXIS = FuncFormatter(lambda value, _: human(value))


def _save(figure: Figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})


def funnel(path: Path, title: str, steps: list[Step]) -> None:
    """Documents and tokens remaining after each stage, side by side, first stage on top."""
    labels = [step.stage for step in steps][::-1]
    figure = Figure(figsize=(10, 0.45 * len(steps) + 1.2))
    docs_axis, tokens_axis = figure.subplots(1, 2, sharey=True)
    docs = [step.docs for step in steps][::-1]
    docs_axis.barh(labels, docs, color=_DOCS)
    docs_axis.set_title("documents remaining")
    for y, value in enumerate(docs):
        docs_axis.annotate(f" {value:,}", (value, y), va="center", fontsize=8)
    tokens = [step.tokens or 0 for step in steps][::-1]
    tokens_axis.barh(labels, tokens, color=_TOKENS)
    tokens_axis.set_title("tokens remaining")
    tokens_axis.xaxis.set_major_formatter(_TOKEN_AXIS)
    for y, step in enumerate(steps[::-1]):
        tokens_axis.annotate(
            " n/a" if step.tokens is None else f" {human(step.tokens)}", (tokens[y], y), va="center", fontsize=8
        )
    for axis in (docs_axis, tokens_axis):
        axis.margins(x=0.25)
    figure.suptitle(title)
    _save(figure, path)


def drop_reasons(path: Path, reasons: list[tuple[str, int, int]]) -> None:
    """Documents dropped or errored per reason (largest first), tokens lost as labels."""
    reasons = reasons[::-1]
    figure = Figure(figsize=(10, 0.35 * len(reasons) + 1.2))
    axis = figure.subplots()
    axis.barh([name for name, _, _ in reasons], [docs for _, docs, _ in reasons], color=_LOST)
    for y, (_, docs, tokens) in enumerate(reasons):
        label = f" {docs:,} document{'s' if docs != 1 else ''}" + (f", {human(tokens)} tokens" if tokens else "")
        axis.annotate(label, (docs, y), va="center", fontsize=8)
    axis.margins(x=0.35)
    axis.set_xlabel("documents")
    axis.set_title("Why documents left (all languages)")
    _save(figure, path)


def mix_targets(path: Path, rows: list[tuple[str, int | None, int]]) -> None:
    """Per mix row: unique tokens asked vs tokens the source holds (log scale: targets span orders)."""
    rows = rows[::-1]
    figure = Figure(figsize=(10, 0.45 * len(rows) + 1.4))
    axis = figure.subplots()
    ys = range(len(rows))
    axis.barh(
        [y + 0.2 for y in ys],
        [wanted or 0 for _, wanted, _ in rows],
        height=0.4,
        color="#7f7f7f",
        label="asked (unique)",
    )
    axis.barh(
        [y - 0.2 for y in ys],
        [max(available, 1) for _, _, available in rows],
        height=0.4,
        color=_TOKENS,
        label="available",
    )
    for y, (_, wanted, available) in zip(ys, rows, strict=True):
        if wanted is not None:
            axis.annotate(f" {human(wanted)}", (wanted, y + 0.2), va="center", fontsize=8)
        axis.annotate(f" {human(available)}", (max(available, 1), y - 0.2), va="center", fontsize=8)
    axis.set_yticks(list(ys), [name for name, _, _ in rows])
    axis.set_xscale("log")
    axis.xaxis.set_major_formatter(_TOKEN_AXIS)
    axis.set_xlabel("tokens (log scale)")
    axis.set_title("Tokens against the mix table's targets")
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    _save(figure, path)


def shard_balance(path: Path, shards: list[dict], target: int, tolerance: float) -> None:
    """Tokens per shard stacked by source, with the target and its tolerance band."""
    sources = sorted({source for shard in shards for source in shard["tokens_by_source"]})
    figure = Figure(figsize=(10, 4.5))
    axis = figure.subplots()
    xs = range(len(shards))
    bottom = [0] * len(shards)
    for source in sources:
        values = [shard["tokens_by_source"].get(source, 0) for shard in shards]
        axis.bar(xs, values, bottom=bottom, label=source, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axis.axhspan(
        target * (1 - tolerance), target * (1 + tolerance), color="#2ca02c", alpha=0.2, label=f"±{tolerance:.0%}"
    )
    axis.axhline(target, color="#2ca02c", linewidth=1, label="tokens_per_shard")
    axis.yaxis.set_major_formatter(_TOKEN_AXIS)
    axis.set_xlabel("shard")
    axis.set_ylabel("tokens")
    axis.set_title("Shard balance")
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    _save(figure, path)
