"""Swallow's repetition signals (after Rae et al. 2021), on characters: Japanese has no spaces to count words by.

Unlike `gopher_repetition` (FineWeb-2's, on the segmenter's words and counting the characters they cover), these
are, as swallow-llm/swallow-corpus `quality.py` computes them (tutcsis/ota_corpus@f15828a0):
- dup_{para,sentence}_frac: repeats (every copy after the first) of a line's sentences / of a sentence, over all
  lines / sentences; the _char_frac variants count their characters over all lines' / sentences' characters;
- top_N_char_gram_frac (N = 2..4): occurrences of the most frequent character N-gram of the text, over all of
  its character N-grams;
- dup_N_char_gram_frac (N = 5..10): distinct character N-grams seen more than once, over all distinct ones (the
  repository's README speaks of occurrences; its code, which built the corpus, counts distinct N-grams).
"""

from __future__ import annotations

from collections import Counter

from monsoon.filters.base import SignalFamily
from monsoon.filters.swallow_japanese import line_sentences, sentences_of
from monsoon.languages import Language

TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)


def repeats(items: list[str]) -> tuple[int, int]:
    """(copies after the first of each item, their characters)."""
    counts = Counter(items)
    return sum(n - 1 for n in counts.values()), sum(len(item) * (n - 1) for item, n in counts.items())


def char_ngram_counts(text: str, n: int) -> Counter[str]:
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


class SwallowRepetition(SignalFamily):
    name = "swallow_repetition"
    signals = (  # Swallow's apply_v1 checks them in this order
        "dup_para_frac",
        "dup_sentence_frac",
        "dup_para_char_frac",
        "dup_sentence_char_frac",
        *(f"top_{n}_char_gram_frac" for n in TOP_NGRAMS),
        *(f"dup_{n}_char_gram_frac" for n in DUP_NGRAMS),
    )

    def compute(self, text: str, language: Language) -> dict[str, float]:
        lines = line_sentences(text)
        paragraphs = ["".join(line) for line in lines]
        sentences = list(sentences_of(lines))
        dup_paras, dup_para_chars = repeats(paragraphs)
        dup_sentences, dup_sentence_chars = repeats(sentences)
        para_chars, sentence_chars = sum(map(len, paragraphs)), sum(map(len, sentences))
        signals = {
            "dup_para_frac": dup_paras / len(paragraphs),
            "dup_sentence_frac": dup_sentences / len(sentences) if sentences else 0.0,
            "dup_para_char_frac": dup_para_chars / para_chars if para_chars else 0.0,
            "dup_sentence_char_frac": dup_sentence_chars / sentence_chars if sentence_chars else 0.0,
        }
        for n in TOP_NGRAMS:
            counts = char_ngram_counts(text, n)
            signals[f"top_{n}_char_gram_frac"] = max(counts.values()) / counts.total() if counts else 0.0
        for n in DUP_NGRAMS:
            counts = char_ngram_counts(text, n)
            signals[f"dup_{n}_char_gram_frac"] = sum(c > 1 for c in counts.values()) / len(counts) if counts else 0.0
        return signals
