"""Quality signal families. Each computes named signals of a text for a `Language`; a language's YAML gives
the bounds per family, and `stages.quality.QualityFilter` drops documents outside them. Families are
language-agnostic: all they need (words, stop words) comes from the `Language`."""

from __future__ import annotations

from monsoon.filters.base import SignalFamily
from monsoon.filters.broken_text import BrokenText
from monsoon.filters.c4_quality import C4Quality
from monsoon.filters.fineweb_quality import FineWebQuality
from monsoon.filters.gopher_quality import GopherQuality
from monsoon.filters.gopher_repetition import GopherRepetition
from monsoon.filters.junk_lexicon import JunkLexicon
from monsoon.filters.swallow_japanese import SwallowJapanese
from monsoon.filters.swallow_ng_words import SwallowNgWords
from monsoon.filters.swallow_repetition import SwallowRepetition
from monsoon.languages import Language

FAMILIES: dict[str, SignalFamily] = {
    family.name: family
    for family in (
        GopherRepetition(),
        FineWebQuality(),
        GopherQuality(),
        C4Quality(),
        SwallowJapanese(),
        SwallowRepetition(),
        SwallowNgWords(),
        JunkLexicon(),
        BrokenText(),
    )
}


def validate_filters(language: Language) -> None:
    """Reject unknown filter families and signal names in a language's bounds, naming them."""
    for family_name, bounds in language.filters.items():
        if family_name not in FAMILIES:
            raise ValueError(f"{language.code}: unknown filter {family_name!r}; known: {', '.join(FAMILIES)}")
        known = FAMILIES[family_name].signals
        for name in [*bounds.min, *bounds.max]:
            if name not in known:
                raise ValueError(
                    f"{language.code}: filter {family_name!r} has no signal {name!r}; known: {', '.join(known)}"
                )
