"""Swallow's Japanese rules in monsoon against a reference transcription of Swallow's published definitions.

`python bench/swallow_eval.py`. The rules of swallow-llm/swallow-corpus cannot be run from their repository here
(nothing can be fetched), so the reference below is a small transcription of its definitions, written apart from
monsoon's filters (character loops where monsoon uses regexes and counters): quality.py's apply_v1, ngword.py's
longest-match NG share and footer.py's trimming, as read in tutcsis/ota_corpus@f15828a02b3a6fcab6b32bcaa220988659e7d58d
(a copy of those files; the original repository is not in the search tool's store). NG words: the list
monsoon ships (monsoon/languages/jpn_Jpan_ng_words.txt) on both sides.

Texts: the 17 Aozora Bunko works of ../shared/data/japanese_prose (header, colophon and ruby/notes markup removed)
cut into chunks of whole lines of at least 3,000 characters, and the Japanese pages of ../shared/data/realweb_sea/dev
(index.tsv) extracted as monsoon extracts them (reader's charset decoding, trafilatura with monsoon's settings).

Printed per set: the share each Swallow rule keeps alone, by the reference and by monsoon's bound, and how often
they agree; the decision of all Swallow rules by each (the reference filters before it trims the footer, as Swallow
does; monsoon trims first), their agreement and the documents they disagree on; footer trimming; and the keep rate
of monsoon's whole Japanese filter chain (footer trimming and every family of jpn_Jpan.yaml).
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from pathlib import Path

from datatrove.data import Document

from monsoon.filters import FAMILIES
from monsoon.languages import get_language, read_word_file
from monsoon.stages.charset import decode_html
from monsoon.stages.extract import Extract
from monsoon.stages.footer import trim_footer
from monsoon.stages.quality import QualityFilter

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CHUNK_CHARS = 3000
SWALLOW_FAMILIES = ("swallow_japanese", "swallow_repetition", "swallow_ng_words")

# --- reference transcription of Swallow's definitions -------------------------------------------------------------
STOPS = "。．！？!?"


def ref_sentences(line: str) -> list[str]:
    """A run of non-stop characters and the one stop character after it; a stop with no run before it is dropped."""
    sentences, current = [], ""
    for char in line:
        if char in STOPS:
            if current:
                sentences.append(current + char)
                current = ""
        else:
            current += char
    return sentences + ([current] if current else [])


def ref_char_class(char: str) -> str | None:
    o = ord(char)
    if 0x3041 <= o <= 0x3096:
        return "hiragana"
    if 0x30A1 <= o <= 0x30FA:
        return "katakana"
    if char in "、，":
        return "toten"
    if char in "。．！？":
        return "kuten"
    if char in "々〇〻" or 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF:
        return "kanji"
    return None


def ref_duplicates(items: list[str]) -> tuple[int, int]:
    seen: dict[str, int] = {}
    for item in items:
        seen[item] = seen.get(item, 0) + 1
    return sum(f - 1 for f in seen.values()), sum(len(s) * (f - 1) for s, f in seen.items())


def ref_ngram_frequencies(text: str, n: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(len(text) - n + 1):
        counts[text[i : i + n]] = counts.get(text[i : i + n], 0) + 1
    return counts


def ref_quality(text: str) -> dict[str, float]:
    lines = [ref_sentences(line) for line in text.split("\n")]
    paragraphs = ["".join(line) for line in lines]
    sentences = [s for line in lines for s in line]
    q: dict[str, float] = {}
    dup, dup_chars = ref_duplicates(paragraphs)
    q["duplicate_paragraph_fraction"] = dup / len(paragraphs)
    total = sum(len(p) for p in paragraphs)
    q["duplicate_paragraph_fraction_in_character"] = dup_chars / total if total else 0.0
    dup, dup_chars = ref_duplicates(sentences)
    q["duplicate_sentence_fraction"] = dup / len(sentences) if sentences else 0.0
    total = sum(len(s) for s in sentences)
    q["duplicate_sentence_fraction_in_character"] = dup_chars / total if total else 0.0
    for n in (2, 3, 4):
        counts = ref_ngram_frequencies(text, n)
        q[f"top_{n}gram_character_fraction"] = max(counts.values()) / sum(counts.values()) if counts else 0.0
    for n in range(5, 11):
        counts = ref_ngram_frequencies(text, n)
        q[f"duplicate_{n}gram_character_fraction"] = (
            sum(1 for f in counts.values() if f > 1) / len(counts) if counts else 0.0
        )
    classes: dict[str | None, int] = {}
    for char in text:
        kind = ref_char_class(char)
        classes[kind] = classes.get(kind, 0) + 1
    japanese = sum(n for kind, n in classes.items() if kind)
    q["num_letters"] = len(text)
    q["num_japanese_letters"] = japanese
    q["hiragana_fraction"] = classes.get("hiragana", 0) / japanese if japanese else 0.0
    q["katakana_fraction"] = classes.get("katakana", 0) / japanese if japanese else 0.0
    q["japanese_fraction"] = japanese / len(text) if text else 0.0
    q["avg_sentence_length"] = sum(len(s) for s in sentences) / len(sentences) if sentences else 0.0
    q["max_sentence_length"] = max((len(s) for s in sentences), default=0)
    q["ellipsis_fraction"] = (
        sum(1 for s in sentences if s.strip().endswith(("・", "…"))) / len(sentences) if sentences else 0.0
    )
    return q


def ref_ng_fraction(text: str, words: set[str], longest: int, japanese: float) -> float:
    covered, i = 0, 0
    while i < len(text):
        length = next((n for n in range(min(longest, len(text) - i), 0, -1) if text[i : i + n] in words), 0)
        covered += length
        i += length if length else 1
    return covered / japanese if japanese > 0 else 0.0


# Swallow's rules in apply_v1's order (then ngword.py's), each as (name, broken?) and the monsoon bound it maps to
RULES: list[tuple[str, object, str]] = [
    ("num_letters<400", lambda q: q["num_letters"] < 400, "swallow_japanese.letters<min"),
    ("dup_paragraph>0.30", lambda q: q["duplicate_paragraph_fraction"] > 0.30, "swallow_repetition.dup_para_frac>max"),
    (
        "dup_sentence>0.30",
        lambda q: q["duplicate_sentence_fraction"] > 0.30,
        "swallow_repetition.dup_sentence_frac>max",
    ),
    (
        "dup_paragraph_chars>0.20",
        lambda q: q["duplicate_paragraph_fraction_in_character"] > 0.20,
        "swallow_repetition.dup_para_char_frac>max",
    ),
    (
        "dup_sentence_chars>0.20",
        lambda q: q["duplicate_sentence_fraction_in_character"] > 0.20,
        "swallow_repetition.dup_sentence_char_frac>max",
    ),
    *(
        (
            f"top_{n}gram>{limit}",
            lambda q, n=n, limit=limit: q[f"top_{n}gram_character_fraction"] > limit,
            f"swallow_repetition.top_{n}_char_gram_frac>max",
        )
        for n, limit in ((2, 0.20), (3, 0.18), (4, 0.16))
    ),
    *(
        (
            f"dup_{n}gram>{limit}",
            lambda q, n=n, limit=limit: q[f"duplicate_{n}gram_character_fraction"] > limit,
            f"swallow_repetition.dup_{n}_char_gram_frac>max",
        )
        for n, limit in ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
    ),
    ("hiragana<0.2", lambda q: q["hiragana_fraction"] < 0.2, "swallow_japanese.hiragana_frac<min"),
    ("katakana>0.5", lambda q: q["katakana_fraction"] > 0.5, "swallow_japanese.katakana_frac>max"),
    ("japanese<0.5", lambda q: q["japanese_fraction"] < 0.5, "swallow_japanese.japanese_letter_frac<min"),
    ("num_japanese<400", lambda q: q["num_japanese_letters"] < 400, "swallow_japanese.japanese_letters<min"),
    ("avg_sentence<20", lambda q: q["avg_sentence_length"] < 20, "swallow_japanese.avg_sentence_length<min"),
    ("avg_sentence>90", lambda q: q["avg_sentence_length"] > 90, "swallow_japanese.avg_sentence_length>max"),
    ("max_sentence>200", lambda q: q["max_sentence_length"] > 200, "swallow_japanese.max_sentence_length>max"),
    ("ellipsis>0.2", lambda q: q["ellipsis_fraction"] > 0.2, "swallow_japanese.ellipsis_sentence_frac>max"),
    ("ng_words>=0.05", lambda q: q["ng_fraction"] >= 0.05, "swallow_ng_words.ng_word_frac>max"),
]


def ref_footer(text: str, keywords: list[str], last: int = 10, share: float = 0.3) -> str:
    lines = text.split("\n")
    for i in range(max(0, len(lines) - last), len(lines)):
        line, matched = lines[i], 0
        for keyword in keywords:
            matched += line.count(keyword) * len(keyword)
            line = line.replace(keyword, "")
        if lines[i] and matched / len(lines[i]) > share:
            return "\n".join(lines[:i])
    return text


# --- texts -------------------------------------------------------------------------------------------------------
def aozora_chunks() -> list[tuple[str, str]]:
    chunks = []
    for path in sorted((SHARED / "japanese_prose" / "utf8").glob("*.txt")):
        body = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        body = body.split("-------------------------------------------------------")[-1].split("\n底本：")[0]
        body = re.sub(r"《[^》]*》|｜|［＃[^］]*］", "", body)
        lines, size = [], 0
        for line in (line.strip() for line in body.split("\n")):
            if line:
                lines.append(line)
                size += len(line)
            if size >= CHUNK_CHARS:
                chunks.append((f"{path.stem}#{len(chunks)}", "\n".join(lines)))
                lines, size = [], 0
    return chunks


def realweb_japanese() -> list[tuple[str, str, str]]:
    """(path, kind, extracted text) of the Japanese pages with a main text."""
    folder = SHARED / "realweb_sea" / "dev"
    extract = Extract(favour_precision=True, deduplicate=False)
    pages = []
    with open(folder / "index.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["language"] != "jpn_Jpan":
                continue
            payload = (folder / row["path"]).read_bytes()
            if row["path"].endswith(".gz"):
                payload = gzip.decompress(payload)
            text = extract.extract(decode_html(payload)[0] or "") or ""
            if text.strip():
                pages.append((row["path"], row["kind"], text))
    return pages


# --- evaluation --------------------------------------------------------------------------------------------------
def monsoon_reasons(text: str) -> list[str]:
    """Every Swallow bound of jpn_Jpan.yaml the text breaks."""
    language = get_language("jpn_Jpan")
    broken = []
    for family in SWALLOW_FAMILIES:
        bounds, values = language.filters[family], FAMILIES[family].compute(text, language)
        for name, value in values.items():
            if name in bounds.min and value < bounds.min[name]:
                broken.append(f"{family}.{name}<min")
            if name in bounds.max and value > bounds.max[name]:
                broken.append(f"{family}.{name}>max")
    return broken


def evaluate(title: str, docs: list[tuple[str, str]]) -> None:
    language = get_language("jpn_Jpan")
    ng_words = set(read_word_file(language.ng_words))
    longest = max(map(len, ng_words))
    keywords = sorted(set(read_word_file(language.footer.keywords)), key=lambda w: (-len(w), w))
    chain = QualityFilter(["jpn_Jpan"])
    n = len(docs)
    ref_broken, ours_broken, ours_trimmed_broken, chain_kept, trims = [], [], [], 0, []
    for name, text in docs:
        q = ref_quality(text)
        q["ng_fraction"] = ref_ng_fraction(text, ng_words, longest, q["num_japanese_letters"])
        ref_broken.append([rule for rule, broken, _ in RULES if broken(q)])
        ours_broken.append(monsoon_reasons(text))
        trimmed = trim_footer(text, language.footer)
        assert trimmed == ref_footer(text, keywords), name
        if trimmed != text:
            trims.append((name, text[len(trimmed) :].strip("\n")))
        ours_trimmed_broken.append(monsoon_reasons(trimmed))
        chain_kept += chain.filter(Document(text=trimmed, id=name, metadata={"language": "jpn_Jpan"})) is True
    print(f"\n== {title}: {n} documents")
    print(f"{'Swallow rule':<26} {'reference keeps':>15} {'monsoon keeps':>13} {'agree':>6}   monsoon bound")
    for rule, _, bound in RULES:
        ref_keep = [rule not in broken for broken in ref_broken]
        our_keep = [bound not in broken for broken in ours_broken]
        agree = sum(a == b for a, b in zip(ref_keep, our_keep, strict=True))
        print(f"{rule:<26} {sum(ref_keep) / n:>15.3f} {sum(our_keep) / n:>13.3f} {agree / n:>6.3f}   {bound}")
    ref_keep = [not broken for broken in ref_broken]
    for label, ours in (("on the untrimmed text", ours_broken), ("after footer trimming", ours_trimmed_broken)):
        our_keep = [not broken for broken in ours]
        agree = sum(a == b for a, b in zip(ref_keep, our_keep, strict=True))
        print(
            f"all Swallow rules: reference keeps {sum(ref_keep)}/{n} ({sum(ref_keep) / n:.1%}), monsoon "
            f"{label} {sum(our_keep)}/{n} ({sum(our_keep) / n:.1%}); decision agreement {agree / n:.3f}"
        )
        for (name, _), r, o in zip(docs, ref_broken, ours, strict=True):
            if (not r) != (not o):
                print(f"    disagree: {name}: reference {r or 'keeps'}, monsoon {o or 'keeps'}")
    dropped = [(name, broken) for (name, _), broken in zip(docs, ref_broken, strict=True) if broken]
    print(f"dropped by Swallow's rules (reference; every rule broken): {len(dropped)}")
    if len(dropped) > 15:
        print(f"    documents breaking each rule: {dict(Counter(rule for _, broken in dropped for rule in broken))}")
    for name, broken in dropped if len(dropped) <= 15 else ():
        print(f"    {name}: {', '.join(broken)}")
    print(f"footer trimming: {len(trims)} of {n} documents trimmed (monsoon = reference transcription on every one)")
    for name, cut in trims:
        print(f"    {name}: cut {len(cut)} chars: {cut[:80]!r}")
    print(f"monsoon's jpn_Jpan chain (footer trimming, all families): keeps {chain_kept}/{n} ({chain_kept / n:.1%})")


def main() -> None:
    evaluate(f"japanese_prose chunks of >= {CHUNK_CHARS} characters", aozora_chunks())
    pages = realweb_japanese()
    evaluate("realweb_sea/dev Japanese news articles", [(p, t) for p, kind, t in pages if kind == "article"])
    evaluate("realweb_sea/dev Japanese other pages", [(p, t) for p, kind, t in pages if kind != "article"])


if __name__ == "__main__":
    main()
