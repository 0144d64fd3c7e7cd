"""Japanese quality signals after the Swallow corpus (Okazaki et al., COLM 2024): letters, kana shares, sentences.

Swallow's repetition rules (duplicate lines, top/duplicate n-grams) are the `gopher_repetition` family.
"""

from __future__ import annotations

import regex

from monsoon.filters.base import SignalFamily
from monsoon.languages import Language

_HIRAGANA = regex.compile(r"\p{Hiragana}")
_KATAKANA = regex.compile(r"[\p{Katakana}ー]")
_JAPANESE = regex.compile(r"[\p{Hiragana}\p{Katakana}\p{Han}ー々]")
_LETTER = regex.compile(r"[\p{L}\p{N}]")
_SENTENCES = regex.compile(r"[^。．！？!?\n]+[。．！？!?]*")


class SwallowJapanese(SignalFamily):
    name = "swallow_japanese"
    signals = (
        "letters",
        "japanese_letters",
        "japanese_letter_frac",
        "hiragana_frac",
        "katakana_frac",
        "avg_sentence_length",
        "max_sentence_length",
        "ellipsis_sentence_frac",
    )

    def compute(self, text: str, language: Language) -> dict[str, float]:
        letters = len(_LETTER.findall(text))
        japanese = len(_JAPANESE.findall(text))
        sentences = [s.strip() for s in _SENTENCES.findall(text) if s.strip()]
        lengths = [len(s) for s in sentences] or [0]
        return {
            "letters": float(letters),
            "japanese_letters": float(japanese),
            "japanese_letter_frac": japanese / letters if letters else 0.0,
            "hiragana_frac": len(_HIRAGANA.findall(text)) / japanese if japanese else 0.0,
            "katakana_frac": len(_KATAKANA.findall(text)) / japanese if japanese else 0.0,
            "avg_sentence_length": sum(lengths) / len(lengths),
            "max_sentence_length": float(max(lengths)),
            "ellipsis_sentence_frac": sum(s.endswith(("・", "…")) for s in sentences) / len(sentences)
            if sentences
            else 0.0,
        }
