"""C4 quality signals (Raffel et al. 2020) as FineWeb (English) applies them, after datatrove's C4QualityFilter
with `filter_no_terminal_punct=False`: lines with a word over 1,000 characters, fewer than 3 words, "javascript" or
a cookie/terms-of-use phrase are removed (the kept text is what remains, citations like [1] or [edit] cut out); a
page with "lorem ipsum" or a curly bracket on a remaining line, or fewer than 5 sentences left, is dropped."""

from __future__ import annotations

from datatrove.pipeline.filters.c4_filters import CITATION_REGEX, POLICY_SUBSTRINGS

from monsoon.filters.base import SignalFamily
from monsoon.languages import Language

MAX_WORD_CHARS = 1000
MIN_LINE_WORDS = 3


def _kept_lines(text: str) -> tuple[list[str], int, int]:
    """(kept lines, lines with "lorem ipsum", lines with a curly bracket), as C4 reads the lines in order."""
    kept, lorem, curly = [], 0, 0
    for raw in text.splitlines():
        line = raw.strip()
        words = line.split()
        if any(len(word) > MAX_WORD_CHARS for word in words):
            continue
        line = CITATION_REGEX.sub("", line)
        if len(words) < MIN_LINE_WORDS:
            continue
        lowered = line.lower()
        lorem += "lorem ipsum" in lowered
        if "javascript" in lowered:
            continue
        curly += "{" in line
        if any(phrase in lowered for phrase in POLICY_SUBSTRINGS):
            continue
        kept.append(line)
    return kept, lorem, curly


class C4Quality(SignalFamily):
    name = "c4_quality"
    signals = ("lorem_ipsum_lines", "curly_bracket_lines", "sentences")

    def compute(self, text: str, language: Language) -> dict[str, float]:
        kept, lorem, curly = _kept_lines(text)
        # a line's sentences by the language's sentence splitter; a line without a sentence end is one sentence
        sentences = sum(max(len(language.words.span_tokenize(line)), 1) for line in kept)
        return {"lorem_ipsum_lines": float(lorem), "curly_bracket_lines": float(curly), "sentences": float(sentences)}

    def rewrite(self, text: str, language: Language) -> str:
        return "\n".join(_kept_lines(text)[0]).strip()
