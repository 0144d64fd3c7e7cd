"""PII masking and machine-translation traces, measured on real data (`python bench/pii_eval.py`).

1. Masks per kind on real text that holds (almost) no personal data, so nearly every mask is a false positive to
   inspect: Thai government news and Wisesight messages (thai_prose), the real pages of realweb_sea/dev (main text
   by trafilatura as the pipeline extracts it), NTREX-128 news documents per language. Every mask is printed with
   its context (`--show N` per set).
2. A labelled set: constructed PII of each kind and country (and look-alikes that must stay: a Thai-ID-shaped
   number failing its checksum, dates, prices, ISBNs, versions, times) inserted between the sentences of real news
   text of the country's language; exact expected masks. Precision and recall per kind.
3. Machine-translation signals on the raw real pages: realweb_sea/dev and the three extraction sets.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monsoon.config import PiiConfig  # noqa: E402
from monsoon.languages import get_language  # noqa: E402
from monsoon.stages.mt_traces import flagging, mt_signals  # noqa: E402
from monsoon.stages.pii import find_pii, patterns_for  # noqa: E402

DATA = REPO.parent / "shared" / "data"
KINDS = ("email", "ip", "national_id", "phone")


def read_page(path: Path) -> str:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def countries(language: str) -> tuple[str, ...]:
    return tuple(get_language(language).pii.countries)


def thai_prose() -> list[tuple[str, str, str]]:
    docs = []
    for name in ("thaigov_news_sample.jsonl", "wisesight_social_sample.jsonl"):
        with open(DATA / "thai_prose" / name, encoding="utf-8") as f:
            docs += [(name, "tha_Thai", json.loads(line)["text"]) for line in f]
    return docs


def realweb_texts() -> list[tuple[str, str, str]]:
    from trafilatura import extract

    docs = []
    with open(DATA / "realweb_sea" / "dev" / "index.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            text = extract(read_page(DATA / "realweb_sea" / "dev" / row["path"]), favor_precision=True) or ""
            docs.append((row["path"], row["language"], text))
    return docs


def _tsv(f) -> csv.DictReader:
    return csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)


def ntrex_documents() -> list[tuple[str, str, str]]:
    folder = DATA / "lid_ntrex128" / "dev"
    with open(folder / "lid.tsv", encoding="utf-8") as f, open(folder / "lid_meta.tsv", encoding="utf-8") as g:
        lines = defaultdict(list)
        for row, meta in zip(_tsv(f), _tsv(g), strict=True):
            lines[(row["lang"], meta["doc_id"])].append(row["text"])
    known = {p.stem for p in (REPO / "monsoon" / "languages").glob("*_*.yaml")}
    return [(doc, lang, "\n".join(text)) for (lang, doc), text in sorted(lines.items()) if lang in known]


def aeb_articles() -> list[tuple[str, str, str]]:
    """The Scrapinghub benchmark's gold article bodies: real (mostly English) news, read as English."""
    truth = json.loads((DATA / "extraction_scrapinghub_aeb" / "dev" / "ground-truth.json").read_text())
    return [(page_id, "eng_Latn", entry["articleBody"]) for page_id, entry in sorted(truth.items())]


def real_set_masks(name: str, docs: list[tuple[str, str, str]], show: int) -> None:
    by_language: dict[str, Counter] = defaultdict(Counter)
    examples = []
    for doc_id, language, text in docs:
        by_language[language]["documents"] += 1
        spans = find_pii(text, patterns_for(countries(language)))
        by_language[language]["dropped"] += len(spans) > PiiConfig().max_hits
        for start, end, kind in spans:
            by_language[language][kind] += 1
            examples.append((language, kind, doc_id, text[max(0, start - 30) : end + 30].replace("\n", " ")))
    print(f"\n== masks on {name}")
    columns = (*KINDS, "dropped")  # dropped: documents with more than pii.max_hits masks
    print(f"{'language':<10} {'documents':>9} " + " ".join(f"{column:>11}" for column in columns))
    for language, counts in sorted(by_language.items()):
        print(f"{language:<10} {counts['documents']:>9} " + " ".join(f"{counts[column]:>11}" for column in columns))
    for language, kind, doc_id, context in examples[:show]:
        print(f"   {language} {kind:<11} {doc_id[:40]:<40} …{context}…")
    if len(examples) > show:
        print(f"   ... {len(examples) - show} more")


def thai_id(first12: str) -> str:
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return first12 + str((11 - total % 11) % 10)


def grouped_thai_id(digits: str) -> str:
    return f"{digits[0]}-{digits[1:5]}-{digits[5:10]}-{digits[10:12]}-{digits[12]}"


_VALID_TH = thai_id("110370207181")
_INVALID_TH = _VALID_TH[:12] + str((int(_VALID_TH[12]) + 1) % 10)
# (value, kind or None for a look-alike that must stay), per language; the language's countries decide the formats
CONSTRUCTED = {
    "tha_Thai": [
        ("081-234-5678", "phone"), ("0812345678", "phone"), ("02-123-4567", "phone"), ("0 2283 1500", "phone"),
        ("+66 81 234 5678", "phone"), (_VALID_TH, "national_id"), (grouped_thai_id(_VALID_TH), "national_id"),
        (_INVALID_TH, None), (grouped_thai_id(_INVALID_TH), None), ("somchai.j@example.co.th", "email"),
        ("203.150.10.4", "ip"), ("12/05/2567", None), ("1,250,000", None), ("14.30", None), ("2566-2567", None),
        ("978-616-08-1234-5", None),
    ],
    "ind_Latn": [
        ("0812-3456-7890", "phone"), ("081234567890", "phone"), ("(021) 5551234", "phone"), ("021-5551234", "phone"),
        ("+62 812-3456-7890", "phone"), ("3174012501900003", "national_id"), ("3174016501900003", "national_id"),
        ("9974012501900003", None), ("3174013501900003", None), ("budi.santoso@contoh.co.id", "email"),
        ("2001:db8::8a2e:370:7334", "ip"), ("12-05-2024", None), ("Rp 1.250.000", None), ("versi 2.4.1", None),
        ("pukul 10.30 WIB", None), ("978-602-03-1234-5", None),
    ],
    "zsm_Latn": [
        ("012-345 6789", "phone"), ("011-1234 5678", "phone"), ("03-2142 8888", "phone"), ("+60 12-345 6789", "phone"),
        ("850101-14-5123", "national_id"), ("850101145123", "national_id"), ("851301-14-5123", None),
        ("850101-00-5123", None), ("+65 6123 4567", "phone"), ("ali.ahmad@contoh.com.my", "email"),
        ("10.0.0.254", "ip"), ("RM1,250.00", None), ("12/05/2024", None), ("jam 10:30", None),
    ],
    "vie_Latn": [
        ("0912.345.678", "phone"), ("0912 345 678", "phone"), ("091 234 5678", "phone"), ("024 3825 1234", "phone"),
        ("+84 912 345 678", "phone"), ("001203012345", "national_id"), ("079090012345", "national_id"),
        ("003203012345", None), ("nguyen.van.a@vidu.com.vn", "email"), ("113.160.1.5", "ip"),
        ("1.250.000 đồng", None), ("12.05.2024", None), ("10:30", None), ("978-604-1-12345-6", None),
    ],
    "jpn_Jpan": [
        ("03-1234-5678", "phone"), ("090-1234-5678", "phone"), ("0120-123-456", "phone"), ("06(6123)4567", "phone"),
        ("+81-3-1234-5678", "phone"), ("taro.yamada@example.co.jp", "email"), ("192.0.2.33", "ip"),
        ("〒100-0001", None), ("2024-05-12", None), ("ISBN978-4-10-101001-5", None), ("1,980円", None),
        ("10:30", None), ("Ver.2.1.3", None),
    ],
    "tgl_Latn": [
        ("0917 123 4567", "phone"), ("09171234567", "phone"), ("(02) 8123 4567", "phone"),
        ("+63 917 123 4567", "phone"), ("juan.delacruz@halimbawa.ph", "email"), ("fe80::1ff:fe23:4567:890a", "ip"),
        ("₱1,250.00", None), ("12/05/2024", None), ("10:30", None),
    ],
    "eng_Latn": [
        ("+65 6123 4567", "phone"), ("9123 4567", "phone"), ("012-345 6789", "phone"), ("+63 917 123 4567", "phone"),
        ("850101-14-5123", "national_id"), ("jane.tan@example.sg", "email"), ("198.51.100.7", "ip"),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ip"), ("$1,250.00", None), ("May 12, 2024", None),
        ("10:30 a.m.", None), ("version 3.11.4", None), ("ISBN 978-0-306-40615-7", None),
    ],
}  # fmt: skip


def labelled_set() -> None:
    """Constructed values inserted between the sentences of real news of each language: exact expected masks."""
    news = defaultdict(list)
    for _, language, text in ntrex_documents():
        news[language].append(text)
    news["tha_Thai"] = [text for name, _, text in thai_prose() if name.startswith("thaigov")][:40]
    rng = random.Random(12)
    counts = {kind: Counter() for kind in KINDS}
    wrong = []
    for language, values in CONSTRUCTED.items():
        for doc_index, base in enumerate(news[language][:20]):
            pieces, expected, inserted, position = [], set(), [], 0
            sentences = base.split("\n")
            for value, kind in rng.sample(values, k=len(values)):
                anchor = sentences.pop(0) if sentences else ""
                pieces.append(anchor + " ")
                position += len(anchor) + 1
                inserted.append((position, position + len(value)))
                if kind:
                    expected.add((position, position + len(value), kind))
                pieces.append(value + " \n")
                position += len(value) + 2
            text = "".join(pieces) + "\n".join(sentences)
            found = set(find_pii(text, patterns_for(countries(language))))
            for span in found | expected:
                kind = span[2]
                if span not in expected and not any(span[0] < end and start < span[1] for start, end in inserted):
                    counts[kind]["in_news"] += 1  # PII of the news text itself (listed in the real-set tables)
                    continue
                outcome = "tp" if span in found and span in expected else "fp" if span in found else "fn"
                counts[kind][outcome] += 1
                if outcome != "tp" and doc_index == 0:
                    wrong.append((language, outcome, kind, text[span[0] : span[1]]))
    print("\n== labelled set: constructed PII in real news (NTREX-128 dev documents; Thai government news)")
    print(f"{'kind':<12} {'tp':>5} {'fp':>5} {'fn':>5} {'precision':>10} {'recall':>7} {'in the news':>12}")
    for kind, c in counts.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        print(f"{kind:<12} {c['tp']:>5} {c['fp']:>5} {c['fn']:>5} {precision:>10.3f} {recall:>7.3f} {c['in_news']:>12}")
    for language, outcome, kind, value in wrong:
        print(f"   first document of {language}: {outcome} {kind} {value!r}")


def mt_pages() -> list[tuple[str, str, str]]:
    """(set, path, URL): the URL only where the set records it (trafilatura's evaldata.json; realweb's manifest)."""
    pages = []
    with open(DATA / "realweb_sea" / "dev" / "manifest.jsonl", encoding="utf-8") as f:
        urls = {row["dest"]: row["url"] for row in map(json.loads, f)}
    with open(DATA / "realweb_sea" / "dev" / "index.tsv", encoding="utf-8") as f:
        pages += [("realweb_sea", row["path"], urls.get(row["path"], "")) for row in csv.DictReader(f, delimiter="\t")]
    evaldata = json.loads((DATA / "extraction_trafilatura_eval" / "dev" / "evaldata.json").read_text())
    urls = {entry["file"]: url for url, entry in evaldata.items()}
    for name in ("extraction_scrapinghub_aeb", "extraction_trafilatura_eval", "extraction_zh_cwced"):
        folder = DATA / name / "dev"
        for page in sorted(folder.rglob("*.htm*")):
            path = str(page.relative_to(folder))
            pages.append((name, path, urls.get(path, "") if name == "extraction_trafilatura_eval" else ""))
    return pages


def mt_traces() -> None:
    print("\n== machine-translation signals on the raw real pages")
    pages_per_set, seen, flagged = Counter(), defaultdict(Counter), defaultdict(list)
    with_url = Counter()
    for name, path, url in mt_pages():
        pages_per_set[name] += 1
        with_url[name] += bool(url)
        signals = mt_signals(read_page(DATA / name / "dev" / path), url)
        for signal in signals:
            seen[name][signal] += 1
        if flagging(signals):
            flagged[name].append((path, signals))
        elif signals:
            print(f"   {name}/{path}: {', '.join(signals)} (offers translation; not flagged)")
    for name, n in pages_per_set.items():
        counts = ", ".join(f"{signal}={k}" for signal, k in sorted(seen[name].items())) or "none"
        print(f"{name:<28} pages={n:<4} with URL={with_url[name]:<4} flagged={len(flagged[name]):<3} signals: {counts}")
        for path, signals in flagged[name]:
            print(f"   FLAGGED {path}: {', '.join(signals)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", type=int, default=40, help="masks printed with their context per real set")
    args = parser.parse_args()
    real_set_masks("thai_prose (320 Thai government news + 1,400 Wisesight messages)", thai_prose(), args.show)
    real_set_masks("NTREX-128 dev documents", ntrex_documents(), args.show)
    real_set_masks("realweb_sea/dev pages (trafilatura main text)", realweb_texts(), args.show)
    real_set_masks("extraction_scrapinghub_aeb dev gold article bodies (English)", aeb_articles(), args.show)
    labelled_set()
    mt_traces()


if __name__ == "__main__":
    main()
