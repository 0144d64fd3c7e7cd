"""Gopher repetition signals (Rae et al. 2021, table A1), on the language's own words.

The counting helpers are datatrove's, so values match datatrove's GopherRepetitionFilter for the same words.
"""

from __future__ import annotations

import re

from datatrove.pipeline.filters.gopher_repetition_filter import (
    find_all_duplicate,
    find_duplicates,
    find_top_duplicate,
    get_n_grams,
)

from monsoon.filters.base import SignalFamily
from monsoon.languages import Language

_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)


class GopherRepetition(SignalFamily):
    name = "gopher_repetition"
    zero_is_off = True
    signals = (
        "dup_para_frac",
        "dup_para_char_frac",
        "dup_line_frac",
        "dup_line_char_frac",
        *(f"top_{n}_gram_char_frac" for n in TOP_NGRAMS),
        *(f"dup_{n}_gram_char_frac" for n in DUP_NGRAMS),
    )

    def compute(self, text: str, language: Language) -> dict[str, float]:
        n_chars = max(len(text), 1)
        paragraphs = _PARAGRAPHS.split(text.strip())
        dup_paras, dup_para_chars = find_duplicates(paragraphs)
        lines = _LINES.split(text)
        dup_lines, dup_line_chars = find_duplicates(lines)
        signals = {
            "dup_para_frac": dup_paras / len(paragraphs),
            "dup_para_char_frac": dup_para_chars / n_chars,
            "dup_line_frac": dup_lines / len(lines),
            "dup_line_char_frac": dup_line_chars / n_chars,
        }
        words = language.word_list(text)
        for n in TOP_NGRAMS:
            n_grams = get_n_grams(words, n)
            signals[f"top_{n}_gram_char_frac"] = find_top_duplicate(n_grams) / n_chars if n_grams else 0.0
        for n in DUP_NGRAMS:
            signals[f"dup_{n}_gram_char_frac"] = find_all_duplicate(words, n) / n_chars
        return signals
