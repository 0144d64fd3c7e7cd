"""Decision for decision: monsoon's quality filters against the published recipes run by datatrove itself.

On the same texts, per language: monsoon's filters with the shipped language files (recipe "fineweb2": the
published values only, and recipe "monsoon": with the files' deviations) and datatrove's own filters built with
FineWeb-2's exact kwargs and datatrove's word tokenizers (FineWeb's for English; bench/fineweb2_reference.py, which
does not read monsoon's files). Printed per language: documents, kept by each, decision agreement (the share both
keep or both drop) and, where they disagree, the reasons on each side. Filters only: no language identification.

Texts (../shared/data): thai_prose (news and social posts), japanese_prose works cut into ~3,000-character chunks,
NTREX-128 documents rebuilt per language from lid_ntrex128/dev (lid_meta.tsv: a sentence's document), the text
monsoon's Extract step takes from the extraction sets' pages (language: lid.176's top label) and from the real pages
of realweb_sea/dev (language: the set's index). The pages carry their URLs, so English ones also go through FineWeb's
URL filter on both sides (datatrove's own URLFilter against monsoon's, stages/url_filter.py).

Then the URL filter alone, rule for rule, on every URL of ../shared/data and of the bundled sample and on URLs built
from datatrove's blocklists and word lists: URLs, agreement (same keep/drop and the same rule), reasons.
`python bench/fidelity.py [--languages tha_Thai,...] [--no-pages] [--no-urls]`.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from fineweb2_reference import CONFIGS, reference_decision, reference_filters, url_filter

from monsoon.languages import Language, get_language
from monsoon.stages.quality import judge
from monsoon.stages.url_filter import url_filter_reason

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
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


Text = tuple[str, str, str, str | None]  # (language, source, text, the page's URL if known)


def thai_prose() -> list[Text]:
    texts = []
    for name in ("thaigov_news_sample", "wisesight_social_sample"):
        path = SHARED / "thai_prose" / f"{name}.jsonl"
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            texts += [("tha_Thai", name, json.loads(line)["text"], None) for line in lines if line.strip()]
    return texts


def japanese_chunks() -> list[Text]:
    folder = SHARED / "japanese_prose" / "utf8"
    return [
        ("jpn_Jpan", "japanese_prose", piece, None)
        for path in sorted(folder.glob("*.txt"))
        for piece in chunks(path.read_text(encoding="utf-8"))
    ]


def ntrex_documents() -> list[Text]:
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
        (code, "ntrex128", "\n".join(text for _, text in sorted(lines)), None)
        for (code, _), lines in sorted(documents.items())
        if code in LANGUAGES
    ]


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def realweb_urls() -> dict[str, str]:
    """realweb_sea/dev page path -> its URL, where the set's manifest has one."""
    manifest = SHARED / "realweb_sea" / "dev" / "manifest.jsonl"
    if not manifest.exists():
        return {}
    rows = (json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["dest"]: row["url"] for row in rows if row["url"]}


def extracted_pages() -> list[Text]:
    from monsoon.stages.charset import decode_html
    from monsoon.stages.extract import Extract
    from monsoon.stages.lid import EMBEDDED, predict

    step = Extract()
    pages = []
    aeb = SHARED / "extraction_scrapinghub_aeb" / "dev"
    aeb_urls = {key: entry["url"] for key, entry in _json(aeb / "ground-truth.json").items()}
    for path in sorted((aeb / "html").glob("*.html.gz")):
        url = aeb_urls.get(path.name.removesuffix(".html.gz"))
        pages.append(("aeb", decode_html(gzip.decompress(path.read_bytes()))[0], None, url))
    snippets = SHARED / "extraction_trafilatura_eval" / "dev"
    for url, entry in sorted(_json(snippets / "evaldata.json").items()):
        raw = gzip.decompress((snippets / entry["file"]).read_bytes())
        pages.append(("trafilatura_eval", decode_html(raw)[0], None, url))
    realweb = SHARED / "realweb_sea" / "dev"
    if (realweb / "index.tsv").exists():
        urls = realweb_urls()
        with open(realweb / "index.tsv", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                raw = (realweb / row["path"]).read_bytes()
                raw = gzip.decompress(raw) if row["path"].endswith(".gz") else raw
                pages.append(("realweb_sea", decode_html(raw)[0], row["language"], urls.get(row["path"])))
    texts = []
    for source, html, code, url in pages:
        text = step.extract(html) or ""
        if not text.strip():
            continue
        code = code or predict(EMBEDDED, text)[0]
        if code in LANGUAGES:
            texts.append((code, source, text, url))
    return texts


def real_urls() -> list[tuple[str, str]]:
    """(source, URL) of every page URL in ../shared/data and in the bundled sample, each once."""
    found = {}
    manifest = SHARED / "warc_samples" / "manifest.tsv"
    if manifest.exists():
        with open(manifest, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                found.setdefault(row["target_uri"], "warc_samples")
    for url in realweb_urls().values():
        found.setdefault(url, "realweb_sea")
    for entry in _json(SHARED / "extraction_scrapinghub_aeb" / "dev" / "ground-truth.json").values():
        found.setdefault(entry["url"], "aeb")
    for url in _json(SHARED / "extraction_trafilatura_eval" / "dev" / "evaldata.json"):
        found.setdefault(url, "trafilatura_eval")
    for line in (REPO / "sample" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        found.setdefault(json.loads(line)["url"], "sample")
    return [(source, url) for url, source in found.items() if url]


def built_urls(every: int = 40_000) -> list[tuple[str, str]]:
    """(rule, URL) built from datatrove's own lists, one rule each (and its near misses): every `every`-th
    blocked domain (bare, under www., upper-cased, with a port and a user), every `every // 200`-th blocked URL
    (as listed, without a scheme, and with one), each banned word, soft-banned word (alone, and pairs) and banned
    subword (inside other letters, in upper case), and hosts tldextract cannot split (IPs, localhost)."""
    import tarfile

    from datatrove.utils._import_utils import ASSETS_PATH

    from monsoon.stages.url_filter import BLOCKLIST_ARCHIVE, list_entries

    def words(name: str) -> list[str]:
        with open(Path(ASSETS_PATH) / name, encoding="utf-8") as f:
            return sorted(set(list_entries(f, normalized=True)))

    with tarfile.open(Path(ASSETS_PATH) / BLOCKLIST_ARCHIVE, "r:gz") as tar:
        lists = {info.name: tar.extractfile(info).read().decode().splitlines() for info in tar}
    urls = []
    for domain in lists["domains"][::every]:
        urls += [("domain", f"https://{domain}/"), ("domain", f"http://www.{domain}/news/1.html")]
        urls += [("domain", f"https://{domain.upper()}/"), ("domain", f"http://user@{domain}:8080/?q=1")]
    for entry in lists["urls"][:: every // 200]:
        urls += [("url", entry), ("url", f"http://{entry}")]
    banned, soft, subwords = words("banned_words.txt"), words("soft_banned_words.txt"), words("banned_subwords.txt")
    for word in banned:
        urls += [("hard_blacklisted", f"https://www.example.com/{word}/1"), ("hard", f"https://a.org/{word.upper()}")]
    for first, second in zip(soft, soft[1:] + soft[:1], strict=True):
        urls += [("soft_blacklisted", f"https://www.example.com/{first}-{second}.html")]
        urls += [("soft_one", f"https://www.example.com/{first}.html")]
    for word in subwords:
        urls += [("blacklisted_subword", f"https://www.example.com/x{word}y"), ("sub", f"https://a.org/{word.upper()}")]
    urls += [("host", url) for url in ("http://192.168.0.1/x", "http://localhost:8000/", "https://[::1]/", "x")]
    return urls


def url_agreement(cases: list[tuple[str, str]]) -> dict:
    """monsoon's URL filter against datatrove's URLFilter on (source, URL) cases: both keep, or both drop by the
    same rule."""
    from datatrove.data import Document

    spec = get_language("eng_Latn").url_filter
    theirs_filter = url_filter()
    rows = []
    for source, url in cases:
        verdict = theirs_filter.filter(Document(text="", id="0", metadata={"url": url}))
        theirs = "" if verdict is True else f"url_filter.{verdict[1]}"
        rows.append((source, url, url_filter_reason(url, spec) or "", theirs))
    return {
        "urls": len(rows),
        "agreement": sum(ours == theirs for _, _, ours, theirs in rows) / max(len(rows), 1),
        "reasons": Counter(theirs or "kept" for *_, theirs in rows),
        "disagreements": [row for row in rows if row[2] != row[3]],
    }


def monsoon_decision(language: Language, text: str, url: str | None) -> str | None:
    """monsoon's drop reason for a page: its language's URL filter first (pages with a URL), then the quality
    filters."""
    if url and language.url_filter and (reason := url_filter_reason(url, language.url_filter)):
        return reason
    return judge(text, language, {})[0]


def reason_family(reason: str) -> str:
    """The filter family a reason names, on both sides: monsoon's `family.signal<min` and datatrove's
    `FilterClass:reason`."""
    names = {
        "GopherRepetitionFilter": "gopher_repetition",
        "FineWebQualityFilter": "fineweb_quality",
        "GopherQualityFilter": "gopher_quality",
        "C4QualityFilter": "c4_quality",
        "URLFilter": "url_filter",
    }
    head = reason.split(":")[0] if ":" in reason else reason.split(".")[0]
    return names.get(head, head)


def compare(code: str, texts: list[tuple[str, str, str | None]]) -> dict:
    language = get_language(code)
    recipes = {recipe: language.for_recipe(recipe) for recipe in ("fineweb2", "monsoon")}
    filters = reference_filters(code)
    rows, seconds = [], Counter()
    for source, text, url in texts:
        started = time.perf_counter()
        ref_kept, ref_reason = reference_decision(filters, text, url)
        seconds["datatrove"] += time.perf_counter() - started
        row = {"source": source, "datatrove": ref_kept, "datatrove_reason": ref_reason}
        for recipe, lang in recipes.items():
            started = time.perf_counter()
            reason = monsoon_decision(lang, text, url)
            seconds[recipe] += time.perf_counter() - started
            row[recipe], row[f"{recipe}_reason"] = reason is None, reason or ""
        rows.append(row)
    n = len(rows)
    kept = sum(r["datatrove"] for r in rows)
    result = {"documents": n, "chars": sum(len(t) for _, t, _ in texts), "kept_datatrove": kept}
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
    parser.add_argument("--no-urls", action="store_true", help="skip the URL filter's rule-for-rule comparison")
    args = parser.parse_args()
    wanted = args.languages.split(",")
    texts: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for code, source, text, url in [
        *thai_prose(),
        *japanese_chunks(),
        *ntrex_documents(),
        *([] if args.no_pages else extracted_pages()),
    ]:
        if code in wanted:
            texts[code].append((source, text, url))
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
    with_url = {code: sum(url is not None for *_, url in texts[code]) for code in results}
    print("documents with a URL (the URL filter applies where the language file has it): " + str(with_url))
    if not args.no_urls:
        real, built = url_agreement(real_urls()), url_agreement(built_urls())
        for name, r in (("real URLs", real), ("built from the lists", built)):
            reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(r["reasons"].items()))
            print(f"URL filter, {name}: {r['urls']} URLs, agreement with datatrove {r['agreement']:.4f} ({reasons})")
            for source, url, ours, theirs in r["disagreements"][:8]:
                print(f"  {source} {url}: monsoon {ours or 'kept'} / datatrove {theirs or 'kept'}")


if __name__ == "__main__":
    main()
