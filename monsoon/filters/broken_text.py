"""Broken text: counts of the traces that a wrong decoding or a PDF extraction leaves. Each signal is a cheap
regex count, in the order below; a language's `junk.filters.broken_text` bounds decide which of them apply to it.

- `thai_cp874_mojibake`: UTF-8 Thai read as TIS-620/cp874. Every Thai letter is 3 UTF-8 bytes E0 B8|B9 xx, which
  cp874 shows as "เธ"/"เน" + one character (or U+FFFD); counted are such triples in runs of 3 or more (a lone
  "เธอ", "she", is Thai).
- `latin1_mojibake`: UTF-8 read as latin-1/cp1252: a lead byte shown as Â/Ã (Latin), à (Thai, "à¸") or ã..é
  (Japanese, "ã\x81", "æ—¥") followed by a continuation byte shown as a C1 control, a cp1252 punctuation sign,
  ¡..¿ or U+FFFD (bytes cp1252 leaves undefined).
- `cp932_mojibake`: UTF-8 Japanese read as Shift_JIS/cp932: the lead bytes E3 81/82/83 of kana and many kanji show
  as 縺/繧/繝, kanji that real text almost never uses.
- `thai_unassigned`: code points of the Thai block that Unicode leaves unassigned (U+0E00, U+0E3B-0E3E,
  U+0E5C-0E7F), what a broken font mapping or PDF extraction writes.
- `thai_orphan_marks`: a space followed by a Thai vowel or mark that cannot begin a syllable (ะ า ำ ๅ, vowels above
  and below, tone marks): PDF extraction that loses a sara am or tone mark leaves "ก าหนด" for กำหนด.
- `replacement_chars`: U+FFFD, what a decoder writes for bytes it cannot read.
"""

from __future__ import annotations

import re

from monsoon.filters.base import SignalFamily
from monsoon.languages import Language

REPLACEMENT = re.compile("\ufffd")
THAI_CP874 = re.compile(r"(?:เ[ธน]\S){3,}")
LATIN1 = re.compile("[ÂÃàáâãäåæçèé][\u0080-\u00bf‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ\ufffd]")
CP932 = re.compile("[縺繧繝]")
THAI_UNASSIGNED = re.compile("[\u0e00\u0e3b-\u0e3e\u0e5c-\u0e7f]")
THAI_ORPHAN_MARK = re.compile("(?<=[\u0e01-\u0e2e]) [\u0e30-\u0e3a\u0e45\u0e47-\u0e4e]")


class BrokenText(SignalFamily):
    name = "broken_text"
    signals = (  # the specific traces first: a wrong decoding writes U+FFFD too
        "thai_cp874_mojibake",
        "latin1_mojibake",
        "cp932_mojibake",
        "thai_unassigned",
        "thai_orphan_marks",
        "replacement_chars",
    )

    def compute(self, text: str, language: Language) -> dict[str, float]:
        return {
            "thai_cp874_mojibake": float(sum(len(m.group()) // 3 for m in THAI_CP874.finditer(text))),
            "latin1_mojibake": float(len(LATIN1.findall(text))),
            "cp932_mojibake": float(len(CP932.findall(text))),
            "thai_unassigned": float(len(THAI_UNASSIGNED.findall(text))),
            "thai_orphan_marks": float(len(THAI_ORPHAN_MARK.findall(text))),
            "replacement_chars": float(len(REPLACEMENT.findall(text))),
        }
