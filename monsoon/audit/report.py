"""`monsoon audit`: one report, as HTML and as Markdown, with PNG plots, on where every record read went.

Sections: reconciliation (read = kept + dropped + errored, in total and per language; kept documents and
tokens = the rows and token counts in the parquet), the funnel in documents and tokens, drop reasons, documents
and tokens matching each decontamination benchmark, tokens per language x quality bucket with the best and worst
scored documents, kept documents by language and source, and optionally tokens
against a mix table's targets and the balance of shards built by `mix build` (checked against their manifest:
sha256, documents, tokens per source).
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from monsoon import storage
from monsoon.accounting import UNDETERMINED, _stat_total, unaccounted
from monsoon.audit import plots
from monsoon.audit.funnel import language_funnel, stage_of, total_funnel
from monsoon.mix.build import MANIFEST, TOLERANCE, rehydration_note, tokens_by_source
from monsoon.mix.plan import plan_table
from monsoon.mix.table import human, load_table
from monsoon.quality.model import SIGNAL
from monsoon.stages.decontamination import DOCS_STAT, REASON_PREFIX, TOKENS_STAT


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[object]]  # ints are right-aligned and printed with thousands separators


@dataclass
class Image:
    file: str
    alt: str


@dataclass
class Report:
    summary: list[str]  # the reconciliation lines, also printed by the command
    reconciled: bool


def _cell(value: object) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _kept_by_source(out_dir: str | Path, languages: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """(language, source) -> (documents, tokens) in OUT_DIR/<language>/*.parquet."""
    kept: dict[tuple[str, str], tuple[int, int]] = {}
    for language in languages:
        for path in storage.glob(storage.join(out_dir, language, "*.parquet")):
            table = storage.read_parquet(path, columns=["source", "token_count"])
            for group in (
                table.group_by("source").aggregate([("token_count", "sum"), ("token_count", "count")]).to_pylist()
            ):
                docs, tokens = kept.get((language, group["source"]), (0, 0))
                kept[(language, group["source"])] = (
                    docs + group["token_count_count"],
                    tokens + (group["token_count_sum"] or 0),
                )
    return kept


def _reconciliation(accounting: dict, kept: dict) -> tuple[list[str], bool, Table]:
    total = accounting["total"]
    missing = unaccounted(total)
    dropped, errored = sum(total["dropped"].values()), sum(total["errored"].values())
    lines = [
        f"{total['read']:,} records read = {total['kept']:,} kept + {dropped:,} dropped + {errored:,} errored"
        + (": every input record accounted for" if missing == 0 else f": {missing:,} records NOT accounted for")
    ]
    ok = missing == 0
    rows, mismatched = [], []
    for language, bucket in accounting["languages"].items():
        parquet_docs = sum(d for (lang, _), (d, _) in kept.items() if lang == language)
        parquet_tokens = sum(t for (lang, _), (_, t) in kept.items() if lang == language)
        matches = (parquet_docs, parquet_tokens) == (bucket["kept"], bucket["tokens"]) and unaccounted(bucket) == 0
        if not matches:
            mismatched.append(language)
        rows.append(
            [
                language,
                bucket["read"],
                bucket["kept"],
                sum(bucket["dropped"].values()),
                sum(bucket["errored"].values()),
                parquet_docs,
                bucket["tokens"],
                parquet_tokens,
                "yes" if matches else "NO",
            ]
        )
    parquet_docs = sum(d for d, _ in kept.values())
    parquet_tokens = sum(t for _, t in kept.values())
    if mismatched:
        lines.append(f"the parquet does NOT match the accounting for {', '.join(mismatched)}")
        ok = False
    else:
        lines.append(f"the parquet holds exactly the kept documents: {parquet_docs:,} rows, {parquet_tokens:,} tokens")
    header = [
        "language",
        "read",
        "kept",
        "dropped",
        "errored",
        "parquet rows",
        "tokens kept",
        "parquet tokens",
        "reconciled",
    ]
    return lines, ok, Table(header, rows)


def _steps_table(steps: list) -> Table:
    """One row per stage: what it lost, what remains after it; the first row is where the funnel starts."""
    rows = [[steps[0].stage, None, None, steps[0].docs, steps[0].tokens]]
    rows += [[s.stage, s.lost_docs, s.lost_tokens, s.docs, s.tokens] for s in steps[1:]]
    rows.append(["kept", None, None, steps[-1].docs, steps[-1].tokens])
    return Table(["stage", "documents lost", "tokens lost", "documents remaining", "tokens remaining"], rows)


def _funnel_blocks(accounting: dict, report_dir: Path) -> list:
    steps = total_funnel(accounting)
    plots.funnel(report_dir / "funnel_total.png", "All languages: records read -> kept", steps)
    blocks: list = [
        Heading("Funnel"),
        Paragraph(
            "Documents and tokens remaining after each stage. Tokens are counted right after extraction, so the"
            " records read have none yet. Over all languages the filter families are listed in the order most"
            " languages apply them; each language's own order is in its funnel below."
        ),
        _steps_table(steps),
        Image("funnel_total.png", "Funnel over all languages: documents and tokens remaining after each stage"),
    ]
    for language, bucket in accounting["languages"].items():
        # a language that is no target left entirely at LID: the total funnel shows it
        if language == UNDETERMINED or bucket["read"] == bucket["dropped"].get("not_target_language", 0):
            continue
        language_steps = language_funnel(language, bucket)
        plots.funnel(report_dir / f"funnel_{language}.png", f"{language}: identified -> kept", language_steps)
        blocks += [
            Heading(f"Funnel of {language}", 3),
            _steps_table(language_steps),
            Image(f"funnel_{language}.png", f"Funnel of {language}: documents and tokens after each stage"),
        ]
    return blocks


def _drop_blocks(accounting: dict, report_dir: Path) -> list:
    rows, by_reason = [], {}
    for language, bucket in accounting["languages"].items():
        for outcome in ("dropped", "errored"):
            for reason, docs in sorted(bucket[outcome].items(), key=lambda kv: (-kv[1], kv[0])):
                tokens = bucket[f"{outcome}_tokens"].get(reason)
                share = f"{100 * docs / bucket['read']:.1f}%" if bucket["read"] else "—"
                rows.append([language, stage_of(bucket["steps"][reason]), reason, outcome, docs, tokens, share])
                name = reason if outcome == "dropped" else f"{reason} (errored)"
                previous = by_reason.get(name, (0, 0))
                by_reason[name] = (previous[0] + docs, previous[1] + (tokens or 0))
    if not rows:
        return [Heading("Drop reasons"), Paragraph("No document was dropped or errored.")]
    top = sorted(((name, d, t) for name, (d, t) in by_reason.items()), key=lambda r: (-r[1], r[0]))[:20]
    plots.drop_reasons(report_dir / "drop_reasons.png", top)
    return [
        Heading("Drop reasons"),
        Paragraph("Tokens are unknown (—) for documents that left before extraction."),
        Table(
            ["language", "stage", "reason", "outcome", "documents", "tokens", "share of the language's documents"], rows
        ),
        Image("drop_reasons.png", "Documents dropped or errored per reason, all languages"),
    ]


def _mask_blocks(accounting: dict) -> list:
    """Personal-data masks in the kept text, per kind and language (accounting `masked`)."""
    masked = {language: bucket.get("masked", {}) for language, bucket in accounting["languages"].items()}
    kinds = sorted({kind for counts in masked.values() for kind in counts})
    if not kinds:
        return [Heading("Personal-data masks"), Paragraph("No personal data was masked in the kept documents.")]
    rows = [[language, *(counts.get(kind, 0) for kind in kinds)] for language, counts in masked.items() if counts]
    return [Heading("Personal-data masks"), Table(["language", *kinds], rows)]


def _fetch_blocks(accounting: dict) -> list:
    """The run's remote reads (accounting `fetch`, monsoon/fetch.py), when it read remote inputs."""
    fetch = accounting.get("fetch")
    if not fetch:
        return []
    retries = ", ".join(f"{cause} {n}" for cause, n in sorted(fetch["retries"].items())) or "none"
    row = [
        fetch["requests"],
        round(fetch["bytes"] / 1e6, 1),
        retries,
        fetch["wait_seconds"],
        fetch.get("stalled_seconds", 0.0),  # not in the accounting of a run before it was counted
        fetch["failed_inputs"],
    ]
    headers = ["requests", "MB", "retries by cause", "seconds waiting", "seconds readers held up", "failed inputs"]
    table = Table(headers, [row])
    blocks = [Heading("Remote reads"), table]
    if fetch["failed_inputs"]:
        blocks.append(Paragraph("Inputs failed for good are listed in _work/failed_inputs.jsonl: rerun the run."))
    return blocks


def _benchmark_counters(out_dir: str | Path) -> dict[str, list[int]]:
    """benchmark -> [documents, tokens] that matched it, from the decontamination step's counters in the documents
    stage's per-rank stats (every benchmark has them, 0 when nothing matched)."""
    counters: dict[str, list[int]] = {}
    for path in storage.glob(storage.join(out_dir, "_work", "logs", "*", "stats", "*.json")):
        for step in json.loads(storage.read_text(path)):
            for key, value in step.get("stats", {}).items():
                for column, prefix in enumerate((DOCS_STAT, TOKENS_STAT)):
                    if key.startswith(prefix):
                        counters.setdefault(key.removeprefix(prefix), [0, 0])[column] += _stat_total(value)
    return counters


def _benchmark_blocks(accounting: dict, out_dir: str | Path) -> list:
    """Documents and tokens per decontamination benchmark: dropped ones from the accounting (reason
    `benchmark_contamination:<name>`), tagged ones (action `tag`) from the step's counters."""
    total = accounting["total"]
    dropped = {
        reason.removeprefix(REASON_PREFIX): (docs, total["dropped_tokens"].get(reason, 0))
        for reason, docs in total["dropped"].items()
        if reason.startswith(REASON_PREFIX)
    }
    counters = _benchmark_counters(out_dir)
    if not dropped and not counters:
        return []  # the run checked no benchmarks
    rows = []
    for name in sorted(set(dropped) | set(counters)):
        if name in dropped:
            rows.append([name, "dropped", *dropped[name]])
        else:
            docs, tokens = counters[name]
            rows.append([name, "tagged" if docs else "none matched", docs, tokens])
    return [
        Heading("Benchmark contamination"),
        Paragraph(
            "Documents sharing a token n-gram with a benchmark's items. Dropped: reason benchmark_contamination:<name>"
            " in the accounting. Tagged: kept with quality_signals.decontamination.benchmark_ngrams > 0, counted"
            " before near-duplicate removal."
        ),
        Table(["benchmark", "outcome", "documents", "tokens"], rows),
    ]


_EXAMPLES = 3  # documents shown from each end of a language's quality ranking
_EXAMPLE_CHARS = 160


def _quality_examples(scored: list[tuple[float, str, str]]) -> list[list[object]]:
    """The best and the worst scored documents ((score, file, id)), with their url and opening text."""
    ranked = sorted(scored, reverse=True)
    chosen = [("top", item) for item in ranked[:_EXAMPLES]]
    chosen += [("bottom", item) for item in ranked[max(_EXAMPLES, len(ranked) - _EXAMPLES) :]]
    rows = []
    for end, (score, path, doc_id) in chosen:  # the text of the chosen documents only
        table = storage.read_parquet(path, columns=["id", "url", "text", "quality_bucket"]).to_pylist()
        doc = next(row for row in table if row["id"] == doc_id)
        opening = " ".join((doc["text"] or "").split())[:_EXAMPLE_CHARS]
        rows.append([end, doc["quality_bucket"], f"{score:.3f}", doc["url"] or doc_id, opening])
    return rows


def _quality_blocks(accounting: dict, out_dir: str | Path) -> list:
    """Tokens per language x quality bucket (cut points from the accounting), with the best and worst documents."""
    scored_languages = {
        code: b["quality_buckets"] for code, b in accounting["languages"].items() if "quality_buckets" in b
    }
    if not scored_languages:
        return []
    blocks: list = [
        Heading("Quality buckets"),
        Paragraph(
            "Kept documents per language and quality bucket: the top share of the language's ranking by its quality"
            " model's score (quality_signals.quality_model.score) the document is in, from the cut points in"
            " accounting.json (a bucket's lowest score)."
        ),
    ]
    rows, examples = [], []
    for language, buckets in scored_languages.items():
        counts: dict[int, list[int]] = {}
        scored: list[tuple[float, str, str]] = []
        for path in storage.glob(storage.join(out_dir, language, "*.parquet")):
            table = storage.read_parquet(path, columns=["id", "token_count", "quality_bucket", "quality_signals"])
            for row in table.to_pylist():
                if row["quality_bucket"] is None:
                    continue
                docs_tokens = counts.setdefault(row["quality_bucket"], [0, 0])
                docs_tokens[0] += 1
                docs_tokens[1] += row["token_count"] or 0
                scored.append((row["quality_signals"][SIGNAL], path, row["id"]))
        total = sum(tokens for _, tokens in counts.values()) or 1
        previous = 0
        for edge, cut in sorted((int(e), c) for e, c in buckets["cut_points"].items()):
            docs, tokens = counts.get(edge, [0, 0])
            rows.append([language, f"{previous}-{edge}%", f"{cut:.3f}", docs, tokens, f"{tokens / total:.1%}"])
            previous = edge
        examples += [[language, *row] for row in _quality_examples(scored)]
    blocks.append(Table(["language", "bucket", "lowest score", "documents", "tokens", "share of tokens"], rows))
    blocks.append(Heading("Best and worst scored documents", 3))
    blocks.append(Table(["language", "end", "bucket", "score", "url", "opening text"], examples))
    return blocks


def _mix_blocks(mix: str, out_dir: str | Path, report_dir: Path) -> list:
    table = load_table(mix)
    plans, _ = plan_table(table, out_dir)
    rows = [
        [
            p.row.source,
            p.row.origin,
            p.wanted if p.wanted is not None else "all",
            p.available,
            f"{100 * p.available / p.wanted:.1f}%" if p.wanted else "—",
            p.short,
            str(p.row.multiplier),
        ]
        for p in plans
    ]
    plots.mix_targets(report_dir / "mix_targets.png", [(p.row.source, p.wanted, p.available) for p in plans])
    short = sum(1 for p in plans if p.short)
    return [
        Heading(f"Tokens against the mix table ({table.name})"),
        Paragraph(
            f"Unique tokens each row asks against the tokens its source holds (parquet token counts); {short} of"
            f" {len(plans)} rows short. `monsoon mix plan` estimates the crawl that would close the gaps."
        ),
        Table(
            [
                "source",
                "from",
                "asked (unique tokens)",
                "available tokens",
                "available / asked",
                "short by",
                "multiplier",
            ],
            rows,
        ),
        Image("mix_targets.png", "Unique tokens asked against tokens available, per mix row"),
    ]


def _shard_problem(path: Path, shard: dict) -> str | None:
    """What is wrong with a shard file against its manifest entry (None: nothing)."""
    if not path.exists():
        return "missing"
    if hashlib.sha256(path.read_bytes()).hexdigest() != shard["sha256"]:
        return "sha256 differs from the manifest"
    table = pq.read_table(path, columns=["mix_source", "token_count"])
    if table.num_rows != shard["docs"] or tokens_by_source(table) != shard["tokens_by_source"]:
        return "documents or tokens per source differ from the manifest"
    return None


def _shard_blocks(shards_dir: Path, report_dir: Path) -> tuple[list, list[str], bool]:
    """The shards against their manifest: every file present, its sha256, documents and tokens per source."""
    manifest = json.loads((shards_dir / MANIFEST).read_text(encoding="utf-8"))
    target = manifest["tokens_per_shard"]
    problems, rows = [], []
    for shard in manifest["shards"]:
        problem = _shard_problem(shards_dir / shard["file"], shard)
        if problem:
            problems.append(f"{shard['file']}: {problem}")
        deviation = (shard["tokens"] - target) / target
        rows.append(
            [
                shard["file"],
                shard["docs"],
                shard["tokens"],
                f"{deviation:+.2%}",
                "yes" if abs(deviation) <= TOLERANCE else "no",
                ", ".join(f"{source} {human(tokens)}" for source, tokens in shard["tokens_by_source"].items()),
                problem or "matches the manifest",
            ]
        )
    within = sum(1 for row in rows if row[4] == "yes")
    lines = [
        f"{len(manifest['shards'])} shards in {shards_dir}: "
        + ("all match their manifest (sha256, documents, tokens per source)" if not problems else "; ".join(problems))
    ]
    plots.shard_balance(report_dir / "shard_balance.png", manifest["shards"], target, float(TOLERANCE))
    weights = manifest.get("rehydration")  # manifests of builds before rehydration existed have no key
    sources = Table(
        [
            "source",
            "from",
            "asked (unique)",
            "unique tokens taken",
            "multiplier",
            "tokens in shards",
            "documents in shards",
            "rehydration",
        ],
        [
            [
                s["source"],
                s["from"],
                "all" if s["wanted_unique_tokens"] is None else s["wanted_unique_tokens"],
                s["unique_tokens"],
                s["multiplier"],
                s["tokens"],
                s["docs"],
                f"{s['tokens_before_rehydration']:,} tokens before; {rehydration_note(s)}" if weights else "off",
            ]
            for s in manifest["sources"]
        ],
    )
    rehydration = (
        "Rehydrated as FineWeb-2: each taken document's copies times "
        + ", ".join(f"{w} for clusters of {size}+" for size, w in weights.items())
        + " documents."
        if weights
        else "Not rehydrated."
    )
    blocks = [
        Heading("Shards"),
        Paragraph(
            f"{manifest['table']}: {len(rows)} shards, {manifest['tokens']:,} tokens, tokens_per_shard {target:,}"
            f" (seed {manifest['seed']}); {within} of {len(rows)} within ±{TOLERANCE:.0%}. {lines[0]}. {rehydration}"
        ),
        sources,
        Table(
            [
                "file",
                "documents",
                "tokens",
                "vs tokens_per_shard",
                f"within ±{TOLERANCE:.0%}",
                "tokens by source",
                "file check",
            ],
            rows,
        ),
        Image("shard_balance.png", "Tokens per shard, stacked by source, against tokens_per_shard"),
    ]
    return blocks, lines, not problems


def write_report(out_dir: str | Path, report_dir: Path, mix: str | None = None, shards: str | None = None) -> Report:
    """Write report.html, report.md and their plots to `report_dir` (local); `out_dir` is local or a URI."""
    accounting_path = storage.join(out_dir, "accounting.json")
    if not storage.exists(accounting_path):
        raise FileNotFoundError(f"{accounting_path} not found: is {out_dir} a monsoon output?")
    accounting = json.loads(storage.read_text(accounting_path))
    report_dir.mkdir(parents=True, exist_ok=True)

    kept = _kept_by_source(out_dir, list(accounting["languages"]))
    summary, reconciled, by_language = _reconciliation(accounting, kept)
    shard_blocks: list = []
    if shards:  # first: its check belongs in the reconciliation at the top
        shard_blocks, shard_lines, shards_ok = _shard_blocks(Path(shards), report_dir)
        summary += shard_lines
        reconciled = reconciled and shards_ok
    blocks: list = [
        Heading(f"monsoon audit: {out_dir}", 1),
        Heading("Reconciliation"),
        *(Paragraph(line) for line in summary),
        by_language,
    ]
    blocks += _funnel_blocks(accounting, report_dir)
    blocks += _drop_blocks(accounting, report_dir)
    blocks += _benchmark_blocks(accounting, out_dir)
    blocks += _mask_blocks(accounting)
    blocks += _fetch_blocks(accounting)
    blocks += _quality_blocks(accounting, out_dir)
    blocks += [
        Heading("Kept documents by language and source"),
        Table(
            ["language", "source", "documents", "tokens", "tokens per document"],
            [[lang, source, d, t, round(t / d) if d else 0] for (lang, source), (d, t) in sorted(kept.items())],
        ),
    ]
    if mix:
        blocks += _mix_blocks(mix, out_dir, report_dir)
    blocks += shard_blocks
    title = f"monsoon audit: {out_dir}"
    (report_dir / "report.html").write_text(render_html(title, blocks), encoding="utf-8")
    (report_dir / "report.md").write_text(render_markdown(blocks), encoding="utf-8")
    return Report(summary, reconciled)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.8em 0 1.6em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0 1.5em; }
"""


def render_html(title: str, blocks: list) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Table):
            parts.append(
                "<table><thead><tr>"
                + "".join(f"<th>{html.escape(h)}</th>" for h in block.header)
                + "</tr></thead><tbody>"
            )
            for row in block.rows:
                cells = "".join(
                    f'<td class="num">{_cell(v)}</td>' if isinstance(v, int) else f"<td>{html.escape(_cell(v))}</td>"
                    for v in row
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</tbody></table>")
        elif isinstance(block, Image):
            parts.append(f'<img src="{html.escape(block.file)}" alt="{html.escape(block.alt)}">')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render_markdown(blocks: list) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Table):
            lines = [
                "| " + " | ".join(block.header) + " |",
                "|"
                + "|".join(
                    "---:" if any(isinstance(row[i], int) for row in block.rows) else "---"
                    for i in range(len(block.header))
                )
                + "|",
            ]
            lines += ["| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |" for row in block.rows]
            parts.append("\n".join(lines))
        elif isinstance(block, Image):
            parts.append(f"![{block.alt}]({block.file})")
    return "\n\n".join(parts) + "\n"
