"""The bill on paper: core-hours and wall time for one Common Crawl snapshot, monsoon (SEA + Japanese targets)
against datatrove's FineWeb-2 pipeline on the same machine kind, from per-core rates that bench/run.py measured.

    python bench/run.py --json bench.json && python bench/cost.py bench.json
    python bench/cost.py --monsoon-rate 100 --datatrove-rate 38      # docs/s per core, measured elsewhere

Assumed snapshot (flags change it): CC-MAIN-2024-51, 2.64 billion pages, 394 TiB uncompressed (Common Crawl's
"December 2024 crawl archive now available" post); 100 segments of ~900 WARC files, 90,000 WARC files (the
segment count is Common Crawl's usual one; the per-segment file count is an assumption, not a published figure).
The per-core rates are the bench's: its page mix (target languages at the bench's `--target-share`), its page
sizes and this machine; reading from S3 and decompressing ~1 GB WARCs is not in them.

The index-first bill (issue 22), printed with no argument too: the same snapshot read through Common Crawl's columnar
index for Thai alone, SEA-LION v2's five languages (English, Indonesian, Thai, Vietnamese, Tamil) and all of ours,
from CC-MAIN-2024-42's CLD2 page shares (Common Crawl's language statistics, as issue 22 quotes them) and the rates
bench/index_recall.py and bench/index_select.py recorded in bench/data/index_first.json (seconds per selected record,
index rows selected per second). Bytes: the selected records' compressed bytes (at the crawl's mean record size) plus
the index columns a selection reads; the full scan downloads every compressed WARC byte. Last lines:
`thai_core_hours_share=` and `thai_bytes_share=` (index-first / full scan).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from monsoon.config import FetchConfig, IndexConfig

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
    parser.add_argument(
        "--compressed-tib", type=float, default=100, help="compressed WARC TiB in the snapshot (100, an estimate)"
    )
    parser.add_argument("--index-gib", type=float, default=300, help="the snapshot's columnar index, GiB (300)")
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
        index_first_bill(args)
        return
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
    index_first_bill(args)


# CC-MAIN-2024-42, CLD2 primary language, share of pages (Common Crawl's language statistics, as issue 22 quotes
# them; English from the same statistics, ~44%). Khmer, Burmese, Tagalog, Lao: "under 0.015% each", taken as 0.015%.
PAGE_SHARES = {"tha_Thai": 0.0041, "jpn_Jpan": 0.050, "vie_Latn": 0.0105, "ind_Latn": 0.011, "zsm_Latn": 0.0008,
               "tam_Taml": 0.0005, "eng_Latn": 0.44, "khm_Khmr": 0.00015, "mya_Mymr": 0.00015, "tgl_Latn": 0.00015,
               "lao_Laoo": 0.00015}  # fmt: skip
BILLS = {
    "Thai": ["tha_Thai"],
    "SEA-LION v2's five": ["eng_Latn", "ind_Latn", "tha_Thai", "vie_Latn", "tam_Taml"],
    "ours but English": [code for code in PAGE_SHARES if code != "eng_Latn"],
    "all of ours": list(PAGE_SHARES),
}
RATES_FILE = Path(__file__).resolve().parent / "data" / "index_first.json"


def record_rates(values: dict) -> None:
    """Merge figures a bench measured into RATES_FILE (what `python bench/cost.py` reads with no argument)."""
    recorded = json.loads(RATES_FILE.read_text()) if RATES_FILE.exists() else {}
    RATES_FILE.write_text(json.dumps({**recorded, **values}, indent=1, sort_keys=True) + "\n")


def index_first_bill(args: argparse.Namespace) -> None:
    """The index-first bill against the full scan for each of BILLS (see the module docstring). One core's seconds
    per record, past start-up, from bench/index_recall.py: a page of the run's languages costs `selected` either way
    (extracted, identified, filtered); the full scan also pays `other` for every other page (read, inflated, skipped
    by the pre-LID); the index-first run pays the selection's scan of the index instead."""
    recorded = json.loads(RATES_FILE.read_text())
    selected_s, other_s = recorded["seconds_per_selected_record"], recorded["seconds_per_other_record"]
    rows_per_s = recorded["index_rows_per_s"]  # one core, the selection's scan
    read_share = recorded["index_bytes_read_share"]
    index_read = read_share * args.index_gib * 2**30  # the columns a selection reads
    compressed = args.compressed_tib * 2**40
    cores = 100 * args.cores_per_executor
    print(
        f"\nindex-first bill, one snapshot ({args.pages:,.0f} pages, {args.compressed_tib:.0f} TiB of compressed WARC "
        f"files, an index of {args.index_gib:.0f} GiB of which a selection reads {read_share:.0%}); one core per "
        f"record past start-up ({RATES_FILE.name}, bench/index_recall.py): {selected_s * 1000:.1f} ms a page of the "
        f"run's languages, {other_s * 1000:.1f} ms any other page in a full scan; the selection scans "
        f"{rows_per_s:,.0f} index rows/s (bench/index_select.py)"
    )
    print(
        f"{'languages':<20} {'pages':>7} | {'full: core-h':>12} {'wall':>8} {'TiB':>6} {'requests':>9} | "
        f"{'index-first: core-h':>19} {'wall':>8} {'TiB':>7} {'requests':>12} | {'core-h share':>12} "
        f"{'bytes share':>11}"
    )
    scan_s = args.pages / rows_per_s  # the selection's scan of the index
    shares, full_hours = {}, {}
    for name, codes in BILLS.items():
        share = sum(PAGE_SHARES[code] for code in codes)
        records = share * args.pages
        full_h = args.pages * ((1 - share) * other_s + share * selected_s) / 3600
        first_h = (records * selected_s + scan_s) / 3600
        # a rare language's records lie megabytes apart in a file: ranges fetch about what they need, one request
        # each; past the reader's whole_file_share a file is read whole, in max_request blocks
        whole = share > IndexConfig().whole_file_share
        read = (compressed if whole else share * compressed) + index_read
        requests = (
            args.warc_files * math.ceil(compressed / args.warc_files / IndexConfig().max_request) if whole else records
        )
        shares[name], full_hours[name] = (first_h / full_h, read / compressed), full_h
        print(
            f"{name:<20} {share:>7.2%} | {full_h:>12,.0f} {full_h / cores:>6.1f} h {compressed / 2**40:>6.0f} "
            f"{args.warc_files:>9,} | {first_h:>19,.0f} {first_h / cores:>6.1f} h {read / 2**40:>7.2f} "
            f"{requests:>12,.0f} | {first_h / full_h:>12.2%} {read / compressed:>11.3%}"
        )
    print(
        f"(wall: core-hours over 100 executors x {args.cores_per_executor} cores, the network's time not in it; "
        "index-first reads ranges below the reader's whole_file_share of the pages, whole files above it)"
    )
    budget = FetchConfig().requests_per_second  # per worker process, fetch.requests_per_second
    thai_pages = PAGE_SHARES["tha_Thai"] * args.pages  # one range request each
    print(
        f"the request budget: at fetch.requests_per_second {budget:g} a worker sends at most {budget:g} range requests "
        f"a second, so Thai's {thai_pages:,.0f} take {thai_pages / (cores * budget) / 3600:.1f} h on {cores} "
        f"workers against {thai_pages * selected_s / 3600 / cores:.1f} h of work: a worker is paced, not busy, "
        "unless a run has more workers than cores (`workers`, Spark's executor cores) or a larger budget where the "
        "store allows it"
    )
    # the floor of any index-first run that follows the recipe: its selected pages cost at least the recipe's own
    # work (bench/index_recall.py recipe_floor: extraction, words, LID, FineWeb-2's filters, MinHash, tokens, once
    # each, nothing for acquisition and none of monsoon's own steps); the full scan as measured
    if "seconds_recipe_floor" in recorded:
        full_s = full_hours["Thai"] * 3600
        floor_s = recorded["seconds_recipe_floor"]
        floor = (thai_pages * floor_s + scan_s) / full_s
        print(
            f"the floor for Thai: the recipe's own work on a page costs {floor_s * 1000:.1f} ms of one core "
            f"({floor_s / other_s:.1f} records a full scan skips); with nothing else per selected page, index-first "
            f"would cost {floor:.2%} of the full scan's core-hours. A 2% bill leaves "
            f"{(0.02 * full_s - scan_s) / thai_pages * 1000:.1f} ms a selected Thai page, all in"
        )
        print(f"thai_core_hours_floor={floor:.4f}")
    print(f"thai_core_hours_share={shares['Thai'][0]:.4f}")
    print(f"thai_bytes_share={shares['Thai'][1]:.4f}")


if __name__ == "__main__":
    main()
