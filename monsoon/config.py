"""The run's typed configuration, loaded from YAML by monsoon/yamlconfig.py (strict: an unknown key is an error that
names the key and the file)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monsoon.languages import FIRST_TIER, RECIPES
from monsoon.yamlconfig import ConfigError, build, read_yaml  # noqa: F401 (ConfigError: callers catch it from here)


@dataclass
class ReaderConfig:
    max_html_bytes: int = 2_000_000  # larger payloads are dropped (html_too_large) before they are decoded


@dataclass
class ExtractConfig:
    timeout: float = 5.0  # seconds per document; extraction runs in a sandbox process that is killed on timeout
    favour_precision: bool = True  # bench/extraction_eval.py: best F1 on the AEB, CWCED and trafilatura sets
    # trafilatura's deduplicate drops text segments seen on earlier pages of the same task: output would depend on
    # document order and task split, and it cost 0.03 token F1 on AEB. Repeats are the filters' and MinHash's job.
    deduplicate: bool = False


@dataclass
class LidConfig:
    model: str = "embedded"  # "embedded" (lid.176.ftz shipped in monsoon/models) or a fastText model path
    max_chars: int = 2000  # characters of text the classifier reads


@dataclass
class PreLidConfig:
    enabled: bool = True  # skip extraction of pages nothing on which points to a target language
    text_chars: int = 1500  # title + visible text characters the classifier reads
    top_k: int = 3  # a target among this many top labels is enough
    min_score: float = 0.05  # ... with at least this score


@dataclass
class MtTracesConfig:
    enabled: bool = True  # look for machine-translation markup on the raw page (languages/mt_traces.yaml)
    action: str = "drop"  # "drop" (reason mt_traces.<signal>) or "tag" (quality_signals mt_traces.<signal> = 1)


@dataclass
class PiiConfig:
    enabled: bool = True  # mask e-mails, IPs, phones, national IDs (languages/pii.yaml, each language's `pii:`)
    # a document with more masks than this is dropped (pii.hits>max): the bound of Mangosteen (arXiv 2507.14664, as
    # issue 12 reports it; the vistec-AI/Mangosteen code is not in the search index, so no commit is named)
    max_hits: int = 5


@dataclass
class DedupConfig:
    """Shingles, bands and rows are per language (languages/<code>.yaml `dedup`)."""

    enabled: bool = True
    seed: int = 1
    # earlier runs' outputs or index folders (dedup/index.py): a document they hold a copy or near-duplicate of is
    # dropped (exact_duplicate, near_duplicate_of_earlier); local paths or URIs, relative to the config file
    against: list[str] = field(default_factory=list)
    # cc_net-style exact line dedup (with `enabled`) among the documents exact and near dedup keep (dedup/local.py
    # `line_removals`): a line (normalised as the exact-duplicate key) in several of a language's documents stays only
    # in the one with the smallest id; a document left empty is dropped (duplicate_lines)
    lines: bool = False
    # shorter lines (normalised) are never removed: on the bundled sample, 108 of the 149 lines a floor of 0 removes
    # are a page's date ("2024-05-18"), per-page information that coincides; at 20, 41 lines, all repeated text
    line_min_chars: int = 20


@dataclass
class DecontaminationConfig:
    """Benchmark decontamination (stages/decontamination.py); off while `benchmarks` is empty."""

    # files of test items (.jsonl/.json, .parquet, .csv, .tsv; gzip allowed) or folders of them, local or URIs
    benchmarks: list[str] | str = field(default_factory=list)  # one path, or a list of them
    ngram: int = 13  # tokens (the run's tokenizer); GPT-3's 13-gram rule
    # ... stretched to span this many UTF-8 bytes: where Llama 3 splits a script into bytes (Tamil, Khmer, Lao,
    # Myanmar) 13 tokens are 19-27 bytes, a word or two, and 127 of 634 unrelated UDHR paragraphs and 5 of the
    # sample's 30 Tamil sentences matched NTREX; at 75 bytes none (13 English tokens are ~65 bytes, Thai ~77)
    min_bytes: int = 75
    # an item too short for one n-gram must appear whole, if it has min_tokens tokens and min_item_bytes bytes (8 Lao
    # tokens are ~13 bytes, 4 characters); shorter items are skipped
    min_tokens: int = 8
    min_item_bytes: int = 30
    action: str = "drop"  # "drop" (reason benchmark_contamination:<name>) or "tag" (quality signal, kept)
    text_fields: list[str] | str = field(default_factory=lambda: ["text"])  # the item columns matched (each on its own)

    def __post_init__(self) -> None:
        if isinstance(self.benchmarks, str):
            self.benchmarks = [self.benchmarks]
        if isinstance(self.text_fields, str):
            self.text_fields = [self.text_fields]
        if self.action not in ("drop", "tag"):
            raise ValueError(f"decontamination.action must be drop or tag, not {self.action!r}")
        if not 1 <= self.min_tokens <= self.ngram or self.min_bytes < 0 or self.min_item_bytes < 0:
            raise ValueError("decontamination: 1 <= min_tokens <= ngram and byte floors >= 0 must hold")
        if not self.text_fields:
            raise ValueError("decontamination.text_fields must name at least one field")


@dataclass
class BudgetConfig:
    """The per-document budget of every per-document step (stages/budget.py): a document over it is dropped with a
    reason naming the step (budget.time.<step>, budget.size.<step>), never a stalled task."""

    # seconds one step may spend on one document. Normal pages take milliseconds a step; the slowest legitimate ones
    # (2 MB of Japanese through Sudachi) a few seconds; extraction has its own `extract.timeout` inside this
    seconds: float = 30.0
    max_chars: int = 0  # characters of text a step takes (0: no cap beyond reader.max_html_bytes)
    # per step (its key, e.g. pii_mask, language_id): {seconds: ..., max_chars: ...}
    steps: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from monsoon.stages.budget import STEP_KEYS

        if self.seconds < 0 or self.max_chars < 0:
            raise ValueError("budget.seconds and budget.max_chars must be >= 0 (0: no limit)")
        for key, limits in self.steps.items():
            if key not in STEP_KEYS:
                raise ValueError(f"budget.steps: unknown step {key!r} (steps: {', '.join(STEP_KEYS)})")
            if not isinstance(limits, dict) or set(limits) - {"seconds", "max_chars"}:
                raise ValueError(f"budget.steps.{key} takes seconds and max_chars only")


@dataclass
class FetchConfig:
    """Remote reads (monsoon/fetch.py): retries, timeouts and the request budget of each worker process. They
    change how a job reads, never what it writes (not part of the job fingerprint: a rerun may change them)."""

    # tries of one request before its input is listed as failed; with the backoff below ~8 minutes of trying, as
    # Common Crawl advises for its 503 SlowDown ("retry at most once per second, for a long time")
    attempts: int = 20
    backoff_base: float = 1.0  # s: the first retry waits 1-2 s, each next one up to twice as long ...
    backoff_cap: float = 30.0  # s: ... up to this (a server's Retry-After is honoured when longer)
    # a 403 without an error code (a CDN's rate limit comes in bursts) is retried this many times; S3's
    # AccessDenied is not retried
    forbidden_attempts: int = 4
    connect_timeout: float = 10.0  # s
    read_timeout: float = 30.0  # s without a byte on a socket: the request is retried
    block_size: int = 8 << 20  # bytes per range request of a sequential read (a WARC)
    # bytes a sequential read fetches ahead of its reader, in a thread (0: none): a retry's backoff passes while the
    # reader parses what it has
    read_ahead: int = 32 << 20
    requests_per_second: float = 10.0  # per worker process; 0: no limit
    bytes_per_second: float = 0.0  # per worker process; 0: no limit
    # the whole job's budget (0: none), divided by the engine among its worker processes (local: `workers`; Spark:
    # the executors' cores); each process keeps to the smaller of its share and the per-process budget
    job_requests_per_second: float = 0.0
    job_bytes_per_second: float = 0.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.forbidden_attempts < 1:
            raise ValueError("fetch.attempts and fetch.forbidden_attempts must be >= 1")
        if self.backoff_base < 0 or self.backoff_cap < self.backoff_base:
            raise ValueError("fetch: 0 <= backoff_base <= backoff_cap must hold")
        if self.connect_timeout <= 0 or self.read_timeout <= 0 or self.block_size < 1:
            raise ValueError("fetch: timeouts and block_size must be > 0")
        if self.read_ahead < 0:
            raise ValueError("fetch.read_ahead must be >= 0 (0: none)")
        if (
            min(
                self.requests_per_second, self.bytes_per_second, self.job_requests_per_second, self.job_bytes_per_second
            )
            < 0
        ):
            raise ValueError(
                "fetch: the budgets (requests_per_second, bytes_per_second, job_...) must be >= 0 (0: none)"
            )


@dataclass
class IndexConfig:
    """The index-first input (monsoon/crawl/): when `input` is Common Crawl's columnar index, the captures of the
    run's languages are selected from it and only their WARC records are read, as byte ranges."""

    policy: str = "primary"  # "primary": the run's language is CLD2's first; "any": one of its (up to) three
    # also select the languages each run language is confused with (its `lid_confusable`): CLD2 splits Indonesian
    # and Malay pages between `ind` and `msa` as lid.176 does, so a Malay run also takes `ind` pages (fastText decides)
    confusable: bool = True
    hosts_allow: list[str] = field(default_factory=list)  # only these hosts or registered domains, when given
    hosts_deny: list[str] = field(default_factory=list)  # never these hosts or registered domains
    # neighbouring selected records closer than `gap` bytes are fetched in one request, up to `max_request` bytes
    gap: int = 65_536
    max_request: int = 16 * 2**20
    # above this share of a WARC file's bytes in (coalesced) ranges, the file is read whole instead: with 20 ms to
    # the first byte and 50 MB/s a connection, one range per record costs as much as the whole file at 2.3% of its
    # bytes (0.8% at 50 ms and 100 MB/s; bench/index_recall.py). Thai (0.4% of pages) stays ranges, Japanese (5%) not
    whole_file_share: float = 0.02
    sort_buckets: int = 16  # the selection is sorted per bucket of WARC files: memory ~ selection / sort_buckets
    executors: int = 100  # the plan's wall time on this many executors ...
    cores_per_executor: int = 4  # ... of this many cores

    def __post_init__(self) -> None:
        if self.policy not in ("primary", "any"):
            raise ValueError(f"index.policy must be primary or any, not {self.policy!r}")
        if self.gap < 0 or self.max_request < 1 or not 0 < self.whole_file_share <= 1 or self.sort_buckets < 1:
            raise ValueError("index: gap >= 0, max_request >= 1, 0 < whole_file_share <= 1, sort_buckets >= 1")
        for name in ("hosts_allow", "hosts_deny"):
            if isinstance(getattr(self, name), str):
                setattr(self, name, [getattr(self, name)])


@dataclass
class QualityModelConfig:
    """A language's quality classifier (`monsoon quality train`; stages/quality_score.py)."""

    model: str  # fastText model, path (relative to the config file) or URI
    label: str = "hq"  # the label whose probability is the score
    min_score: float | None = None  # documents scoring under it are dropped (quality_model.score<min); None: none

    def __post_init__(self) -> None:
        if self.min_score is not None and not 0 <= self.min_score <= 1:
            raise ValueError(f"min_score must be within [0, 1], not {self.min_score!r}")


@dataclass
class RunConfig:
    input: str
    output: str
    input_prefix: str | None = None  # joined to each path of a listing input (warc.paths[.gz]); e.g. s3://commoncrawl/
    limit: int | None = None  # read only the first N input files
    source: str = "commoncrawl"
    dump: str | None = None  # default: the CC-MAIN-YYYY-WW found in each file path, else "unknown"
    languages: list[str] = field(default_factory=lambda: list(FIRST_TIER))
    tasks: int = 4
    workers: int = 2
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    prelid: PreLidConfig = field(default_factory=PreLidConfig)
    lid: LidConfig = field(default_factory=LidConfig)
    mt_traces: MtTracesConfig = field(default_factory=MtTracesConfig)
    pii: PiiConfig = field(default_factory=PiiConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    decontamination: DecontaminationConfig = field(default_factory=DecontaminationConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)  # remote reads: retries, timeouts, request budget
    tokenizer: str = "llama3"  # "llama3" (from the llama-models wheel), a tokenizer.json path, or an HF hub name
    # "monsoon": FineWeb-2 as published plus each language file's recorded `deviations`; "fineweb2": none of them
    recipe: str = "monsoon"
    # a local UT1-style blocklist folder (<category>/domains) for the junk rules; unset: the small bundled sample
    junk_blocklist: str | None = None
    # write every dropped document with its reason to OUTPUT/_dropped/<language>/ (stages/dropped.py)
    keep_dropped: bool = False
    index: IndexConfig = field(default_factory=IndexConfig)  # used when `input` is a columnar index
    # language -> its quality classifier: the score of every document the filters keep (quality_signals)
    quality_models: dict[str, QualityModelConfig] = field(default_factory=dict)
    # the kept documents' quality buckets, per language: upper edges in percent of the ranking by score, best first
    # (quality_bucket 10: the top 10%; 100: the last); Nemotron-CC's bins drive the mix, not a cut
    quality_buckets: list[int] = field(default_factory=lambda: [10, 20, 30, 50, 100])

    def __post_init__(self) -> None:
        if self.tasks < 1 or self.workers < 1:
            raise ValueError("tasks and workers must be >= 1")
        if self.limit is not None and self.limit < 1:
            raise ValueError("limit must be >= 1")
        if self.recipe not in RECIPES:
            raise ValueError(f"recipe must be one of {', '.join(RECIPES)}, not {self.recipe!r}")
        self._check_quality()

    def _check_quality(self) -> None:
        """quality_models: language -> QualityModelConfig (built from the YAML mapping); quality_buckets: edges."""
        if not isinstance(self.quality_models or {}, dict):
            raise ValueError("quality_models must be a mapping of language -> {model, label, min_score}")
        self.quality_models = {
            code: spec
            if isinstance(spec, QualityModelConfig)
            else build(QualityModelConfig, spec, "quality_models", code)
            for code, spec in (self.quality_models or {}).items()
        }
        unknown = sorted(set(self.quality_models) - set(self.languages))
        if unknown:
            raise ValueError(f"quality_models: {', '.join(unknown)} not among the run's languages")
        edges = self.quality_buckets
        rising = isinstance(edges, list) and all(isinstance(e, int) for e in edges) and edges and edges[-1] == 100
        if not rising or any(not a < b for a, b in zip([0, *edges], edges, strict=False)):
            raise ValueError(f"quality_buckets must be whole percents rising from above 0 to 100, not {edges!r}")


_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://")


def _resolve(path: str, base: Path) -> str:
    """Relative local paths in a config are relative to the config file; URIs are left alone."""
    if _REMOTE.match(path) or Path(path).is_absolute():
        return path
    return str((base / path).resolve())


_PATH_KEYS = ("input", "output", "input_prefix")


def load_run_config(path: str | Path, dedup_against: list[str] | None = None, **overrides: Any) -> RunConfig:
    """Load a run config; non-None overrides (e.g. from the command line) replace top-level keys, `dedup_against`
    replaces `dedup.against`. Relative paths are relative to the config file, or to the working directory when
    they come as overrides."""
    path = Path(path)
    data = read_yaml(path) or {}
    config = build(RunConfig, data, str(path))
    config.input = _resolve(config.input, path.parent)
    config.output = _resolve(config.output, path.parent)
    if config.input_prefix:
        config.input_prefix = _resolve(config.input_prefix, path.parent)
    if config.junk_blocklist:
        config.junk_blocklist = _resolve(config.junk_blocklist, path.parent)
    config.decontamination.benchmarks = [_resolve(b, path.parent) for b in config.decontamination.benchmarks]
    config.dedup.against = [_resolve(run, path.parent) for run in config.dedup.against]
    for spec in config.quality_models.values():
        spec.model = _resolve(spec.model, path.parent)
    if dedup_against:
        config.dedup.against = [_resolve(run, Path.cwd()) for run in dedup_against]
    for key, value in overrides.items():
        if value is not None:
            setattr(config, key, _resolve(value, Path.cwd()) if key in _PATH_KEYS else value)
    config.__post_init__()  # the checks again, on the overridden values
    return config
