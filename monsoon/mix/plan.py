"""What a monsoon output holds against what a mix table asks.

Token counts come from the parquet `token_count` column (counted once, right after extraction): nothing is
re-tokenised. A short row gets an estimate of the raw crawl that would close the gap, from the run's yield:
the row's kept tokens per record the run read (accounting.json).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from monsoon import storage
from monsoon.mix.table import MixError, MixRow, MixTable, human
from monsoon.schema import QUALITY_BUCKET, TOKENIZER_KEY


def source_files(row: MixRow, out_dir: str | Path) -> list[str]:
    """The row's parquet files, sorted: OUT_DIR/<language>/*.parquet or the external path/glob (local or URI)."""
    if row.language:
        return storage.glob(storage.join(out_dir, row.language, "*.parquet"))
    if row.parquet:
        return storage.glob(row.parquet)
    return []


def read_batches(row: MixRow, files: list[str], columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The row's documents, file by file and batch by batch (only `columns` when given; one a file lacks, such
    as external parquet's cluster_size, comes as nulls); a row with a `dataset` keeps the documents whose `source`
    column is that dataset."""
    for path in files:
        parquet = storage.parquet_file(path)
        names = parquet.schema_arrow.names
        missing = [name for name in ("id", "token_count") if name not in names]
        if missing:
            raise MixError(f"{path}: no {' or '.join(missing)} column (row {row.source!r})")
        if row.quality and QUALITY_BUCKET not in names:
            raise MixError(f"{path}: no {QUALITY_BUCKET} column (row {row.source!r} takes quality buckets)")
        extra = (["source"] if row.dataset else []) + ([QUALITY_BUCKET] if row.quality else [])
        wanted = None if columns is None else list(dict.fromkeys(columns + extra))
        present = None if wanted is None else [name for name in wanted if name in names]
        for batch in parquet.iter_batches(columns=present, batch_size=10_000):
            table = pa.Table.from_batches([batch])
            if row.dataset:
                table = table.filter(pc.equal(table["source"], row.dataset))
            if row.quality:  # a document without a bucket (no model scored it) is in no range
                bucket = table[QUALITY_BUCKET]
                table = table.filter(pc.and_(pc.greater(bucket, row.quality[0]), pc.less_equal(bucket, row.quality[1])))
            if "token_count" in table.column_names and table["token_count"].null_count:
                raise MixError(f"{path}: documents without a token_count (row {row.source!r})")
            for name in [] if columns is None else [c for c in columns if c not in names]:
                table = table.append_column(name, pa.nulls(table.num_rows))
            yield table if columns is None else table.select(columns)


def file_tokenizers(files: list[str]) -> set[str]:
    """The tokenizer names the files were counted with (monsoon.tokenizer metadata; files without it add none)."""
    names = set()
    for path in files:
        metadata = storage.parquet_file(path).schema_arrow.metadata or {}
        if TOKENIZER_KEY.encode() in metadata:
            names.add(metadata[TOKENIZER_KEY.encode()].decode())
    return names


def common_tokenizer(table: MixTable, files_by_row: list[list[str]]) -> str:
    """The one tokenizer every source was counted with (and the table's, when it names one)."""
    names = set().union(*(file_tokenizers(files) for files in files_by_row))
    if table.tokenizer:
        names.add(table.tokenizer)
    if len(names) > 1:
        raise MixError(f"sources are counted with different tokenizers ({', '.join(sorted(names))}): tokens differ")
    return names.pop() if names else "unknown"


def shortfall(wanted: int | None, available: int) -> int:
    """Tokens a row asks beyond what its source holds (0 when it asks for all of it)."""
    return max(0, wanted - available) if wanted is not None else 0


@dataclass
class RowPlan:
    row: MixRow
    files: int
    docs: int
    available: int  # tokens the source holds
    wanted: int | None  # unique tokens the row asks (None: all)
    tokens_per_record: float | None  # the row's kept tokens per record read by the run (monsoon sources only)

    @property
    def short(self) -> int:
        return shortfall(self.wanted, self.available)

    @property
    def unique(self) -> int:
        """Unique tokens the row will take."""
        return self.available if self.wanted is None else min(self.wanted, self.available)

    @property
    def more_records(self) -> int | None:
        """Records to crawl on top of the run's to close the gap, at the run's yield (None: no yield known)."""
        if not self.short or not self.tokens_per_record:
            return None
        return math.ceil(self.short / self.tokens_per_record)


def records_read(out_dir: str | Path) -> int | None:
    """Records the run read (accounting.json), or None when OUT_DIR has no accounting."""
    path = storage.join(out_dir, "accounting.json")
    return json.loads(storage.read_text(path))["total"]["read"] if storage.exists(path) else None


def check_quality_rows(table: MixTable, out_dir: str | Path) -> None:
    """A row's quality range must fall on its language's bucket edges in the run (accounting.json
    `quality_buckets`), so that it takes exactly the documents it names."""
    path = storage.join(out_dir, "accounting.json")
    languages = json.loads(storage.read_text(path))["languages"] if storage.exists(path) else {}
    for row in table.rows:
        if not (row.quality and row.language):
            continue
        buckets = languages.get(row.language, {}).get("quality_buckets")
        if not buckets:
            raise MixError(
                f"row {row.source!r}: {out_dir} has no quality buckets of {row.language} (run it with a"
                " quality model: quality_models in the run config)"
            )
        edges = {0, *(int(edge) for edge in buckets["cut_points"])}
        for end in row.quality:
            if end not in edges:
                raise MixError(
                    f"row {row.source!r}: {end}% is not a quality bucket edge of {row.language} in {out_dir}"
                    f" (edges: {', '.join(str(e) for e in sorted(edges))})"
                )


def plan_table(table: MixTable, out_dir: str | Path) -> tuple[list[RowPlan], int | None]:
    check_quality_rows(table, out_dir)
    read = records_read(out_dir)
    plans = []
    files_by_row = [source_files(row, out_dir) for row in table.rows]
    common_tokenizer(table, files_by_row)
    for row, files in zip(table.rows, files_by_row, strict=True):
        docs = available = 0
        for batch in read_batches(row, files, ["token_count"]):
            docs += batch.num_rows
            available += pc.sum(batch["token_count"]).as_py() or 0
        wanted = None if row.unique is None else table.tokens(row.unique)
        per_record = available / read if row.language and read else None
        plans.append(RowPlan(row, len(files), docs, available, wanted, per_record))
    return plans, read


def format_plan(table: MixTable, plans: list[RowPlan], read: int | None, out_dir: Path) -> list[str]:
    """A table of rows (available vs asked), one line per short row with the crawl estimate, a summary."""
    header = ("row", "source", "from", "files", "docs", "available", "wanted", "x", "output", "status")
    cells = [
        (
            str(n),
            p.row.source,
            p.row.origin,
            str(p.files),
            f"{p.docs:,}",
            human(p.available),
            "all" if p.wanted is None else human(p.wanted),
            str(p.row.multiplier),
            human(int(p.unique * p.row.multiplier.value)),
            f"SHORT by {human(p.short)}" if p.short else "EMPTY" if not p.available else "ok",
        )
        for n, p in enumerate(plans, start=1)
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    left = {1, 2, 9}
    lines = [
        f"{table.name}: {len(plans)} rows against {out_dir}" + (f" ({read:,} records read by the run)" if read else "")
    ]
    for line in [header, *cells]:
        lines.append(
            "  ".join(
                c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
    short = [p for p in plans if p.short]
    empty = [p for p in plans if not p.available]
    for p in plans:
        if p.short:
            line = f"short: {p.row.source}: has {human(p.available)} of {human(p.wanted)} unique tokens"
        elif not p.available:
            line = f"empty: {p.row.source}: no tokens"
        else:
            continue
        if p.more_records:
            ratio = p.more_records / read
            line += (
                f"; at {p.tokens_per_record:,.1f} kept tokens per record read, about {human(p.more_records)} more"
                f" records ({ratio:,.{1 if ratio < 10 else 0}f}x this run's input)"
            )
        elif p.row.language:
            line += f"; the run kept no {p.row.origin} documents, so there is no yield to extrapolate from"
        elif p.row.parquet:
            line += f"; {'no files match' if not p.files else 'no documents in'} {p.row.parquet}"
        else:
            line += "; the row names no source (give it a language or a parquet path)"
        lines.append(line)
    asked = sum(int(p.wanted * p.row.multiplier.value) for p in plans if p.wanted is not None)
    output = sum(int(p.unique * p.row.multiplier.value) for p in plans)
    lines.append(
        f"{len(short)} of {len(plans)} rows short, {len(empty)} empty; the rows with a target ask {human(asked)}"
        f" tokens after multipliers, the sources give {human(output)}"
    )
    return lines
