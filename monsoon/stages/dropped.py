"""`keep_dropped`: every document a stage drops, with its reason, in `<folder>/<language>/<stage>-<rank>.parquet`
(datatrove's exclusion-writer idea, for every step at once): the steps that drop hand the document to this writer
through `accounting.count_dropped` (the plan wires it with `accounting.keep_dropped`), so no drop is left out.

One file per language, stage and rank, written afresh when the rank runs again (a resumed or retried rank replaces
its own files). `language` is `und` for documents dropped before language identification. `text` is the text
the document held when it was dropped: empty for records the reader dropped (not HTML, bad status, too large: no
page was decoded), the decoded HTML page for drops before extraction (pre-LID, machine-translation traces, no main
text), the extracted text after. `duplicate_of` names the document kept instead, where the dropping step knows it.
"""

from __future__ import annotations

import pyarrow as pa
from datatrove.data import Document, DocumentsPipeline

from monsoon.accounting import language_of
from monsoon.languages import LANGUAGES_DIR, get_language
from monsoon.stages.pii import mask_pii
from monsoon.stages.writer import RankFileWriter

DROPPED_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("language", pa.string()),
        ("reason", pa.string()),
        ("step", pa.string()),
        ("url", pa.string()),
        ("token_count", pa.int64()),
        ("source", pa.string()),
        ("dump", pa.string()),
        ("warc_path", pa.string()),
        ("duplicate_of", pa.string()),
        ("text", pa.string()),
    ]
)


def _row(self, doc: Document) -> dict:
    row = {name: doc.metadata.get(name) for name in DROPPED_SCHEMA.names}
    return row | {"id": doc.id, "text": doc.text}


class DroppedWriter(RankFileWriter):
    """Writes the documents the steps before it drop (`keep`), and passes the others through untouched."""

    name = "🗑️ Dropped documents"

    def __init__(self, output_folder: str, stage: str, mask: bool):
        super().__init__(output_folder, f"${{dropped_language}}/{stage}-${{rank}}.parquet", _row, DROPPED_SCHEMA)
        self.mask = mask
        self._rank = 0
        self._countries: dict[str, tuple[str, ...]] = {}

    def countries(self, language: str) -> tuple[str, ...]:
        """The countries whose PII formats apply to a language's text; none for `und` and non-target languages."""
        if language not in self._countries:
            known = (LANGUAGES_DIR / f"{language}.yaml").exists()
            self._countries[language] = tuple(get_language(language).pii.countries) if known else ()
        return self._countries[language]

    def keep(self, doc: Document, reason: str, step: str) -> None:
        """Write a dropped document with its reason and the step (or filter family) that dropped it."""
        language = language_of(doc)
        text = mask_pii(doc.text, self.countries(language))[0] if self.mask and doc.text else doc.text
        metadata = {**doc.metadata, "language": language, "reason": reason, "step": step}
        dropped = Document(text=text, id=doc.id, metadata=metadata)
        self.write(dropped, self._rank, dropped_language=language)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        # this generator is the outermost of the rank: it starts before any step upstream drops a document, and its
        # files close once they are all drained
        self._rank = rank
        with self:
            yield from data
