"""Per-language quality filtering: each document goes through its own language's filter families, in the order
of the language's YAML, and is dropped with the reason `<family>.<signal><min|>max` at the first bound it
breaks. Signals computed are kept in `metadata["quality_signals"]`. `recipe` says whether the language files'
deviations apply ("monsoon") or not ("fineweb2": FineWeb-2 / FineWeb as published)."""

from __future__ import annotations

from datatrove.data import Document

from monsoon.accounting import LedgerFilter, count_dropped, count_errored
from monsoon.filters import FAMILIES, validate_filters
from monsoon.languages import Language, get_language
from monsoon.stages.token_count import set_text
from monsoon.tokens import LLAMA3


class FamilyFailed(Exception):
    def __init__(self, family: str):
        super().__init__(family)
        self.family = family


def judge(text: str, language: Language, signals: dict[str, float]) -> tuple[str | None, str]:
    """(drop reason or None, the text as kept) of a text through the language's families in order; every
    family's signals are added to `signals` up to the one that drops it. A family that fails raises FamilyFailed."""
    for family, bounds in language.filters.items():
        try:
            values = FAMILIES[family].compute(text, language)
        except Exception as error:
            raise FamilyFailed(family) from error
        signals.update({f"{family}.{name}": round(float(value), 6) for name, value in values.items()})
        if reason := bounds.violation(family, values, FAMILIES[family].zero_is_off):
            return reason, text
        text = FAMILIES[family].rewrite(text, language)
    return None, text


class QualityFilter(LedgerFilter):
    name = "🥇 Quality filters"

    def __init__(self, targets: list[str], recipe: str = "monsoon", tokenizer: str = LLAMA3):
        super().__init__()
        self.targets = list(targets)
        self.recipe = recipe
        self.tokenizer = tokenizer  # a family that removes lines (C4) changes the text: its tokens are counted again
        for code in self.targets:  # fail at build time, not mid-run, on a bad language file or recipe
            validate_filters(get_language(code).for_recipe(recipe))
        self._languages: dict[str, Language] = {}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        code = doc.metadata["language"]
        if code not in self._languages:
            self._languages[code] = get_language(code).for_recipe(self.recipe)
        signals = doc.metadata.setdefault("quality_signals", {})
        try:
            reason, text = judge(doc.text, self._languages[code], signals)
        except FamilyFailed as failure:
            count_errored(self, doc, f"{failure.family}.failed", by=failure.family)
            return False, f"{failure.family}.failed"
        if reason:
            count_dropped(self, doc, reason, by=reason.split(".")[0])
            return False, reason
        if text != doc.text and not set_text(self, doc, text, self.tokenizer):
            return False, "token_count_failed"
        return True
