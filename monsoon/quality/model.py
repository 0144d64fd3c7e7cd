"""What the quality classifier reads and how its score is taken, shared by training and the score step so that a
model scores text exactly as it was trained on it; and the ranking metrics its model card reports."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import regex

from monsoon.languages import Language

SIGNAL = "quality_model.score"  # quality_signals name of the score
DEFAULT_LABEL = "hq"  # the positive class; the negative one is NEGATIVE_LABEL
NEGATIVE_LABEL = "cc"  # DCLM's names: __label__hq (reference text) vs __label__cc (random crawl)
_DIGITS = regex.compile(r"\d")


def model_text(text: str, language: Language) -> str:
    """One line of the text's words for fastText: the language's own segmenter (so unspaced scripts, Thai or
    Japanese, give words, never whitespace runs; the filters asked for the same words of the same text, so the
    segmentation is a cache hit in a run), NFKC case-folded, every digit 0 (a price or a date is not a feature)."""
    words = (_DIGITS.sub("0", unicodedata.normalize("NFKC", word).casefold()) for word in language.word_list(text))
    return " ".join(" ".join(words).split())  # a segmenter's token may hold a line break; fastText reads one line


def score_of(model, line: str, label: str) -> float:
    """The model's probability of `label` for a line from model_text."""
    labels, probabilities = model.predict(line, k=-1)
    wanted = f"__label__{label}"
    for name, probability in zip(labels, probabilities, strict=True):
        if name == wanted:
            return min(1.0, max(0.0, float(probability)))  # fastText's softmax may exceed 1 by rounding
    return 0.0


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random negative (ties half),
    from the ranks (Mann-Whitney U)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):  # tied scores share their mean rank
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    n_pos = sum(positive)
    n_neg = len(positive) - n_pos
    if not n_pos or not n_neg:
        raise ValueError("AUC needs positive and negative examples")
    rank_sum = sum(rank for rank, is_positive in zip(ranks, positive, strict=True) if is_positive)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def precision_at(scores: Sequence[float], positive: Sequence[bool], share: float) -> float:
    """The share of positives among the top `share` of documents by score (at least one document)."""
    top = max(1, round(len(scores) * share))
    ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:top]
    return sum(positive[i] for i in ranked) / top
