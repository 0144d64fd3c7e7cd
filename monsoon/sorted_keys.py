"""Membership in a sorted array of hash keys, by binary search: how the URL blocklist, the dedup index lookup and
the benchmark n-grams are looked up (a sorted numpy array holds millions of keys where a Python set would take
ten times the memory)."""

from __future__ import annotations

import numpy as np


def in_sorted(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A boolean mask over `values`: which of them the sorted `keys` hold."""
    if not len(keys) or not len(values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return keys[at] == values
