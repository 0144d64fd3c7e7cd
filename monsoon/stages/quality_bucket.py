"""Write stage: each kept document's quality bucket (`quality_bucket`) from its language's percentile cut points of
the scores dedup keeps (quality/buckets.py)."""

from __future__ import annotations

from collections.abc import Sequence

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

from monsoon.quality.buckets import bucket_of, cut_points, language_scores
from monsoon.quality.model import SIGNAL


class QualityBucket(PipelineStep):
    """Write stage: each scored document's `quality_bucket` from its language's cut points. Each rank reads every
    rank's score column of its languages once (a step is built per rank, so nothing is cached across runs in a
    reused Spark worker); documents without a score (languages without a model) get none. The documents line
    dedup empties later (duplicate_lines) still count among the scores: the cut points need no second pass."""

    name = "🪣 Quality bucket"

    def __init__(self, intermediate: str, dedup_table: str, edges: Sequence[int]):
        super().__init__()
        self.intermediate, self.dedup_table, self.edges = intermediate, dedup_table, tuple(edges)
        self._cuts: dict[str, dict[int, float]] = {}

    def run(self, data, rank: int = 0, world_size: int = 1):
        for doc in data:
            self.assign(doc)
            yield doc

    def assign(self, doc: Document) -> None:
        score = (doc.metadata.get("quality_signals") or {}).get(SIGNAL)
        if score is None:
            return
        language = doc.metadata["language"]
        if language not in self._cuts:
            scores = language_scores(self.intermediate, self.dedup_table, language)
            self._cuts[language] = cut_points(scores, self.edges)
        doc.metadata["quality_bucket"] = bucket_of(score, self._cuts[language])
        self.stat_update(f"bucket_{language}_{doc.metadata['quality_bucket']}")
