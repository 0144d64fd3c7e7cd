"""Benchmark decontamination measured on real data (`python bench/decontamination_eval.py [--no-sample-run]`).

The benchmark: the NTREX-128 dev sentences (../shared/data/lid_ntrex128/dev/lid.tsv, 14,640 news sentences in 16
languages) as test items, with the run's defaults (13 Llama 3 tokens spanning >= 60 bytes; short items of >= 8
tokens whole).

1. Index: build time, n-gram hashes, their memory, items skipped as too short. Parts 1-3 run twice: with the
   defaults, and with plain 13-token n-grams (min_bytes 0) to show what the byte floor does.
2. Hits on real text that holds no NTREX item (expected: near zero; every hit is printed): Thai government news and
   Wisesight messages (thai_prose), Aozora works (japanese_prose), UDHR paragraphs, the real pages of realweb_sea/dev
   and the trafilatura evaluation pages (main text by trafilatura, as the pipeline extracts it), the gold article
   bodies of the Scrapinghub AEB set and the cleaned texts of CWCED. Per-document cost on each set.
3. Recall: one NTREX item pasted into a real page (between two of its lines), per item length; and the same with the
   item's case and punctuation changed.
4. The bundled sample run (configs/sample.yaml, local engine) with the benchmark: accounting reasons, audit rows.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monsoon.config import DecontaminationConfig  # noqa: E402
from monsoon.stages.decontamination import (  # noqa: E402
    Rule,
    benchmark_index,
    contamination,
    item_texts,
    tokens_of,
)

DATA = REPO.parent / "shared" / "data"
NTREX = DATA / "lid_ntrex128" / "dev" / "lid.tsv"
TOKENIZER = "llama3"


def read_page(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode("utf-8", errors="replace")


def extracted(pages: list[Path]) -> list[tuple[str, str]]:
    from trafilatura import extract

    return [(str(p.relative_to(DATA)), extract(read_page(p), favor_precision=True) or "") for p in pages]


def real_sets() -> dict[str, list[tuple[str, str]]]:
    sets: dict[str, list[tuple[str, str]]] = {}
    for name in ("thaigov_news_sample.jsonl", "wisesight_social_sample.jsonl"):
        with open(DATA / "thai_prose" / name, encoding="utf-8") as f:
            sets[f"thai_prose/{name}"] = [(f"{name}:{i}", json.loads(line)["text"]) for i, line in enumerate(f)]
    aozora = sorted((DATA / "japanese_prose" / "utf8").glob("*.txt"))
    sets["japanese_prose"] = [(p.name, p.read_text(encoding="utf-8")) for p in aozora]
    with open(DATA / "lid_udhr" / "dev" / "lid.tsv", encoding="utf-8") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        sets["lid_udhr/dev"] = [(f"udhr:{i}", row["text"]) for i, row in enumerate(rows)]
    with open(DATA / "realweb_sea" / "dev" / "index.tsv", encoding="utf-8") as f:
        paths = [DATA / "realweb_sea" / "dev" / row["path"] for row in csv.DictReader(f, delimiter="\t")]
    sets["realweb_sea/dev"] = extracted(paths)
    evaldata = json.loads((DATA / "extraction_trafilatura_eval" / "dev" / "evaldata.json").read_text())
    dev = DATA / "extraction_trafilatura_eval" / "dev"  # evaldata's `file`: html/<id>.html.gz
    sets["extraction_trafilatura_eval/dev"] = extracted([dev / entry["file"] for entry in evaldata.values()])
    truth = json.loads((DATA / "extraction_scrapinghub_aeb" / "dev" / "ground-truth.json").read_text())
    sets["extraction_scrapinghub_aeb/dev"] = [(k, v["articleBody"]) for k, v in sorted(truth.items())]
    cleaned = sorted((DATA / "extraction_zh_cwced" / "dev" / "cleaned").glob("*.txt"))
    sets["extraction_zh_cwced/dev"] = [(p.name, p.read_text(encoding="utf-8")) for p in cleaned]
    return sets


def build(config: DecontaminationConfig) -> tuple:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    index = benchmark_index(config, TOKENIZER)
    seconds = time.perf_counter() - start
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    b = index[0]
    mib = (b.ngrams.nbytes + b.whole_prefix.nbytes + b.whole_length.nbytes + b.whole_hash.nbytes) / 2**20
    print(
        f"index ({config.ngram} tokens spanning >= {config.min_bytes} bytes): {b.name}: {b.items:,} items,"
        f" {len(b.whole_hash)} short ones matched whole, {b.skipped} too short (skipped), {len(b.ngrams):,} n-grams,"
        f" {mib:.1f} MiB; built in {seconds:.2f} s (peak RSS +{rss:.0f} MiB, tokenizer load included)"
    )
    return index


def hits_on_real_sets(index: tuple, rule: Rule) -> None:
    print(f"\n== hits on real text holding no NTREX item (documents matched / documents), {rule}")
    print(f"{'set':<38} {'documents':>9} {'matched':>8} {'ms/doc':>7} {'tokens/s':>10}")
    for name, docs in real_sets().items():
        docs = [(doc_id, text) for doc_id, text in docs if text.strip()]
        start = time.perf_counter()
        found = [(doc_id, contamination(text, index, rule, TOKENIZER)) for doc_id, text in docs]
        seconds = time.perf_counter() - start
        tokens = sum(len(tokens_of(text, TOKENIZER)) for _, text in docs)
        matched = [(doc_id, hits) for doc_id, hits in found if hits]
        print(
            f"{name:<38} {len(docs):>9} {len(matched):>8} {1000 * seconds / len(docs):>7.2f} {tokens / seconds:>10,.0f}"
        )
        for doc_id, hits in matched[:5]:
            print(f"   matched: {doc_id} {hits}")
        if len(matched) > 5:
            print(f"   ... {len(matched) - 5} more")


def _perturbed(item: str, rng: random.Random) -> str:
    """The item as another page may print it: upper case, its punctuation changed or doubled."""
    item = item.upper() if rng.random() < 0.5 else item.lower()
    return item.replace(",", " ;").replace(".", "!").replace("'", "’")


def recall(index: tuple, rule: Rule, seed: int = 0, per_bucket: int = 200) -> None:
    rng = random.Random(seed)
    items = item_texts(str(NTREX), ["text"])
    hosts = [text for _, text in real_sets_hosts()]
    buckets: dict[str, list[str]] = {"< 8 tokens": [], "8-12 tokens": [], "13-19 tokens": [], ">= 20 tokens": []}
    for item in rng.sample(items, len(items)):
        n = len(tokens_of(item, TOKENIZER))
        bucket = "< 8 tokens" if n < 8 else "8-12 tokens" if n < 13 else "13-19 tokens" if n < 20 else ">= 20 tokens"
        if len(buckets[bucket]) < per_bucket:
            buckets[bucket].append(item)
    print("\n== recall: one NTREX item pasted between two lines of a real page (thai_prose news, AEB articles)")
    print(f"{'item length':<22} {'items':>6} {'verbatim':>9} {'case+punct changed':>19}")
    for bucket, chosen in buckets.items():
        caught = {"verbatim": 0, "perturbed": 0}
        for item in chosen:
            lines = rng.choice(hosts).split("\n")
            at = rng.randrange(len(lines) + 1)
            for kind, text in (("verbatim", item), ("perturbed", _perturbed(item, rng))):
                page = "\n".join([*lines[:at], text, *lines[at:]])
                caught[kind] += bool(contamination(page, index, rule, TOKENIZER))
        n = len(chosen)
        print(f"{bucket:<22} {n:>6} {caught['verbatim'] / n:>9.3f} {caught['perturbed'] / n:>19.3f}")


def real_sets_hosts() -> list[tuple[str, str]]:
    with open(DATA / "thai_prose" / "thaigov_news_sample.jsonl", encoding="utf-8") as f:
        thai = [(f"thaigov:{i}", json.loads(line)["text"]) for i, line in enumerate(f)]
    truth = json.loads((DATA / "extraction_scrapinghub_aeb" / "dev" / "ground-truth.json").read_text())
    return thai + [(k, v["articleBody"]) for k, v in sorted(truth.items())]


def sample_run(config: DecontaminationConfig) -> None:
    from monsoon.audit.report import write_report
    from monsoon.config import load_run_config
    from monsoon.pipelines.local import run_local

    with tempfile.TemporaryDirectory(prefix="monsoon-decont-") as tmp:
        run = load_run_config(REPO / "configs" / "sample.yaml", output=str(Path(tmp) / "out"))
        run.decontamination = config
        start = time.perf_counter()
        accounting = run_local(run)
        seconds = time.perf_counter() - start
        total = accounting["total"]
        reasons = {r: n for r, n in total["dropped"].items() if r.startswith("benchmark_contamination:")}
        print(f"\n== the bundled sample run with the NTREX benchmark ({seconds:.0f} s)")
        print(f"read {total['read']}, kept {total['kept']}, benchmark drops: {reasons or 'none'}")
        write_report(Path(tmp) / "out", Path(tmp) / "audit")
        markdown = (Path(tmp) / "audit" / "report.md").read_text()
        section = markdown.split("## Benchmark contamination", 1)[1].split("\n## ", 1)[0]
        print("audit:" + section.rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-sample-run", action="store_true", help="skip part 4 (a few minutes on 2 cores)")
    args = parser.parse_args()
    config = DecontaminationConfig(benchmarks=[str(NTREX)])
    unstretched = dataclasses.replace(config, min_bytes=0)  # plain 13-token n-grams, for comparison
    for settings in (config, unstretched):
        index = build(settings)
        hits_on_real_sets(index, Rule.of(settings))
        recall(index, Rule.of(settings))
    if not args.no_sample_run:
        sample_run(config)


if __name__ == "__main__":
    main()
