"""`monsoon index`: a dedup index of an external corpus, for `monsoon run --dedup-against`."""

from __future__ import annotations

import argparse
import sys
import time

INDEX_EPILOG = """\
The index folder gets one part per input file (DIR/<language>/<n>.parquet: id, source, dump, text_hash,
minhash_bands) and DIR/<language>/_signatures.json; running the command again on more files adds parts (an index
of other signatures there is refused). Then: monsoon run CONFIG --dedup-against DIR.

example:
  monsoon index fineweb2/tha_Thai/train/ --language tha_Thai --to indexes/fineweb2 --id-column id
"""


def cmd_index(args: argparse.Namespace) -> int:
    from monsoon.dedup.corpora import index_corpus
    from monsoon.dedup.index import IncompatibleIndex

    started = time.monotonic()
    try:
        count = index_corpus(
            args.path, args.language, args.to, args.text_column, args.id_column, args.source, args.seed
        )
    except (FileNotFoundError, IncompatibleIndex, KeyError) as error:
        print(f"monsoon index: {error}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(f"{count} {args.language} documents indexed into {args.to} in {elapsed:.1f} s")
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    index = commands.add_parser(
        "index",
        help="build a dedup index of an external corpus (parquet/jsonl) for --dedup-against",
        description="Index the documents of PATH (a parquet or jsonl[.gz] file, a glob, or a folder of them; local"
        " or URI) with LANGUAGE's exact key and MinHash shingling, as a run indexes its own.",
        epilog=INDEX_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    index.add_argument("path", metavar="PATH", help="parquet / jsonl[.gz] file, glob or folder")
    index.add_argument("--language", required=True, metavar="L", help="the corpus's language, e.g. tha_Thai")
    index.add_argument("--to", required=True, metavar="DIR", help="index folder (created, or added to)")
    index.add_argument("--text-column", default="text", metavar="NAME", help="the text field (default: text)")
    index.add_argument("--id-column", metavar="NAME", help="the id field (default: ids are <file name>:<row number>)")
    index.add_argument("--source", metavar="NAME", help="recorded as each row's source (default: PATH's name)")
    index.add_argument("--seed", type=int, default=1, help="MinHash seed: the runs' dedup.seed (default: 1)")
    index.set_defaults(handler=cmd_index)
