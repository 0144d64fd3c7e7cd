"""`monsoon audit` on a real run (the shared WARC samples): the reconciliation of every record read, the funnel,
drop reasons, mix targets and shard balance, as HTML rendered by headless Chromium and as Markdown."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli, run_job, shared
from PIL import Image

from monsoon.audit.funnel import language_funnel, total_funnel
from monsoon.cli import build_parser

CHROMIUM = Path("/usr/bin/chromium")
PLOT_COLOURS = {"documents": (31, 119, 180), "tokens": (255, 127, 14)}  # the funnel bars


def monsoon(capsys, *argv: str) -> tuple[int, str, str]:
    return run_cli(capsys, *argv)


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> dict:
    """The WARC samples through the pipeline, English built into shards, then audited with mix and shards."""
    root = tmp_path_factory.mktemp("audit")
    accounting, out = run_job(root, shared("warc_samples"))
    table = root / "mix.yaml"
    table.write_text(
        "name: english x2\nunit: K\ntokens_per_shard: 6000\nrows:\n"
        "  - {source: English web, language: eng_Latn, unique: all, multiplier: 2}\n"
        "  - {source: Thai web, language: tha_Thai, unique: 5, multiplier: 1}\n"
    )
    shards = root / "shards"
    parser = build_parser()
    build = parser.parse_args(["mix", "build", str(table), "--from", str(out), "--to", str(shards)])
    assert build.handler(build) == 0
    audit = parser.parse_args(
        ["audit", str(out), "--mix", str(table), "--shards", str(shards), "--to", str(root / "r")]
    )
    return {"accounting": accounting, "out": out, "table": table, "shards": shards, "report": root / "r", "args": audit}


def test_audit_reconciles_every_record_of_a_real_run(audited, capsys):
    args = audited["args"]
    code = args.handler(args)
    out = capsys.readouterr().out
    total = audited["accounting"]["total"]
    dropped, errored = sum(total["dropped"].values()), sum(total["errored"].values())

    assert code == 0
    assert (
        f"{total['read']:,} records read = {total['kept']:,} kept + {dropped:,} dropped + {errored:,} errored:"
        " every input record accounted for" in out
    )
    assert f"the parquet holds exactly the kept documents: {total['kept']:,} rows, {total['tokens']:,} tokens" in out
    assert "all match their manifest (sha256, documents, tokens per source)" in out

    markdown = (audited["report"] / "report.md").read_text()
    for heading in ("## Reconciliation", "## Funnel", "### Funnel of eng_Latn", "## Drop reasons", "## Shards"):
        assert heading in markdown
    assert "## Tokens against the mix table (english x2)" in markdown
    assert f"| kept | — | — | {total['kept']:,} | {total['tokens']:,} |" in markdown
    for reason, docs in audited["accounting"]["languages"]["eng_Latn"]["dropped"].items():
        assert re.search(rf"\| {re.escape(reason)} \| dropped \| {docs} \|", markdown)
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert {
        "funnel_total.png",
        "funnel_eng_Latn.png",
        "drop_reasons.png",
        "mix_targets.png",
        "shard_balance.png",
    } <= set(images)
    for image in images:
        assert (audited["report"] / image).read_bytes().startswith(b"\x89PNG")


def test_report_renders_in_headless_chromium_with_its_tables_and_plots(audited, tmp_path, capsys):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    args = audited["args"]
    args.handler(args)
    capsys.readouterr()
    page = (audited["report"] / "report.html").as_uri()
    chromium = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--hide-scrollbars",
    ]

    dom = subprocess.run([*chromium, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [*chromium, "--window-size=1200,2400", f"--screenshot={screenshot}", page], capture_output=True, timeout=120
    )

    assert dom.count("<table>") >= 8
    assert "every input record accounted for" in dom
    sources = re.findall(r'<img src="([^"]+)"', dom)
    assert {"funnel_total.png", "funnel_eng_Latn.png", "drop_reasons.png", "mix_targets.png"} <= set(sources)
    pixels = Image.open(screenshot).convert("RGB")
    assert pixels.size == (1200, 2400)
    colours = pixels.getcolors(maxcolors=1 << 20)
    present = {name for name, rgb in PLOT_COLOURS.items() if any(count > 500 and c == rgb for count, c in colours)}
    assert present == set(PLOT_COLOURS)  # the funnel plot was loaded and drawn, not just linked


def test_audit_fails_when_the_output_or_the_shards_do_not_reconcile(audited, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(audited["out"], out, ignore=shutil.ignore_patterns("_work"))
    shards = tmp_path / "shards"
    shutil.copytree(audited["shards"], shards)
    next((out / "eng_Latn").glob("*.parquet")).unlink()
    first = json.loads((shards / "manifest.json").read_text())["shards"][0]["file"]
    (shards / first).write_bytes((shards / first).read_bytes()[:-8] + b"tampered")

    code, printed, _ = monsoon(capsys, "audit", str(out), "--shards", str(shards))

    assert code == 1
    assert "the parquet does NOT match the accounting for eng_Latn" in printed
    assert f"{first}: sha256 differs from the manifest" in printed
    assert (out / "audit" / "report.html").exists()


def test_funnel_puts_each_reason_at_its_stage_in_documents_and_tokens():
    empty = {"dropped_tokens": {}, "errored": {}, "errored_tokens": {}}
    thai = {
        **empty,
        "read": 10,
        "kept": 4,
        "tokens": 4000,
        "dropped": {
            "low_language_score": 1,
            "gopher_repetition.dup_line_frac>max": 2,
            "gopher_quality.words<min": 1,
            "near_duplicate": 2,
        },
        "dropped_tokens": {
            "low_language_score": 50,
            "gopher_repetition.dup_line_frac>max": 700,
            "gopher_quality.words<min": 30,
            "near_duplicate": 2100,
        },
        "steps": {
            "low_language_score": "LanguageId",
            "gopher_repetition.dup_line_frac>max": "gopher_repetition",
            "gopher_quality.words<min": "gopher_quality",
            "near_duplicate": "NearDuplicateFilter",
        },
    }
    undetermined = {
        **empty,
        "read": 3,
        "kept": 0,
        "tokens": 0,
        "dropped": {"not_html": 2},
        "errored": {"extract_timeout": 1},
        "steps": {"not_html": "WarcDocumentReader", "extract_timeout": "Extract"},
    }
    german = {
        **empty,
        "read": 2,
        "kept": 0,
        "tokens": 0,
        "dropped": {"not_target_language": 2},
        "dropped_tokens": {"not_target_language": 900},
        "steps": {"not_target_language": "LanguageId"},
    }
    accounting = {
        "total": {"read": 15, "kept": 4, "tokens": 4000},
        "languages": {"deu_Latn": german, "tha_Thai": thai, "und": undetermined},
    }

    thai_steps = [(s.stage, s.docs, s.tokens) for s in language_funnel("tha_Thai", thai)]
    total_steps = {s.stage: (s.lost_docs, s.docs, s.tokens) for s in total_funnel(accounting)}

    assert thai_steps == [
        ("identified", 10, 6880),
        ("LID", 9, 6830),
        ("url_filter", 9, 6830),
        ("junk", 9, 6830),
        ("gopher_repetition", 7, 6130),
        ("fineweb_quality", 7, 6130),
        ("gopher_quality", 6, 6100),
        ("dedup", 4, 4000),
    ]
    assert total_steps["read"] == (0, 15, None)
    assert total_steps["extraction"] == (3, 12, 7780)
    assert total_steps["LID"] == (3, 9, 6830)
    assert total_steps["dedup"] == (2, 4, 4000)
