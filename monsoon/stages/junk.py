"""The SEA web's own junk (issue 12), after LID and before footer trimming and the quality filters, for languages
whose YAML has `junk`: a page is dropped when its host (or a parent domain) is listed under one of the language's
`blocklist_categories` in the UT1-style blocklist (`junk_blocklist.<category>`), when a label of its host contains
one of the language's host words (`junk_url.<category>`), or when a junk signal family (junk_lexicon, broken_text)
breaks a bound of `junk.filters` (`<family>.<signal><min|>max`). Signal values are kept in
`metadata["quality_signals"]` as the quality filters' are."""

from __future__ import annotations

import os
from functools import cache

from datatrove.data import Document

from monsoon.accounting import LedgerFilter, count_dropped, count_errored
from monsoon.filters import FAMILIES
from monsoon.languages import LANGUAGES_DIR, JunkSpec, get_language, read_word_file
from monsoon.stages.ng_hosts import listed_category
from monsoon.urls import url_host

BUNDLED_BLOCKLIST = str(LANGUAGES_DIR / "blocklist")  # a few hosts per category, UT1's layout; tests use it


@cache
def host_words(name: str) -> tuple[tuple[str, str], ...]:
    """(category, word) pairs of a host-word file (`<category> <word>` per line)."""
    return tuple((category, word.lower()) for category, word in (line.split() for line in read_word_file(name)))


def url_reason(url: str, spec: JunkSpec, blocklist: str) -> str | None:
    host = url_host(url)
    if not host:
        return None
    if spec.blocklist_categories and (category := listed_category(host, blocklist, tuple(spec.blocklist_categories))):
        return f"junk_blocklist.{category}"
    if spec.host_words:
        labels = host.split(".")[:-1]  # the top-level domain says nothing
        for category, word in host_words(spec.host_words):
            if any(word in label for label in labels):
                return f"junk_url.{category}"
    return None


class JunkFilter(LedgerFilter):
    name = "🎰 Junk rules"

    def __init__(self, targets: list[str], blocklist: str | None = None):
        super().__init__()
        self.blocklist = blocklist or BUNDLED_BLOCKLIST
        if not os.path.isdir(self.blocklist):  # fail at build time on a blocklist folder that is not there
            raise ValueError(f"junk_blocklist {self.blocklist!r} is not a folder")
        for code in targets:
            junk = get_language(code).junk
            for family, bounds in (junk.filters if junk else {}).items():
                known = FAMILIES[family].signals if family in FAMILIES else ()
                if not known or any(name not in known for name in [*bounds.min, *bounds.max]):
                    raise ValueError(f"{code}: junk.filters.{family} is not a known family or names unknown signals")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language = get_language(doc.metadata["language"])
        spec = language.junk
        if spec is None:
            return True
        if reason := url_reason(doc.metadata.get("url") or "", spec, self.blocklist):
            count_dropped(self, doc, reason)
            return False, reason
        signals = doc.metadata.setdefault("quality_signals", {})
        for family, bounds in spec.filters.items():
            try:
                values = FAMILIES[family].compute(doc.text, language)
            except Exception:
                count_errored(self, doc, f"{family}.failed")
                return False, f"{family}.failed"
            signals.update({f"{family}.{name}": round(float(value), 6) for name, value in values.items()})
            if reason := bounds.violation(family, values):
                count_dropped(self, doc, reason)
                return False, reason
        return True
