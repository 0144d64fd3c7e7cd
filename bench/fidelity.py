"""Decision for decision: monsoon's quality filters against the published recipes run by datatrove itself.

On the same texts, per language: monsoon's filters with the shipped language files (recipe "fineweb2": the
published values only, and recipe "monsoon": with the files' deviations) and datatrove's own filters built with
FineWeb-2's exact kwargs and datatrove's word tokenizers (FineWeb's for English; bench/fineweb2_reference.py, which
does not read monsoon's files). Printed per language: documents, kept by each, decision agreement (the share both
keep or both drop) and, where they disagree, the reasons on each side. Filters only: no language identification.

Texts (../shared/data): thai_prose (news and social posts), japanese_prose works cut into ~3,000-character chunks,
NTREX-128 documents rebuilt per language from lid_ntrex128/dev (lid_meta.tsv: a sentence's document), the text
monsoon's Extract step takes from the extraction sets' pages (language: lid.176's top label) and from the real pages
of realweb_sea/dev (language: the set's index). `python bench/fidelity.py [--languages tha_Thai,...]`.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from fineweb2_reference import CONFIGS, reference_decision, reference_filters

from monsoon.languages import get_language
from monsoon.stages.quality import judge

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LANGUAGES = [*CONFIGS, "eng_Latn"]
CHUNK_CHARS = 3000


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """Whole lines gathered into pieces of about `size` characters (the last, shorter piece is kept if it is at
    least half that)."""
    pieces, current = [], []
    for line in text.splitlines():
        current.append(line)
        if sum(map(len, current)) >= size:
            pieces.append("\n".join(current))
            current = []
    if current and sum(map(len, current)) >= size // 2:
        pieces.append("\n".join(current))
    return pieces


def thai_prose() -> list[tuple[str, str, str]]:
    texts = []
    for name in ("thaigov_news_sample", "wisesight_social_sample"):
        path = SHARED / "thai_prose" / f"{name}.jsonl"
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            texts += [("tha_Thai", name, json.loads(line)["text"]) for line in lines if line.strip()]
    return texts


def japanese_chunks() -> list[tuple[str, str, str]]:
    folder = SHARED / "japanese_prose" / "utf8"
    return [
        ("jpn_Jpan", "japanese_prose", piece)
        for path in sorted(folder.glob("*.txt"))
        for piece in chunks(path.read_text(encoding="utf-8"))
    ]


def ntrex_documents() -> list[tuple[str, str, str]]:
    folder = SHARED / "lid_ntrex128" / "dev"
    if not folder.exists():
        return []
    with open(folder / "lid.tsv", encoding="utf-8") as f:
        sentences = [row["text"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    documents: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    with open(folder / "lid_meta.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            documents[row["lang"], row["doc_id"]].append((int(row["line_no"]), sentences[int(row["row"]) - 1]))
    return [
        (code, "ntrex128", "\n".join(text for _, text in sorted(lines)))
        for (code, _), lines in sorted(documents.items())
        if code in LANGUAGES
    ]


def extracted_pages() -> list[tuple[str, str, str]]:
    from monsoon.stages.charset import decode_html
    from monsoon.stages.extract import Extract
    from monsoon.stages.lid import EMBEDDED, predict

    step = Extract()
    pages = []
    aeb = SHARED / "extraction_scrapinghub_aeb" / "dev" / "html"
    for path in sorted(aeb.glob("*.html.gz")):
        pages.append(("aeb", decode_html(gzip.decompress(path.read_bytes()))[0], None))
    snippets = SHARED / "extraction_trafilatura_eval" / "dev"
    if (snippets / "evaldata.json").exists():
        for _, entry in sorted(json.loads((snippets / "evaldata.json").read_text(encoding="utf-8")).items()):
            raw = gzip.decompress((snippets / entry["file"]).read_bytes())
            pages.append(("trafilatura_eval", decode_html(raw)[0], None))
    realweb = SHARED / "realweb_sea" / "dev"
    if (realweb / "index.tsv").exists():
        with open(realweb / "index.tsv", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                raw = (realweb / row["path"]).read_bytes()
                raw = gzip.decompress(raw) if row["path"].endswith(".gz") else raw
                pages.append(("realweb_sea", decode_html(raw)[0], row["language"]))
    texts = []
    for source, html, code in pages:
        text = step.extract(html) or ""
        if not text.strip():
            continue
        code = code or predict(EMBEDDED, text)[0]
        if code in LANGUAGES:
            texts.append((code, source, text))
    return texts


def reason_family(reason: str) -> str:
    """The filter family a reason names, on both sides: monsoon's `family.signal<min` and datatrove's
    `FilterClass:reason`."""
    names = {
        "GopherRepetitionFilter": "gopher_repetition",
        "FineWebQualityFilter": "fineweb_quality",
        "GopherQualityFilter": "gopher_quality",
        "C4QualityFilter": "c4_quality",
    }
    head = reason.split(":")[0] if ":" in reason else reason.split(".")[0]
    return names.get(head, head)


def compare(code: str, texts: list[tuple[str, str]]) -> dict:
    language = get_language(code)
    recipes = {recipe: language.for_recipe(recipe) for recipe in ("fineweb2", "monsoon")}
    filters = reference_filters(code)
    rows, seconds = [], Counter()
    for source, text in texts:
        started = time.perf_counter()
        ref_kept, ref_reason = reference_decision(filters, text)
        seconds["datatrove"] += time.perf_counter() - started
        row = {"source": source, "datatrove": ref_kept, "datatrove_reason": ref_reason}
        for recipe, lang in recipes.items():
            started = time.perf_counter()
            reason, _ = judge(text, lang, {})
            seconds[recipe] += time.perf_counter() - started
            row[recipe], row[f"{recipe}_reason"] = reason is None, reason or ""
        rows.append(row)
    n = len(rows)
    kept = sum(r["datatrove"] for r in rows)
    result = {"documents": n, "chars": sum(len(t) for _, t in texts), "kept_datatrove": kept}
    for recipe in recipes:
        agree = [r for r in rows if r[recipe] == r["datatrove"]]
        same_family = sum(
            r[recipe] or reason_family(r[f"{recipe}_reason"]) == reason_family(r["datatrove_reason"]) for r in agree
        )
        result[recipe] = {
            "kept": sum(r[recipe] for r in rows),
            "agreement": len(agree) / n if n else 1.0,
            "same_reason_family": same_family / n if n else 1.0,
            "disagreements": Counter(
                (r["source"], r[f"{recipe}_reason"] or "kept", r["datatrove_reason"] or "kept")
                for r in rows
                if r[recipe] != r["datatrove"]
            ),
            "chars_per_s": result["chars"] / seconds[recipe] if seconds[recipe] else 0.0,
        }
    result["datatrove_chars_per_s"] = result["chars"] / seconds["datatrove"] if seconds["datatrove"] else 0.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--languages", default=",".join(LANGUAGES), help="comma-separated codes")
    parser.add_argument("--no-pages", action="store_true", help="skip the extracted pages (faster)")
    args = parser.parse_args()
    wanted = args.languages.split(",")
    texts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, source, text in [
        *thai_prose(),
        *japanese_chunks(),
        *ntrex_documents(),
        *([] if args.no_pages else extracted_pages()),
    ]:
        if code in wanted:
            texts[code].append((source, text))
    print(
        f"{'language':<10} {'docs':>5} {'datatrove':>9} {'fineweb2':>8} {'agree':>6} {'monsoon':>8} {'agree':>6}"
        f" {'chars/s monsoon':>16} {'chars/s datatrove':>18}"
    )
    results = {}
    for code in wanted:
        if not texts[code]:
            continue
        r = results[code] = compare(code, texts[code])
        fw, ms = r["fineweb2"], r["monsoon"]
        print(
            f"{code:<10} {r['documents']:>5} {r['kept_datatrove']:>9} {fw['kept']:>8} {fw['agreement']:>6.3f}"
            f" {ms['kept']:>8} {ms['agreement']:>6.3f} {fw['chars_per_s']:>16,.0f} {r['datatrove_chars_per_s']:>18,.0f}"
        )
    for code, r in results.items():
        for recipe in ("fineweb2", "monsoon"):
            for (source, ours, theirs), count in r[recipe]["disagreements"].most_common(8):
                print(f"  {code} {recipe}: {count} x {source}: monsoon {ours} / datatrove {theirs}")
    total = sum(r["documents"] for r in results.values())
    for recipe in ("fineweb2", "monsoon"):
        agree = sum(r[recipe]["agreement"] * r["documents"] for r in results.values()) / max(total, 1)
        worst = min((r[recipe]["agreement"], code) for code, r in results.items())
        print(f"recipe {recipe}: agreement {agree:.4f} over {total} documents; lowest {worst[1]} {worst[0]:.3f}")


if __name__ == "__main__":
    main()
