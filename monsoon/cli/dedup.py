"""`monsoon dedup`: global dedup of finished runs, as one run over all their inputs would dedup."""

from __future__ import annotations

import argparse
import sys

from monsoon.cli.options import add_engine_options

DEDUP_EPILOG = """\
Writes DIR/<language>/<n>.parquet (the runs' kept documents that the global dedup keeps, cluster_size over all
runs) and DIR/_dedup/<language>/00000.parquet (the documents it drops: id, reason, duplicate_of, duplicate_run).
The kept set is the one a single run over all the runs' inputs would keep: clusters of the union of their
indexes, each keeping its smallest id (monsoon/dedup/corpora.py says why). The runs must share their language
files and dedup.seed, and must not have run --dedup-against others. --engine local holds the indexes' hashes in
memory; --engine spark clusters them in Spark joins, its executors writing the same files (nothing on the driver).

example:
  monsoon dedup out/CC-MAIN-2024-10 out/CC-MAIN-2024-18 --to out/global
  monsoon dedup out/CC-MAIN-2024-10 out/CC-MAIN-2024-18 --to out/global --engine spark --master local[4]
"""


def cmd_dedup(args: argparse.Namespace) -> int:
    from monsoon.dedup.corpora import dedup_runs
    from monsoon.dedup.index import IncompatibleIndex

    try:
        if args.engine == "spark":
            from monsoon.dedup.spark_corpora import dedup_runs_spark

            summary = dedup_runs_spark(args.runs, args.to, args.master)
        else:
            summary = dedup_runs(args.runs, args.to)
    except (FileNotFoundError, FileExistsError, IncompatibleIndex) as error:
        print(f"monsoon dedup: {error}", file=sys.stderr)
        return 1
    for language, counts in summary.items():
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()) if k not in ("documents", "kept"))
        print(
            f"{language}: {counts['documents']} documents in the runs, {counts['kept']} kept;"
            f" {reasons or 'none dropped'}"
        )
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    dedup = commands.add_parser(
        "dedup",
        help="global dedup of finished runs (the kept set of one run over all their inputs)",
        description="Deduplicate the corpora of finished runs RUN_DIR... against each other, per language.",
        epilog=DEDUP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dedup.add_argument("runs", nargs="+", metavar="RUN_DIR", help="output folders of finished runs")
    dedup.add_argument("--to", required=True, metavar="DIR", help="a new (or empty) folder for the deduplicated corpus")
    add_engine_options(dedup, "the same clusters in Spark joins, the output files written by the executors")
    dedup.set_defaults(handler=cmd_dedup)
