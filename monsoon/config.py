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
    tokenizer: str = "llama3"  # "llama3" (from the llama-models wheel), a tokenizer.json path, or an HF hub name
    # "monsoon": FineWeb-2 as published plus each language file's recorded `deviations`; "fineweb2": none of them
    recipe: str = "monsoon"
    # a local UT1-style blocklist folder (<category>/domains) for the junk rules; unset: the small bundled sample
    junk_blocklist: str | None = None

    def __post_init__(self) -> None:
        if self.tasks < 1 or self.workers < 1:
            raise ValueError("tasks and workers must be >= 1")
        if self.limit is not None and self.limit < 1:
            raise ValueError("limit must be >= 1")
        if self.recipe not in RECIPES:
            raise ValueError(f"recipe must be one of {', '.join(RECIPES)}, not {self.recipe!r}")


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
    config.dedup.against = [_resolve(run, path.parent) for run in config.dedup.against]
    if dedup_against:
        config.dedup.against = [_resolve(run, Path.cwd()) for run in dedup_against]
    for key, value in overrides.items():
        if value is not None:
            setattr(config, key, _resolve(value, Path.cwd()) if key in _PATH_KEYS else value)
    config.__post_init__()  # the checks again, on the overridden values
    return config
