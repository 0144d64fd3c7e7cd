"""Per-language quality filtering: each document goes through its own language's filter families, in the order
of the language's YAML, and is dropped with the reason `<family>.<signal><min|>max` at the first bound it
breaks. Signals computed are kept in `metadata["quality_signals"]`."""

from __future__ import annotations

from datatrove.data import Document

from monsoon.accounting import LedgerFilter, count_dropped, count_errored
from monsoon.filters import FAMILIES, validate_filters
from monsoon.languages import get_language


class QualityFilter(LedgerFilter):
    name = "🥇 Quality filters"

    def __init__(self, targets: list[str]):
        super().__init__()
        self.targets = list(targets)
        for code in self.targets:  # fail at build time, not mid-run, on a bad language file
            validate_filters(get_language(code))

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language = get_language(doc.metadata["language"])
        signals = doc.metadata.setdefault("quality_signals", {})
        for family, bounds in language.filters.items():
            try:
                values = FAMILIES[family].compute(doc.text, language)
            except Exception:
                count_errored(self, doc, f"{family}.failed", by=family)
                return False, f"{family}.failed"
            signals.update({f"{family}.{name}": round(float(value), 6) for name, value in values.items()})
            if reason := bounds.violation(family, values):
                count_dropped(self, doc, reason, by=family)
                return False, reason
        return True
