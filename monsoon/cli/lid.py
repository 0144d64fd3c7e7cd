"""`monsoon lid`: the pipeline's language identification on lines of text."""

from __future__ import annotations

import argparse
import sys


def cmd_lid(args: argparse.Namespace) -> int:
    from monsoon.stages.lid import predict

    lines = open(args.file, encoding="utf-8") if args.file else sys.stdin
    with lines:
        for line in lines:
            label, score = predict(args.model, line.rstrip("\n"), args.max_chars)
            print(f"{label}\t{score:.4f}")
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    lid = commands.add_parser(
        "lid",
        help="language of each input line (label<TAB>score), as the pipeline's LID step sees it",
        description="Print `label<TAB>score` for each line of FILE (standard input when no FILE), with the same"
        " model and code path as the pipeline. Labels are ISO 639-3 + script, e.g. tha_Thai.",
    )
    lid.add_argument("file", nargs="?", metavar="FILE", help="one text per line (default: standard input)")
    lid.add_argument(
        "--model",
        default="embedded",
        help="'embedded' (lid.176.ftz shipped in the package) or a fastText model path/URI",
    )
    lid.add_argument("--max-chars", type=int, default=2000, metavar="N", help="characters of each line read")
    lid.set_defaults(handler=cmd_lid)
