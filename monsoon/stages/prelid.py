"""Cheap language pre-check on the raw page, before extraction (the Swallow corpus trick, for every target).

A page goes on to trafilatura only if something on it points to a target language: its `<html lang>`
attribute, or one of the top fastText labels of its title plus a prefix of its visible text. Extraction is the
costly step, so a crawl where target languages are a minority skips most of it. Pages skipped are counted
(`prelid_not_target_language`, under `und`: their language was never properly identified).
"""

from __future__ import annotations

import html as html_entities
import re

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import count_dropped
from monsoon.languages import get_language, normalise_label
from monsoon.stages.lid import EMBEDDED, load_model

_HTML_LANG = re.compile(r"<html[^>]*\slang\s*=\s*[\"']?([a-zA-Z]{2,3})", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_INVISIBLE = re.compile(r"<(script|style|noscript|svg|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&#?\w+;")
HTML_PREFIX = 100_000  # characters of raw HTML searched for the lang attribute, the title and <body>
BODY_WINDOW = 50_000  # characters of the body whose visible text is sampled
_BODY = re.compile(r"<body\b", re.IGNORECASE)


def page_hints(html: str, text_chars: int) -> tuple[str | None, str]:
    """(lang attribute or None, title + the first `text_chars` characters of visible text)."""
    head = html[:HTML_PREFIX]
    lang = match.group(1) if (match := _HTML_LANG.search(head)) else None
    title = match.group(1) if (match := _TITLE.search(head)) else ""
    body_start = match.start() if (match := _BODY.search(head)) else 0
    body = head[body_start : body_start + BODY_WINDOW]
    visible = _TAG.sub(" ", _INVISIBLE.sub(" ", body))
    if "&#" not in visible and "&#" not in title:  # no numeric references: the named ones (&nbsp;) are not words
        return lang, " ".join(f"{title} {_ENTITY.sub(' ', visible)}".split())[:text_chars]
    raw = " ".join(f"{title} {visible}".split())
    # numeric references are decoded, not dropped: some pages write all their text as &#x30DE;... (realweb_sea's
    # phpspot.org, Japanese). Only a prefix is decoded: twice the characters wanted, else (a page dense with
    # references) ten times, as a reference is rarely over 10 characters; the prefix's last 2 characters may come
    # from a reference it cuts, so they are never part of the result.
    for prefix in (2 * text_chars, 10 * text_chars):
        text = " ".join(html_entities.unescape(raw[:prefix]).split())
        if len(raw) <= prefix or len(text) >= text_chars + 2:
            break
    return lang, text[:text_chars]


class PreLanguageCheck(PipelineStep):
    name = "🔎 Pre-LID on raw HTML"

    def __init__(
        self, targets: list[str], model: str = EMBEDDED, text_chars: int = 1500, top_k: int = 3, min_score: float = 0.05
    ):
        super().__init__()
        self.targets, self.model = list(targets), model
        self.text_chars, self.top_k, self.min_score = text_chars, top_k, min_score

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        targets = set(self.targets)
        for code in self.targets:
            targets.update(get_language(code).lid_aliases)
        model = load_model(self.model)
        for doc in data:
            if doc.metadata.get("content_kind") != "html":
                yield doc
                continue
            with self.track_time():
                lang, text = page_hints(doc.text, self.text_chars)
                # a page whose lang attribute names a target goes on whatever the model says: no need to ask it
                passes = lang is not None and normalise_label(lang.lower()) in targets
                if not passes and text:
                    labels, scores = model.predict(text, k=self.top_k)
                    passes = any(
                        score >= self.min_score and normalise_label(label) in targets
                        for label, score in zip(labels, scores, strict=True)
                    )
            if passes:
                yield doc
            else:
                count_dropped(self, doc, "prelid_not_target_language")
