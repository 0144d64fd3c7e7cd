"""Benchmark: the local engine (datatrove's local executor, 2 workers) against the Spark engine (local[2]) on the
same input, in one command (`python bench/spark_vs_local.py`).

The input is FILES WARC files, each holding every page of the bundled sample and of ../shared/data/warc_samples
(when present) under its own URLs and record ids, so the copies across files are near-duplicates for the dedup
to find. Each engine runs in its own process; the Spark session is started before the clock (a cluster job
finds its executors running) and its start-up is printed apart. Printed: seconds and docs/s of each engine, the
wall time of each stage on both (`_work/stage_seconds.json`) and Spark's fixed overhead past the documents stage
(its dedup jobs and write stage over the local engine's), whether both kept the same documents and the same
accounting, and last `spark_over_local=<ratio>` (goal: at most 1.2). Spark's overhead is roughly fixed (JVM
warm-up of the dedup's SQL plans, task scheduling), so the ratio falls as the input grows.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from run import REPO, SHARED_WARCS, _responses

from monsoon.pipelines.plan import DOCUMENTS

CORES = 2


def build_input(folder: Path, files: int) -> int:
    """Write `files` WARC files; returns the number of pages."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    sources = sorted((REPO / "sample" / "warc").glob("*.warc.gz"))
    if SHARED_WARCS.exists():
        sources += [
            p
            for p in sorted(SHARED_WARCS.glob("*.warc*"))
            if "clueweb09-ja" not in p.name and ".wet." not in p.name and ".wat." not in p.name
        ]
    pages = [page for path in sources for page in _responses(path)]
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(files):
        members = []
        for n, (url, payload, ctype) in enumerate(pages):
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            out = io.BytesIO()
            writer = WARCWriter(out, gzip=False)
            record = writer.create_warc_record(
                f"{url}#f{k}", "response", payload=io.BytesIO(payload), http_headers=headers
            )
            record.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:{uuid.UUID(int=k * 10**6 + n + 1)}>")
            writer.write_record(record)
            members.append(gzip.compress(out.getvalue(), mtime=0))
        (folder / f"bench-{k:04d}.warc.gz").write_bytes(b"".join(members))
    return files * len(pages)


def _kept_ids(output: Path) -> list[str]:
    import pyarrow.parquet as pq

    return sorted(i for p in output.glob("*/*.parquet") for i in pq.read_table(p, columns=["id"])["id"].to_pylist())


def _child(engine: str, input_dir: str, work: str, files: int) -> None:
    from monsoon.config import RunConfig
    from monsoon.pipelines.layout import RunLayout

    config = RunConfig(input=input_dir, output=work, tasks=files, workers=CORES)
    result = {}
    if engine == "spark":
        from monsoon.pipelines.spark import run_spark
        from monsoon.spark_session import spark_session

        started = time.perf_counter()
        spark_session("monsoon bench", f"local[{CORES}]", progress=False).sparkContext.setLogLevel("ERROR")
        result["startup_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        accounting = run_spark(config, f"local[{CORES}]")
    else:
        from monsoon.pipelines.local import run_local

        started = time.perf_counter()
        accounting = run_local(config)
    result["seconds"] = time.perf_counter() - started
    result["stages"] = RunLayout.of(config).stage_seconds()
    result["accounting"] = accounting
    result["kept_ids"] = _kept_ids(Path(work))
    print("RESULT " + json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=96, help="WARC files in the input (one Spark task each)")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "INPUT", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child, args.files)
        return
    with tempfile.TemporaryDirectory(prefix="monsoon-bench-spark-") as tmp:
        documents = build_input(Path(tmp) / "input", args.files)
        print(f"input: {args.files} WARC files, {documents} documents; {CORES} cores for each engine")
        results = {}
        for engine in ("local", "spark"):
            command = [sys.executable, __file__, "--files", str(args.files), "--child", engine]
            out = subprocess.run(
                [*command, str(Path(tmp) / "input"), str(Path(tmp) / engine)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            ).stdout
            results[engine] = json.loads(out.split("RESULT ", 1)[1])
    for engine, r in results.items():
        startup = f" (+{r['startup_seconds']:.1f} s session start-up)" if "startup_seconds" in r else ""
        print(f"{engine:>6}: {r['seconds']:.1f} s{startup}, {documents / r['seconds']:.1f} docs/s")
    local, spark = results["local"], results["spark"]
    print(f"{'stage':>13} {'local':>8} {'spark':>8}")
    for stage in local["stages"]:
        print(f"{stage:>13} {local['stages'][stage]:>7.1f}s {spark['stages'].get(stage, 0):>7.1f}s")
    after = [stage for stage in local["stages"] if stage != DOCUMENTS]
    overhead = sum(spark["stages"].get(stage, 0) - local["stages"][stage] for stage in after)
    print(
        f"spark fixed overhead: session start-up {spark['startup_seconds']:.1f} s (before the clock), "
        f"{' + '.join(after)} {overhead:+.1f} s over local"
    )
    print(f"same kept ids: {local['kept_ids'] == spark['kept_ids']} ({len(spark['kept_ids'])} kept)")
    print(f"same accounting: {local['accounting'] == spark['accounting']}")
    print(f"spark_over_local={spark['seconds'] / local['seconds']:.2f}")


if __name__ == "__main__":
    main()
