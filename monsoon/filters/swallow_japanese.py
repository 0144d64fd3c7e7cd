"""Japanese quality signals of the Swallow corpus (Okazaki et al., COLM 2024), as its published code defines them.

Definitions (swallow-llm/swallow-corpus `quality.py`, read as copied in tutcsis/ota_corpus@f15828a0, since the
original repository is not in the search tool's store):
- a "letter" is any character of the text, spaces and line breaks included (`letters` = len(text));
- Japanese letters are hiragana U+3041-U+3096, katakana U+30A1-U+30FA (so neither ー U+30FC nor ・ U+30FB), kanji
  (々 〇 〻, U+3400-U+9FFF, U+F900-U+FAFF; supplementary-plane kanji are not counted, as in Swallow under Python 3),
  kuten 。．！？ and toten 、，;
- sentences are found line by line (the text split at "\\n"): a run of anything but 。．！？!? and at most one of
  them after it; a further stop character in a row belongs to no sentence. A line's "paragraph" is its sentences
  joined, so an empty line is an empty paragraph.

Swallow's character repetition rules are the `swallow_repetition` family, its NG-word share `swallow_ng_words`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from monsoon.filters.base import SignalFamily
from monsoon.languages import Language

_SENTENCE = re.compile(r"[^。．！？!?]+[。．！？!?]?")
_HIRAGANA = re.compile(r"[\u3041-\u3096]")
_KATAKANA = re.compile(r"[\u30a1-\u30fa]")
_KANJI = re.compile(r"[々〇〻\u3400-\u9fff\uf900-\ufaff]")
_KUTEN_TOTEN = re.compile(r"[。．！？、，]")
_ELLIPSES = ("・", "…")


def line_sentences(text: str) -> list[list[str]]:
    """Each line's sentences, as Swallow splits them."""
    return [_SENTENCE.findall(line) for line in text.split("\n")]


def sentences_of(lines: list[list[str]]) -> Iterator[str]:
    return (sentence for line in lines for sentence in line)


def japanese_letter_counts(text: str) -> tuple[int, int, int]:
    """(hiragana, katakana, all Japanese letters) of the text."""
    hiragana = len(_HIRAGANA.findall(text))
    katakana = len(_KATAKANA.findall(text))
    return hiragana, katakana, hiragana + katakana + len(_KANJI.findall(text)) + len(_KUTEN_TOTEN.findall(text))


class SwallowJapanese(SignalFamily):
    name = "swallow_japanese"
    signals = (  # Swallow's apply_v1 checks them in this order
        "letters",
        "hiragana_frac",
        "katakana_frac",
        "japanese_letter_frac",
        "japanese_letters",
        "avg_sentence_length",
        "max_sentence_length",
        "ellipsis_sentence_frac",
    )

    def compute(self, text: str, language: Language) -> dict[str, float]:
        hiragana, katakana, japanese = japanese_letter_counts(text)
        sentences = list(sentences_of(line_sentences(text)))
        lengths = [len(s) for s in sentences]
        ellipses = sum(s.strip().endswith(_ELLIPSES) for s in sentences)
        return {
            "letters": float(len(text)),
            "hiragana_frac": hiragana / japanese if japanese else 0.0,
            "katakana_frac": katakana / japanese if japanese else 0.0,
            "japanese_letter_frac": japanese / len(text) if text else 0.0,
            "japanese_letters": float(japanese),
            "avg_sentence_length": sum(lengths) / len(lengths) if lengths else 0.0,
            "max_sentence_length": float(max(lengths, default=0)),  # Swallow fails on a text with no sentence
            "ellipsis_sentence_frac": ellipses / len(lengths) if lengths else 0.0,
        }
