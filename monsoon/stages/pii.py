"""Personal data in the extracted text: e-mail addresses, IP addresses, phone numbers and national ID numbers are
replaced by one placeholder per kind (`<EMAIL>`, `<IP>`, `<PHONE>`, `<NATIONAL_ID>`). The formats are data
(`monsoon/languages/pii.yaml`); each language's YAML names the countries whose phone and ID formats apply, so the
step runs after language identification. The code only knows the checks a format names (checksums, dates, region
codes).

A document with more than `max_hits` masks is dropped (`pii.hits>max`): a directory or a leaked list, not prose.
Kept documents record their masks per kind as `quality_signals["pii.<kind>"]`, which the accounting sums per
language (the masks in the output text). Token counts are taken before language identification, on the unmasked
text; a masked document is recounted here, so `token_count` is always the count of the text written.
"""

from __future__ import annotations

import calendar
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import MASK_SIGNAL_PREFIX, count_dropped
from monsoon.config import read_yaml
from monsoon.languages import LANGUAGES_DIR, get_language
from monsoon.stages.token_count import set_text
from monsoon.tokens import LLAMA3

HITS_REASON = "pii.hits>max"
# no digit, nor a separator that continues a number (1.250.000, 2024-05-12, 12/05, 10:30), glued to either side
_START = r"(?<![\d.,/:+-])"
_END = r"(?!\d|[.,/:-]\d)"


@dataclass(frozen=True)
class Pattern:
    kind: str
    regex: re.Pattern
    digits: frozenset[int]
    check: Callable[[str], bool] | None


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return sum(1 for group in text.split(":") if group) >= 3  # not "::" or a "a::b" scope operator


def _thai_id(text: str) -> bool:
    """Thai ID: the 13th digit is (11 - sum(digit_i * (13 - i)) mod 11) mod 10 over the first 12."""
    digits = [int(c) for c in _digits(text)]
    total = sum(d * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == digits[12]


def _valid_date(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]  # 2000: a leap year


def _make_checks(rules: dict) -> dict[str, Callable[[str], bool]]:
    nik_provinces, cccd_provinces = set(rules["nik_provinces"]), set(rules["cccd_provinces"])
    birthplaces = [range(low, high + 1) for low, high in rules["mykad_birthplaces"]]

    def nik(text: str) -> bool:
        # PP KK CC DDMMYY SSSS; women's birth day + 40
        d = _digits(text)
        day, month = int(d[6:8]), int(d[8:10])
        return (
            d[:2] in nik_provinces
            and d[2:4] != "00"
            and d[4:6] != "00"
            and _valid_date(day - 40 if day > 40 else day, month)
            and d[12:] != "0000"
        )

    def mykad(text: str) -> bool:
        d = _digits(text)
        return _valid_date(int(d[4:6]), int(d[2:4])) and any(int(d[6:8]) in span for span in birthplaces)

    def cccd(text: str) -> bool:
        # province (3), gender and century (0/1: 1900s, 2/3: 2000s), birth year (2), serial (6)
        d = _digits(text)
        return d[:3] in cccd_provinces and d[3] in "0123"

    return {"ipv4": _ipv4, "ipv6": _ipv6, "thai_id": _thai_id, "nik": nik, "mykad": mykad, "cccd": cccd}


@cache
def pii_rules(path: str = str(LANGUAGES_DIR / "pii.yaml")) -> dict:
    return read_yaml(path)


def signal_names() -> list[str]:
    """The quality signals this step writes: masks per kind (`pii.<kind>`)."""
    return [f"{MASK_SIGNAL_PREFIX}{kind}" for kind in pii_rules()["placeholders"]]


@cache
def patterns_for(countries: tuple[str, ...], path: str = str(LANGUAGES_DIR / "pii.yaml")) -> tuple[Pattern, ...]:
    """The patterns of every kind for these countries, in the placeholders' (matching) order."""
    rules = pii_rules(path)
    checks = _make_checks(rules)
    unknown = sorted(set(countries) - set(rules["countries"]))
    if unknown:
        raise ValueError(f"{path}: no PII formats for countries {', '.join(unknown)}")
    sources = [rules["everywhere"], *(rules["countries"][country] for country in countries)]
    patterns = []
    for kind in rules["placeholders"]:
        for source in sources:
            for spec in source.get(kind, []):
                if spec.get("check") and spec["check"] not in checks:
                    raise ValueError(f"{path}: unknown check {spec['check']!r} (known: {', '.join(sorted(checks))})")
                regex = re.compile(f"{_START}(?:{spec['regex']}){_END}")
                digits = frozenset(spec.get("digits", ()))
                patterns.append(Pattern(kind, regex, digits, checks.get(spec.get("check"))))
    return tuple(patterns)


def find_pii(text: str, patterns: tuple[Pattern, ...]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every PII span, in text order. Overlapping candidates: the earlier kind wins, then the
    longer match ("(02) 8123 4567" over its "8123 4567")."""
    kinds = list(dict.fromkeys(pattern.kind for pattern in patterns))
    candidates = []
    for pattern in patterns:
        for match in pattern.regex.finditer(text):
            value = match.group(0)
            if pattern.digits and len(_digits(value)) not in pattern.digits:
                continue
            if pattern.check and not pattern.check(value):
                continue
            candidates.append((kinds.index(pattern.kind), match.start() - match.end(), match.start(), pattern.kind))
    taken: list[tuple[int, int, str]] = []
    for _, negative_length, start, kind in sorted(candidates):
        end = start - negative_length
        if not any(start < t_end and t_start < end for t_start, t_end, _ in taken):
            taken.append((start, end, kind))
    return sorted(taken)


def mask_pii(text: str, countries: tuple[str, ...]) -> tuple[str, dict[str, int]]:
    """(text with each PII span replaced by its kind's placeholder, masks per kind)."""
    placeholders = pii_rules()["placeholders"]
    parts, counts, position = [], {}, 0
    for start, end, kind in find_pii(text, patterns_for(countries)):
        parts += [text[position:start], placeholders[kind]]
        counts[kind] = counts.get(kind, 0) + 1
        position = end
    parts.append(text[position:])
    return "".join(parts), counts


class PiiMask(PipelineStep):
    name = "🕶 PII masking"

    def __init__(self, tokenizer: str = LLAMA3, max_hits: int = 5):
        super().__init__()
        self.tokenizer, self.max_hits = tokenizer, max_hits

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                countries = tuple(get_language(doc.metadata["language"]).pii.countries)
                text, counts = mask_pii(doc.text, countries)
            if sum(counts.values()) > self.max_hits:
                count_dropped(self, doc, HITS_REASON)
                continue
            if counts:
                if not set_text(self, doc, text, self.tokenizer):
                    continue
                signals = doc.metadata.setdefault("quality_signals", {})
                signals.update({f"{MASK_SIGNAL_PREFIX}{kind}": float(n) for kind, n in counts.items()})
            yield doc
