"""`monsoon mix check | plan | build` and `monsoon audit`: argparse wiring; each handler returns an exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monsoon.cli.options import add_engine_options

MIX_EPILOG = """\
mix table (YAML; or a Markdown / CSV table with SEA-LION's columns, chosen by the file suffix):
  name: my-mix
  unit: B                      # unit of unique/total: tokens, K, M, B, T
  tokenizer: llama3            # optional: refuse sources counted with another tokenizer
  tokens_per_shard: 100000000
  seed: 0
  rehydrate: false             # FineWeb-2's rehydration: copies x weight of the cluster size (see --rehydrate)
  rows:
    - source: Thai web         # the row's name
      language: tha_Thai       # OUT_DIR/tha_Thai/*.parquet (dataset: X keeps rows whose `source` is X)
      unique: 2.28             # unique tokens wanted, or all
      multiplier: 1            # repeats; fractions allowed (0.5 takes half)
      total: "2.28"            # optional, published: checked by `mix check` within its printed
      percentage: "4.75"       #   precision (quoted, YAML keeps trailing zeros: "15.90")
    - source: Wiki - Thai
      parquet: wiki/th/*.parquet   # external parquet (id, text, token_count), relative to the table
      unique: 0.18
      multiplier: 4
  Markdown/CSV header: | Data Source | Unique Tokens (B) | Multiplier | Total Tokens (B) | Percentage (%) |
  (optional Language, Dataset, Parquet columns map rows to sources)

examples:
  monsoon mix check configs/sea_lion_v2.md --strict
  monsoon mix plan configs/sample_mix.yaml --from out/sample
  monsoon mix build configs/sample_mix.yaml --from out/sample --to out/sample_shards
"""

AUDIT_EPILOG = """\
writes REPORT_DIR/report.html, REPORT_DIR/report.md and their PNG plots: per language the funnel (records
read -> extracted -> LID -> each filter -> dedup -> kept, in documents and tokens), drop reasons, tokens
against the mix table's targets, shard balance, and the reconciliation of every record read.
Exit code 1 when the records or the shards do not reconcile.

example:
  monsoon audit out/sample --mix configs/sample_mix.yaml --shards out/sample_shards
"""


def _fail(error: Exception | str) -> int:
    from monsoon.exit_status import FAILED

    print(f"monsoon: {error}", file=sys.stderr)
    return FAILED  # a table or a run that does not fit (2 is a wrong command line: monsoon/exit_status.py)


# Handlers import their modules when they run: `monsoon --help` stays fast.


def cmd_mix_check(args: argparse.Namespace) -> int:
    from monsoon.config import ConfigError
    from monsoon.mix.table import check_table, format_check, load_table

    try:
        table = load_table(args.table)
    except ConfigError as error:
        return _fail(error)
    checks, grand = check_table(table)
    print("\n".join(format_check(table, checks, grand, args.verbose)))
    return 1 if args.strict and any(check.problems for check in checks) else 0


def cmd_mix_plan(args: argparse.Namespace) -> int:
    from monsoon.config import ConfigError
    from monsoon.mix.plan import format_plan, plan_table
    from monsoon.mix.table import MixError, load_table

    try:
        table = load_table(args.table)
        plans, read = plan_table(table, args.from_dir)
    except (ConfigError, MixError) as error:
        return _fail(error)
    print("\n".join(format_plan(table, plans, read, args.from_dir)))
    return 0


def cmd_mix_build(args: argparse.Namespace) -> int:
    from monsoon.config import ConfigError
    from monsoon.mix.build import format_build
    from monsoon.mix.table import MixError, load_table

    try:
        table = load_table(args.table)
        tokens_per_shard = args.tokens_per_shard or table.tokens_per_shard
        seed = table.seed if args.seed is None else args.seed
        rehydrate = args.rehydrate or table.rehydrate
        if args.engine == "spark":
            from monsoon.mix.spark import build_spark

            manifest = build_spark(table, args.from_dir, Path(args.to), tokens_per_shard, seed, args.master, rehydrate)
        else:
            from monsoon.mix.build import build_local

            manifest = build_local(table, args.from_dir, Path(args.to), tokens_per_shard, seed, rehydrate)
    except (ConfigError, MixError) as error:
        return _fail(error)
    print("\n".join(format_build(manifest, Path(args.to))))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from monsoon.audit.report import write_report
    from monsoon.config import ConfigError
    from monsoon.exit_status import USAGE
    from monsoon.mix.table import MixError
    from monsoon.storage import is_uri

    if is_uri(args.out_dir) and not args.to:  # a missing option for this input: a wrong command line
        print(f"monsoon: {args.out_dir} is not a local folder: give --to REPORT_DIR for the report", file=sys.stderr)
        return USAGE
    out_dir = args.out_dir
    report_dir = Path(args.to) if args.to else Path(out_dir) / "audit"
    try:
        report = write_report(out_dir, report_dir, mix=args.mix, shards=args.shards)
    except (ConfigError, MixError, FileNotFoundError) as error:
        return _fail(error)
    print("\n".join(report.summary))
    print(f"report: {report_dir / 'report.html'} and {report_dir / 'report.md'}")
    return 0 if report.reconciled else 1


def add_command(subparsers: argparse._SubParsersAction) -> None:
    """Add `mix` (check, plan, build) and `audit` to monsoon's top-level subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    mix = subparsers.add_parser(
        "mix",
        help="check a mix table, plan it against an output, build it into token-sized shards",
        description="Mix tables: what a continued-pre-training run asks for, one row per data source.",
        epilog=MIX_EPILOG,
        formatter_class=raw,
    )
    commands = mix.add_subparsers(dest="mix_command", required=True, metavar="MIX_COMMAND")

    check = commands.add_parser(
        "check",
        help="check unique x multiplier = total and the percentages, row by row",
        description="Check each row: unique x multiplier = total, percentage = total / sum of totals, within"
        " the rounding of the printed precision. Prints one line per inconsistent row, then a summary.",
    )
    check.add_argument("table", metavar="TABLE", help="mix table: .yaml, .md or .csv")
    check.add_argument("--strict", action="store_true", help="exit code 1 when any row is inconsistent")
    check.add_argument("--verbose", action="store_true", help="list the consistent rows too")
    check.set_defaults(handler=cmd_mix_check)

    plan = commands.add_parser(
        "plan",
        help="tokens available per source against the table; how much more crawl the short rows need",
        description="Tokens each row's source holds (from the parquet token counts) against what the table"
        " asks; for short rows, the extra raw crawl that would close the gap at the run's yield.",
    )
    plan.add_argument("table", metavar="TABLE", help="mix table: .yaml, .md or .csv")
    plan.add_argument(
        "--from", dest="from_dir", metavar="OUT_DIR", required=True, help="a monsoon run's output, local or URI"
    )
    plan.set_defaults(handler=cmd_mix_plan)

    build = commands.add_parser(
        "build",
        help="sample the sources as the table asks and write interleaved, token-sized parquet shards",
        description="Down-/up-sample each row deterministically (hash of document id + seed), interleave the"
        " rows and write parquet shards of ~tokens_per_shard tokens, with SHARDS_DIR/manifest.json.",
    )
    build.add_argument("table", metavar="TABLE", help="mix table: .yaml, .md or .csv")
    build.add_argument(
        "--from", dest="from_dir", metavar="OUT_DIR", required=True, help="a monsoon run's output, local or URI"
    )
    build.add_argument("--to", metavar="SHARDS_DIR", required=True, help="folder for the shards and manifest")
    build.add_argument("--tokens-per-shard", type=int, metavar="N", help="overrides the table's tokens_per_shard")
    build.add_argument("--seed", type=int, metavar="N", help="overrides the table's seed")
    build.add_argument(
        "--rehydrate",
        action="store_true",
        help="FineWeb-2's rehydration (as the table's `rehydrate: true`): each taken document's copies times the"
        " weight of its near-duplicate cluster size (1->1, 2->2, 3-4->3, 5-99->5, 100-999->8, 1000+->1)",
    )
    add_engine_options(build, "the same decisions as Spark operations, shards written by the executors")
    build.set_defaults(handler=cmd_mix_build)

    audit = subparsers.add_parser(
        "audit",
        help="HTML + Markdown report: funnel, drop reasons, mix targets, shard balance, reconciliation",
        description="Audit a monsoon output: where every record read went, in documents and tokens.",
        epilog=AUDIT_EPILOG,
        formatter_class=raw,
    )
    audit.add_argument("out_dir", metavar="OUT_DIR", help="a monsoon run's output, local or URI (s3://...)")
    audit.add_argument("--mix", metavar="TABLE", help="compare the kept tokens with this mix table's targets")
    audit.add_argument("--shards", metavar="SHARDS_DIR", help="check and chart shards built by `mix build`")
    audit.add_argument(
        "--to", metavar="REPORT_DIR", help="where to write the report (default: OUT_DIR/audit; needed for a URI)"
    )
    audit.set_defaults(handler=cmd_audit)
