"""FineWeb quality signals (Penedo et al. 2024): line punctuation, short lines, duplicated line chars, list-ness."""

from __future__ import annotations

from datatrove.pipeline.filters.gopher_repetition_filter import find_duplicates
from datatrove.utils.text import TERMINAL_PUNCTUATION

from monsoon.filters.base import SignalFamily
from monsoon.languages import Language

_STOP_CHARS = tuple(TERMINAL_PUNCTUATION)
SHORT_LINE_CHARS = 30


class FineWebQuality(SignalFamily):
    name = "fineweb_quality"
    signals = ("line_punct_ratio", "short_line_ratio", "char_dup_ratio", "new_line_ratio")

    def compute(self, text: str, language: Language) -> dict[str, float]:
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return dict.fromkeys(self.signals, 0.0)
        n_words = max(len(language.word_list(text)), 1)
        return {
            "line_punct_ratio": sum(line.endswith(_STOP_CHARS) for line in lines) / len(lines),
            "short_line_ratio": sum(len(line) <= SHORT_LINE_CHARS for line in lines) / len(lines),
            "char_dup_ratio": find_duplicates(lines)[1] / max(len(text.replace("\n", "")), 1),
            "new_line_ratio": text.count("\n") / n_words,
        }
