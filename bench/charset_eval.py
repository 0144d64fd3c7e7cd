"""Legacy-charset decoding of the reader (stages/charset.py) on ../shared/data/charset_detection_chardet (dev):
real pages and feeds in TIS-620, Shift_JIS/CP932, EUC-JP, ISO-2022-JP, GB2312, Big5, EUC-KR, UTF-8 and Latin-1.

A file counts as decoded right when its text equals the text its labelled encoding gives (read as browsers do:
TIS-620 as windows-874, Shift_JIS as CP932, ...). Two passes: the bytes as published (the `<meta>` or XML
declaration may name the charset), and with every charset declaration removed (the detector alone, as for pages
that declare nothing). `python bench/charset_eval.py`.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

from monsoon.stages.charset import codec_for_label, decode_html

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "charset_detection_chardet" / "dev"
_DECLARATION = re.compile(rb"""(charset|encoding)\s*=\s*["']?[a-zA-Z0-9_.:-]+["']?""", re.IGNORECASE)


def main() -> None:
    with open(DATA / "labels.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    right: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # declared, undeclared, files
    for row in rows:
        payload = (DATA / row["path"]).read_bytes()
        codec = codec_for_label(row["encoding"]) or row["encoding"]
        for column, data in enumerate((payload, _DECLARATION.sub(b"", payload))):
            text, _ = decode_html(data)
            want = data.decode(codec, "replace").removeprefix("\ufeff")
            right[row["encoding"]][column] += (text or "").removeprefix("\ufeff") == want
        right[row["encoding"]][2] += 1
    print(f"{'encoding':<14} {'files':>5} {'as published':>13} {'undeclared':>11}")
    for encoding, (declared, undeclared, files) in sorted(right.items()):
        print(f"{encoding:<14} {files:>5} {declared / files:>13.0%} {undeclared / files:>11.0%}")
    total = sum(v[2] for v in right.values())
    print(
        f"{'all':<14} {total:>5} {sum(v[0] for v in right.values()) / total:>13.1%} "
        f"{sum(v[1] for v in right.values()) / total:>11.1%}"
    )


if __name__ == "__main__":
    main()
