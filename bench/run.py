"""Benchmark: monsoon's local pipeline against datatrove running FineWeb-2's pipeline as published (`run_datatrove`
says how and the two differences), on the same crawl-like WARC, in one command (`python bench/run.py`).

The input is built from every distinct real page available (../shared/data: realweb_sea/dev, the dev extraction
sets, the readable responses of warc_samples) plus the bundled sample's target-language pages: each non-target
page appears `--other-copies` (3) x `--scale` times, and target-language pages make up `--target-share` (10%) of
the whole, cycling through the distinct target pages in a fixed shuffled order. Every copy has its own URL and
record id, and the WARC-Identified-Payload-Type of a Common Crawl record. The input's composition (distinct pages,
languages, sources, HTML sizes) is printed first.
Each pipeline runs in its own process with one task and one worker, so docs/s is per core and peak RSS is
that pipeline's own. Printed: docs/s per core, peak RSS (also on a double-size input), per-stage time shares,
the share of the reference's kept target-language documents that monsoon also keeps and the reverse (before
cross-document dedup, which the reference does not do), pre-LID recall, micro-benchmarks, and last
`speedup_vs_datatrove=<ratio>` (the median of `--repeats` back-to-back runs, each engine timed after a warm-up
run that pays its one-time start-up; the start-up and the ratio with it are printed too).
`--json FILE` writes the figures for bench/cost.py.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SHARED_WARCS = SHARED / "warc_samples"  # also the input of bench/spark_vs_local.py
TARGETS = ["tha_Thai", "jpn_Jpan", "vie_Latn", "ind_Latn", "zsm_Latn", "tam_Taml"]
TARGET_ISO1 = ["th", "ja", "vi", "id", "ms", "ta"]


@dataclass(frozen=True)
class Page:
    source: str
    url: str
    payload: bytes
    content_type: str
    language: str  # the dataset's label, else lid.176's top label on the page's title + visible text


def _responses(path: Path):
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        try:
            for record in ArchiveIterator(f):
                if record.rec_type == "response" and record.http_headers is not None:
                    ctype = record.http_headers.get_header("Content-Type") or "text/html"
                    yield record.rec_headers.get_header("WARC-Target-URI"), record.content_stream().read(), ctype
        except Exception:  # the edge-case files are damaged on purpose: take what reads cleanly
            return


def _guess_language(payload: bytes, content_type: str) -> str:
    from monsoon.languages import normalise_label
    from monsoon.stages.charset import decode_html
    from monsoon.stages.lid import EMBEDDED, load_model
    from monsoon.stages.prelid import page_hints

    html = decode_html(payload, content_type)[0]
    text = page_hints(html, 1500)[1] if html and "html" in content_type else ""
    return normalise_label(load_model(EMBEDDED).predict(text)[0][0]) if text else "und"


def real_pages() -> list[Page]:
    """Every distinct page available: the sample's target-language pages, and every real page in ../shared/data
    (realweb_sea/dev, the three dev extraction sets, the readable responses of warc_samples). Duplicates by
    payload are dropped."""
    pages: list[Page] = []
    manifest = {m["url"]: m for m in map(json.loads, (REPO / "sample" / "manifest.jsonl").read_text().splitlines())}
    for path in sorted((REPO / "sample" / "warc").glob("*.warc.gz")):
        for url, payload, ctype in _responses(path):
            if manifest[url]["language"] in TARGETS:
                pages.append(Page("sample", url, payload, ctype, manifest[url]["language"]))
    realweb = SHARED / "realweb_sea" / "dev"
    if realweb.exists():
        for row in csv.DictReader((realweb / "index.tsv").open(encoding="utf-8"), delimiter="\t"):
            raw = (realweb / row["path"]).read_bytes()
            payload = gzip.decompress(raw) if row["path"].endswith(".gz") else raw
            url = f"https://realweb-sea.invalid/{row['path']}"
            pages.append(Page("realweb_sea", url, payload, "text/html", row["language"]))
    files = [("extraction_scrapinghub_aeb", p) for p in sorted(SHARED.glob("extraction_scrapinghub_aeb/dev/html/*"))]
    files += [("extraction_zh_cwced", p) for p in sorted(SHARED.glob("extraction_zh_cwced/dev/original/*.html"))]
    files += [("extraction_trafilatura_eval", p) for p in sorted(SHARED.glob("extraction_trafilatura_eval/dev/html/*"))]
    for source, path in files:
        payload = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        url = f"https://{source.replace('_', '-')}.invalid/{path.name}"
        pages.append(Page(source, url, payload, "text/html", _guess_language(payload, "text/html")))
    for path in sorted(SHARED_WARCS.glob("*.warc*")):
        if ".wet." not in path.name and ".wat." not in path.name:
            for url, payload, ctype in _responses(path):
                pages.append(Page("warc_samples", url, payload, ctype, _guess_language(payload, ctype)))
    seen: set[bytes] = set()
    distinct = []
    for page in pages:
        if (digest := hashlib.sha256(page.payload).digest()) not in seen:
            seen.add(digest)
            distinct.append(page)
    return distinct


def _write_warc(folder: Path, chosen: list[tuple[Page, int]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    members = []
    for n, (page, copy) in enumerate(chosen):
        headers = StatusAndHeaders("200 OK", [("Content-Type", page.content_type)], protocol="HTTP/1.1")
        url = f"{page.url}#copy{copy}" if copy else page.url
        out = io.BytesIO()
        writer = WARCWriter(out, gzip=False)
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(page.payload), http_headers=headers)
        record.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:{uuid.UUID(int=n + 1)}>")
        # as Common Crawl's WARCs do (its own detection of the payload): without it datatrove's WarcReader guesses
        # the type with libmagic and skips XHTML pages (text/xml) and pages that open with a script
        mime = page.content_type.split(";")[0].strip()
        record.rec_headers.add_header("WARC-Identified-Payload-Type", mime)
        writer.write_record(record)
        members.append(gzip.compress(out.getvalue(), mtime=0))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.warc.gz").write_bytes(b"".join(members))


def build_warmup(folder: Path) -> None:
    """Write a WARC of one sample article per target language: each engine runs it once before its clock, so the
    timed run measures the per-document rate of a worker that is past its one-time start-up (imports, the LID
    model, each language's word tokenizers), as a crawl worker is after its first pages."""
    manifest = {m["url"]: m for m in map(json.loads, (REPO / "sample" / "manifest.jsonl").read_text().splitlines())}
    chosen: dict[str, tuple[Page, int]] = {}
    for path in sorted((REPO / "sample" / "warc").glob("*.warc.gz")):
        for url, payload, ctype in _responses(path):
            entry = manifest[url]
            if entry["language"] in TARGETS and entry["kind"] == "article":
                chosen.setdefault(entry["language"], (Page("sample", url, payload, ctype, entry["language"]), 0))
    _write_warc(folder, list(chosen.values()))


def build_input(folder: Path, target_share: float, scale: int = 1, other_copies: int = 3) -> dict:
    """Write bench.warc.gz from `real_pages()`: every non-target page `other_copies` x `scale` times, and as many
    target-language pages as make `target_share` of the whole, taken in a fixed shuffled order that cycles
    through every distinct target page (so a larger scale brings in more distinct target pages before any
    repeats). Every copy has its own URL and record id. Returns the input's composition."""
    pages = real_pages()
    targets = sorted((p for p in pages if p.language in TARGETS), key=lambda p: hashlib.sha256(p.payload).digest())
    others = [p for p in pages if p.language not in TARGETS]
    n_others = len(others) * other_copies * scale
    n_targets = round(n_others * target_share / (1 - target_share))
    chosen = [(p, k) for k in range(other_copies * scale) for p in others]
    chosen += [(targets[i % len(targets)], i // len(targets)) for i in range(n_targets)]
    _write_warc(folder, chosen)
    sizes = sorted(len(page.payload) for page, _ in chosen)
    used = {id(page) for page, _ in chosen}
    return {
        "documents": len(chosen),
        "target_pages": n_targets,
        "other_pages": n_others,
        "distinct_pages": len(used),
        "distinct_target_pages": sum(id(p) in used for p in targets),
        "distinct_target_pages_available": len(targets),
        "max_copies_of_a_page": max(Counter(id(page) for page, _ in chosen).values()),
        "languages": dict(Counter(page.language for page, _ in chosen).most_common()),
        "sources": dict(Counter(page.source for page, _ in chosen).most_common()),
        "html_kib_median": round(sizes[len(sizes) // 2] / 1024, 1),
        "html_kib_p90": round(sizes[int(len(sizes) * 0.9)] / 1024, 1),
        "html_mib_total": round(sum(sizes) / 2**20, 1),
        # (source, language) of record n + 1: the kept ids are uuid(int=n + 1)
        "records": [(page.source, page.language) for page, _ in chosen],
    }


def _stage_shares(stats_files: list[Path], elapsed: float) -> dict[str, float]:
    """Each step's share of the run's wall time; what no step times (monsoon's reader: decompression and
    decoding; the dedup jobs' executors; start and merge of stats) is one more entry."""
    times: dict[str, float] = {}
    for path in stats_files:
        for step in json.loads(path.read_text()):
            t = step.get("time_stats", 0)
            times[step["name"]] = times.get(step["name"], 0) + (t.get("total", 0) if isinstance(t, dict) else t)
    times["(untimed: reading, executors)"] = max(0.0, elapsed - sum(times.values()))
    return {name: round(value / elapsed, 3) for name, value in times.items()}


def run_monsoon(input_dir: Path, work: Path, prelid: bool = True, recipe: str = "monsoon") -> dict:
    import pyarrow.parquet as pq

    from monsoon.config import PreLidConfig, RunConfig
    from monsoon.pipelines.layout import RunLayout
    from monsoon.pipelines.local import run_local

    config = RunConfig(
        input=str(input_dir),
        output=str(work),
        languages=TARGETS,
        tasks=1,
        workers=1,
        prelid=PreLidConfig(enabled=prelid),
        recipe=recipe,
    )
    started = time.perf_counter()
    accounting = run_local(config)
    elapsed = time.perf_counter() - started
    intermediate = Path(RunLayout.of(config).intermediate)
    kept = sorted(
        i for p in intermediate.glob("*/*.parquet") for i in pq.read_table(p, columns=["id"])["id"].to_pylist()
    )
    logs = Path(RunLayout.of(config).logs)
    return {
        "seconds": elapsed,
        "read": accounting["total"]["read"],
        "kept_before_dedup": kept,
        "kept": accounting["total"]["kept"],
        "stages": _stage_shares(sorted(logs.glob("*/stats/*.json")), elapsed),
    }


def run_monsoon_without_budget(input_dir: Path, work: Path) -> dict:
    """monsoon with its steps bare, not under the per-document budget (stages/budget.py): its cost's reference."""
    from monsoon.pipelines import plan

    plan.under_budget = lambda config, steps: steps
    return run_monsoon(input_dir, work)


def run_datatrove(input_dir: Path, work: Path) -> dict:
    """FineWeb-2's pipeline (fineweb-2-pipeline.py @7ee60b3) in datatrove, on one core: WarcReader -> Trafilatura
    (favour_precision) -> LanguageFilter (top label only, as its GlotLID step) -> each language's minimum score
    (its step 3) -> FineWeb's URLFilter and the language's FineWeb-2 filters exactly as published (their kwargs and
    datatrove's word tokenizers: bench/fineweb2_reference.py) -> writer.

    Two differences, both for a like-for-like run on this machine: the LID model is lid.176 (monsoon's default; no
    GlotLID here), so the minimum scores are FineWeb-2's rule (median - sigma, within 0.3-0.9) applied to lid.176's
    scores as bench/lid_minimums.py measures them (monsoon's language files, recipe fineweb2), not the GlotLID values
    of its configs; and trafilatura's timeout is monsoon's 5 s (datatrove's default is 1 s), so that a loaded machine
    times out the same pages on both sides. FineWeb runs the URL filter before extraction; it reads only the URL, so
    its place changes no decision (no bench page is blocked)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import LambdaFilter, LanguageFilter
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.lid import FT176LID
    from fineweb2_reference import reference_filters

    from monsoon.languages import get_language
    from monsoon.stages.lid import embedded_model_path

    minimum = {
        iso1: get_language(code).minimum_score("lid176", "fineweb2")
        for code, iso1 in zip(TARGETS, TARGET_ISO1, strict=True)
    }

    class PerLanguageFilters(PipelineStep):
        """Routes each document to its language's datatrove filters (FineWeb-2 runs one pipeline per language)."""

        name = "FineWeb-2 filters per language"

        def run(self, data, rank=0, world_size=1):
            chains = {iso1: reference_filters(code) for code, iso1 in zip(TARGETS, TARGET_ISO1, strict=True)}
            for doc in data:
                with self.track_time():
                    keep = all(f.filter(doc) is True for f in chains.get(doc.metadata["language"], []))
                if keep:
                    yield doc

    # the same lid.176 model file monsoon uses: datatrove "downloads" it from the local path into its cache
    FT176LID.MODEL_URL = embedded_model_path()
    executor = LocalPipelineExecutor(
        [
            WarcReader(str(input_dir)),
            Trafilatura(favour_precision=True, timeout=5),
            LanguageFilter(label_only=True),
            LambdaFilter(
                lambda doc: (
                    doc.metadata["language"] in minimum
                    and doc.metadata["language_score"] >= minimum[doc.metadata["language"]]
                )
            ),
            PerLanguageFilters(),
            JsonlWriter(str(work / "kept")),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(work / "logs"),
    )
    started = time.perf_counter()
    executor.run()
    elapsed = time.perf_counter() - started
    kept = sorted(
        json.loads(line)["id"].strip("<>").removeprefix("urn:uuid:")
        for path in (work / "kept").glob("*.jsonl*")
        for line in gzip.open(path, "rt")
    )
    stats = sorted((work / "logs" / "stats").glob("*.json"))
    return {"seconds": elapsed, "kept_before_dedup": kept, "kept": len(kept), "stages": _stage_shares(stats, elapsed)}


def micro_benchmarks() -> dict:
    import yaml

    from monsoon.languages import get_language
    from monsoon.tokens import load_token_counter

    pools = {p.stem: yaml.safe_load(p.read_text())["sentences"] for p in (REPO / "sample" / "pools").glob("*.yaml")}
    mixed = "\n".join(s for code in TARGETS for s in pools.get(code, [])) * 40
    counter = load_token_counter()
    started = time.perf_counter()
    tokens = counter.count(mixed)
    token_rate = tokens / (time.perf_counter() - started)
    thai = " ".join(pools["tha_Thai"]) * 20
    words = get_language("tha_Thai").words
    words.word_tokenize("โหลดพจนานุกรม")  # the dictionary trie is built once per process: not part of the rate
    started = time.perf_counter()
    words.word_tokenize(thai)
    thai_rate = len(thai) / (time.perf_counter() - started)
    docs = [("\n".join(pools[code][i : i + 8]), code) for code in TARGETS for i in range(0, 22, 2)] * 5
    ours, theirs = minhash_rates(docs)
    return {
        "tokens_per_s": round(token_rate),
        "thai_chars_per_s": round(thai_rate),
        "minhash_docs_per_s": round(ours),
        "datatrove_minhash_docs_per_s": round(theirs),
    }


def minhash_rates(docs: list[tuple[str, str]]) -> tuple[float, float]:
    """Docs/s of monsoon's MinHash step (each language's shingles, bands and rows) and of datatrove's
    MinhashDedupSignature (word 5-grams, 14 x 8, signatures written to disk) on `docs`."""
    from collections import deque

    from datatrove.data import Document
    from datatrove.pipeline.dedup.minhash import MinhashDedupSignature

    from monsoon.languages import get_language
    from monsoon.stages.minhash import MinhashSignature

    def documents(pairs):
        return [Document(text=t, id=str(i), metadata={"language": code}) for i, (t, code) in enumerate(pairs)]

    for code in {code for _, code in docs}:  # load the segmenters (Thai trie, MeCab, OpenCC) before either clock
        get_language(code).dedup_units("warm up")
    started = time.perf_counter()
    deque(MinhashSignature().run(documents(docs)), maxlen=0)
    ours = len(docs) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        steps = {}
        for _, code in docs:  # datatrove's step with monsoon's word tokenizers (datatrove's need spaCy here)
            steps[code] = MinhashDedupSignature(f"{tmp}/{code}", language=get_language(code).words)
        started = time.perf_counter()
        for code, step in steps.items():
            deque(step.run(documents([d for d in docs if d[1] == code])) or (), maxlen=0)
        theirs = len(docs) / (time.perf_counter() - started)
    return ours, theirs


def _child(engine: str, input_dir: str, work: str, warmup: str) -> None:
    runs = {
        "monsoon": run_monsoon,
        "monsoon-without-prelid": partial(run_monsoon, prelid=False),
        "monsoon-fineweb2": partial(run_monsoon, recipe="fineweb2"),
        "monsoon-without-budget": run_monsoon_without_budget,  # bench/budget_cost.py's reference
        "datatrove": run_datatrove,
    }
    started = time.perf_counter()
    if warmup != "-":
        runs[engine](Path(warmup), Path(f"{work}-warmup"))
    startup = time.perf_counter() - started
    result = runs[engine](Path(input_dir), Path(work))
    result["startup_seconds"] = startup
    result["peak_rss_mib"] = round(
        max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        / 1024
    )
    print("RESULT " + json.dumps(result))


ENGINES = ("datatrove", "monsoon")


def _run_child(engine: str, input_dir: Path, work: Path, warmup: Path | None = None) -> dict:
    """One pipeline in its own process (so its peak RSS is its own), after a warm-up run on `warmup` if given."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", engine, str(input_dir), str(work), str(warmup or "-")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "bench")])},
    ).stdout
    return json.loads(out.split("RESULT ", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target-share", type=float, default=0.10, help="share of target-language pages (0.10)")
    parser.add_argument(
        "--scale", type=int, default=1, help="copies of the input (per-process start-up costs amortise as in a crawl)"
    )
    parser.add_argument("--other-copies", type=int, default=3, help="copies of each non-target page per scale (3)")
    parser.add_argument("--repeats", type=int, default=3, help="back-to-back runs of both engines (3)")
    parser.add_argument("--json", type=Path, help="also write the figures here (input of bench/cost.py)")
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "INPUT", "WORK", "WARMUP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="monsoon-bench-") as tmp:
        counts = build_input(Path(tmp) / "input", args.target_share, args.scale, args.other_copies)
        print(
            f"input: {counts['documents']} documents ({counts['target_pages']} target-language, "
            f"{counts['other_pages']} other), {counts['distinct_pages']} distinct pages "
            f"({counts['distinct_target_pages']} of {counts['distinct_target_pages_available']} distinct "
            f"target-language pages), at most {counts['max_copies_of_a_page']} copies of a page; raw HTML median "
            f"{counts['html_kib_median']} KiB, p90 {counts['html_kib_p90']} KiB, total {counts['html_mib_total']} MiB"
        )
        print("       languages: " + ", ".join(f"{k} {v}" for k, v in counts["languages"].items()))
        print("       sources: " + ", ".join(f"{k} {v}" for k, v in counts["sources"].items()))
        build_warmup(Path(tmp) / "warmup")
        # the engines back to back, `--repeats` times: the machine's load changes the ratio from run to run
        runs = [
            {e: _run_child(e, Path(tmp) / "input", Path(tmp) / f"{e}-{k}", Path(tmp) / "warmup") for e in ENGINES}
            for k in range(args.repeats)
        ]
        # the kept documents with FineWeb-2's recipe alone (no deviations): like for like with the reference
        published = _run_child("monsoon-fineweb2", Path(tmp) / "input", Path(tmp) / "fineweb2", Path(tmp) / "warmup")
        # pre-LID: the target documents kept when every page is extracted, and the time it saves
        no_prelid = _run_child(
            "monsoon-without-prelid", Path(tmp) / "input", Path(tmp) / "no-prelid", Path(tmp) / "warmup"
        )
        # peak RSS of one monsoon worker against input size: the same run on a double-size input
        large = build_input(Path(tmp) / "large", args.target_share, 2 * args.scale, args.other_copies)
        large_run = _run_child("monsoon", Path(tmp) / "large", Path(tmp) / "monsoon-large", Path(tmp) / "warmup")
    n = counts["documents"]
    results = sorted(runs, key=lambda r: r["datatrove"]["seconds"] / r["monsoon"]["seconds"])[len(runs) // 2]
    for engine, r in results.items():
        print(
            f"{engine:>9}: {r['seconds']:.1f} s, {n / r['seconds']:.1f} docs/s/core, peak RSS {r['peak_rss_mib']} MiB; "
            f"one-time start-up (warm-up run on {len(TARGETS)} pages) {r['startup_seconds']:.1f} s"
        )
        shares = ", ".join(f"{k} {v:.0%}" for k, v in sorted(r["stages"].items(), key=lambda kv: -kv[1]) if v >= 0.01)
        print(f"           shares of its wall time: {shares}")
    warm = sorted(r["datatrove"]["seconds"] / r["monsoon"]["seconds"] for r in runs)
    cold = sorted(
        (r["datatrove"]["seconds"] + r["datatrove"]["startup_seconds"])
        / (r["monsoon"]["seconds"] + r["monsoon"]["startup_seconds"])
        for r in runs
    )
    print(
        f"speedup over {len(runs)} back-to-back runs: past start-up {', '.join(f'{x:.2f}' for x in warm)}; "
        f"start-up included {', '.join(f'{x:.2f}' for x in cold)}"
    )
    reference = set(results["datatrove"]["kept_before_dedup"])
    ours = set(results["monsoon"]["kept_before_dedup"])
    share = len(reference & ours) / len(reference) if reference else 1.0
    reverse = len(reference & ours) / len(ours) if ours else 1.0
    print(f"reference kept {len(reference)} target docs (before cross-document dedup, which it does not do)")
    records = counts["records"]
    for recipe, kept in (("monsoon", ours), ("fineweb2", set(published["kept_before_dedup"]))):
        both = len(reference & kept)
        print(
            f"  monsoon, recipe {recipe}: kept {len(kept)}; share of the reference's kept docs it keeps "
            f"{both / len(reference) if reference else 1.0:.3f}, share of its kept docs the reference keeps "
            f"{both / len(kept) if kept else 1.0:.3f}"
        )
        for side, only in (("reference", reference - kept), ("monsoon", kept - reference)):
            where = Counter("/".join(records[uuid.UUID(i).int - 1]) for i in only)
            print(f"           kept by {side} only: " + ", ".join(f"{k} {v}" for k, v in where.most_common()))
    print(
        f"monsoon peak RSS per worker: {results['monsoon']['peak_rss_mib']} MiB on {n} documents, "
        f"{large_run['peak_rss_mib']} MiB on {large['documents']}"
    )
    everything = set(no_prelid["kept_before_dedup"])
    recall = len(everything & ours) / len(everything) if everything else 1.0
    print(
        f"pre-LID: recall of the target documents kept when every page is extracted {recall:.3f} "
        f"({len(everything)} such documents); run time {results['monsoon']['seconds']:.1f} s with, "
        f"{no_prelid['seconds']:.1f} s without (x{no_prelid['seconds'] / results['monsoon']['seconds']:.2f})"
    )
    micro = micro_benchmarks()
    print("micro: " + ", ".join(f"{k}={v:,}" for k, v in micro.items()))
    speedup = warm[len(warm) // 2]
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "input": counts,
                    "docs_per_s_per_core": {e: n / r["seconds"] for e, r in results.items()},
                    "docs_per_s_per_core_runs": {e: [n / r[e]["seconds"] for r in runs] for e in ENGINES},
                    "startup_seconds": {e: r["startup_seconds"] for e, r in results.items()},
                    "speedup_runs": warm,
                    "target_share": args.target_share,
                    "kept_share_of_reference": share,
                    "kept_share_reverse": reverse,
                    "kept_ids": {e: r["kept_before_dedup"] for e, r in results.items()},
                    "peak_rss_mib": {
                        n: results["monsoon"]["peak_rss_mib"],
                        large["documents"]: large_run["peak_rss_mib"],
                    },
                    "speedup_vs_datatrove": speedup,
                },
                indent=1,
            )
        )
    print(f"speedup_vs_datatrove={speedup:.2f}")


if __name__ == "__main__":
    main()
