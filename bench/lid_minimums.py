"""Minimum LID score per language for the model in use, by FineWeb-2's rule, on documents as the pipeline scores
them (the LID step's code path on the first `lid.max_chars` characters of each document's text).

FineWeb-2 (arXiv 2506.20920v1, section "Language identification") sets each language's minimum from the score
distribution X of that language's documents: max(0.3, min(0.9, median(X) - sigma(X))). Its numbers were fitted
for GlotLID on whole documents; this bench measures the same rule for the model given (lid.176 by default).

Documents, each with its gold language:
- NTREX-128 dev (../shared/data/lid_ntrex128/dev): the sentences of each source document joined again, in line
  order (lid_meta.tsv is row-aligned with lid.tsv), for all 16 languages (kor, yue, hmn, zho are distractors);
- UDHR dev: each article's paragraphs joined, for the 20 languages (jav, sun, ceb, shn, mnw, zsm_Arab are
  distractors: Javanese and Sundanese beside Indonesian, Cebuano beside Tagalog, Shan and Mon beside Burmese);
- realweb_sea dev: the real pages' main text, extracted by the pipeline's Extract step;
- thai_prose: the 320 Thai government news articles (the 3 whose Latin letters outnumber their Thai ones are the
  government's English releases and count as English); japanese_prose: the Aozora works cut into
  ~3,000-character chunks at line ends (markup removed).

Per language it prints: documents, those the step labels as the language, median and sigma (population) of their
scores, the rule's value, and the recall (share of the language's documents labelled as it at or above the
minimum) and precision (share of the documents so labelled, from every language here, that are the language's)
at the GlotLID minimum, at the minimum shipped for this model, and at the rule's value.

    python bench/lid_minimums.py [--model embedded|PATH] [--recipe monsoon|fineweb2] [--max-chars 2000]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path

import regex

from monsoon.languages import FIRST_TIER, RECIPES, SECOND_TIER, get_language
from monsoon.stages.charset import decode_html
from monsoon.stages.extract import Extract
from monsoon.stages.lid import LanguageId, model_family

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FLOOR, CEILING = 0.3, 0.9  # FineWeb-2's clamp of median - sigma (arXiv 2506.20920v1)
AOZORA_CHUNK = 3000
_LATIN, _THAI = regex.compile(r"\p{Latin}"), regex.compile(r"\p{Thai}")


def _joined(folder: Path, unit: str, position: str) -> list[tuple[str, str]]:
    """(language, text) per `unit` of a LID set's rows (lid_meta.tsv is row-aligned with lid.tsv): the unit's rows
    joined by newlines in `position` order."""
    with open(folder / "lid.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))  # texts may start with a quote
    with open(folder / "lid_meta.tsv", encoding="utf-8") as f:
        meta = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    lines = defaultdict(list)
    for row, where in zip(rows, meta, strict=True):
        lines[(row["lang"], where[unit])].append((int(where[position]), row["text"]))
    return [(lang, "\n".join(text for _, text in sorted(doc))) for (lang, _), doc in lines.items()]


def ntrex_documents(folder: Path = DATA / "lid_ntrex128" / "dev") -> list[tuple[str, str]]:
    """(language, text) per NTREX source document and language: its sentences in line order."""
    return _joined(folder, "doc_id", "line_no")


def udhr_documents(folder: Path = DATA / "lid_udhr" / "dev") -> list[tuple[str, str]]:
    """(language, text) per UDHR article and language: its paragraphs in order."""
    return _joined(folder, "article", "para_no")


def realweb_documents(folder: Path = DATA / "realweb_sea" / "dev") -> list[tuple[str, str]]:
    """(language, main text) of the real pages, extracted as the pipeline does; pages with no main text are left out."""
    extract = Extract()
    documents = []
    with open(folder / "index.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            raw = (folder / row["path"]).read_bytes()
            html = decode_html(gzip.decompress(raw) if row["path"].endswith(".gz") else raw)[0]
            text = extract.extract(html)
            if text and text.strip():
                documents.append((row["language"], text))
    return documents


def prose_documents() -> list[tuple[str, str]]:
    """Thai government news articles and ~3,000-character chunks of the Aozora works."""
    with open(DATA / "thai_prose" / "thaigov_news_sample.jsonl", encoding="utf-8") as f:
        articles = [json.loads(line)["text"] for line in f if line.strip()]
    documents = [("eng_Latn" if len(_LATIN.findall(t)) > len(_THAI.findall(t)) else "tha_Thai", t) for t in articles]
    for path in sorted((DATA / "japanese_prose" / "utf8").glob("*.txt")):
        body = path.read_text(encoding="utf-8").split("-------------------------------------------------------")[-1]
        body = re.sub(r"《[^》]*》|｜|［＃[^］]*］", "", body)  # ruby readings, their base marks, editor's notes
        chunk = ""
        for line in (line.strip() for line in body.split("\n")):
            chunk += line + "\n" if line else ""
            if len(chunk) >= AOZORA_CHUNK:
                documents.append(("jpn_Jpan", chunk.strip()))
                chunk = ""
    return documents


def fineweb2_rule(scores: list[float]) -> tuple[float, float, float]:
    """(median, sigma, minimum) of a score distribution by FineWeb-2's rule."""
    median, sigma = statistics.median(scores), statistics.pstdev(scores)
    return median, sigma, max(FLOOR, min(CEILING, median - sigma))


def recall_precision(labelled: list[tuple[str, str, float]], code: str, minimum: float) -> tuple[float, float]:
    """Recall of `code`'s documents and precision of the documents labelled `code`, kept at `minimum`."""
    kept = [gold for gold, label, score in labelled if label == code and score >= minimum]
    gold = sum(g == code for g, _, _ in labelled)
    hits = sum(g == code for g in kept)
    return hits / gold if gold else 0.0, hits / len(kept) if kept else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--recipe", default="monsoon", choices=RECIPES)
    parser.add_argument("--max-chars", type=int, default=2000)
    args = parser.parse_args()
    codes = (*FIRST_TIER, *SECOND_TIER)
    step = LanguageId(list(codes), model=args.model, max_chars=args.max_chars, recipe=args.recipe)
    family = model_family(args.model)
    sets = {
        "ntrex": ntrex_documents(),
        "udhr": udhr_documents(),
        "realweb": realweb_documents(),
        "prose": prose_documents(),
    }
    by_set = {name: [(gold, *step.label(text)) for gold, text in documents] for name, documents in sets.items()}
    labelled = [row for rows in by_set.values() for row in rows]
    print(f"model {args.model} ({family} labels), recipe {args.recipe}, first {args.max_chars} characters")
    print("documents: " + ", ".join(f"{name} {len(documents)}" for name, documents in sets.items()))
    print(
        f"{'language':9} {'docs':>5} {'as it':>5} {'median':>7} {'sigma':>6} {'rule':>6} "
        f"{'glotlid':>7} {'R':>6} {'P':>6} {family:>7} {'R':>6} {'P':>6} {'R@rule':>6} {'P@rule':>6}"
    )
    for code in codes:
        own = [score for gold, label, score in labelled if gold == code and label == code]
        if not own:
            print(f"{code:9} no document labelled as it")
            continue
        median, sigma, rule = fineweb2_rule(own)
        glotlid, shipped = (get_language(code).minimum_score(name, args.recipe) for name in ("glotlid", family))
        figures = [f"{x:.3f}" for m in (glotlid, shipped, rule) for x in (m, *recall_precision(labelled, code, m))]
        print(
            f"{code:9} {sum(g == code for g, _, _ in labelled):5d} {len(own):5d} {median:7.3f} {sigma:6.3f} "
            f"{rule:6.3f} {figures[0]:>7} {figures[1]:>6} {figures[2]:>6} {figures[3]:>7} {figures[4]:>6} "
            f"{figures[5]:>6} {figures[7]:>6} {figures[8]:>6}"
        )
        lost = {name: sum(g == code == label and s < rule for g, label, s in rows) for name, rows in by_set.items()}
        taken = {name: sum(g != code == label and s >= rule for g, label, s in rows) for name, rows in by_set.items()}
        print(
            f"{'':9} at the rule's value, documents of it below: "
            + ", ".join(f"{name} {n}" for name, n in lost.items() if n)
            + "; of others kept as it: "
            + ", ".join(f"{name} {n}" for name, n in taken.items() if n)
        )


if __name__ == "__main__":
    main()
