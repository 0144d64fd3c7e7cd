"""The `monsoon` command line: every command's wiring (parse, load the config, call), one module per command."""

from __future__ import annotations

import argparse
import sys

from monsoon.cli import dedup, index, lid, mix, quality, run, select, tune

DESCRIPTION = """\
monsoon builds clean, deduplicated, token-counted pre-training corpora for Southeast-Asian languages and
Japanese from Common Crawl WARC files:

  WARC -> pre-LID -> trafilatura -> token count -> fastText LID -> URL filter -> junk, PII and quality filters
       -> benchmark decontamination -> exact + MinHash dedup (also against earlier runs) -> parquet

Every input document ends kept, dropped (with a reason) or errored (with a reason); the run writes the
counts to OUTPUT/accounting.json and prints them as a table.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monsoon", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (run, select, index, dedup, lid, tune, mix, quality):
        command.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from monsoon.exit_status import FAILED
    from monsoon.yamlconfig import ConfigError

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as error:  # one line naming the file and the key, not a traceback
        print(f"monsoon {args.command}: {error}", file=sys.stderr)
        return FAILED
