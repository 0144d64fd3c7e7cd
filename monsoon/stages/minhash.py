"""Attach the exact-duplicate key (metadata["text_hash"], of the normalised text) and MinHash band hashes
(metadata["minhash_bands"]) for the cross-document dedup that follows, with the shingles, bands and rows of the
document's language; with `line_min_chars` (dedup.lines on) also the hashes of its lines
(metadata["line_hashes"], dedup.signatures.line_hashes) for exact line dedup."""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import count_errored
from monsoon.dedup.signatures import band_hashes, line_hashes, shingles, text_hash
from monsoon.languages import get_language


class MinhashSignature(PipelineStep):
    name = "🎯 MinHash signature"

    def __init__(self, seed: int = 1, line_min_chars: int | None = None):
        super().__init__()
        self.seed = seed
        self.line_min_chars = line_min_chars

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                try:
                    language = get_language(doc.metadata["language"])
                    doc.metadata["text_hash"] = text_hash(doc.text)
                    items = shingles(doc.text, language)
                    doc.metadata["minhash_bands"] = band_hashes(
                        items, language.dedup.bands, language.dedup.rows, self.seed
                    )
                    if self.line_min_chars is not None:
                        doc.metadata["line_hashes"] = line_hashes(doc.text, self.line_min_chars)
                except Exception:
                    count_errored(self, doc, "minhash_failed")
                    continue
            yield doc
