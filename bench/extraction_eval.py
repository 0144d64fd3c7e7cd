"""Main-text extraction quality of the pipeline's Extract step (trafilatura through datatrove) per setting, on
the dev parts of ../shared/data:

- extraction_scrapinghub_aeb: news/blog pages with gold article bodies; token-level precision / recall / F1
  (whitespace tokens; CJK characters count one each), summed over pages as the benchmark does;
- extraction_zh_cwced: Chinese pages with gold main content; same measure;
- realweb_sea/dev: the SEA + Japanese pages whose gold is the full main text (fundus publisher JSON: summary,
  section headlines and paragraphs; anpandu scraper `content`; mozilla/readability expected HTML); same measure;
- extraction_trafilatura_eval: pages with gold snippets that must (`with`) or must not (`without`) appear;
  snippet precision / recall as trafilatura's own evaluation scores it.

Pages are decoded by the reader's charset code. `python bench/extraction_eval.py`.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import time
from collections import Counter
from pathlib import Path

from lxml import html as lxml_html
from metrics import prf
from trafilatura.meta import reset_caches

from monsoon.stages.charset import decode_html
from monsoon.stages.extract import Extract

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SETTINGS = {
    "favour_precision (default)": {"favour_precision": True, "deduplicate": False},
    "balanced": {"favour_precision": False, "deduplicate": False},
    "favour_precision + dedup": {"favour_precision": True, "deduplicate": True},
}
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]|[^\s\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+")


def tokens(text: str) -> Counter:
    return Counter(_TOKEN.findall(text or ""))


def gold_body_sets() -> dict[str, list[tuple[str, str]]]:
    """(html, gold text) pages per set."""
    aeb = SHARED / "extraction_scrapinghub_aeb" / "dev"
    truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {"AEB (news, mostly English)": []}
    for item, gold in sorted(truth.items()):
        path = aeb / "html" / f"{item}.html.gz"
        if path.exists():
            pages["AEB (news, mostly English)"].append(
                (decode_html(gzip.decompress(path.read_bytes()))[0], gold["articleBody"])
            )
    cwced = SHARED / "extraction_zh_cwced" / "dev"
    truth = json.loads((cwced / "eval" / "cleaned_ground.json").read_text(encoding="utf-8"))
    pages["CWCED (Chinese)"] = [
        (decode_html((cwced / "original" / f"{item}.html").read_bytes())[0], gold["articleBody"])
        for item, gold in sorted(truth.items())
        if (cwced / "original" / f"{item}.html").exists()
    ]
    pages["realweb_sea (SEA + Japanese)"] = realweb_pages()
    return pages


def realweb_gold_text(gold_path: Path) -> str | None:
    """The full main text in one of realweb_sea's gold files, or None where the gold is not the full text."""
    if gold_path.name.endswith(".expected.html"):
        return lxml_html.fromstring(gold_path.read_text(encoding="utf-8")).text_content()
    if not gold_path.name.endswith(".gold.json"):
        return None  # date, meta or snippet gold
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    if "expected" in gold:  # anpandu: the scraper's asserted values; main pages list article URLs instead
        content = gold["expected"].get("content") if isinstance(gold["expected"], dict) else None
        return content or None
    body = next(iter(gold.values()))["body"]  # fundus: one version key ("V1")
    parts = list(body.get("summary", []))
    for section in body["sections"]:
        parts += section["headline"] + section["paragraphs"]
    return "\n".join(parts) or None


def realweb_pages() -> list[tuple[str, str]]:
    folder = SHARED / "realweb_sea" / "dev"
    pages = []
    for row in csv.DictReader((folder / "index.tsv").open(encoding="utf-8"), delimiter="\t"):
        if not row["gold_path"] or not (gold := realweb_gold_text(folder / row["gold_path"].split(";")[0])):
            continue
        raw = (folder / row["path"]).read_bytes()
        pages.append((decode_html(gzip.decompress(raw) if row["path"].endswith(".gz") else raw)[0], gold))
    return pages


def snippet_pages() -> list[tuple[str, list[str], list[str]]]:
    folder = SHARED / "extraction_trafilatura_eval" / "dev"
    data = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    return [
        (decode_html(gzip.decompress((folder / entry["file"]).read_bytes()))[0], entry["with"], entry["without"])
        for _, entry in sorted(data.items())
    ]


def main() -> None:
    bodies, snippets = gold_body_sets(), snippet_pages()
    for setting, options in SETTINGS.items():
        reset_caches()  # trafilatura's deduplicate remembers text segments across pages: start each setting clean
        step = Extract(**options)
        started, pages = time.perf_counter(), 0
        for name, pairs in bodies.items():
            hits = predicted = gold = 0
            for html, body in pairs:
                got, want = tokens(step.extract(html) or ""), tokens(body)
                hits += sum((got & want).values())
                predicted += sum(got.values())
                gold += sum(want.values())
            pages += len(pairs)
            p, r, f = prf(hits, predicted, gold)
            print(f"{setting:>28} | {name}: {len(pairs)} pages, token precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
        true_pos = false_pos = false_neg = 0
        for html, with_, without in snippets:
            text = step.extract(html) or ""
            true_pos += sum(s in text for s in with_)
            false_neg += sum(s not in text for s in with_)
            false_pos += sum(s in text for s in without)
        pages += len(snippets)
        p, r, f = prf(true_pos, true_pos + false_pos, true_pos + false_neg)
        print(
            f"{setting:>28} | trafilatura eval: {len(snippets)} pages, snippet precision {p:.3f} recall {r:.3f} "
            f"F1 {f:.3f}; {pages / (time.perf_counter() - started):.1f} pages/s"
        )


if __name__ == "__main__":
    main()
