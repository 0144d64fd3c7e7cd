"""The run as data: its stages, in order, each with the factory of its steps. This is the only place a step list
is written; both engines and `monsoon tune` take their steps from here.

`stages(config, layout)` lists them; each engine runs every stage's ranks its own way (pipelines/local.py,
pipelines/spark.py).

1. documents (`tasks` ranks locally, one per input file on Spark): WARC -> document_steps -> intermediate parquet
   `_work/intermediate/<language>/<rank>.parquet`, with MinHash bands;
2. clusters  exact copies (text hash), near-duplicate clusters of the documents sharing a band, and the
   documents the --dedup-against indexes hold: the dedup decisions, written per documents rank
   (`_work/clusters/<language>/<rank>.parquet`, the dropped ones also `_dedup/<language>/<rank>.parquet`); with
   dedup.lines, the lines each kept document shares with a kept one of a smaller id
   (`_work/clusters/lines/<language>/<rank>.parquet`): the only engine-specific stage (union-find locally, Spark SQL);
3. write     (as many ranks as the documents stage): rank r reads the intermediate files of documents rank r, adds
   them to the run's dedup index (`_index/<language>/<r>.parquet`), drops the duplicates its cluster files name,
   removes the duplicate lines and writes `<output>/<language>/<r>.parquet`.

With `keep_dropped`, stages 1 and 3 also write the documents their steps drop to
`<output>/_dropped/<language>/<stage>-<r>.parquet` (stages/dropped.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import keep_dropped
from monsoon.config import RunConfig
from monsoon.crawl.reader import WarcRangeReader
from monsoon.crawl.select import is_index, selected_files, warc_prefix
from monsoon.fetch import failures_of
from monsoon.pipelines.inputs import input_folder
from monsoon.pipelines.layout import RunLayout
from monsoon.quality.buckets import run_cut_points
from monsoon.stages.budget import budgeted
from monsoon.stages.decontamination import Decontamination
from monsoon.stages.dedup_index import DedupIndexWriter
from monsoon.stages.dropped import DroppedWriter
from monsoon.stages.extract import Extract
from monsoon.stages.footer import FooterTrim
from monsoon.stages.junk import JunkFilter
from monsoon.stages.lid import LanguageId
from monsoon.stages.minhash import MinhashSignature
from monsoon.stages.mt_traces import MachineTranslationTraces
from monsoon.stages.near_duplicates import NearDuplicateFilter
from monsoon.stages.ng_hosts import NgHostFilter
from monsoon.stages.pii import PiiMask
from monsoon.stages.prelid import PreLanguageCheck
from monsoon.stages.progress import Progress
from monsoon.stages.quality import QualityFilter
from monsoon.stages.quality_bucket import QualityBucket
from monsoon.stages.quality_score import QualityScore
from monsoon.stages.token_count import TokenCount
from monsoon.stages.url_filter import UrlFilter
from monsoon.stages.warc_reader import WarcDocumentReader
from monsoon.stages.writer import CorpusWriter, intermediate_reader

DOCUMENTS, CLUSTERS, WRITE = "1_extract", "2_clusters", "3_write"  # stage names: their log folders


def warc_reader(config: RunConfig) -> WarcDocumentReader:
    """The reader of the run's input: whole WARC files, or for a columnar index the selected records of the
    selection's WARC files (crawl/reader.py; `input_files` makes the selection first)."""
    if is_index(config.input):
        return WarcRangeReader(
            warc_prefix(config),
            selected_files(config.output)[: config.limit],
            config.output,
            config.index,
            source=config.source,
            dump=config.dump,
            max_html_bytes=config.reader.max_html_bytes,
            fetch_settings=config.fetch,
        )
    return WarcDocumentReader(
        input_folder(config.input, config.input_prefix, config.limit, config.fetch),
        source=config.source,
        dump=config.dump,
        max_html_bytes=config.reader.max_html_bytes,
        fetch_settings=config.fetch,
    )


def identification_steps(config: RunConfig) -> list[PipelineStep]:
    """The per-document steps after reading up to language identification: pre-LID, machine-translation traces (on
    the raw page), extract, token count, LID. Tokens are counted right after extraction so every later drop is known
    in tokens too."""
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
    if config.mt_traces.enabled:
        steps.append(MachineTranslationTraces(config.mt_traces.action))
    steps += [
        Extract(
            timeout=config.extract.timeout,
            favour_precision=config.extract.favour_precision,
            deduplicate=config.extract.deduplicate,
        ),
        TokenCount(config.tokenizer),
        LanguageId(config.languages, model=config.lid.model, max_chars=config.lid.max_chars, recipe=config.recipe),
    ]
    return steps


def document_steps(config: RunConfig) -> list[PipelineStep]:
    """Every per-document step after reading, shared by both engines: identification_steps, FineWeb's URL filter
    (first of the filters, as FineWeb runs it, under both recipes), host blocklist, junk rules, footer trimming,
    personal-data masking (a trimmed or masked text's tokens are counted again), quality filters, benchmark
    decontamination, MinHash bands."""
    steps = [*identification_steps(config), UrlFilter()]
    if config.recipe == "monsoon":  # Swallow's host rule, a deviation from FineWeb-2 (languages' `ng_hosts`)
        steps.append(NgHostFilter(config.languages))
    steps.append(JunkFilter(config.languages, config.junk_blocklist))
    if config.recipe == "monsoon":  # Swallow's footer trimming, likewise (languages' `footer`)
        steps.append(FooterTrim(config.tokenizer))
    if config.pii.enabled:
        steps.append(PiiMask(config.tokenizer, max_hits=config.pii.max_hits))
    steps.append(QualityFilter(config.languages, recipe=config.recipe, tokenizer=config.tokenizer))
    # benchmark n-grams on the final text of the documents that would be kept, before MinHash, so a contaminated
    # page never stands for its near-duplicate cluster; earlier (after LID) it would check 2-3x the documents
    if config.decontamination.benchmarks:
        steps.append(Decontamination(config.decontamination, tokenizer=config.tokenizer))
    if config.quality_models:  # the model's score of what every filter keeps (stages/quality_score.py)
        steps.append(QualityScore(config.quality_models))
    if config.dedup.enabled:
        steps.append(MinhashSignature(config.dedup.seed, config.dedup.line_min_chars if config.dedup.lines else None))
    return steps


def under_budget(config: RunConfig, steps: list[PipelineStep]) -> list[PipelineStep]:
    """The per-document steps, each under the per-document budget (stages/budget.py)."""
    budget = config.budget
    return budgeted(steps, budget.seconds, budget.max_chars, budget.steps)


def identification_stage(config: RunConfig) -> list[PipelineStep]:
    """The documents stage up to language identification, writing nothing: what `monsoon tune` runs on WARCs."""
    return [warc_reader(config), *under_budget(config, identification_steps(config))]


def documents_stage(config: RunConfig, root: str) -> list[PipelineStep]:
    """Stage 1's steps, writing the intermediate files (and the dropped documents) under `root`: the run's output
    folder, or a Spark task's attempt folder that stands for it (every stage writes the layout's paths under it)."""
    reader = warc_reader(config)
    # progress goes to the run's own folder even from a Spark attempt's, so the driver sees it while tasks run
    steps = [reader, *under_budget(config, document_steps(config)), Progress(RunLayout.of(config).progress, reader)]
    lines = config.dedup.enabled and config.dedup.lines
    steps.append(CorpusWriter(RunLayout(root).intermediate, tokenizer=config.tokenizer, final=False, lines=lines))
    return kept_dropped(config, steps, root, DOCUMENTS)


def clusters_stage(config: RunConfig, layout: RunLayout, root: str) -> list[PipelineStep]:
    """Stage 2's steps on one machine (one rank per language), writing the cluster files under `root`."""
    from monsoon.dedup.local import MinhashClusters

    dedup, folders = config.dedup, RunLayout(root)
    return [
        MinhashClusters(
            layout.intermediate,
            folders.clusters,
            folders.dedup_table,
            config.languages,
            dedup.against,
            dedup.seed,
            dedup.lines,
        )
    ]


def write_stage(config: RunConfig, layout: RunLayout, root: str) -> list[PipelineStep]:
    """Stage 3's steps, writing the corpus files (and the dropped documents) under `root`."""
    steps: list[PipelineStep] = [intermediate_reader(layout.intermediate)]
    if config.dedup.enabled:  # every document that reached dedup goes into the run's index, then duplicates go
        steps += [
            DedupIndexWriter(root, config.dedup.seed),
            NearDuplicateFilter(layout.clusters, config.dedup.lines, config.tokenizer),
        ]
    if config.quality_models:  # percentile buckets of the scores dedup keeps (stages/quality_bucket.py)
        steps.append(QualityBucket(layout.intermediate, layout.dedup_table, config.quality_buckets))
    steps.append(CorpusWriter(root, tokenizer=config.tokenizer, final=True))
    return kept_dropped(config, steps, root, WRITE)


def kept_dropped(config: RunConfig, steps: list[PipelineStep], root: str, stage: str) -> list[PipelineStep]:
    """With `keep_dropped`: the steps hand every document they drop to a writer of `<root>/_dropped/` (last)."""
    if not config.keep_dropped:
        return steps
    return keep_dropped(steps, DroppedWriter(RunLayout(root).dropped, stage, mask=config.pii.enabled))


def add_quality_buckets(config: RunConfig, layout: RunLayout, accounting: dict) -> dict:
    """The accounting with each scored language's quality cut points (`quality_buckets`: documents, cut_points
    {edge: lowest score}), as the write stage bucketed its documents; both engines call it on their accounting."""
    if config.quality_models:
        found = run_cut_points(
            layout.intermediate, layout.dedup_table, sorted(config.quality_models), config.quality_buckets
        )
        for language, buckets in found.items():
            accounting["languages"].setdefault(language, {})["quality_buckets"] = {
                "documents": buckets["documents"],
                "cut_points": {str(edge): cut for edge, cut in buckets["cut_points"].items()},
            }
    return accounting


@dataclass(frozen=True)
class Stage:
    """One stage of the run: its steps are built where its ranks run (`steps(root)`, a picklable partial) and
    write the layout's paths under `root`: the run's output folder, or a folder an engine moves onto it."""

    name: str  # its logging folder, _work/logs/<name>
    steps: Callable[[str], list[PipelineStep]]
    per_language: bool = False  # one rank per target language, else one per documents rank


def stages(config: RunConfig, layout: RunLayout) -> list[Stage]:
    """documents, clusters (when dedup is on), write: in the order they run."""
    run = [Stage(DOCUMENTS, partial(documents_stage, config))]
    if config.dedup.enabled:
        run.append(Stage(CLUSTERS, partial(clusters_stage, config, layout), per_language=True))
    run.append(Stage(WRITE, partial(write_stage, config, layout)))
    return run


def run_in_order(layout: RunLayout, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Run each stage (name -> what runs it, in the plan's order) after the one before; the stages after the
    documents stage only when it kept something. Returns the wall seconds of each stage run."""
    seconds: dict[str, float] = {}
    for name, run in runs.items():
        if name != DOCUMENTS and not layout.has_files(layout.intermediate):
            break  # nothing was kept
        started = time.perf_counter()
        run()
        seconds[name] = time.perf_counter() - started
    return seconds


def may_complete(layout: RunLayout, stage: str, rank: int, steps: list[PipelineStep]) -> bool:
    """Called by both engines once a rank's steps ran, before its completion marker: whether to write it. A documents
    rank writes the inputs it could not read to the failed-inputs list and stays incomplete when there are any (the
    same command reruns it); the later stages' ranks stay incomplete while the run lists any, so a rerun that
    recovers them recomputes the clusters and the corpus with them."""
    if stage == DOCUMENTS:
        return not layout.write_rank_failures(rank, failures_of(steps))
    return not layout.failed_inputs()


def pipe(
    steps: list[PipelineStep], rank: int = 0, world_size: int = 1, data: DocumentsPipeline = None
) -> DocumentsPipeline:
    """Chain steps as datatrove's executors do (each takes the previous one's documents), for tools that run steps
    without an executor. `data`: documents already read, if the first step is not a reader."""
    for step in steps:
        data = step(data, rank, world_size)
    return data
