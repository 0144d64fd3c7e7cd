"""Near-duplicate detection quality: pairwise precision / recall / F1 of monsoon's MinHash clusters (the shingles,
bands and union-find the pipeline uses) on labelled pairs.

- English: ../shared/data/neardup_labelled (dev), NTREX documents in 4 locale versions (same document, light
  edits: positive) among all other documents (negative). The Clough & Stevenson answers copied from a source
  (`cut`, `light`, `heavy`) are partial reuse rather than duplicate documents: their recall is printed apart and
  they count in neither class; `non` answers (same topic, written independently) are negatives.
- Japanese: the same set's Aozora Bunko works in 2-4 editions (positives), among 17 other works of
  ../shared/data/japanese_prose (negatives). Editions differ from ruby markup only to a different orthography
  or source book, so recall is printed per pair with its exact shingle Jaccard; the same for character
  3-grams of the raw text, for comparison.
- Thai: real Thai government news (thai_prose) with edits made here: each article and a copy with 2% or 5% of
  its words replaced or deleted plus a different header and footer line (positives); every pair of different
  articles is a negative (they share the press office's boilerplate). Copies with 20% of words edited are
  printed apart. The same edits on 60 passages of the japanese_prose works ("jpn edited copies").

Cross-run: each set is also split in two halves (by the ids' crc32), half A indexed to disk and half B
deduplicated against it with the pipeline's index lookup (`cross_run`), beside one run over both halves.

`python bench/dedup_eval.py` (each language's parameters from monsoon/languages/<code>.yaml); last lines
`cross_run_f1_min=<lowest cross-run F1>`, `dedup_f1_min=<lowest F1 of the four>`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import tempfile
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import regex
from metrics import prf

from monsoon.dedup.index import INDEX_SCHEMA, earlier_matches
from monsoon.dedup.local import clusters, decide
from monsoon.dedup.signatures import band_hashes, shingles, text_hash
from monsoon.languages import get_language

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DERIVED = {"cut", "light", "heavy"}


def predicted_pairs(docs: dict[str, str], language: str) -> tuple[set, dict]:
    """Pairs of documents in the same MinHash cluster (the language's shingles, bands and rows), and each
    document's shingles."""
    spec = get_language(language)
    items = {doc_id: shingles(text, spec) for doc_id, text in docs.items()}
    found = clusters((doc_id, band_hashes(s, spec.dedup.bands, spec.dedup.rows)) for doc_id, s in sorted(items.items()))
    groups: dict[str, list[str]] = {}
    for doc_id, (representative, _) in found.items():
        groups.setdefault(representative, []).append(doc_id)
    pairs = {frozenset(p) for members in groups.values() for p in itertools.combinations(sorted(members), 2)}
    return pairs, items


def _with_partner_in(pairs: set, half_a: set, half_b: list) -> set:
    """The B documents of `pairs` whose other document is in A."""
    return {b for pair in pairs for b in pair if b in half_b and any(a in half_a for a in pair - {b})}


def cross_run(docs: dict[str, str], language: str, positives: set, ignored: set = frozenset()) -> dict:
    """The same documents split across two runs (A: crc32 of the id even, B: odd): A's index written to disk, B
    deduplicated against it through the pipeline's lookup and decisions (dedup/index.py, dedup/local.py), against
    one run over A and B (B documents in a cluster with an A document). Per B document with a labelled pair in A:
    is it found a duplicate of A (positive: a positive pair with an A document; ignored: only ignored pairs)."""
    spec = get_language(language)
    rows = {
        doc_id: (doc_id, text_hash(text), band_hashes(shingles(text, spec), spec.dedup.bands, spec.dedup.rows))
        for doc_id, text in sorted(docs.items())
    }
    half_a = {doc_id for doc_id in rows if zlib.crc32(doc_id.encode()) % 2 == 0}
    half_b = sorted(set(rows) - half_a)
    gold = _with_partner_in(positives, half_a, half_b)
    scored = [d for d in half_b if d in gold or d not in _with_partner_in(ignored, half_a, half_b)]
    with tempfile.TemporaryDirectory() as folder:
        part = Path(folder) / language / "00000.parquet"
        part.parent.mkdir()
        table = [
            {"id": i, "source": "A", "dump": None, "text_hash": rows[i][1], "minhash_bands": rows[i][2]}
            for i in sorted(half_a)
        ]
        pq.write_table(pa.Table.from_pylist(table, schema=INDEX_SCHEMA), part)
        ours = [rows[d] for d in half_b]
        exact, near = earlier_matches(
            [("A", str(part))], [r[1] for r in ours], {k for r in ours for k in enumerate(r[2])}
        )
        decided = decide(ours, exact, near)
        found = {row[0] for row in decided if row[5] == "A"}
        # a B copy of such a document is an exact_duplicate of its B original (exact dedup first), dropped too
        found |= {row[0] for row in decided if row[3] == "exact_duplicate" and row[4] in found}
    together = clusters((doc_id, bands) for doc_id, _, bands in rows.values())
    with_a = {together[d][0] for d in half_a if d in together}
    one_run = {d for d in half_b if d in together and together[d][0] in with_a}
    result = {}
    for name, predicted in (("cross-run", found), ("one run", one_run)):
        hits = len(gold & predicted & set(scored))
        precision, recall, f1 = prf(hits, len(predicted & set(scored)), len(gold), empty=1.0)
        result[name] = {"docs": len(scored), "gold": len(gold), "precision": precision, "recall": recall, "f1": f1}
    return result


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def scores(positives: set, predicted: set, ignored: set = frozenset()) -> dict:
    predicted = predicted - ignored
    hits = len(positives & predicted)
    precision, recall, f1 = prf(hits, len(predicted), len(positives), empty=1.0)
    return {"pairs": len(positives), "predicted": len(predicted), "precision": precision, "recall": recall, "f1": f1}


def load_labelled() -> tuple[list[dict], list[tuple[str, str, str, str]]]:
    folder = SHARED / "neardup_labelled" / "dev"
    docs = [json.loads(line) for line in (folder / "docs.jsonl").read_text(encoding="utf-8").split("\n") if line]
    lines = (folder / "labelled_pairs.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return docs, [tuple(line.split("\t")) for line in lines]


def english() -> dict:
    docs, pairs = load_labelled()
    texts = {d["doc_id"]: d["text"] for d in docs if d["subset"] != "aozora_edition_variants"}
    predicted, _ = predicted_pairs(texts, "eng_Latn")
    positives = {frozenset((a, b)) for a, b, subset, label in pairs if subset.startswith("ntrex")}
    derived = {frozenset((a, b)): label for a, b, _, label in pairs if label in DERIVED}
    result = scores(positives, predicted, ignored=set(derived))
    result["cross"] = cross_run(texts, "eng_Latn", positives, set(derived))
    result["derived_recall"] = {
        label: sum(p in predicted for p, lab in derived.items() if lab == label) / list(derived.values()).count(label)
        for label in sorted(DERIVED)
    }
    return result


def japanese() -> dict:
    docs, pairs = load_labelled()
    texts = {d["doc_id"]: d["text"] for d in docs if d["subset"] == "aozora_edition_variants"}
    # other works from the same library (japanese_prose): negatives, to measure precision on more than 12 works
    for path in sorted((SHARED / "japanese_prose" / "utf8").glob("*.txt")):
        texts[f"japanese_prose/{path.stem}"] = path.read_text(encoding="utf-8")
    predicted, items = predicted_pairs(texts, "jpn_Jpan")
    positives = {frozenset((a, b)) for a, b, subset, _ in pairs if subset.startswith("aozora")}
    result = scores(positives, predicted)
    result["cross"] = cross_run(texts, "jpn_Jpan", positives)
    characters = {doc_id: _char_trigrams(text) for doc_id, text in texts.items()}
    result["per_pair"] = sorted(
        (round(jaccard(items[a], items[b]), 2), round(jaccard(characters[a], characters[b]), 2), pair in predicted)
        for pair in positives
        for a, b in [tuple(pair)]
    )
    unrelated = [p for p in itertools.combinations(texts, 2) if frozenset(p) not in positives]
    result["max_unrelated"] = tuple(
        round(max(jaccard(sets[a], sets[b]) for a, b in unrelated), 3) for sets in (items, characters)
    )
    return result


def _char_trigrams(text: str) -> set[str]:
    letters = regex.sub(r"[^\p{L}\p{M}\p{N}]+", "", text.lower())
    return {letters[i : i + 3] for i in range(len(letters) - 2)}


def _edited(words: list[str], share: float, vocabulary: list[str], rng: random.Random) -> list[str]:
    out = []
    for word in words:
        roll = rng.random()
        if roll < share / 2:
            continue  # deleted
        out.append(rng.choice(vocabulary) if roll < share else word)
    return out


def edited_copies(code: str, texts: list[str], header: str, footer: str, seed: int = 13) -> dict:
    """Each text and copies of it with 2% or 5% of its words replaced or deleted and a different header and footer
    line (positives, with each other too); copies with 20% edited are scored apart; other texts are negatives."""
    language = get_language(code)
    rng = random.Random(seed)
    vocabulary = sorted({w for t in texts for w in language.word_list(t) if w.strip()})
    docs, positives, heavy = {}, set(), set()
    for i, text in enumerate(texts):
        words = language.word_list(text)
        docs[f"a{i}"] = text
        for share, kind in ((0.02, "light"), (0.05, "medium"), (0.20, "heavy")):
            copy = f"a{i}-{kind}"
            body = "".join(_edited(words, share, vocabulary, rng))
            docs[copy] = f"{header}{rng.randrange(1000)}\n{body}\n{footer}"
            (heavy if kind == "heavy" else positives).add(frozenset((f"a{i}", copy)))
    positives |= {frozenset((f"a{i}-light", f"a{i}-medium")) for i in range(len(texts))}
    predicted, _ = predicted_pairs(docs, code)
    ignored = heavy | {frozenset((f"a{i}-heavy", f"a{i}-{k}")) for i in range(len(texts)) for k in ("light", "medium")}
    result = scores(positives, predicted, ignored=ignored)
    result["cross"] = cross_run(docs, code, positives, ignored)
    result["heavy_recall"] = len(heavy & predicted) / len(heavy)
    return result


def thai(articles: int = 60) -> dict:
    """Real Thai government news (thai_prose) and edited copies."""
    path = SHARED / "thai_prose" / "thaigov_news_sample.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").split("\n") if line]
    texts = [t for t in texts if len(t) > 1500][:articles]
    return edited_copies("tha_Thai", texts, "ข่าวประชาสัมพันธ์ฉบับที่ ", "แชร์ข่าวนี้ | พิมพ์")


def japanese_edits(articles: int = 60, chars: int = 2000) -> dict:
    """Passages of ~2,000 characters from the japanese_prose works (several per work) and edited copies."""
    texts = []
    for path in sorted((SHARED / "japanese_prose" / "utf8").glob("*.txt")):
        body = path.read_text(encoding="utf-8").split("-------------------------------------------------------")[-1]
        passage = ""
        for line in (line.strip() for line in body.split("\n")):
            passage += line + "\n" if line else ""
            if len(passage) >= chars:
                texts.append(passage.strip())
                passage = ""
    texts = texts[:: max(1, len(texts) // articles)][:articles]
    return edited_copies("jpn_Jpan", texts, "ニュース配信 第", "この記事をシェアする | 印刷")


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    results = {"eng": english(), "jpn": japanese(), "jpn edited copies": japanese_edits(), "tha": thai()}
    for name, code in (("eng", "eng_Latn"), ("jpn", "jpn_Jpan"), ("tha", "tha_Thai")):
        d = get_language(code).dedup
        print(
            f"{name}: {d.shingle} {d.ngram}-grams, {d.bands} bands x {d.rows} rows "
            f"(50% found at Jaccard ~{(1 / d.bands) ** (1 / d.rows):.2f})"
        )
    for name, r in results.items():
        print(
            f"{name}: positive pairs {r['pairs']}, predicted {r['predicted']}, precision {r['precision']:.3f}, "
            f"recall {r['recall']:.3f}, F1 {r['f1']:.3f}"
        )
    for name, r in results.items():
        cross = "; ".join(
            f"{how}: precision {c['precision']:.3f}, recall {c['recall']:.3f}, F1 {c['f1']:.3f}"
            for how, c in r["cross"].items()
        )
        counts = f"{r['cross']['one run']['docs']} B documents, {r['cross']['one run']['gold']} with a duplicate in A"
        print(f"{name} split across two runs ({counts}): {cross}")
    derived = ", ".join(f"{k} {v:.2f}" for k, v in results["eng"]["derived_recall"].items())
    print(f"eng Clough answers derived from the source (not counted above), recall: {derived}")
    jpn = results["jpn"]
    print(f"jpn Aozora edition pairs (Jaccard of the shingles, of raw character 3-grams, found): {jpn['per_pair']}")
    lemmas, characters = jpn["max_unrelated"]
    print(f"jpn most similar unrelated works: Jaccard {lemmas} (character 3-grams {characters})")
    for name in ("jpn edited copies", "tha"):
        heavy = results[name]["heavy_recall"]
        print(f"{name}: copies with 20% of words edited (not counted above), recall: {heavy:.2f}")
    print(f"cross_run_f1_min={min(r['cross']['cross-run']['f1'] for r in results.values()):.3f}")
    print(f"dedup_f1_min={min(r['f1'] for r in results.values()):.3f}")


if __name__ == "__main__":
    main()
