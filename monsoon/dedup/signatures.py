"""MinHash band hashes of a document, with shingles that suit its script.

Spaced and Thai text: n-grams of the language segmenter's lower-cased words. Japanese (and other unspaced
scripts configured with `shingle: char`): character n-grams of the text without spaces and punctuation.
The band hashes are plain integers, so any engine can group documents by (band index, hash).
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np
import regex
from datasketch import MinHash

from monsoon.languages import Language

SCHEME = "affine32"  # datasketch's default since 2.0; named so signatures stay comparable across versions
_WORD_CHAR = regex.compile(r"[\p{L}\p{M}\p{N}]")
_NOT_WORD_CHAR = regex.compile(r"[^\p{L}\p{M}\p{N}]+")


def shingles(text: str, language: Language) -> set[bytes]:
    n = language.dedup.ngram
    if language.dedup.shingle == "char":
        units = list(_NOT_WORD_CHAR.sub("", text.lower()))
        joiner = ""
    else:
        units = [w.lower() for w in language.word_list(text) if _WORD_CHAR.search(w)]
        joiner = " "
    if len(units) <= n:
        return {joiner.join(units).encode()} if units else set()
    return {joiner.join(units[i : i + n]).encode() for i in range(len(units) - n + 1)}


@cache
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations


def band_hashes(items: set[bytes], bands: int, rows: int, seed: int = 1) -> list[int]:
    """One 63-bit hash per band of a `bands * rows` MinHash signature (fits a signed int64 column)."""
    minhash = MinHash(bands * rows, seed=seed, permutations=_permutations(bands * rows, seed), scheme=SCHEME)
    minhash.update_batch(sorted(items))
    values = minhash.hashvalues.astype("<u8")
    return [
        int.from_bytes(hashlib.blake2b(values[b * rows : (b + 1) * rows].tobytes(), digest_size=8).digest(), "little")
        >> 1
        for b in range(bands)
    ]
