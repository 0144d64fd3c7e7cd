"""Documents to and from parquet in monsoon's schema (`monsoon.schema`): the corpus, and the intermediate files
between the per-document stage and dedup."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.readers.parquet import ParquetReader
from datatrove.pipeline.writers.parquet import ParquetWriter

from monsoon.accounting import count_kept
from monsoon.schema import corpus_schema, signals_of_row, signals_row


def document_row(doc: Document, schema: pa.Schema) -> dict:
    """A Document as a row of `schema` (metadata fields the schema lacks are left out)."""
    row = {"id": doc.id, "text": doc.text}
    row.update({name: doc.metadata.get(name) for name in schema.names if name not in row})
    if "quality_signals" in row:
        row["quality_signals"] = signals_row(row["quality_signals"])
    return row


def _row_adapter(schema: pa.Schema):
    return lambda self, doc: document_row(doc, schema)


def _document(self, data: dict, path: str, id_in_file: int | str) -> dict:
    """Intermediate row -> Document fields (the reader's adapter)."""
    metadata = {k: v for k, v in data.items() if k not in ("id", "text")}
    metadata["quality_signals"] = signals_of_row(data.get("quality_signals"))
    return {"id": data["id"], "text": data["text"], "metadata": metadata}


class RankFileWriter(ParquetWriter):
    """datatrove's ParquetWriter as every monsoon output uses it: one file per rank (and template key, e.g.
    language) with a fixed schema, never split by size, so a rerun or retried rank replaces exactly its own files."""

    def __init__(self, output_folder: str, output_filename: str, adapter: Callable[..., dict], schema: pa.Schema):
        super().__init__(
            output_folder,
            output_filename=output_filename,
            adapter=adapter,
            schema=schema,
            max_file_size=-1,
            use_content_defined_chunking=False,
        )


class CorpusWriter(RankFileWriter):
    """`<output>/<language>/<rank>.parquet`; with `final=True` each row written is counted as kept, else (the
    intermediate files) the dedup keys are written too, the line hashes with `lines`."""

    name = "📒 Corpus parquet"

    def __init__(self, output_folder: str, tokenizer: str, final: bool, lines: bool = False):
        schema = corpus_schema(tokenizer, with_bands=not final, with_lines=lines and not final)
        super().__init__(output_folder, "${language}/${rank}.parquet", _row_adapter(schema), schema)
        self.final = final

    def write(self, document: Document, rank: int = 0, **kwargs) -> None:
        super().write(document, rank, **kwargs)
        if self.final:
            count_kept(self, document)


def rank_of_file(path: str) -> int:
    """The rank that wrote `<language>/<rank>.parquet`."""
    return int(path.rsplit("/", 1)[-1].split(".")[0])


class IntermediateReader(ParquetReader):
    """Rank r reads the intermediate files documents rank r wrote (`<language>/<r>.parquet`), so a write rank's
    files are named after, and hold the documents of, the documents rank of the same number."""

    name = "📖 Intermediate parquet"

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        files = self.data_folder.list_files(glob_pattern=f"*/{rank:05d}.parquet")
        for doc in self.read_files_shard(files):
            self.update_doc_stats(doc)
            yield doc


def intermediate_reader(folder: str) -> IntermediateReader:
    return IntermediateReader(folder, adapter=_document)
