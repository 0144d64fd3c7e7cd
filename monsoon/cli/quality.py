"""`monsoon quality train`: a per-language quality classifier from the user's own reference text."""

from __future__ import annotations

import argparse
import sys

TRAIN_EPILOG = """\
Positives are the language's reference text (the Wikipedia, news or book rows a mix table lists), negatives crawl
text: files (--negative) or a random sample of a finished run's kept documents (--negative-from RUN_DIR). Inputs
are parquet (a text column), jsonl[.gz] (a text field) or txt[.gz] (one document a line); files, globs or folders,
local or URIs. The model card (MODEL.card.json) is printed and written beside the model. Then, in a run config:

  quality_models:
    tha_Thai: {model: models/tha_Thai.bin, min_score: 0.05}   # min_score optional: documents under it are dropped

example:
  monsoon quality train tha_Thai --positive thaigov.jsonl --negative-from out/CC-MAIN-2024-22 --to models/tha.bin
"""


def cmd_train(args: argparse.Namespace) -> int:
    from monsoon.quality.train import TrainSettings, format_card, train

    if bool(args.negative) == bool(args.negative_from):
        print(
            "monsoon quality train: give --negative PATH... or --negative-from RUN_DIR (one of them)", file=sys.stderr
        )
        return 2
    settings = TrainSettings(
        lr=args.lr,
        dim=args.dim,
        ws=args.ws,
        epoch=args.epoch,
        min_count=args.min_count,
        word_ngrams=args.word_ngrams,
        bucket=args.bucket,
        threads=args.threads,
        seed=args.seed,
        holdout=args.holdout,
    )
    try:
        card = train(
            args.language,
            args.to,
            args.positive,
            negatives=args.negative,
            negative_from=args.negative_from,
            negative_count=args.negative_count,
            text_column=args.text_column,
            label=args.label,
            settings=settings,
        )
    except (FileNotFoundError, KeyError, ValueError) as error:
        print(f"monsoon quality train: {error}", file=sys.stderr)
        return 1
    print(format_card(card))
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    from monsoon.quality.model import DEFAULT_LABEL
    from monsoon.quality.train import TrainSettings

    defaults = TrainSettings()
    quality = commands.add_parser("quality", help="model-based quality: train a per-language classifier")
    sub = quality.add_subparsers(dest="quality_command", required=True, metavar="SUBCOMMAND")
    parser = sub.add_parser(
        "train",
        help="train LANGUAGE's quality classifier (fastText, DCLM's settings) and write its model card",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("language", metavar="LANGUAGE", help="e.g. tha_Thai: its segmenter prepares the text")
    parser.add_argument("--positive", nargs="+", required=True, metavar="PATH", help="reference text")
    parser.add_argument("--negative", nargs="+", metavar="PATH", help="crawl text")
    parser.add_argument("--negative-from", metavar="RUN_DIR", help="sample a finished run's kept documents instead")
    parser.add_argument("--negative-count", type=int, metavar="N", help="documents sampled (default: the positives')")
    parser.add_argument("--to", required=True, metavar="MODEL", help="model file (path or URI)")
    parser.add_argument("--label", default=DEFAULT_LABEL, help=f"the positive label (default: {DEFAULT_LABEL})")
    parser.add_argument("--text-column", default="text", metavar="NAME", help="parquet column / jsonl field")
    parser.add_argument("--holdout", type=float, default=defaults.holdout, help="share held out for evaluation")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="fastText's, the split's and the sample's")
    for name, kind in (("lr", float), ("dim", int), ("ws", int), ("epoch", int), ("min-count", int)):
        default = getattr(defaults, name.replace("-", "_"))
        parser.add_argument(f"--{name}", type=kind, default=default, help=f"fastText (default: {default}, DCLM's)")
    parser.add_argument("--word-ngrams", type=int, default=defaults.word_ngrams, help="fastText (default: 2, DCLM's)")
    parser.add_argument("--bucket", type=int, default=defaults.bucket, help="fastText n-gram hash buckets")
    parser.add_argument(
        "--threads", type=int, default=defaults.threads, help="fastText threads (default 1: repeatable)"
    )
    parser.set_defaults(handler=cmd_train)
