"""`monsoon select`: the captures of the run's languages in Common Crawl's columnar index, and the plan."""

from __future__ import annotations

import argparse
import sys

from monsoon.cli.options import add_engine_options

SELECT_EPILOG = """\
The config's `input` is the index: a crawl's folder (s3://commoncrawl/cc-index/table/cc-main/warc/
crawl=CC-MAIN-2024-42/subset=warc/), a glob or one of its parquet files, local or URI; `index:` holds the policy,
host lists and range settings (see README). Writes OUTPUT/_selection/ (part-*.parquet sorted by WARC file,
warc.paths, selection.json with the plan), which `monsoon run` on the same config then reads.

example:
  monsoon select thai.yaml && monsoon run thai.yaml
"""


def cmd_select(args: argparse.Namespace) -> int:
    from monsoon.config import load_run_config
    from monsoon.crawl.select import format_plan, is_index, select, select_with_spark
    from monsoon.exit_status import FAILED
    from monsoon.pipelines.layout import JobChanged, RunLayout, refuse_foreign_output

    config = load_run_config(args.config, input=args.input, output=args.output)  # a ConfigError: cli/__init__.py
    if not is_index(config.input):
        print(f"monsoon select: {config.input} is not a columnar index (cc-index/... or *.parquet)", file=sys.stderr)
        return FAILED
    try:
        refuse_foreign_output(RunLayout.of(config))
        plan = select_with_spark(config, args.master) if args.engine == "spark" else select(config)
    except (FileNotFoundError, ValueError, JobChanged) as error:
        print(f"monsoon select: {error}", file=sys.stderr)
        return FAILED
    print(format_plan(plan, config))
    return 0


def add_command(commands: argparse._SubParsersAction) -> None:
    select = commands.add_parser(
        "select",
        help="select the run's captures from Common Crawl's columnar index and print the plan",
        description="Select the captures of CONFIG's languages from the columnar index its `input` names (status 200,"
        " HTML, content_languages under index.policy, host lists) and print the plan: captures and bytes per"
        " language, requests, share of the crawl, core-hours and wall time beside the whole crawl's.",
        epilog=SELECT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    select.add_argument("config", metavar="CONFIG", help="run config (YAML) whose input is an index")
    select.add_argument("--input", metavar="INDEX", help="override the config's input")
    select.add_argument("--output", metavar="DIR", help="override the config's output (the selection goes there)")
    add_engine_options(select, "Spark SQL over the index")
    select.set_defaults(handler=cmd_select)
