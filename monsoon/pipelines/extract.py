"""Stage 1, per document: WARC -> text -> tokens -> language -> quality filters -> MinHash bands -> intermediate
parquet."""

from __future__ import annotations

import glob
import os
import re

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.config import RunConfig
from monsoon.stages.extract import Extract
from monsoon.stages.lid import LanguageId
from monsoon.stages.minhash import MinhashSignature
from monsoon.stages.prelid import PreLanguageCheck
from monsoon.stages.quality import QualityFilter
from monsoon.stages.token_count import TokenCount
from monsoon.stages.warc_reader import WarcDocumentReader
from monsoon.stages.writer import CorpusWriter

WARC_GLOB = "**/*.warc*"
_GLOB_CHARS = re.compile(r"[*?\[]")


def split_input(path: str) -> tuple[str, str]:
    """An input path, file or glob (local or URI) as (folder, glob pattern relative to it)."""
    if _GLOB_CHARS.search(path):
        parts = path.split("/")
        first_glob = next(i for i, part in enumerate(parts) if _GLOB_CHARS.search(part))
        return "/".join(parts[:first_glob]) or ".", "/".join(parts[first_glob:])
    if "://" not in path and os.path.isfile(path):
        return os.path.dirname(path) or ".", glob.escape(os.path.basename(path))
    return path, WARC_GLOB


def warc_reader(config: RunConfig) -> WarcDocumentReader:
    folder, pattern = split_input(config.input)
    return WarcDocumentReader(
        folder,
        glob_pattern=pattern,
        source=config.source,
        dump=config.dump,
        max_html_bytes=config.reader.max_html_bytes,
    )


def document_steps(config: RunConfig) -> list[PipelineStep]:
    """The per-document steps after reading, shared by every engine: pre-LID, extract, token count, LID,
    quality, MinHash bands. Tokens are counted right after extraction so every later drop is known in tokens too."""
    steps: list[PipelineStep] = []
    if config.prelid.enabled:
        steps.append(
            PreLanguageCheck(
                config.languages,
                model=config.lid.model,
                text_chars=config.prelid.text_chars,
                top_k=config.prelid.top_k,
                min_score=config.prelid.min_score,
            )
        )
    steps += [
        Extract(
            timeout=config.extract.timeout,
            favour_precision=config.extract.favour_precision,
            deduplicate=config.extract.deduplicate,
        ),
        TokenCount(config.tokenizer),
        LanguageId(config.languages, model=config.lid.model, max_chars=config.lid.max_chars),
        QualityFilter(config.languages, recipe=config.recipe),
    ]
    if config.dedup.enabled:
        steps.append(MinhashSignature(config.dedup.seed))
    return steps


def pipe(
    steps: list[PipelineStep], rank: int = 0, world_size: int = 1, data: DocumentsPipeline = None
) -> DocumentsPipeline:
    """Chain steps as datatrove's executors do (each takes the previous one's documents), for engines and tools
    that run steps without an executor. `data`: documents already read, if the first step is not a reader."""
    for step in steps:
        data = step(data, rank, world_size)
    return data


def extract_pipeline(config: RunConfig, intermediate_dir: str) -> list[PipelineStep]:
    return [
        warc_reader(config),
        *document_steps(config),
        CorpusWriter(intermediate_dir, tokenizer=config.tokenizer, final=False),
    ]
