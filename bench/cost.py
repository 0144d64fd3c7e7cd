"""The bill on paper: core-hours and wall time for one Common Crawl snapshot, monsoon (SEA + Japanese targets)
against datatrove's FineWeb-2 pipeline on the same machine kind, from per-core rates that bench/run.py measured.

    python bench/run.py --json bench.json && python bench/cost.py bench.json
    python bench/cost.py --monsoon-rate 100 --datatrove-rate 38      # docs/s per core, measured elsewhere

Assumed snapshot (flags change it): CC-MAIN-2024-51, 2.64 billion pages, 394 TiB uncompressed (Common Crawl's
"December 2024 crawl archive now available" post); 100 segments of ~900 WARC files, 90,000 WARC files (the
segment count is Common Crawl's usual one; the per-segment file count is an assumption, not a published figure).
The per-core rates are the bench's: its page mix (target languages at the bench's `--target-share`), its page
sizes and this machine; reading from S3 and decompressing ~1 GB WARCs is not in them.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

PUBLISHED = [
    (
        "NeMo Curator (NeMo Data Curator docs, 'pretraining datasets' quick-start guide)",
        "a whole CC snapshot (60 TB of compressed WARC files) in ~2 days on 30 CPU nodes (~1,440 node-hours; the "
        "cores per node are not in the stored copy), download + pyCLD2 + jusText + filters + dedup",
    ),
    (
        "FineWeb-2 (huggingface/fineweb-2, fineweb-2-pipeline.py @ 7ee60b36)",
        "base processing of one dump (WarcReader -> URLFilter -> Trafilatura -> LanguageFilter) as 8,000 Slurm "
        "tasks with a 10-hour limit each: an allocation (<= 80,000 task-hours), not a measured time",
    ),
    ("FineWeb (blog, dataset card)", "no CPU-hour figure for processing found; its published compute is GPU ablations"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench_json", nargs="?", type=Path, help="output of bench/run.py --json")
    parser.add_argument("--monsoon-rate", type=float, help="monsoon docs/s per core (overrides the JSON)")
    parser.add_argument("--datatrove-rate", type=float, help="datatrove FineWeb-2 docs/s per core (overrides)")
    parser.add_argument("--pages", type=float, default=2.64e9, help="pages in the snapshot (2.64e9, CC-MAIN-2024-51)")
    parser.add_argument("--tib", type=float, default=394, help="uncompressed TiB in the snapshot (394)")
    parser.add_argument("--warc-files", type=int, default=90_000, help="WARC files in the snapshot (90,000)")
    parser.add_argument("--executors", default="1,10,100,1000", help="executor counts for wall time")
    parser.add_argument("--cores-per-executor", type=int, default=4, help="cores (one worker each) per executor")
    args = parser.parse_args()
    bench = json.loads(args.bench_json.read_text()) if args.bench_json else {}
    # the fastest of the bench's runs per engine: the machine is shared, and load only ever slows a run down
    rates = {e: max(v) for e, v in bench.get("docs_per_s_per_core_runs", {}).items()}
    rates = rates or dict(bench.get("docs_per_s_per_core", {}))
    if args.monsoon_rate:
        rates["monsoon"] = args.monsoon_rate
    if args.datatrove_rate:
        rates["datatrove"] = args.datatrove_rate
    if not {"monsoon", "datatrove"} <= rates.keys():
        parser.error("give bench/run.py's --json output or both --monsoon-rate and --datatrove-rate")
    pages_per_warc = args.pages / args.warc_files
    print(
        f"snapshot: {args.pages:,.0f} pages in {args.warc_files:,} WARC files ({pages_per_warc:,.0f} pages each); "
        f"mean {args.tib * 2**40 / args.pages / 1024:.0f} KiB uncompressed per capture"
    )
    if bench:
        counts = bench["input"]
        print(
            f"rates measured by bench/run.py on {counts['documents']} documents "
            f"({bench['target_share']:.0%} target-language, {counts['html_mib_total'] * 1024 / counts['documents']:.0f}"
            f" KiB mean raw HTML), one core each, past start-up, fastest of its runs; speedup over its runs "
            f"{', '.join(f'{x:.2f}' for x in bench.get('speedup_runs', []))}"
        )
        print(
            "  (a snapshot's captures are larger on average than the bench's pages, and extraction time grows with "
            "the page: both pipelines' real rates are likely lower)"
        )
    executors = [int(n) for n in args.executors.split(",")]
    print(
        f"{'pipeline':>26} | docs/s/core | core-hours | per WARC | "
        f"wall time on N executors x {args.cores_per_executor} cores"
    )
    for name, label in (("monsoon", "monsoon (SEA + ja)"), ("datatrove", "datatrove FineWeb-2")):
        rate = rates[name]
        core_hours = args.pages / rate / 3600
        per_warc_h = pages_per_warc / rate / 3600
        walls = []
        for n in executors:
            rounds = math.ceil(args.warc_files / (n * args.cores_per_executor))  # a WARC file is one task
            walls.append(f"N={n}: {rounds * per_warc_h:,.1f} h")
        print(f"{label:>26} | {rate:11.1f} | {core_hours:10,.0f} | {per_warc_h * 60:6.1f} min | " + ", ".join(walls))
    print(f"core-hours ratio datatrove / monsoon: {rates['monsoon'] / rates['datatrove']:.2f}")
    if bench.get("peak_rss_mib"):
        peak = max(bench["peak_rss_mib"].values())
        print(f"memory: {peak} MiB peak per worker -> {peak * args.cores_per_executor / 1024:.1f} GiB per executor")
    print("published figures to compare with (different pipelines, hardware and scope):")
    for source, figure in PUBLISHED:
        print(f"  - {source}: {figure}")


if __name__ == "__main__":
    main()
