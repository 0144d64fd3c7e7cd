"""Swallow's NG-word share: characters of inappropriate expressions over the text's Japanese letters.

As swallow-llm/swallow-corpus `ngword.py` (tutcsis/ota_corpus@f15828a0): the text is scanned left to right; where
an expression of the list starts, the longest one is counted and the scan goes on after it, else one character on.
The list is the language's `ng_words` file; a language without one scores 0.
"""

from __future__ import annotations

from functools import cache

from monsoon.filters.base import SignalFamily
from monsoon.filters.swallow_japanese import japanese_letter_counts
from monsoon.languages import Language, read_word_file


@cache
def _lengths_by_first_char(name: str) -> tuple[frozenset[str], dict[str, tuple[int, ...]]]:
    """The file's expressions, and for each first character the lengths of those starting with it, longest first."""
    words = frozenset(read_word_file(name))
    lengths: dict[str, set[int]] = {}
    for word in words:
        lengths.setdefault(word[0], set()).add(len(word))
    return words, {char: tuple(sorted(ls, reverse=True)) for char, ls in lengths.items()}


def ng_letters(text: str, name: str) -> int:
    """Characters of the text covered by the longest-match scan for the expressions of word file `name`."""
    words, lengths = _lengths_by_first_char(name)
    covered, i = 0, 0
    while i < len(text):
        match = next((n for n in lengths.get(text[i], ()) if text[i : i + n] in words), 0)
        covered += match
        i += match or 1
    return covered


class SwallowNgWords(SignalFamily):
    name = "swallow_ng_words"
    signals = ("ng_word_frac",)

    def compute(self, text: str, language: Language) -> dict[str, float]:
        if not language.ng_words:
            return {"ng_word_frac": 0.0}
        japanese = japanese_letter_counts(text)[2]
        return {"ng_word_frac": ng_letters(text, language.ng_words) / japanese if japanese else 0.0}
