"""`monsoon tune LANG --sample PATH`: what each junk rule and quality threshold of one language removes, on a sample.

Every signal of every junk and quality filter family of the language is computed for every sample document (not
only up to the first failing bound), so each bound can be judged alone, in the pipeline's order (the junk rules'
signal bounds, `junk.filters`, before the quality filters), and swept over its range. The junk rules on the URL
(blocklist, host words) are not shown: they have no threshold, and a text sample carries no URL.
The report (HTML + a PNG of the sweeps) shows, per bound: the share of documents it removes alone and in
sequence, the removal rate against the threshold value, and the kept and dropped documents nearest it.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monsoon import fetch
from monsoon.filters import FAMILIES, validate_filters
from monsoon.languages import Bounds, Language, breaks, get_language

SNIPPET_CHARS = 400
NEAREST = 2  # kept and dropped examples shown per bound
RULES_HEADINGS = {
    "junk": "junk rules (stages/junk.py: lexicon entries found and their share of characters, broken text):",
    "quality": "quality filters (after the junk rules):",
}


@dataclass(frozen=True)
class Bound:
    family: str
    signal: str
    side: str  # "min" or "max"
    value: float
    zero_is_off: bool = False  # the family reads a 0 bound as "no check" (datatrove's Gopher filters)
    deviation: str | None = None  # why monsoon departs here from the published recipe, if it does
    rules: str = "quality"  # "junk" (the language's `junk.filters`, stages/junk.py) or "quality" (its `filters`)

    @property
    def key(self) -> str:
        return f"{self.family}.{self.side}.{self.signal}"

    def breaks(self, value: float) -> bool:
        return breaks(self.side, self.value, value, self.zero_is_off)


def with_overrides(language: Language, assignments: list[str]) -> Language:
    """The language with `family.min|max.signal=value` assignments applied (as `--set` gives them)."""

    def copied(bounds: dict[str, Bounds]) -> dict[str, Bounds]:
        return {family: Bounds(dict(b.min), dict(b.max)) for family, b in bounds.items()}

    filters, junk = copied(language.filters), copied(junk_filters(language))
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        parts = key.strip().split(".")
        if not sep or len(parts) != 3 or parts[1] not in ("min", "max"):
            raise ValueError(f"--set {assignment!r}: expected FAMILY.min|max.SIGNAL=VALUE")
        family, side, signal = parts
        if family not in filters and family not in junk:
            raise ValueError(f"--set {assignment!r}: {language.code} has no filter or junk rule {family!r}")
        getattr((filters if family in filters else junk)[family], side)[signal] = float(raw)
    changed = dataclasses.replace(language, filters=filters)
    validate_filters(changed)
    if language.junk:
        changed = dataclasses.replace(changed, junk=dataclasses.replace(language.junk, filters=junk))
        validate_filters(dataclasses.replace(changed, filters=junk, deviations=[]))  # the junk families too
    return changed


def junk_filters(language: Language) -> dict[str, Bounds]:
    return language.junk.filters if language.junk else {}


def bounds_of(language: Language) -> list[Bound]:
    """Every bound, in the order the pipeline checks them: the junk rules' bounds, then the quality filters'
    (family order, then the family's signal order). The junk step reads a 0 bound as a bound (stages/junk.py)."""
    found = []
    for rules, filters in (("junk", junk_filters(language)), ("quality", language.filters)):
        for family, bounds in filters.items():
            for signal in FAMILIES[family].signals:
                for side in ("min", "max"):
                    if signal in getattr(bounds, side):
                        deviation = language.deviation_of(family, side, signal) if rules == "quality" else None
                        found.append(
                            Bound(
                                family,
                                signal,
                                side,
                                getattr(bounds, side)[signal],
                                FAMILIES[family].zero_is_off and rules == "quality",
                                deviation.why if deviation else None,
                                rules,
                            )
                        )
    return found


def read_sample(path: str | Path, language: Language) -> Iterator[str]:
    """Texts of a sample: `.jsonl[.gz]` (a `text` field per line), `.parquet` (a `text` column; rows of other
    languages skipped when there is a `language` column), or WARC files (a file or folder), which go through the
    pipeline's steps up to language identification and keep the documents identified as the language. Local
    or a URI (s3://...)."""
    name = str(path).rsplit("/", 1)[-1]
    if name.endswith((".jsonl", ".jsonl.gz")):
        with fetch.open_text(str(path)) as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)["text"]
    elif name.endswith(".parquet"):
        from monsoon import storage

        columns = [name for name in ("text", "language") if name in storage.parquet_file(path).schema_arrow.names]
        table = storage.read_parquet(path, columns=columns)
        languages = table["language"].to_pylist() if "language" in table.column_names else None
        for i, text in enumerate(table["text"].to_pylist()):
            if languages is None or languages[i] == language.code:
                yield text
    else:
        yield from _texts_from_warcs(path, language)


def _texts_from_warcs(path: str | Path, language: Language) -> Iterator[str]:
    from monsoon.config import RunConfig
    from monsoon.pipelines.plan import identification_stage, pipe

    config = RunConfig(input=str(path), output=str(path), languages=[language.code])
    for doc in pipe(identification_stage(config)):
        yield doc.text


def signal_table(texts: list[str], language: Language) -> list[dict[str, float]]:
    """`family.signal` -> value for each text (every junk and quality family of the language, every signal; the
    junk families read the text as language identification leaves it, each quality family the text as the families
    before it leave it, as in the pipeline)."""
    rows = []
    for text in texts:
        row = {}
        for family in junk_filters(language):
            row.update({f"{family}.{name}": float(v) for name, v in FAMILIES[family].compute(text, language).items()})
        for family in language.filters:
            row.update({f"{family}.{name}": float(v) for name, v in FAMILIES[family].compute(text, language).items()})
            text = FAMILIES[family].rewrite(text, language)
        rows.append(row)
    return rows


def first_broken(row: dict[str, float], bounds: list[Bound]) -> Bound | None:
    return next((b for b in bounds if b.breaks(row[f"{b.family}.{b.signal}"])), None)


def _nearest(indices: list[int], values: list[float], threshold: float, texts: list[str]) -> list[dict]:
    closest = sorted(indices, key=lambda i: (abs(values[i] - threshold), i))[:NEAREST]
    return [{"value": values[i], "text": texts[i][:SNIPPET_CHARS]} for i in closest]


def summarise(
    texts: list[str], rows: list[dict[str, float]], bounds: list[Bound], first: list[Bound | None]
) -> list[dict]:
    """Per bound: removed alone, removed in sequence (`first`: each document's first bound broken), and the
    nearest kept/dropped docs."""
    summary = []
    for bound in bounds:
        column = f"{bound.family}.{bound.signal}"
        values = [row[column] for row in rows]
        broken = [i for i, v in enumerate(values) if bound.breaks(v)]
        passing = [i for i, v in enumerate(values) if not bound.breaks(v)]

        summary.append(
            {
                "bound": bound,
                "alone": len(broken) / len(rows),
                "in_sequence": sum(b == bound for b in first) / len(rows),
                "values": values,
                "kept_nearest": _nearest(passing, values, bound.value, texts),
                "dropped_nearest": _nearest(broken, values, bound.value, texts),
            }
        )
    return summary


def removal_curve(values: list[float], side: str, points: int = 60) -> tuple[list[float], list[float]]:
    """(thresholds, share removed alone) across the range of the observed values."""
    ordered = sorted(values)
    low, high = ordered[0], ordered[-1]
    thresholds = [low + (high - low) * i / (points - 1) for i in range(points)] if high > low else [low]
    n = len(values)
    if side == "min":
        return thresholds, [sum(v < t for v in ordered) / n for t in thresholds]
    return thresholds, [sum(v > t for v in ordered) / n for t in thresholds]


def plot_sweeps(summary: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    columns = 4
    rows = (len(summary) + columns - 1) // columns
    figure = Figure(figsize=(4 * columns, 2.8 * rows))
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis, entry in zip(axes.flat, summary, strict=False):
        bound = entry["bound"]
        thresholds, removed = removal_curve(entry["values"], bound.side)
        axis.plot(thresholds, removed, color="#1f77b4")
        axis.axvline(bound.value, color="#d62728", linestyle="--", label=f"{bound.side} = {bound.value:g}")
        axis.set_title(f"{bound.family}\n{bound.signal} ({bound.side})", fontsize=9)
        axis.set_ylim(0, 1)
        axis.set_ylabel("share removed alone", fontsize=8)
        axis.legend(fontsize=7)
    for axis in list(axes.flat)[len(summary) :]:
        axis.set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=90, metadata={"Software": None})


def format_summary(language: Language, documents: int, summary: list[dict], kept: int, recipe: str) -> str:
    lines = [
        f"{language.code} (recipe {recipe}): {documents} documents, {kept} pass every bound ({kept / documents:.1%})",
        f"{'bound':<52} {'value':>10} {'alone':>7} {'in seq.':>8}",
    ]
    whys = {}
    for i, entry in enumerate(summary):
        bound = entry["bound"]
        if i == 0 or summary[i - 1]["bound"].rules != bound.rules:
            lines.append(RULES_HEADINGS[bound.rules])
        mark = " *" if bound.deviation else ""
        lines.append(f"{bound.key:<52} {bound.value:>10g} {entry['alone']:>7.1%} {entry['in_sequence']:>8.1%}{mark}")
        if bound.deviation:
            whys.setdefault(bound.deviation, bound.family)
    for why in whys:
        lines.append(f"* deviation from the published recipe: {why}")
    return "\n".join(lines)


def write_report(
    language: Language,
    sample: str | Path,
    overrides: list[str],
    summary: list[dict],
    kept: int,
    documents: int,
    output: Path,
) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    plot_sweeps(summary, output / "sweeps.png")
    esc = html.escape
    rows = "".join(
        f"<tr><td>{e['bound'].rules}</td><td>{esc(e['bound'].family)}</td><td>{esc(e['bound'].signal)}</td>"
        f"<td>{e['bound'].side}</td>"
        f"<td>{e['bound'].value:g}</td><td>{e['alone']:.1%}</td><td>{e['in_sequence']:.1%}</td>"
        f"<td>{esc(e['bound'].deviation or '')}</td></tr>"
        for e in summary
    )

    def examples(entries: list[dict], kind: str) -> str:
        items = "".join(f"<li><b>{e['value']:.4g}</b> <span class=t>{esc(e['text'])}</span></li>" for e in entries)
        return f"<p>{kind}:</p><ul>{items or '<li>none</li>'}</ul>"

    nearest = "".join(
        f"<h3>{esc(e['bound'].key)} = {e['bound'].value:g}</h3>"
        + examples(e["kept_nearest"], "kept, nearest the threshold")
        + examples(e["dropped_nearest"], "dropped, nearest the threshold")
        for e in summary
    )
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>monsoon tune {language.code}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}td:nth-child(-n+3){{text-align:left}}
.t{{color:#444;font-size:90%}}</style></head><body>
<h1>monsoon tune: {esc(language.name)} ({language.code})</h1>
<p>Sample <code>{esc(str(sample))}</code>: {documents} documents; {kept} ({kept / documents:.1%}) pass every bound.
Overrides: {esc(", ".join(overrides) or "none")}.</p>
<h2>What each bound removes</h2><p>alone: share of the sample outside this bound; in sequence: share dropped by
this bound in the pipeline's order, the junk rules first (the reason it would be counted under).</p>
<table><tr><th>rules</th><th>family</th><th>signal</th><th>side</th><th>threshold</th><th>alone</th><th>in sequence</th>
<th>deviation from the published recipe (why)</th></tr>
{rows}</table>
<h2>Threshold sweeps</h2><p>Share of the sample each bound removes alone, against the threshold; the dashed line is
the current value.</p><img src="sweeps.png" alt="removal rate against threshold, one panel per bound">
<h2>Documents nearest each threshold</h2>{nearest}
</body></html>
"""
    (output / "report.html").write_text(page, encoding="utf-8")
    return output / "report.html"


def quality_section(
    texts: list[str], language: Language, model: str, label: str, min_score: float | None, edges: list[int]
) -> str:
    """What a quality model makes of the documents the filters keep: the score distribution, the cut points and one
    example per bucket (as a run's `quality_buckets`), and the share of documents each `min_score` would remove."""
    from monsoon.quality.buckets import bucket_of, cut_points
    from monsoon.quality.model import model_text, score_of
    from monsoon.stages.lid import load_model

    loaded = load_model(model)
    scores = [score_of(loaded, model_text(text, language), label) for text in texts]
    if not scores:
        return "quality model: no document passes the filters to score"
    ranked = sorted(scores)
    quantiles = "  ".join(
        f"p{q}={ranked[min(len(ranked) - 1, len(ranked) * q // 100)]:.3f}" for q in (0, 10, 25, 50, 75, 90)
    )
    lines = [
        f"quality model {model} (label {label}) on the {len(scores)} documents the filters keep:",
        f"  scores: {quantiles}  max={ranked[-1]:.3f}",
    ]
    cuts = cut_points(scores, edges)
    buckets = [bucket_of(score, cuts) for score in scores]
    previous = 0
    for edge in edges:
        members = [i for i, bucket in enumerate(buckets) if bucket == edge]
        example = " ".join(texts[members[0]].split())[:80] if members else ""
        lines.append(
            f"  bucket {f'{previous}-{edge}%':<8} lowest score {cuts[edge]:.3f}  {len(members):>5} docs  e.g. {example}"
        )
        previous = edge
    thresholds = sorted({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, *([min_score] if min_score is not None else [])})
    lines.append("  min_score would remove:")
    for threshold in thresholds:
        removed = sum(score < threshold for score in scores)
        mark = "  <- --min-score" if threshold == min_score else ""
        lines.append(f"    {threshold:.2f}: {removed:>5} docs ({removed / len(scores):.1%}){mark}")
    return "\n".join(lines)


def tune(
    code: str,
    sample: str | Path,
    overrides: list[str],
    output: Path,
    recipe: str = "monsoon",
    quality: tuple[str, str, float | None] | None = None,
) -> tuple[str, Path]:
    """Run the analysis with a recipe's filters ("monsoon": with the language file's deviations, marked;
    "fineweb2": without); with `quality` (model, label, min_score), also what the model makes of the documents the
    filters keep. Returns (text summary, report path)."""
    language = with_overrides(get_language(code).for_recipe(recipe), overrides)
    texts = list(read_sample(sample, language))
    if not texts:
        raise ValueError(f"no {code} documents in {sample}")
    rows = signal_table(texts, language)
    bounds = bounds_of(language)
    first = [first_broken(row, bounds) for row in rows]
    summary = summarise(texts, rows, bounds, first)
    kept = first.count(None)
    report = write_report(language, sample, overrides, summary, kept, len(texts), output)
    text = format_summary(language, len(texts), summary, kept, recipe)
    if quality:
        from monsoon.config import RunConfig

        edges = RunConfig.__dataclass_fields__["quality_buckets"].default_factory()
        kept_texts = [t for t, broken in zip(texts, first, strict=True) if broken is None]
        text += "\n\n" + quality_section(kept_texts, language, *quality, edges)
    return text, report
