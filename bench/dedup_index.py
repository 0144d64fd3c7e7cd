"""Deduplicating a run against an index FACTOR times its size: the local engine's lookup (dedup/index.py: the
parts streamed in record batches, only this run's keys kept) and decisions (dedup/local.py `decide`), timed, with
the peak RSS of the process that does it, and the index's size on disk per million documents.

Index rows are shaped as a run writes them: WARC record ids (`<urn:uuid:...>`), source, dump, a text hash and one
random 63-bit hash per band (MinHash band hashes are uniform, so random ones have their size and their collision
rate), in parts of 100,000 rows (a run writes one per rank). The input is DOCS documents of the same shape, of which
2% are exact copies of index documents and 5% share one band with one. Each lookup runs in its own process, once
with an index as large as the input and once FACTOR times as large, so the two peak RSS show what the index's size
adds.

`python bench/dedup_index.py [--docs 50000] [--factor 10] [--language tha_Thai]`; last line
`peak_rss_mib=<the FACTOR x lookup's peak RSS>`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from monsoon.dedup.index import INDEX_DIR, INDEX_SCHEMA, META_FILE, earlier_matches, earlier_parts, signature_settings
from monsoon.dedup.local import decide

PART_ROWS = 100_000


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    return [f"<urn:uuid:{uuid.UUID(bytes=rng.bytes(16))}>" for _ in range(n)]


def _hashes(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(0, 2**63 - 1, size=shape, dtype=np.int64)


def build_index(folder: Path, language: str, rows: int, bands: int, seed: int = 0) -> Path:
    """An index folder (DIR/_index/<language>/) of `rows` random documents, written part by part."""
    import json

    rng = np.random.default_rng(seed)
    parts = folder / INDEX_DIR / language
    parts.mkdir(parents=True)
    (parts / META_FILE).write_text(json.dumps(signature_settings(language, 1)))
    for number, start in enumerate(range(0, rows, PART_ROWS)):
        n = min(PART_ROWS, rows - start)
        bands_array = pa.FixedSizeListArray.from_arrays(_hashes(rng, n * bands), bands).cast(pa.list_(pa.int64()))
        table = pa.table(
            [_ids(rng, n), ["commoncrawl"] * n, ["CC-MAIN-2024-10"] * n, _hashes(rng, n), bands_array],
            schema=INDEX_SCHEMA,
        )
        pq.write_table(table, parts / f"{number:05d}.parquet", row_group_size=1000)  # as datatrove writes a run's
    return folder


def make_input(index: Path, language: str, docs: int, bands: int, seed: int = 1) -> tuple[list, int, int]:
    """(id, text_hash, bands) of `docs` documents: 2% exact copies of index documents, 5% sharing one band."""
    rng = np.random.default_rng(seed)
    first_part = pq.read_table(index / INDEX_DIR / language / "00000.parquet", columns=["text_hash", "minhash_bands"])
    ids, hashes, signatures = _ids(rng, docs), _hashes(rng, docs), _hashes(rng, (docs, bands))
    copies, shared = int(docs * 0.02), int(docs * 0.05)
    picked = first_part.take(rng.choice(first_part.num_rows, copies + shared, replace=False)).to_pylist()
    for i, row in enumerate(picked):
        if i < copies:
            hashes[i] = row["text_hash"]
        else:
            band = int(rng.integers(bands))
            signatures[i, band] = row["minhash_bands"][band]
    return [(ids[i], int(hashes[i]), signatures[i].tolist()) for i in range(docs)], copies, shared


def _lookup(index: str, language: str, docs: int, bands: int, out) -> None:
    """In a child process: build the input, then time the lookup and decisions alone."""
    rows, copies, shared = make_input(Path(index), language, docs, bands)
    started = time.perf_counter()
    parts = earlier_parts([index], language, seed=1)
    exact, near = earlier_matches(parts, (h for _, h, _ in rows), {k for _, _, b in rows for k in enumerate(b)})
    looked_up = time.perf_counter() - started
    decisions = decide(rows, exact, near)
    elapsed = (looked_up, time.perf_counter() - started)
    found = {
        reason: sum(1 for row in decisions if row[3] == reason)
        for reason in ("exact_duplicate", "near_duplicate_of_earlier")
    }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    out.send((elapsed, peak, found, copies, shared))


def measure(index: Path, language: str, docs: int, bands: int) -> tuple:
    receive, send = multiprocessing.get_context("spawn").Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=_lookup, args=(str(index), language, docs, bands, send)
    )
    process.start()
    result = receive.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=50_000, help="documents of the run deduplicated (default 50,000)")
    parser.add_argument("--factor", type=int, default=10, help="index size over the run's (default 10)")
    parser.add_argument("--language", default="tha_Thai", help="its dedup bands decide the rows' width")
    args = parser.parse_args()
    bands = signature_settings(args.language, 1)["bands"]
    with tempfile.TemporaryDirectory() as folder:
        for factor in (1, args.factor):
            rows = args.docs * factor
            index = build_index(Path(folder) / f"x{factor}", args.language, rows, bands)
            size = sum(p.stat().st_size for p in (index / INDEX_DIR / args.language).glob("*.parquet"))
            elapsed, peak, found, copies, shared = measure(index, args.language, args.docs, bands)
            print(
                f"{args.language} ({bands} bands): {args.docs:,} documents against an index of {rows:,} ({factor}x,"
                f" {size / 2**20:.1f} MiB, {size / rows:.0f} bytes/doc, {size / rows:.0f} MB per million documents):"
                f" lookup {elapsed[0]:.1f} s ({rows / elapsed[0]:,.0f} index rows/s), with the decisions"
                f" {elapsed[1]:.1f} s ({args.docs / elapsed[1]:,.0f} docs/s),"
                f" peak RSS {peak:.0f} MiB; found {found} (planted: {copies} copies, {shared} sharing a band)"
            )
    print(f"peak_rss_mib={peak:.0f}")


if __name__ == "__main__":
    main()
