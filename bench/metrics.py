"""Precision, recall and F1, as every evaluation script here reports them."""

from __future__ import annotations


def prf(hits: int, predicted: int, gold: int, empty: float = 0.0) -> tuple[float, float, float]:
    """(precision, recall, F1) from counts; `empty` is the precision (recall) when nothing was predicted (is
    gold)."""
    precision = hits / predicted if predicted else empty
    recall = hits / gold if gold else empty
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)
