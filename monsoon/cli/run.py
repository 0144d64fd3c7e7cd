"""`monsoon run`: one job on the local engine or on Spark, its progress bar and its summary."""

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

from monsoon.cli.options import add_engine_options, add_restart_option
from monsoon.exit_status import FAILED, TABLE

RUN_EPILOG = """\
output layout:
  OUTPUT/<language>/<rank>.parquet   kept documents (id, text, url, language, language_score, token_count,
                                     source, dump, quality_signals, ...); tokenizer name in the file metadata
  OUTPUT/accounting.json             read = kept + dropped + errored, in total and per language
  OUTPUT/_dropped/<language>/<stage>-<rank>.parquet
                                     with --keep-dropped: every dropped document (id, reason, step, url, text,
                                     ...); language `und` before language identification
  OUTPUT/_index/<language>/          the dedup index of every document that reached dedup (for --dedup-against)
  OUTPUT/_dedup/<language>/          the documents dedup dropped: id, reason, duplicate_of, duplicate_run
  OUTPUT/_work/                      intermediate files and datatrove logs (logs/*/logs/task_*.log)

Re-running the same job resumes, with either engine: finished tasks are skipped (datatrove completion markers).
The job is its input files and every setting that changes the output (config values but workers, the language
files' contents, LID model and tokenizer names; OUTPUT/_work/job.json): a run of another job in OUTPUT is
refused, naming what changed, unless --restart is given, which removes the earlier run's files and starts over.
A run that reads no document fails; a run that keeps none succeeds but says so on stderr (and why, when every
document duplicates one of --dedup-against's).
Every per-document step runs under a per-document budget (config `budget:`, seconds and characters per step): a
document over it is dropped as budget.time.<step> / budget.size.<step>, a document a step fails on is errored as
failed.<step>, and the run goes on.
With --engine spark: one Spark task per input file, then one per extract task for the write; `tasks` and
`workers` do not apply; Spark retries failed tasks.

{exit_status}

examples:
  monsoon run configs/sample.yaml --output out/sample --workers 2
  monsoon run configs/sample.yaml --output out/sample-spark --engine spark --master 'local[2]'
  monsoon run next-crawl.yaml --dedup-against out/crawl-1 out/crawl-2 indexes/fineweb2   (see monsoon index)
  monsoon run my.yaml --input s3://commoncrawl/crawl-data/CC-MAIN-2024-22/warc.paths.gz \
      --input-prefix s3://commoncrawl/ --limit 2 --output s3://bucket/corpus
  spark-submit ... jobs/spark_run.py CONFIG --input s3a://... --output s3a://...   (see README)
"""


def _progress(layout, total_tasks: int, done: threading.Event, stream) -> None:
    """A task-level progress bar fed by datatrove's completion markers, with the records read and documents kept
    so far (stages/progress.py: every rank reports while it runs, so a long task shows movement)."""
    from tqdm import tqdm

    from monsoon.stages.progress import read_progress

    def update(bar) -> None:
        read, kept = read_progress(layout.progress)
        bar.set_postfix_str(f"records read {read:,}, kept {kept:,}", refresh=False)
        bar.update(len(layout.folder("_work", "logs").glob("*/completions/*")) - bar.n)

    with tqdm(total=total_tasks, desc="monsoon run", unit="task", file=stream, dynamic_ncols=True) as bar:
        while not done.wait(0.5 if layout.is_local else 5):
            update(bar)
        update(bar)


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
    from monsoon.dedup.index import IncompatibleIndex
    from monsoon.fetch import FetchFailed
    from monsoon.pipelines.layout import JobChanged
    from monsoon.pipelines.local import build_executors, prepare, run_prepared

    overrides = {
        "input": args.input,
        "output": args.output,
        "workers": args.workers,
        "tasks": args.tasks,
        "input_prefix": args.input_prefix,
        "limit": args.limit,
        "keep_dropped": args.keep_dropped or None,
    }
    config = load_run_config(args.config, dedup_against=args.dedup_against, **overrides)
    if args.engine == "spark":
        return run_on_spark(config, args.master, args.restart)
    try:
        layout = prepare(config, restart=args.restart)
    except (JobChanged, FileNotFoundError, IncompatibleIndex, FetchFailed) as error:
        print(f"monsoon run: {error}", file=sys.stderr)
        return FAILED
    total_tasks = sum(executor.world_size for executor in build_executors(config, layout).values())
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
            return FAILED
        done.set()
        bar.join()
    return _report(accounting, time.monotonic() - started, config)


def _report(accounting: dict, elapsed: float, config) -> int:
    """Print the accounting table; the exit status (monsoon/exit_status.py): FAILED when a document read is not
    accounted for, or none was read; PARTIAL when inputs failed for good (fetch.py); SUCCESS otherwise, also when
    none was kept (said on stderr)."""
    from monsoon.accounting import format_table, unaccounted
    from monsoon.exit_status import PARTIAL, SUCCESS
    from monsoon.pipelines.layout import RunLayout

    read, kept = accounting["total"]["read"], accounting["total"]["kept"]
    if "index" in accounting:  # an index-first run: its selection's plan, then what fetching it took
        from monsoon.crawl.select import format_plan, read_plan

        index = accounting["index"]
        print(format_plan(read_plan(config.output), config))
        print(
            f"fetched {index['fetched']} selected records: {index['requests']} range requests, {index['whole_files']}"
            f" whole files read instead, {index['bytes']:,} bytes\n"
        )
    print(format_table(accounting))
    print(f"\n{read} documents in {elapsed:.1f} s ({read / elapsed:.1f} docs/s); output: {config.output}")
    if stages := RunLayout.of(config).stage_seconds():
        print("wall time per stage: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items()))
    if missing := unaccounted(accounting["total"]):
        print(f"monsoon run: {missing} documents read are not accounted for (a bug: please report it)", file=sys.stderr)
        return FAILED
    if failed := accounting.get("fetch", {}).get("failed_inputs", 0):  # before "nothing read": maybe none could be
        print(
            f"partial: {failed} inputs failed; run the same command again to retry them"
            f" (listed in {config.output.rstrip('/')}/_work/failed_inputs.jsonl)",
            file=sys.stderr,
        )
        return PARTIAL
    if read == 0:
        print(f"monsoon run: no document was read from {config.input}", file=sys.stderr)
        return FAILED
    if kept == 0:  # not a failure: an incremental run whose every page is a duplicate of --dedup-against keeps none
        earlier = _duplicates_of_earlier(accounting["total"]["dropped"]) if config.dedup.against else 0
        why = f" ({earlier} of them duplicate documents of --dedup-against {' '.join(config.dedup.against)})"
        print(
            f"monsoon run: WARNING: none of the {read} documents read was kept{why if earlier else ''}: nothing"
            f" written to {config.output}",
            file=sys.stderr,
        )
    return SUCCESS


def _duplicates_of_earlier(dropped: dict[str, int]) -> int:
    """Documents dedup dropped as copies of earlier runs' (exact_duplicate counts within-run copies too, but a run
    that kept nothing has no within-run original left: each copy's original was itself a duplicate of earlier)."""
    return dropped.get("near_duplicate_of_earlier", 0) + dropped.get("exact_duplicate", 0)


def run_on_spark(config, master: str | None, restart: bool = False) -> int:
    """Run the job on Spark (`master=None`: the one spark-submit set) and print the accounting; the exit code."""
    from monsoon.dedup.index import IncompatibleIndex
    from monsoon.fetch import FetchFailed
    from monsoon.pipelines.layout import JobChanged, RunLayout
    from monsoon.pipelines.spark import run_spark

    started = time.monotonic()
    done = threading.Event()
    reporter = threading.Thread(target=_spark_progress, args=(RunLayout.of(config), done), daemon=True)
    reporter.start()
    try:
        accounting = run_spark(config, master, restart=restart)
    except (JobChanged, FileNotFoundError, IncompatibleIndex, FetchFailed) as error:
        print(f"monsoon run: {error}", file=sys.stderr)
        return FAILED
    finally:
        done.set()
        reporter.join()
    return _report(accounting, time.monotonic() - started, config)


def _spark_progress(layout, done: threading.Event, every: float = 10.0) -> None:
    """On Spark, a line on stderr every `every` seconds while the documents stage's tasks report (Spark's own
    console bar shows tasks, not records)."""
    from monsoon.stages.progress import read_progress

    last = None
    while not done.wait(every):
        counts = read_progress(layout.progress)
        if counts != last and counts != (0, 0):
            print(f"monsoon run: records read {counts[0]:,}, kept {counts[1]:,}", file=sys.stderr, flush=True)
            last = counts


def add_command(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="run the corpus pipeline described by a YAML config",
        description="Run (or resume) the pipeline described by CONFIG, on one machine or on Spark.",
        epilog=RUN_EPILOG.format(exit_status=TABLE),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("config", metavar="CONFIG", help="run config (YAML), e.g. configs/sample.yaml")
    run.add_argument(
        "--input",
        metavar="PATH_OR_GLOB",
        help="WARC file, folder or glob, a listing of WARC paths (warc.paths[.gz]), or Common Crawl's columnar index"
        " (cc-index/... or *.parquet: see monsoon select); local or fsspec URI (s3://, hdfs://); overrides `input`",
    )
    run.add_argument(
        "--input-prefix",
        metavar="URI",
        help="joined to each path of a warc.paths listing, e.g. s3://commoncrawl/ or https://data.commoncrawl.org/"
        " (default: the listing's folder); overrides `input_prefix`",
    )
    run.add_argument("--limit", type=int, metavar="N", help="read only the first N input files; overrides `limit`")
    run.add_argument("--output", metavar="DIR", help="output folder, local or URI; overrides `output`")
    run.add_argument("--workers", type=int, metavar="N", help="parallel worker processes; overrides `workers`")
    run.add_argument(
        "--tasks",
        type=int,
        metavar="N",
        help="tasks the input files are split into (more tasks than files idles); overrides `tasks`",
    )
    run.add_argument(
        "--keep-dropped",
        action="store_true",
        help="write every dropped document with its reason to OUTPUT/_dropped/<language>/; sets `keep_dropped`",
    )
    run.add_argument(
        "--dedup-against",
        nargs="+",
        metavar="DIR",
        help="earlier runs' outputs (their _index/) or index folders: documents they hold a copy or near-duplicate"
        " of are dropped (exact_duplicate, near_duplicate_of_earlier; OUTPUT/_dedup/ names what each duplicates);"
        " replaces `dedup.against`",
    )
    add_restart_option(run)
    add_engine_options(run, "the same steps in Spark tasks (under spark-submit, use jobs/spark_run.py)")
    run.set_defaults(handler=cmd_run)
