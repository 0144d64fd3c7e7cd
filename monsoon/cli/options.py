"""Options shared by several commands."""

from __future__ import annotations

import argparse

from monsoon.spark_session import LOCAL_MASTER


def add_engine_options(parser: argparse.ArgumentParser, spark_does: str) -> None:
    """`--engine local|spark` and `--master`, the same for every command that can run on Spark."""
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help=f"local: this machine's processes (default); spark: {spark_does}",
    )
    parser.add_argument(
        "--master",
        default=LOCAL_MASTER,
        metavar="URL",
        help=f"Spark master for --engine spark, e.g. local[2] (default: {LOCAL_MASTER})",
    )


def add_restart_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--restart",
        action="store_true",
        help="start over: remove the files of an earlier run in OUTPUT, even of another job (without it, the same"
        " job resumes and another job is refused)",
    )
