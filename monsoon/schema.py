"""monsoon's corpus schema: one row per document; the tokenizer's name and the schema version in the file
metadata. The intermediate files (between the per-document stage and dedup) use it plus the MinHash bands
(and, with dedup.lines, the line hashes).

`quality_signals` is a struct with one nullable float64 field per signal a step can write: `<family>.<signal>`
for every family of `monsoon.filters.FAMILIES`, plus the names the PII, MT-trace and decontamination steps declare.
A signal is null where its step or family did not run. (Version 1 stored a map column, which Hugging Face
`datasets` cannot load.)
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from monsoon.filters import FAMILIES
from monsoon.stages import decontamination, mt_traces, pii, quality_score

SCHEMA_VERSION = "3"  # 3: quality_bucket
SCHEMA_VERSION_KEY = "monsoon.schema_version"
QUALITY_BUCKET = "quality_bucket"  # column: percent, the top share of the language's ranking by quality score
TOKENIZER_KEY = "monsoon.tokenizer"  # file metadata: the tokenizer the token counts come from


@cache
def quality_signal_names() -> tuple[str, ...]:
    families = [f"{name}.{signal}" for name, family in FAMILIES.items() for signal in family.signals]
    return (
        *families,
        *pii.signal_names(),
        *mt_traces.signal_names(),
        *decontamination.signal_names(),
        *quality_score.signal_names(),
    )


def quality_signals_type() -> pa.StructType:
    return pa.struct([(name, pa.float64()) for name in quality_signal_names()])


def _metadata_columns() -> list[tuple[str, pa.DataType]]:
    return [
        ("url", pa.string()),
        ("language", pa.string()),
        ("language_score", pa.float64()),
        ("token_count", pa.int64()),
        ("source", pa.string()),
        ("dump", pa.string()),
        ("date", pa.string()),
        ("warc_path", pa.string()),
        ("charset", pa.string()),
        ("cluster_size", pa.int64()),
        ("quality_signals", quality_signals_type()),
        (QUALITY_BUCKET, pa.int64()),  # null where no quality model scored the document
    ]


_BANDS = ("minhash_bands", pa.list_(pa.int64()))
_TEXT_HASH = ("text_hash", pa.int64())  # dedup.signatures.text_hash: the exact-duplicate key
_LINES = ("line_hashes", pa.list_(pa.int64()))  # dedup.signatures.line_hashes: only with dedup.lines


def corpus_schema(tokenizer: str, with_bands: bool = False, with_lines: bool = False) -> pa.Schema:
    fields = [
        ("id", pa.string()),
        ("text", pa.string()),
        *_metadata_columns(),
        *([_TEXT_HASH, _BANDS] if with_bands else []),
        *([_LINES] if with_lines else []),
    ]
    return pa.schema(fields, metadata={SCHEMA_VERSION_KEY: SCHEMA_VERSION, TOKENIZER_KEY: tokenizer})


def signals_row(signals: dict[str, float] | None) -> dict[str, float | None] | None:
    """A document's signals as the struct's value; a name the schema does not know is an error, not a lost value."""
    if signals is None:
        return None
    unknown = sorted(set(signals) - set(quality_signal_names()))
    if unknown:
        raise KeyError(f"quality signals missing from monsoon.schema: {', '.join(unknown)}")
    return signals


def signals_of_row(value: dict[str, float | None] | None) -> dict[str, float]:
    """The struct's value as a document's signals: the ones that were computed."""
    return {name: signal for name, signal in (value or {}).items() if signal is not None}
