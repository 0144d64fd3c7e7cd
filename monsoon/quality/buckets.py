"""Quality buckets: per language, percentile cut points of the kept documents' quality scores, and each document's
bucket (`quality_bucket`: the upper edge, in percent, of the top share of the ranking it falls in; 10 = the top
10%). The cut points are computed from the intermediate files' `id` and `quality_signals` columns (no text) minus
the documents dedup dropped (`_dedup/`), so both engines, and every write rank, get the same ones."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyarrow.parquet as pq
from datatrove.io import get_datafolder

from monsoon.quality.model import SIGNAL


def cut_points(scores: Sequence[float], edges: Sequence[int]) -> dict[int, float]:
    """edge -> the lowest score of the top `edge` percent of `scores` (at least one document per edge); the last
    edge (100) is the lowest score. Tied scores fall in the same bucket, so a bucket may hold a little more."""
    ranked = sorted(scores, reverse=True)
    if not ranked:
        return {}
    return {edge: ranked[max(1, math.ceil(len(ranked) * edge / 100)) - 1] for edge in edges}


def bucket_of(score: float, cuts: dict[int, float]) -> int:
    """The first (best) bucket whose cut point the score reaches."""
    for edge, cut in sorted(cuts.items()):
        if score >= cut:
            return edge
    return max(cuts)


def _parquet_columns(folder: str, pattern: str, columns: list[str]) -> list[dict]:
    data = get_datafolder(folder)
    if not data.exists(""):
        return []
    tables = []
    for path in data.list_files(glob_pattern=pattern):
        with data.open(path, "rb") as file:
            tables.append(pq.read_table(file, columns=columns).to_pydict())
    return tables


def language_scores(intermediate: str, dedup_table: str, language: str) -> tuple[float, ...]:
    """The quality scores of a language's documents that reached the write stage and that dedup keeps."""
    dropped = {i for table in _parquet_columns(dedup_table, f"{language}/*.parquet", ["id"]) for i in table["id"]}
    scores = []
    for table in _parquet_columns(intermediate, f"{language}/*.parquet", ["id", "quality_signals"]):
        for doc_id, signals in zip(table["id"], table["quality_signals"], strict=True):
            score = (signals or {}).get(SIGNAL)
            if score is not None and doc_id not in dropped:
                scores.append(score)
    return tuple(scores)


def run_cut_points(intermediate: str, dedup_table: str, languages: Sequence[str], edges: Sequence[int]) -> dict:
    """language -> {"documents": n, "cut_points": {edge: score}} for the languages with scored documents."""
    found = {}
    for language in languages:
        scores = language_scores(intermediate, dedup_table, language)
        if scores:
            found[language] = {"documents": len(scores), "cut_points": cut_points(scores, edges)}
    return found
