"""MinHash band hashes of a document, with shingles that suit its script.

Every language: n-grams of its segmenter's lower-cased words, or (`shingle: lemma`, Japanese) of their
dictionary forms, so that the same text in another spelling or orthography keeps its shingles.
The band hashes are plain integers, so any engine can group documents by (band index, hash).
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import cache

import numpy as np
import regex
import xxhash
from datasketch import MinHash

from monsoon.languages import Language

SCHEME = "affine32"  # datasketch's default since 2.0, over 32-bit xxhash values; named so signatures stay
# comparable across datasketch versions
_WORD_CHAR = regex.compile(r"[\p{L}\p{M}\p{N}]")
# the exact-duplicate key: NFKC (full-width and compatibility forms folded), case-folded, every run of white space
# (Unicode's, line breaks included) one space, none at either end; hashed with 64-bit xxh3, halved into int64
EXACT_SCHEME = "nfkc-casefold-space/xxh3_64"
_SPACES = regex.compile(r"\s+")


def normalised(text: str) -> str:
    """The text as exact dedup compares it (EXACT_SCHEME): pages differing only in case, compatibility forms or
    white space are the same page."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _hash(normalised_text: str) -> int:
    return xxhash.xxh3_64_intdigest(normalised_text.encode()) >> 1


def text_hash(text: str) -> int:
    """The normalised text's 63-bit hash (fits a signed int64 column)."""
    return _hash(normalised(text))


def line_hash(line: str, min_chars: int) -> int | None:
    """A line's exact-dedup key (the text_hash of the line), or None for a line that line dedup leaves alone:
    blank, or shorter than `min_chars` characters once normalised."""
    key = normalised(line)
    return _hash(key) if len(key) >= max(min_chars, 1) else None


def line_hashes(text: str, min_chars: int) -> list[int]:
    """The distinct line_hash of the text's lines ("\n"-separated), sorted."""
    return sorted({h for line in text.split("\n") if (h := line_hash(line, min_chars)) is not None})


def shingles(text: str, language: Language) -> set[bytes]:
    """The language's word (or lemma) n-grams of the text, lower-cased, punctuation and symbols left out."""
    n = language.dedup.ngram
    units = [w.lower() for w in language.dedup_units(text) if _WORD_CHAR.search(w)]
    if len(units) <= n:
        return {" ".join(units).encode()} if units else set()
    return {" ".join(units[i : i + n]).encode() for i in range(len(units) - n + 1)}


@cache
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations


def band_hashes(items: set[bytes], bands: int, rows: int, seed: int = 1) -> list[int]:
    """One 63-bit hash per band of a `bands * rows` MinHash signature (fits a signed int64 column)."""
    minhash = MinHash(
        bands * rows,
        seed=seed,
        hashfunc=xxhash.xxh32_intdigest,
        permutations=_permutations(bands * rows, seed),
        scheme=SCHEME,
    )
    minhash.update_batch(list(items))  # a minimum: the order of the items does not matter
    values = minhash.hashvalues.astype("<u8")
    return [
        int.from_bytes(hashlib.blake2b(values[b * rows : (b + 1) * rows].tobytes(), digest_size=8).digest(), "little")
        >> 1
        for b in range(bands)
    ]
