"""Benchmark: the selection's time and peak memory on a large generated index (Common Crawl's flat schema).

    python bench/index_select.py [--rows 4000000] [--spark]

Generates `--rows` captures in parquet files of 500,000 rows with the columns of commoncrawl/cc-index-table's flat
schema that bench/minicrawl.py writes: primary languages drawn with CC-MAIN-2024-42's CLD2 shares for ours (the
issue's figures: jpn 5.0%, ind 1.1%, vie 1.05%, tha 0.41%, msa 0.08%, tam 0.05%, khm/mya/tgl/lao 0.01% each) and
English 44%, the rest other languages; a second and third code on a share of the pages; 93% status 200 and 90% HTML
(the rest 3xx/404 and other types); ~29,000 captures per WARC file (2.64e9 pages over 90,000 files). Then selects the
Thai run, SEA-LION v2's five languages and all of ours, each in a fresh process: wall time and peak RSS (ru_maxrss),
local (pyarrow dataset batches) and with --spark on local[2] (driver RSS only; Spark's JVM memory is its own).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cost import record_rates  # noqa: E402
from minicrawl import INDEX_SCHEMA  # noqa: E402

SHARES = {"jpn": 0.05, "ind": 0.011, "vie": 0.0105, "tha": 0.0041, "msa": 0.0008, "tam": 0.0005, "khm": 0.0001,
          "mya": 0.0001, "tgl": 0.0001, "lao": 0.0001, "eng": 0.44}  # fmt: skip
OTHERS = ["rus", "deu", "zho", "spa", "fra", "ita", "por", "pol", "nld", "tur", "ces", "kor", "ara", "fas"]
RUNS = {
    "Thai": ["tha_Thai"],
    "SEA-LION v2 (en, id, th, vi, ta)": ["eng_Latn", "ind_Latn", "tha_Thai", "vie_Latn", "tam_Taml"],
    "all of ours but English": ["tha_Thai", "jpn_Jpan", "vie_Latn", "ind_Latn", "zsm_Latn", "tam_Taml", "tgl_Latn",
                                "khm_Khmr", "lao_Laoo", "mya_Mymr"],
}  # fmt: skip
PER_WARC = 29_000
ROWS_PER_FILE = 500_000


def generate(folder: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    codes = list(SHARES) + OTHERS
    weights = np.array(list(SHARES.values()) + [(1 - sum(SHARES.values())) / len(OTHERS)] * len(OTHERS))
    for start in range(0, rows, ROWS_PER_FILE):
        n = min(ROWS_PER_FILE, rows - start)
        index = np.arange(start, start + n)
        primary = rng.choice(len(codes), size=n, p=weights / weights.sum())
        second = rng.choice(len(codes), size=n, p=weights / weights.sum())
        third = rng.choice(len(OTHERS), size=n)
        extra = rng.random(n)
        languages = [
            codes[a] if e < 0.55 else f"{codes[a]},{codes[b]}" if e < 0.9 else f"{codes[a]},{codes[b]},{OTHERS[c]}"
            for a, b, c, e in zip(primary, second, third, extra, strict=True)
        ]
        status = np.where(rng.random(n) < 0.93, 200, rng.choice([301, 302, 404], size=n)).astype(np.int16)
        html = rng.random(n) < 0.9
        mime = np.where(html, "text/html", np.where(rng.random(n) < 0.5, "application/pdf", "text/plain"))
        lengths = rng.integers(2_000, 120_000, size=n).astype(np.int32)
        file_number = index // PER_WARC
        offsets = ((index % PER_WARC) * 40_000).astype(np.int32)  # increasing within a file
        hosts = [f"host{h}.example.com" for h in rng.integers(0, 200_000, size=n)]
        table = pa.table(
            {
                "url_surtkey": [f"com,example,{h})/{i}" for h, i in zip(hosts, index, strict=True)],
                "url": [f"https://{h}/{i}" for h, i in zip(hosts, index, strict=True)],
                "url_host_name": hosts,
                "url_host_registered_domain": ["example.com"] * n,
                "fetch_status": status,
                "content_mime_type": mime,
                "content_mime_detected": mime,
                "content_languages": languages,
                "content_truncated": pa.nulls(n, pa.string()),
                "warc_filename": [
                    f"crawl-data/CC-MAIN-2099-01/segments/1700000000000.{f % 100:02d}/warc/"
                    f"CC-MAIN-20990101000000-20990101010000-{f:05d}.warc.gz"
                    for f in file_number
                ],
                "warc_record_offset": offsets,
                "warc_record_length": lengths,
                "warc_segment": [f"1700000000000.{f % 100:02d}" for f in file_number],
                "crawl": ["CC-MAIN-2099-01"] * n,
                "subset": ["warc"] * n,
            },
            schema=INDEX_SCHEMA,
        )
        pq.write_table(table, folder / f"part-{start // ROWS_PER_FILE:05d}.c000.gz.parquet", compression="gzip")


def read_share(index: Path) -> float:
    """The share of the index's compressed column-chunk bytes in the columns a selection reads (select.SCANNED)."""
    from monsoon.crawl.select import SCANNED

    read = total = 0
    for path in index.glob("*.parquet"):
        metadata = pq.ParquetFile(path).metadata
        for group in range(metadata.num_row_groups):
            for column in range(metadata.num_columns):
                chunk = metadata.row_group(group).column(column)
                total += chunk.total_compressed_size
                read += chunk.total_compressed_size if chunk.path_in_schema in SCANNED else 0
    return read / total


def measure(index: Path, output: Path, languages: list[str], engine: str) -> dict:
    """One selection in this process (run as a child by main): its plan, seconds and peak RSS."""
    from monsoon.config import RunConfig
    from monsoon.crawl.select import select, select_with_spark

    config = RunConfig(input=str(index), output=str(output), languages=languages)
    started = time.perf_counter()
    plan = select_with_spark(config, "local[2]") if engine == "spark" else select(config)
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "captures": plan["captures"],
        "selected": plan["selected"],
        "requests": plan["requests"],
        "warc_files": plan["warc_files"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--spark", action="store_true", help="also select with Spark SQL on local[2]")
    parser.add_argument("--record", action="store_true", help="record the rates in bench/data/index_first.json")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        index, output, languages, engine = args.child
        print(json.dumps(measure(Path(index), Path(output), languages.split(","), engine)))
        return
    work = Path(tempfile.mkdtemp(prefix="index-select-"))
    index = work / "cc-index" / "table" / "cc-main" / "warc" / "crawl=CC-MAIN-2099-01" / "subset=warc"
    index.mkdir(parents=True)
    started = time.perf_counter()
    generate(index, args.rows)
    size = sum(p.stat().st_size for p in index.glob("*.parquet"))
    share = read_share(index)
    print(f"the selection's columns are {share:.1%} of the index's compressed column bytes")
    print(
        f"generated {args.rows:,} captures, {size / 2**20:.0f} MiB of parquet in {time.perf_counter() - started:.0f} s"
    )
    print(
        f"{'run':<34} {'engine':<6} {'selected':>9} {'WARC files':>10} {'requests':>9} {'seconds':>8} {'peak RSS':>9}"
    )
    local_seconds = 0.0
    for engine in ("local", "spark") if args.spark else ("local",):
        for name, languages in RUNS.items():
            child = [sys.executable, __file__, "--child", str(index), str(work / f"out-{engine}-{len(languages)}"),
                     ",".join(languages), engine]  # fmt: skip
            done = subprocess.run(child, capture_output=True, text=True, check=True)
            found = json.loads(done.stdout.strip().splitlines()[-1])
            if engine == "local":
                local_seconds = max(local_seconds, found["seconds"])
            print(
                f"{name:<34} {engine:<6} {found['selected']:>9,} {found['warc_files']:>10,} {found['requests']:>9,} "
                f"{found['seconds']:>8.1f} {found['peak_rss_mib']:>7.0f} MiB"
            )
    rows_per_s = args.rows / local_seconds
    print(f"index rows per second, one process (local, slowest run): {rows_per_s:,.0f}")
    if args.record:
        record_rates({"index_rows_per_s": rows_per_s, "index_bytes_read_share": share})


if __name__ == "__main__":
    main()
