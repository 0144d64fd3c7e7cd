"""Attach MinHash band hashes (metadata["minhash_bands"]) for the cross-document dedup that follows."""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import count_errored
from monsoon.dedup.signatures import band_hashes, shingles
from monsoon.languages import get_language


class MinhashSignature(PipelineStep):
    name = "🎯 MinHash signature"

    def __init__(self, bands: int = 14, rows: int = 8, seed: int = 1):
        super().__init__()
        self.bands, self.rows, self.seed = bands, rows, seed

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                try:
                    items = shingles(doc.text, get_language(doc.metadata["language"]))
                    doc.metadata["minhash_bands"] = band_hashes(items, self.bands, self.rows, self.seed)
                except Exception:
                    count_errored(self, doc, "minhash_failed")
                    continue
            yield doc
