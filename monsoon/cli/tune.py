"""`monsoon tune`: what each junk rule and quality threshold of one language removes on a sample."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monsoon.languages import RECIPES


def cmd_tune(args: argparse.Namespace) -> int:
    from monsoon.tune import tune

    output = Path(args.output or f"out/tune/{args.language}")
    try:
        quality = (args.quality_model, args.label, args.min_score) if args.quality_model else None
        summary, report = tune(args.language, args.sample, args.set or [], output, args.recipe, quality)
    except ValueError as error:
        print(f"monsoon tune: {error}", file=sys.stderr)
        return 1
    print(summary)
    print(f"\nreport: {report} (sweeps: {report.parent / 'sweeps.png'})")
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    tune = commands.add_parser(
        "tune",
        help="what each junk rule and quality threshold of one language removes on a sample (HTML report, sweeps)",
        description="Compute every signal of LANGUAGE's junk rules (`junk.filters`: lexicon entries and their share"
        " of characters, broken text) and quality filters on a sample and report, per bound, the share of documents"
        " it removes alone and in the pipeline's order (junk rules first), a sweep of removal rate against the"
        " threshold (PNG), and the kept and dropped documents nearest each threshold.",
        epilog="examples:\n"
        "  monsoon tune tha_Thai --sample sample/warc\n"
        "  monsoon tune tha_Thai --sample thai.jsonl --set fineweb_quality.max.char_dup_ratio=0.05\n"
        "  monsoon tune tha_Thai --sample thai.jsonl --set junk_lexicon.max.gambling_terms=3\n"
        "  monsoon tune jpn_Jpan --sample out/sample/_work/intermediate/jpn_Jpan/00000.parquet\n"
        "  monsoon tune tha_Thai --sample thai.jsonl --quality-model models/tha.bin --min-score 0.3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tune.add_argument("language", metavar="LANGUAGE", help="language code, e.g. tha_Thai")
    tune.add_argument(
        "--sample",
        required=True,
        metavar="PATH",
        help="JSONL(.gz) with a `text` field, parquet with a `text` column, or WARC file/folder (extracted and"
        " language-identified by the pipeline's steps first)",
    )
    tune.add_argument(
        "--set",
        action="append",
        metavar="FAMILY.min|max.SIGNAL=VALUE",
        help="try a threshold (quality or junk) without editing the language YAML (repeatable)",
    )
    tune.add_argument("--output", metavar="DIR", help="report folder (default: out/tune/LANGUAGE)")
    tune.add_argument(
        "--recipe",
        choices=RECIPES,
        default="monsoon",
        help="monsoon: with the language file's deviations (marked *); fineweb2: the published recipe only",
    )
    tune.add_argument(
        "--quality-model",
        metavar="MODEL",
        help="a `monsoon quality train` model: its score distribution on the documents the filters keep, the"
        " buckets with an example each, and what each min_score would remove",
    )
    tune.add_argument("--label", default="hq", help="the model's positive label (default: hq)")
    tune.add_argument("--min-score", type=float, metavar="X", help="mark this min_score in the removal table")
    tune.set_defaults(handler=cmd_tune)
