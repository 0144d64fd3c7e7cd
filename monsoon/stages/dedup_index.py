"""Write the run's part of the persistent dedup index (monsoon/dedup/index.py): every document that reached dedup,
before the duplicate filter, as `_index/<language>/<rank>.parquet` (id, source, dump, text_hash, minhash_bands)
under the step's output folder, and each language's signature settings beside its parts. Documents pass on
unchanged."""

from __future__ import annotations

from datatrove.data import Document

from monsoon.dedup.index import INDEX_DIR, INDEX_SCHEMA, write_signature_settings
from monsoon.stages.writer import RankFileWriter


def _index_row(self, doc: Document) -> dict:
    return {"id": doc.id, **{name: doc.metadata.get(name) for name in INDEX_SCHEMA.names if name != "id"}}


class DedupIndexWriter(RankFileWriter):
    name = "🗂️ Dedup index"

    def __init__(self, output_folder: str, seed: int):
        super().__init__(output_folder, f"{INDEX_DIR}/${{language}}/${{rank}}.parquet", _index_row, INDEX_SCHEMA)
        self.seed = seed
        self._described: set[str] = set()

    def write(self, document: Document, rank: int = 0, **kwargs) -> None:
        language = document.metadata["language"]
        if language not in self._described:  # every rank writes the same settings: the last one stays
            write_signature_settings(self.output_folder, language, self.seed, under=INDEX_DIR)
            self._described.add(language)
        super().write(document, rank, **kwargs)
