"""Gambling, adult and sales/SEO spam lexicons: how many distinct entries of each of a language's lexicons a text
holds, and what share of its characters they cover.

Matching runs on a normalised copy of the text (the document's text is never changed), so that obfuscated spellings
match the plain entry: NFKC (full-width letters), case folding, leetspeak digits as letters ("sl0t" -> "slot"),
separators between single letters removed ("s.l.o.t" -> "slot"), and runs of three or more space-separated tokens
of at most `join_spaced_max_chars` letters each joined ("ส ล็ อ ต" -> "สล็อต"; combining marks do not count as
letters), and, for a script written without spaces between words (the language's `junk.unspaced`, a character
class such as Thai's), every space between two of its characters removed ("สล็อต เว็บ ตรง" -> "สล็อตเว็บตรง").
Entries are normalised the same way. An entry that starts or ends with a Latin letter or digit matches
only at a word boundary there, so "slot" does not match inside "timeslots".
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from monsoon.filters.base import SignalFamily
from monsoon.languages import Language, read_word_file

CATEGORIES = ("gambling", "adult", "spam")
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
# single letters (after leet mapping) joined by dots, dashes, underscores, stars or tildes: "s.l.o.t", "s-l-0-t"
SEPARATED_LETTERS = re.compile(r"(?<![^\W_])(?:[^\W\d_][.\-_*~·]){2,}[^\W\d_](?![^\W_])")
SEPARATORS = re.compile(r"[.\-_*~·]")
TOKENS = re.compile(r"(\s+)")
WORD_EDGE = re.compile(r"[a-z0-9]")


def _short(token: str, max_chars: int) -> bool:
    """0 < the token's letters (combining marks not counted) <= max_chars; stops counting past max_chars, so a long
    token (most of an unspaced script's text) costs a few characters, not all of them."""
    letters = 0
    for char in token:
        if not unicodedata.category(char).startswith("M"):
            letters += 1
            if letters > max_chars:
                return False
    return letters > 0


def _join_spaced(text: str, max_chars: int) -> str:
    """Runs of 3+ tokens of at most `max_chars` letters, separated by spaces on one line, written without the spaces."""
    parts = TOKENS.split(text)  # words at even indices, whitespace at odd ones
    out: list[str] = []
    i = 0
    while i < len(parts):
        j = i
        while i % 2 == 0 and j + 2 < len(parts) and "\n" not in parts[j + 1] and _short(parts[j], max_chars):
            if not _short(parts[j + 2], max_chars):
                break
            j += 2
        if (j - i) // 2 + 1 >= 3:
            out.append("".join(parts[i : j + 1 : 2]))
            i = j + 1
        else:
            out.append(parts[i])
            i += 1
    return "".join(out)


@cache
def _unspaced_pattern(chars: str) -> re.Pattern[str]:
    return re.compile(f"(?<=[{chars}])[ \t]+(?=[{chars}])")


def normalise_for_matching(text: str, join_spaced_max_chars: int = 1, unspaced: str | None = None) -> str:
    """The text as lexicon entries are matched against it (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(LEET)
    text = SEPARATED_LETTERS.sub(lambda m: SEPARATORS.sub("", m.group()), text)
    text = _join_spaced(text, join_spaced_max_chars)
    return _unspaced_pattern(unspaced).sub("", text) if unspaced else text


@cache
def lexicon_pattern(name: str, join_spaced_max_chars: int, unspaced: str | None) -> re.Pattern[str]:
    """One regex of the word file's entries (normalised, longest first), with word boundaries at Latin edges."""
    entries = {normalise_for_matching(entry, join_spaced_max_chars, unspaced) for entry in read_word_file(name)}
    alternatives = []
    for entry in sorted(entries, key=len, reverse=True):
        before = r"(?<![a-z0-9])" if WORD_EDGE.match(entry[0]) else ""
        after = r"(?![a-z0-9])" if WORD_EDGE.match(entry[-1]) else ""
        alternatives.append(before + re.escape(entry) + after)
    return re.compile("|".join(alternatives))


def lexicon_hits(normalised: str, name: str, join_spaced_max_chars: int, unspaced: str | None) -> tuple[int, int]:
    """(distinct entries found, characters their matches cover) in an already normalised text; a lone match covers
    nothing: a comment that names the junk once ("ตำรวจไซด์ไลน์") is not the junk."""
    matches = [match.group() for match in lexicon_pattern(name, join_spaced_max_chars, unspaced).finditer(normalised)]
    return len(set(matches)), sum(map(len, matches)) if len(matches) > 1 else 0


class JunkLexicon(SignalFamily):
    """Per category of the language's `junk.lexicons`: `<category>_terms` (distinct entries found) and
    `<category>_char_frac` (characters of all matches over the non-space characters, 0 for a single match). A
    category without a lexicon scores 0."""

    name = "junk_lexicon"
    signals = tuple(f"{category}_{kind}" for category in CATEGORIES for kind in ("terms", "char_frac"))

    def compute(self, text: str, language: Language) -> dict[str, float]:
        spec = language.junk
        values = dict.fromkeys(self.signals, 0.0)
        if spec is None or not spec.lexicons:
            return values
        normalised = normalise_for_matching(text, spec.join_spaced_max_chars, spec.unspaced)
        letters = sum(1 for char in normalised if not char.isspace()) or 1
        for category, name in spec.lexicons.items():
            terms, covered = lexicon_hits(normalised, name, spec.join_spaced_max_chars, spec.unspaced)
            values[f"{category}_terms"] = float(terms)
            values[f"{category}_char_frac"] = covered / letters
        return values
