"""Machine-translated pages, found by the markup translation services and plugins leave in the raw HTML, before
extraction replaces the page by its text. The signals are data (`monsoon/languages/mt_traces.yaml`); each one seen
is counted (`mt_traces.<signal>` in the step's stats). A page with a signal that `flags` is dropped with the reason
`mt_traces.<signal>` (action `drop`) or kept with `quality_signals["mt_traces.<signal>"] = 1` for each flagging
signal (action `tag`), which the output parquet stores."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import count_dropped
from monsoon.config import build, read_yaml
from monsoon.languages import LANGUAGES_DIR
from monsoon.urls import url_path

ACTIONS = ("drop", "tag")
SIGNAL_PREFIX = "mt_traces."
_HTML_LANG = re.compile(r"<html\b[^>]*\slang\s*=\s*[\"']?([a-zA-Z]{2,3})\b", re.IGNORECASE)
_HREFLANG = re.compile(r"<link\b[^>]*\bhreflang\s*=\s*[\"']?([a-zA-Z-]+)[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"\bhref\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
_LANG_SEGMENT = re.compile(r"^/([a-z]{2,3})(?:-[a-z]{2,4})?(?:/|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Signal:
    flags: bool
    html: str | None = None  # regex over the raw page
    contains: list[str] = field(default_factory=list)  # any of these strings, case-insensitive
    url: str | None = None  # regex over the document URL
    min_count: int = 1  # matches of `html` needed
    subfolder_with: list[str] = field(default_factory=list)  # plugin signals, see mt_traces.yaml
    hreflang_subfolders: int = 0  # at least this many hreflang alternates under /<lang>/ folders


@dataclass(frozen=True)
class TraceRules:
    html_chars: int
    signals: dict[str, Signal]


@cache
def trace_rules(path: str = str(LANGUAGES_DIR / "mt_traces.yaml")) -> TraceRules:
    data = read_yaml(path)
    signals = {name: build(Signal, spec, path, f"signals.{name}") for name, spec in data.pop("signals").items()}
    rules = build(TraceRules, {**data, "signals": {}}, path)
    return TraceRules(rules.html_chars, signals)


@cache
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def _matches(regex: re.Pattern, text: str, times: int) -> bool:
    return any(n + 1 >= times for n, _ in zip(range(times), regex.finditer(text), strict=False))


def _lang_subfolder(url: str) -> str | None:
    match = _LANG_SEGMENT.match(url_path(url)) if url else None
    return match.group(1).lower() if match else None


def _hreflang_folders(html: str) -> list[str | None]:
    """The language subfolder (or None: none) of each hreflang alternate's URL."""
    hrefs = (_HREF.search(link.group(0)) for link in _HREFLANG.finditer(html))
    return [_lang_subfolder(href.group(1)) for href in hrefs if href]


def mt_signals(html: str, url: str = "", rules: TraceRules | None = None) -> list[str]:
    """The names of the signals the page shows, in the rules' order."""
    rules = rules or trace_rules()
    html = html[: rules.html_chars]
    lowered = html.lower()
    found: list[str] = []
    for name, signal in rules.signals.items():
        if signal.contains and not any(text.lower() in lowered for text in signal.contains):
            continue
        if signal.html and not _matches(_regex(signal.html), html, signal.min_count):
            continue
        if signal.url and not _regex(signal.url).search(url or ""):
            continue
        if signal.subfolder_with:
            lang = match.group(1).lower() if (match := _HTML_LANG.search(html)) else None
            in_own_folder = lang is not None and _lang_subfolder(url) == lang
            original_at_root = None in _hreflang_folders(html)
            if not (in_own_folder and original_at_root and set(signal.subfolder_with) & set(found)):
                continue
        if signal.hreflang_subfolders and len(set(_hreflang_folders(html)) - {None}) < signal.hreflang_subfolders:
            continue
        found.append(name)
    return found


def signal_names() -> list[str]:
    """The quality signals this step may write (action `tag`): `mt_traces.<signal>` for each signal of the rules."""
    return [f"{SIGNAL_PREFIX}{name}" for name in trace_rules().signals]


def flagging(signals: list[str], rules: TraceRules | None = None) -> list[str]:
    rules = rules or trace_rules()
    return [name for name in signals if rules.signals[name].flags]


class MachineTranslationTraces(PipelineStep):
    name = "🈂 Machine-translation traces"

    def __init__(self, action: str = "drop"):
        super().__init__()
        if action not in ACTIONS:
            raise ValueError(f"mt_traces.action must be one of {', '.join(ACTIONS)}, not {action!r}")
        self.action = action
        trace_rules()  # a bad rules file fails at build time

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        rules = trace_rules()
        for doc in data:
            if doc.metadata.get("content_kind") != "html":
                yield doc
                continue
            with self.track_time():
                signals = mt_signals(doc.text, doc.metadata.get("url") or "", rules)
            for name in signals:
                self.stat_update(f"{SIGNAL_PREFIX}{name}")
            flagged = flagging(signals, rules)
            if flagged and self.action == "drop":
                count_dropped(self, doc, f"{SIGNAL_PREFIX}{flagged[0]}")
                continue
            if flagged:
                quality = doc.metadata.setdefault("quality_signals", {})
                quality.update({f"{SIGNAL_PREFIX}{name}": 1.0 for name in flagged})
            yield doc
