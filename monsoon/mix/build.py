"""Build a mix table into token-sized parquet shards, deterministically.

Every decision is a function of (seed, document id), so a rerun, or the Spark engine (spark.py), gives the
same shards:
- down-sampling: a row takes its documents in `doc_key` order while their cumulative tokens stay within the
  unique tokens it asks (a uniform sample, and a strict prefix: Spark computes it with a window sum);
- repeats: each taken document is written floor(multiplier) times, plus once more while the cumulative
  tokens (same order) stay within fraction(multiplier) x the row's taken tokens, so totals are exact to a
  document;
- rehydration (optional, FineWeb-2's): those copies times the weight of the document's near-duplicate cluster
  size (REHYDRATION), so a row gives its unique tokens x multiplier before rehydration;
- interleaving: all copies of all rows in `entry_key` order (tie-breaks: row, id, copy);
- shards: n shards share the stream evenly (n: the count whose share total/n is closest to tokens_per_shard);
  a copy goes to the shard whose share holds its middle token, so a shard is total/n tokens give or take one
  document.
Shards are written tmp-then-rename, with a manifest (per shard: file, docs, tokens per source, sha256).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from monsoon.mix.plan import check_quality_rows, common_tokenizer, read_batches, shortfall, source_files
from monsoon.mix.table import MixError, MixRow, MixTable, human
from monsoon.schema import corpus_schema

SHARD_FILE = "shard-{:05d}.parquet"
MANIFEST = "manifest.json"
TOLERANCE = Decimal("0.02")  # a shard's tokens within ±2% of tokens_per_shard
_KEY_HEX = 16  # keys are the first 64 bits of a sha256 in hex: string order = numeric order (Python and Spark)
ORDER = ("_key", "_row", "id", "mix_copy")  # the interleaved order of copies; _key/_row are dropped on writing


def doc_key(seed: int, doc_id: str) -> str:
    """The order a row takes its documents in (down-sampling, fractional repeats)."""
    return hashlib.sha256(f"{seed}|{doc_id}".encode()).hexdigest()[:_KEY_HEX]


def entry_key(seed: int, source: str, doc_id: str, copy: int) -> str:
    """Where one copy of a document goes in the interleaved stream."""
    return hashlib.sha256(f"{seed}|{source}|{doc_id}|{copy}".encode()).hexdigest()[:_KEY_HEX]


# FineWeb-2's rehydration weights (huggingface/fineweb-2 README @7bdf8fc29a2f): (smallest cluster size, copies).
# Sizes 1, 2, 3-4, 5-99, 100-999 and >= 1000 (taken as lower quality) give 1, 2, 3, 5, 8 and 1 copies.
REHYDRATION = ((1, 1), (2, 2), (3, 3), (5, 5), (100, 8), (1000, 1))


def rehydration_weight(cluster_size: int | None) -> int:
    """Copies FineWeb-2's rehydration makes of a document kept for a cluster of this size (no size: a singleton)."""
    size = cluster_size or 1
    return next(weight for smallest, weight in reversed(REHYDRATION) if size >= smallest)


def repeats(row: MixRow, taken_tokens: int) -> tuple[int, int]:
    """(copies of every taken document, the cumulative-token budget for one extra copy; -1: none)."""
    whole, fraction = divmod(row.multiplier.value, 1)
    return int(whole), int(taken_tokens * fraction) if fraction else -1


def shard_count(total: int, tokens_per_shard: int) -> int:
    """The number of shards whose even share of the total is closest to tokens_per_shard (none for no tokens).

    Shards share the stream evenly, so no runt shard is left at the end; from about 25 shards' worth of tokens
    on, every share is within ±2% of tokens_per_shard."""
    if not total:
        return 0
    fewer = max(1, total // tokens_per_shard)
    return min((fewer, fewer + 1), key=lambda n: (abs(Fraction(total, n) - tokens_per_shard), n))


def shard_of(before: int, tokens: int, total: int, shards: int) -> int:
    """The shard whose share of the stream holds the middle of a copy that starts after `before` tokens."""
    return min(shards - 1, shards * (2 * before + tokens) // (2 * total))


def shard_schema(tokenizer: str) -> pa.Schema:
    """monsoon's corpus schema plus the row a copy was taken for and its repeat number (0: first)."""
    base = corpus_schema(tokenizer)
    return base.append(pa.field("mix_source", pa.string())).append(pa.field("mix_copy", pa.int32()))


def copies_schema(tokenizer: str) -> pa.Schema:
    """What a shard is written from: its rows plus the interleaving key and row index (ORDER)."""
    return shard_schema(tokenizer).append(pa.field("_key", pa.string())).append(pa.field("_row", pa.int32()))


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`'s columns: missing ones (external parquet) are nulls, types are cast."""
    columns = [
        table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def write_shard(table: pa.Table, path: Path, schema: pa.Schema) -> dict:
    """Write one shard from rows with copies_schema's columns (sorted in ORDER, then written with `schema`),
    tmp-then-rename; returns its manifest entry."""
    table = conform(table.sort_by([(name, "ascending") for name in ORDER]), schema)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
    by_source = tokens_by_source(table)
    return {
        "file": path.name,
        "docs": table.num_rows,
        "tokens": sum(by_source.values()),
        "tokens_by_source": dict(sorted(by_source.items())),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def tokens_by_source(table: pa.Table) -> dict[str, int]:
    """A shard's tokens per mix row (`mix_source`)."""
    groups = table.group_by("mix_source").aggregate([("token_count", "sum")]).to_pylist()
    return {group["mix_source"]: group["token_count_sum"] for group in groups}


def source_entry(
    row: MixRow,
    wanted: int | None,
    docs: int,
    available: int,
    taken: tuple[int, int],
    out: tuple[int, int],
    rehydrated: tuple[dict[int, int], int] | None = None,
) -> dict:
    """A row's line in the manifest: what it asked, what its source had, what went into the shards; with
    rehydration, its taken documents per rehydration weight and its tokens before rehydration."""
    entry = {
        "source": row.source,
        "from": row.origin,
        "multiplier": str(row.multiplier),
        "wanted_unique_tokens": wanted,
        "available_docs": docs,
        "available_tokens": available,
        "unique_docs": taken[0],
        "unique_tokens": taken[1],
        "docs": out[0],
        "tokens": out[1],
        "short_tokens": shortfall(wanted, available),
    }
    if rehydrated is not None:
        by_weight, tokens_before = rehydrated
        entry["taken_docs_by_rehydration_weight"] = {str(weight): n for weight, n in sorted(by_weight.items())}
        entry["tokens_before_rehydration"] = tokens_before
    return entry


def finish(
    table: MixTable,
    shards_dir: Path,
    tokenizer: str,
    tokens_per_shard: int,
    seed: int,
    rehydrate: bool,
    sources: list[dict],
    shards: list[dict],
) -> dict:
    """Write the manifest (tmp-then-rename, no timestamps) and remove shards a previous, larger build left."""
    for stale in shards_dir.glob("shard-*.parquet"):
        if stale.name not in {shard["file"] for shard in shards}:
            stale.unlink()
    manifest = {
        "table": table.name,
        "tokenizer": tokenizer,
        "seed": seed,
        "tokens_per_shard": tokens_per_shard,
        # FineWeb-2's weights as {smallest cluster size: copies}, or None when the build does not rehydrate
        "rehydration": {str(size): weight for size, weight in REHYDRATION} if rehydrate else None,
        "docs": sum(shard["docs"] for shard in shards),
        "tokens": sum(shard["tokens"] for shard in shards),
        "sources": sources,
        "shards": shards,
    }
    tmp = shards_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, shards_dir / MANIFEST)
    return manifest


def files_of_rows(table: MixTable, out_dir: str | Path) -> list[list[str]]:
    """Each row's source files; an error when no row has any (nothing to build)."""
    check_quality_rows(table, out_dir)
    files_by_row = [source_files(row, out_dir) for row in table.rows]
    if not any(files_by_row):
        raise MixError(f"no row of {table.name!r} has source files under {out_dir} (see `monsoon mix plan`)")
    return files_by_row


def build_local(
    table: MixTable, out_dir: str | Path, shards_dir: Path, tokens_per_shard: int, seed: int, rehydrate: bool = False
) -> dict:
    """Build the shards on this machine; returns the manifest. `rehydrate`: FineWeb-2's rehydration."""
    files_by_row = files_of_rows(table, out_dir)
    tokenizer = common_tokenizer(table, files_by_row)
    schema = shard_schema(tokenizer)

    # 1. per row: which documents, how many copies (ids and token counts only)
    entries: list[tuple[str, int, str, int, int]] = []  # (entry key, row, id, copy, tokens)
    sources = []
    for index, (row, files) in enumerate(zip(table.rows, files_by_row, strict=True)):
        ids, tokens, weights = [], [], []
        for batch in read_batches(row, files, ["id", "token_count", "cluster_size"]):
            ids += batch["id"].to_pylist()
            tokens += batch["token_count"].to_pylist()
            sizes = batch["cluster_size"].to_pylist() if rehydrate else [None] * batch.num_rows
            weights += [rehydration_weight(size) for size in sizes]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i, n in Counter(ids).items() if n > 1)
            raise MixError(f"row {row.source!r}: document id {duplicate!r} occurs more than once")
        wanted = None if row.unique is None else table.tokens(row.unique)
        ordered = sorted(zip((doc_key(seed, i) for i in ids), ids, tokens, weights, strict=True))
        cumulative = itertools.accumulate(t for _, _, t, _ in ordered)
        taken = [
            (i, t, w, c) for (_, i, t, w), c in zip(ordered, cumulative, strict=True) if wanted is None or c <= wanted
        ]
        taken_tokens = taken[-1][3] if taken else 0
        whole, extra = repeats(row, taken_tokens)
        out_docs = out_tokens = tokens_before = 0
        for doc_id, t, w, c in taken:
            tokens_before += t * (whole + (c <= extra))
            for copy in range(w * (whole + (c <= extra))):
                entries.append((entry_key(seed, row.source, doc_id, copy), index, doc_id, copy, t))
                out_docs += 1
                out_tokens += t
        taken_count = (len(taken), taken_tokens)
        rehydrated = (dict(Counter(w for _, _, w, _ in taken)), tokens_before) if rehydrate else None
        sources.append(
            source_entry(row, wanted, len(ids), sum(tokens), taken_count, (out_docs, out_tokens), rehydrated)
        )

    # 2. interleave and cut into shards
    entries.sort()
    total = sum(entry[4] for entry in entries)
    n_shards = shard_count(total, tokens_per_shard)
    placement: dict[tuple[int, str], list[tuple[int, str, int]]] = {}  # (row, id) -> [(copy, key, shard)]
    before = 0
    for key, index, doc_id, copy, t in entries:
        placement.setdefault((index, doc_id), []).append((copy, key, shard_of(before, t, total, n_shards)))
        before += t

    # 3. copy the documents into per-shard spill files, then sort and write each shard
    shards_dir.mkdir(parents=True, exist_ok=True)
    spill_dir = shards_dir / "_spill"
    shutil.rmtree(spill_dir, ignore_errors=True)  # left by an interrupted build
    spill_schema = copies_schema(tokenizer)
    _spill(table, files_by_row, placement, spill_dir, spill_schema)
    shards = []
    for shard in range(n_shards):
        spill = spill_dir / f"{shard:05d}.parquet"
        rows_of_shard = pq.read_table(spill) if spill.exists() else spill_schema.empty_table()
        shards.append(write_shard(rows_of_shard, shards_dir / SHARD_FILE.format(shard), schema))
    shutil.rmtree(spill_dir, ignore_errors=True)
    return finish(table, shards_dir, tokenizer, tokens_per_shard, seed, rehydrate, sources, shards)


def _spill(
    table: MixTable,
    files_by_row: list[list[str]],
    placement: dict[tuple[int, str], list[tuple[int, str, int]]],
    spill_dir: Path,
    spill_schema: pa.Schema,
) -> None:
    """Read every source once and append each placed copy to its shard's spill file (memory: one batch)."""
    writers: dict[int, pq.ParquetWriter] = {}
    try:
        for index, (row, files) in enumerate(zip(table.rows, files_by_row, strict=True)):
            for batch in read_batches(row, files):
                rows, copies, keys, shard_ids = [], [], [], []
                for position, doc_id in enumerate(batch["id"].to_pylist()):
                    for copy, key, shard in placement.get((index, doc_id), ()):
                        rows.append(position)
                        copies.append(copy)
                        keys.append(key)
                        shard_ids.append(shard)
                if not rows:
                    continue
                picked = batch.take(rows)
                picked = picked.append_column("mix_source", pa.array([row.source] * len(rows), pa.string()))
                picked = picked.append_column("mix_copy", pa.array(copies, pa.int32()))
                picked = picked.append_column("_key", pa.array(keys, pa.string()))
                picked = conform(picked.append_column("_row", pa.array([index] * len(rows), pa.int32())), spill_schema)
                shard_column = pa.array(shard_ids)
                for shard in sorted(set(shard_ids)):
                    if shard not in writers:
                        spill_dir.mkdir(parents=True, exist_ok=True)
                        writers[shard] = pq.ParquetWriter(spill_dir / f"{shard:05d}.parquet", spill_schema)
                    writers[shard].write_table(picked.filter(pc.equal(shard_column, shard)))
    finally:
        for writer in writers.values():
            writer.close()


def format_build(manifest: dict, shards_dir: Path) -> list[str]:
    """What was built: shards and their spread around tokens_per_shard, rows that came up short."""
    target = manifest["tokens_per_shard"]
    shards = manifest["shards"]
    lines = [
        f"{manifest['table']}: {len(shards)} shards in {shards_dir} ({manifest['docs']:,} documents,"
        f" {manifest['tokens']:,} tokens; tokens_per_shard {target:,}, seed {manifest['seed']})"
    ]
    if manifest["rehydration"]:
        lines.append(
            "rehydrated as FineWeb-2: copies x "
            + ", ".join(f"{w} for clusters of {size}+" for size, w in manifest["rehydration"].items())
        )
    if shards:
        tokens = [shard["tokens"] for shard in shards]
        within = sum(abs(t - target) <= TOLERANCE * target for t in tokens)
        lines.append(
            f"shard tokens: min {min(tokens):,}, max {max(tokens):,};"
            f" {within} of {len(shards)} within ±{TOLERANCE:.0%} of {target:,}"
        )
        empty = sum(1 for shard in shards if not shard["docs"])
        if empty:
            lines.append(f"{empty} shards are empty: documents are larger than a shard; raise tokens_per_shard")
    for source in manifest["sources"]:
        repeated = source["tokens_before_rehydration"] if manifest["rehydration"] else source["tokens"]
        lines.append(
            f"  {source['source']}: {source['unique_tokens']:,} unique tokens x {source['multiplier']}"
            + (f" = {repeated:,}, rehydrated: {rehydration_note(source)};" if manifest["rehydration"] else " =")
            + f" {source['tokens']:,} tokens in {source['docs']:,} documents"
        )
        if source["short_tokens"]:
            lines.append(
                f"  SHORT: {source['source']} asks {human(source['wanted_unique_tokens'])} unique tokens,"
                f" {source['from']} has {human(source['available_tokens'])}"
            )
    return lines


def rehydration_note(source: dict) -> str:
    """How rehydration changed a manifest row: its taken documents per weight."""
    return "taken documents " + ", ".join(f"x{w} {n:,}" for w, n in source["taken_docs_by_rehydration_weight"].items())
