"""The junk rules (issue 12) on labelled real pages: `python bench/junk_eval.py`.

Sets (all real text, third-party):
- `../shared/data/realweb_sea/dev`: news, listing and other pages (all must be kept) and the pages labelled spam
  in its index.tsv, extracted as monsoon extracts them (reader's charset decoding, trafilatura with monsoon's
  settings); a page's URL is its manifest URL.
- `bench/data/junk_cases.tsv`: real gambling-spam texts from public repositories, each with repository, path and
  commit.
- real news: `../shared/data/thai_prose` (320 Thai government news articles; its 1,400 Wisesight social messages
  too, noisy text that is not junk either) and NTREX-128 documents rebuilt from
  `lid_ntrex128/dev` (sentences joined per document id of lid_meta.tsv, per language).
- broken text, constructed from the real Thai news: each article's UTF-8 bytes read as cp874 (mojibake) and as
  latin-1, and the PDF artefact (every sara am ำ written as " า", as PDF extraction loses the nikhahit).

Printed: per language and rule, the spam pages it drops (recall), the kept pages it drops (precision), and per real
news set the share each rule drops. A rule is a drop reason: `junk_lexicon.gambling_terms>max`, `junk_url.gambling`,
`broken_text.thai_cp874_mojibake>max`, ...
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter, defaultdict
from pathlib import Path

from datatrove.data import Document

from monsoon.languages import FIRST_TIER, get_language
from monsoon.stages.charset import decode_html
from monsoon.stages.extract import Extract
from monsoon.stages.junk import JunkFilter

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parents[1] / "shared" / "data"
LANGUAGES = [*FIRST_TIER, "tgl_Latn"]
JUNK = JunkFilter(LANGUAGES)


def reason(text: str, language: str, url: str = "") -> str | None:
    """The junk rule that drops the document, or None when it is kept."""
    if get_language(language).junk is None:
        return None
    result = JUNK.filter(Document(text=text, id="", metadata={"language": language, "url": url}))
    return None if result is True else result[1]


def realweb() -> list[tuple[str, str, str, str, str]]:
    """(language, kind, path, url, text) of the realweb_sea dev pages with a main text in a junk language."""
    folder = SHARED / "realweb_sea" / "dev"
    with open(folder / "manifest.jsonl", encoding="utf-8") as f:
        urls = {row["dest"]: row["url"].split()[0] if row["url"] else "" for row in map(json.loads, f)}
    extract = Extract(favour_precision=True, deduplicate=False)
    pages = []
    with open(folder / "index.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["language"] not in LANGUAGES:
                continue
            payload = (folder / row["path"]).read_bytes()
            if row["path"].endswith(".gz"):
                payload = gzip.decompress(payload)
            text = extract.extract(decode_html(payload)[0] or "") or ""
            pages.append((row["language"], row["kind"], row["path"], urls.get(row["path"], ""), text))
    return pages


def cases() -> list[tuple[str, str, str, str, str]]:
    with open(ROOT / "data" / "junk_cases.tsv", encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return [
            (r["language"], "spam", f"{r['repo']}@{r['commit'][:10]}:{r['path']}", r["url"], r["text"]) for r in rows
        ]


def thai_prose(name: str) -> list[str]:
    with open(SHARED / "thai_prose" / name, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def ntrex_documents() -> dict[str, list[str]]:
    """Language -> NTREX documents (the dev sentences of one document id, in order)."""
    folder = SHARED / "lid_ntrex128" / "dev"
    with open(folder / "lid.tsv", encoding="utf-8") as f:
        texts = [line.rstrip("\n").split("\t", 1) for line in f]
    with open(folder / "lid_meta.tsv", encoding="utf-8") as f:
        meta = list(csv.DictReader(f, delimiter="\t"))
    if texts and texts[0][0] == "lang":
        texts = texts[1:]
    docs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (language, text), row in zip(texts, meta, strict=True):
        if language in LANGUAGES:
            docs[(language, row["doc_id"])].append(text)
    by_language: dict[str, list[str]] = defaultdict(list)
    for (language, _), sentences in docs.items():
        by_language[language].append("\n".join(sentences))
    return by_language


def broken_thai(texts: list[str]) -> dict[str, list[str]]:
    return {
        "cp874 mojibake": [t.encode("utf-8").decode("cp874", errors="replace") for t in texts],
        "latin-1 mojibake": [t.encode("utf-8").decode("latin-1") for t in texts],
        "PDF sara am": [t.replace("ำ", " า") for t in texts],
    }


def print_labelled(pages: list[tuple[str, str, str, str, str]]) -> None:
    print("## Labelled pages (realweb_sea/dev + bench/data/junk_cases.tsv)")
    print(
        f"{'language':10} {'spam':>4} {'caught':>6} {'recall':>6} {'by text alone':>13} {'kept pages':>10}"
        f" {'wrongly dropped':>15} precision"
    )
    per_rule: dict[str, Counter] = defaultdict(Counter)
    for language in LANGUAGES:
        rows = [p for p in pages if p[0] == language]
        spam = [p for p in rows if p[1] == "spam" and p[4].strip()]
        keep = [p for p in rows if p[1] != "spam" and p[4].strip()]
        caught = wrong = by_text = 0
        for lang, kind, path, url, text in spam + keep:
            rule = reason(text, lang, url)
            if rule:
                per_rule[language][(rule, kind == "spam")] += 1
                caught += kind == "spam"
                wrong += kind != "spam"
                if kind != "spam":
                    print(f"   WRONGLY DROPPED {path} ({rule})")
            elif kind == "spam":
                print(f"   missed spam {path}")
            by_text += kind == "spam" and reason(text, lang) is not None
        recall = f"{caught / len(spam):.3f}" if spam else "n/a"
        precision = f"{caught / (caught + wrong):.3f}" if caught + wrong else "n/a"
        text_recall = f"{by_text / len(spam):.3f}" if spam else "n/a"
        print(
            f"{language:10} {len(spam):4} {caught:6} {recall:>6} {text_recall:>13} {len(keep):10} {wrong:15}"
            f" {precision}"
        )
    empty = [p[2] for p in pages if not p[4].strip()]
    print(f"   pages with no main text (not scored): {', '.join(empty) or 'none'}")
    print("## Per language and rule: spam pages / kept pages it drops")
    for language, counts in per_rule.items():
        for rule in sorted({r for r, _ in counts}):
            print(f"   {language:10} {rule:42} spam {counts[(rule, True)]:3}  kept {counts[(rule, False)]:3}")


def print_shares(title: str, language: str, texts: list[str]) -> None:
    rules = Counter(reason(text, language) for text in texts)
    dropped = sum(n for r, n in rules.items() if r)
    detail = ", ".join(f"{r} {n}" for r, n in rules.most_common() if r) or "-"
    share = f"{dropped / len(texts):.1%}"
    print(f"   {title:34} {language:10} {len(texts):5} docs, dropped {dropped:4} ({share}): {detail}")


def main() -> None:
    pages = realweb() + cases()
    print_labelled(pages)
    print("## Real news wrongly dropped (share of the set)")
    news = thai_prose("thaigov_news_sample.jsonl")
    print_shares("thai_prose government news", "tha_Thai", news)
    print_shares("thai_prose Wisesight social (not news)", "tha_Thai", thai_prose("wisesight_social_sample.jsonl"))
    for language, docs in sorted(ntrex_documents().items()):
        print_shares("NTREX-128 dev documents", language, docs)
    print("## Broken text constructed from the Thai news (recall)")
    for title, texts in broken_thai(news).items():
        print_shares(title, "tha_Thai", texts)


if __name__ == "__main__":
    main()
