"""Gopher quality signals (Rae et al. 2021): document length in words, word length, symbols, bullets, stop words."""

from __future__ import annotations

from datatrove.utils.text import PUNCTUATION_SET

from monsoon.filters.base import SignalFamily
from monsoon.languages import Language


class GopherQuality(SignalFamily):
    name = "gopher_quality"
    zero_is_off = True
    signals = (
        "words",
        "avg_word_length",
        "hash_word_ratio",
        "ellipsis_word_ratio",
        "bullet_lines_ratio",
        "end_ellipsis_lines_ratio",
        "alpha_words_ratio",
        "stop_words",
    )

    def compute(self, text: str, language: Language) -> dict[str, float]:
        words = language.word_list(text)
        n_words = max(len(words), 1)
        content_words = [w for w in words if any(ch not in PUNCTUATION_SET for ch in w)]
        lines = text.splitlines() or [""]
        return {
            "words": float(len(content_words)),
            "avg_word_length": sum(map(len, content_words)) / len(content_words) if content_words else 0.0,
            "hash_word_ratio": text.count("#") / n_words,
            "ellipsis_word_ratio": (text.count("...") + text.count("…")) / n_words,
            "bullet_lines_ratio": sum(line.lstrip().startswith(("•", "-")) for line in lines) / len(lines),
            "end_ellipsis_lines_ratio": sum(line.rstrip().endswith(("...", "…")) for line in lines) / len(lines),
            "alpha_words_ratio": sum(any(c.isalpha() for c in w) for w in words) / n_words,
            "stop_words": float(len(set(language.stop_words).intersection(words))),
        }
