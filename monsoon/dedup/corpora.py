"""Dedup beyond one run: an index of an external corpus (`monsoon index`), and the global dedup of finished runs
(`monsoon dedup`, on one machine here; dedup/spark_corpora.py is its Spark engine).

Global dedup keeps the documents one run over all the runs' inputs would keep. A run's dedup decisions
(dedup/local.py `decide`) are a function of the set of (id, text_hash, bands) of the documents that reached dedup,
and nothing else: every step before dedup judges one document alone (trafilatura's cross-page `deduplicate` is off),
so a document reaches dedup in one big run exactly when it does in its own run (with the same config), and ids are
the WARC records' own. The runs' indexes hold exactly those rows, so `decide` over their union is the big run's
decision for every document. Its kept documents are all in the runs' corpora: a document that is the smallest id of
its global exact group and cluster is the smallest of its run's too (those are subsets), so its run kept it. Runs
that were themselves deduplicated --dedup-against others are refused: their corpora miss documents that the union
would keep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.io import get_datafolder
from fsspec.core import url_to_fs

from monsoon import fetch, storage
from monsoon.dedup.index import (
    INDEX_DIR,
    INDEX_SCHEMA,
    META_FILE,
    IncompatibleIndex,
    earlier_parts,
    write_signature_settings,
)
from monsoon.dedup.local import decide
from monsoon.dedup.signatures import band_hashes, shingles, text_hash
from monsoon.languages import get_language
from monsoon.stages.near_duplicates import DECISION_SCHEMA

_BATCH_ROWS = 10_000


def text_files(path: str, extensions: tuple[str, ...] = ("parquet", "jsonl", "jsonl.gz")) -> list[str]:
    """A file, a glob, or every file with one of `extensions` under a folder."""
    fs, stripped = url_to_fs(path)
    if fs.isdir(stripped):
        return sorted(f for ext in extensions for f in storage.glob(storage.join(path, f"**/*.{ext}")))
    return storage.glob(path)


def corpus_rows(path: str, columns: list[str]) -> Iterator[list[dict]]:
    """Batches of rows of a parquet or jsonl[.gz] file, with only `columns`; a text file (.txt[.gz]) is one
    document a non-empty line, its `columns[0]` (fastText's convention for training text)."""
    if path.endswith(".parquet"):
        for batch in storage.parquet_file(path).iter_batches(_BATCH_ROWS, columns=columns):
            yield batch.to_pylist()
        return
    text = path.endswith((".txt", ".txt.gz"))
    with fetch.open_text(path) as file:
        batch = []
        for line in file:
            if line.strip():
                row = {columns[0]: line.rstrip("\r\n")} if text else json.loads(line)
                batch.append({column: row.get(column) for column in columns})
            if len(batch) == _BATCH_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch


def _write_settings(to: str, language: str, seed: int) -> None:
    """Write the index's signature settings, or check the ones already there (an index grows only alike)."""
    folder = get_datafolder(to)
    if folder.exists(f"{language}/{META_FILE}"):
        earlier_parts([to], language, seed)  # raises IncompatibleIndex on other settings
    else:
        write_signature_settings(folder, language, seed)


def index_corpus(
    path: str,
    language: str,
    to: str,
    text_column: str = "text",
    id_column: str | None = None,
    source: str | None = None,
    seed: int = 1,
) -> int:
    """Add the documents of `path` (parquet / jsonl files) to the index folder `to` as new parts, one per input
    file, with the run's shingling; returns the documents indexed. Ids default to `<file name>:<row number>`."""
    spec = get_language(language)
    files = text_files(path)
    if not files:
        raise FileNotFoundError(f"no parquet or jsonl files match {path}")
    _write_settings(to, language, seed)
    folder = get_datafolder(to)
    taken = [int(PurePosixPath(p).stem) for p in folder.list_files(glob_pattern=f"{language}/*.parquet")]
    part = max(taken, default=-1) + 1
    source = source or PurePosixPath(path.rstrip("/")).name
    columns = [text_column, *([id_column] if id_column else [])]
    total = 0
    for file_path in files:
        name = PurePosixPath(file_path).name
        with folder.open(f"{language}/{part:05d}.parquet", "wb") as out, pq.ParquetWriter(out, INDEX_SCHEMA) as writer:
            row_number = 0
            for batch in corpus_rows(file_path, columns):
                rows = []
                for row in batch:
                    text = row[text_column] or ""
                    doc_id = str(row[id_column]) if id_column else f"{name}:{row_number}"
                    bands = band_hashes(shingles(text, spec), spec.dedup.bands, spec.dedup.rows, seed)
                    rows.append(
                        {
                            "id": doc_id,
                            "source": source,
                            "dump": None,
                            "text_hash": text_hash(text),
                            "minhash_bands": bands,
                        }
                    )
                    row_number += 1
                writer.write_table(pa.Table.from_pylist(rows, schema=INDEX_SCHEMA))
                total += len(rows)
        part += 1
    return total


def _job(run: str) -> dict:
    folder = get_datafolder(run)
    if not folder.exists("_work/job.json") or not folder.exists("accounting.json"):
        raise FileNotFoundError(f"{run}: not a finished monsoon run (no accounting.json or _work/job.json)")
    return json.loads(folder.read_text("_work/job.json"))


def check_runs(runs: list[str], to: str) -> tuple[int, list[str]]:
    """The refusals of a global dedup (both engines): `to` not empty, a run not finished or deduplicated
    --dedup-against others, different dedup.seed. Returns (the runs' seed, their languages)."""
    out = get_datafolder(to)
    if out.exists("") and out.list_files():
        raise FileExistsError(f"{to} is not empty: give monsoon dedup a new folder")
    jobs = {run: _job(run) for run in runs}
    chained = [run for run, job in jobs.items() if job.get("dedup.against")]
    if chained:
        raise IncompatibleIndex(
            f"{', '.join(chained)} ran --dedup-against other runs: their corpora lack documents a global dedup keeps;"
            " rerun them without it"
        )
    seeds = {job.get("dedup.seed", 1) for job in jobs.values()}
    if len(seeds) != 1:
        raise IncompatibleIndex(f"the runs' dedup.seed differ ({sorted(seeds)}): their band hashes cannot match")
    return seeds.pop(), sorted({code for job in jobs.values() for code in job.get("languages", [])})


def index_parts(runs: list[str], language: str, seed: int) -> list[tuple[str, str]]:
    """(run, part URI) of every index part of `language` of the runs, in the command's order (signatures
    checked: IncompatibleIndex)."""
    return earlier_parts([run for run in runs if get_datafolder(run).exists(f"{INDEX_DIR}/{language}")], language, seed)


def corpus_files(runs: list[str], language: str) -> list[tuple[str, str]]:
    """(run, file URI) of the runs' corpus files of `language`; output file n is the kept part of the n-th."""
    return [
        (run, storage.join(run, path))
        for run in runs
        for path in get_datafolder(run).list_files(glob_pattern=f"{language}/*.parquet")
    ]


Verdict = tuple[str | None, int, str | None]  # (the first run holding the id, global cluster_size, drop reason)


def write_kept(to: str, language: str, number: int, run: str, table: pa.Table, verdicts: list[Verdict]) -> dict:
    """Write the documents of `run`'s corpus file `table` that the global dedup keeps as `to/<language>/<number>`
    (cluster_size the global one); `verdicts` are its rows'. A document is kept iff it has no drop reason and `run`
    is the first run holding its id (a record two runs read is one document). Returns {"documents", "kept",
    reason: n}."""
    counts = {"documents": table.num_rows}
    keep = [reason is None and first == run for first, _, reason in verdicts]
    for (_, _, reason), kept in zip(verdicts, keep, strict=True):
        if not kept and reason:
            counts[reason] = counts.get(reason, 0) + 1
    kept_table = table.filter(pa.array(keep, pa.bool_()))
    sizes = [size for (_, size, _), kept in zip(verdicts, keep, strict=True) if kept]
    kept_table = kept_table.set_column(
        kept_table.schema.get_field_index("cluster_size"), "cluster_size", pa.array(sizes, pa.int64())
    )
    with get_datafolder(to).open(f"{language}/{number:05d}.parquet", "wb") as file:
        pq.write_table(kept_table, file)
    counts["kept"] = kept_table.num_rows
    return counts


def add_counts(total: dict[str, int], counts: dict[str, int]) -> None:
    for key, value in counts.items():
        total[key] = total.get(key, 0) + value


def write_dropped(to: str, language: str, rows: pa.Table) -> None:
    """The global dedup table of `language`: its dropped documents (DECISION_SCHEMA), sorted by id."""
    with get_datafolder(to).open(f"_dedup/{language}/00000.parquet", "wb") as file:
        pq.write_table(rows.select(DECISION_SCHEMA.names).cast(DECISION_SCHEMA).sort_by("id"), file)


def dedup_runs(runs: list[str], to: str) -> dict[str, dict[str, int]]:
    """Global dedup of finished runs into `to`: each language's kept documents of the runs' corpora that the union
    of their indexes keeps (`to/<language>/<n>.parquet`, cluster_size over the union), and the documents it drops
    (`to/_dedup/<language>/00000.parquet`, duplicate_run naming the run of duplicate_of). Returns per language
    {"documents": in the runs' corpora, "kept": n, reason: n}. One machine: memory holds the indexes' hashes
    (dedup/spark_corpora.py is the Spark engine's)."""
    seed, languages = check_runs(runs, to)
    summary = {}
    for language in languages:
        parts = index_parts(runs, language, seed)
        if not parts:
            continue
        run_of: dict[str, str] = {}
        docs = []
        for run, uri in parts:
            table = storage.read_parquet(uri, columns=["id", "text_hash", "minhash_bands"]).to_pydict()
            for row in zip(table["id"], table["text_hash"], table["minhash_bands"], strict=True):
                if row[0] not in run_of:  # a record two runs read is one document
                    run_of[row[0]] = run
                    docs.append(row)
        decisions = {row[0]: row for row in decide(docs)}
        dropped = [(*row[:5], run_of[row[4]]) for row in decisions.values() if row[3] is not None]
        write_dropped(to, language, pa.table(list(zip(*dropped, strict=True)) or [[]] * 6, schema=DECISION_SCHEMA))
        counts = {"documents": 0, "kept": 0}
        for number, (run, uri) in enumerate(corpus_files(runs, language)):
            table = storage.read_parquet(uri)
            verdicts = [
                (run_of.get(i), *decisions.get(i, (i, i, 1, None))[2:4]) for i in table.column("id").to_pylist()
            ]
            add_counts(counts, write_kept(to, language, number, run, table, verdicts))
        summary[language] = counts
    return summary
