"""Benchmark: monsoon's local pipeline against datatrove running FineWeb-2's filtering exactly as published, on the
same multi-language WARC set, in one command (`python bench/run.py`).

The input mixes the bundled sample with the third-party WARCs of ../shared/data/warc_samples (when present),
repeating non-target pages so that the SEA + Japanese target languages are a minority, as in a real crawl, and
repeats the whole `--scale` times (each copy with its own URLs and record ids).
Each pipeline runs in its own process with one task and one worker, so docs/s is per core and peak RSS is
that pipeline's own. Printed: docs/s per core, peak RSS, per-stage time shares, the share of the reference's
kept target-language documents that monsoon also keeps (before cross-document dedup, which the reference does
not do), micro-benchmarks, and last `speedup_vs_datatrove=<ratio>`.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_WARCS = REPO.parent / "shared" / "data" / "warc_samples"
TARGETS = ["tha_Thai", "jpn_Jpan", "vie_Latn", "ind_Latn", "zsm_Latn", "tam_Taml"]
TARGET_ISO1 = ["th", "ja", "vi", "id", "ms", "ta"]


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


def build_input(folder: Path, target_share: float, scale: int = 1) -> dict:
    """Write bench.warc.gz; returns counts. Target pages appear `scale` times, other pages are repeated to make
    up the share; every copy has its own URL and record id."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    manifest = {m["url"]: m for m in map(json.loads, (REPO / "sample" / "manifest.jsonl").read_text().splitlines())}
    targets, others = [], []
    for path in sorted((REPO / "sample" / "warc").glob("*.warc.gz")):
        for url, payload, ctype in _responses(path):
            (targets if manifest[url]["language"] in TARGETS else others).append((url, payload, ctype))
    if SHARED_WARCS.exists():
        for path in sorted(SHARED_WARCS.glob("*.warc*")):
            if "clueweb09-ja" not in path.name and ".wet." not in path.name and ".wat." not in path.name:
                others += list(_responses(path))
    copies = max(1, round(len(targets) * (1 - target_share) / target_share / max(len(others), 1)))
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    members = []
    pages = [(f"{url}#s{k}" if k else url, payload, ctype) for k in range(scale) for url, payload, ctype in targets]
    pages += [(f"{url}#copy{c}", payload, ctype) for c in range(copies * scale) for url, payload, ctype in others]
    for n, (url, payload, ctype) in enumerate(pages):
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=headers)
        record.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:{uuid.UUID(int=n + 1)}>")
        out = io.BytesIO()
        WARCWriter(out, gzip=False).write_record(record)
        members.append(gzip.compress(out.getvalue(), mtime=0))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.warc.gz").write_bytes(b"".join(members))
    return {
        "documents": len(pages),
        "target_pages": len(targets) * scale,
        "other_pages": len(pages) - len(targets) * scale,
    }


def _stage_shares(stats_files: list[Path]) -> dict[str, float]:
    times: dict[str, float] = {}
    for path in stats_files:
        for step in json.loads(path.read_text()):
            t = step.get("time_stats", 0)
            times[step["name"]] = times.get(step["name"], 0) + (t.get("total", 0) if isinstance(t, dict) else t)
    total = sum(times.values()) or 1
    return {name: round(value / total, 3) for name, value in times.items()}


def run_monsoon(input_dir: Path, work: Path, prelid: bool = True) -> dict:
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
        "stages": _stage_shares(sorted(logs.glob("*/stats/*.json"))),
    }


def run_datatrove(input_dir: Path, work: Path) -> dict:
    """WarcReader -> Trafilatura -> LanguageFilter -> each language's FineWeb-2 filters exactly as published (its
    kwargs and datatrove's word tokenizers: bench/fineweb2_reference.py) -> writer. FineWeb's URLFilter is in the
    chain of English only (reference_filters), as monsoon switches it on for English only; English is no target
    here, so neither pipeline runs it (fineweb-2-pipeline.py runs it upstream of LID for every language)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import LanguageFilter
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.lid import FT176LID
    from fineweb2_reference import reference_filters

    from monsoon.stages.lid import embedded_model_path

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
    language_filter = LanguageFilter(languages=TARGET_ISO1, language_threshold=0.6)
    executor = LocalPipelineExecutor(
        [
            WarcReader(str(input_dir)),
            Trafilatura(favour_precision=True, timeout=5),
            language_filter,
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
    return {"seconds": elapsed, "kept_before_dedup": kept, "kept": len(kept), "stages": _stage_shares(stats)}


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


def _child(engine: str, input_dir: str, work: str) -> None:
    runs = {
        "monsoon": run_monsoon,
        "monsoon-without-prelid": partial(run_monsoon, prelid=False),
        "datatrove": run_datatrove,
    }
    result = runs[engine](Path(input_dir), Path(work))
    result["peak_rss_mib"] = round(
        max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        / 1024
    )
    print("RESULT " + json.dumps(result))


ENGINES = ("datatrove", "monsoon")


def _run_child(engine: str, input_dir: Path, work: Path) -> dict:
    """One pipeline in its own process (so its peak RSS is its own)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", engine, str(input_dir), str(work)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "bench")])},
    ).stdout
    return json.loads(out.split("RESULT ", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target-share", type=float, default=0.15, help="share of target-language pages")
    parser.add_argument(
        "--scale", type=int, default=4, help="copies of the input (per-process start-up costs amortise as in a crawl)"
    )
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "INPUT", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="monsoon-bench-") as tmp:
        counts = build_input(Path(tmp) / "input", args.target_share, args.scale)
        print(f"input: {counts['documents']} documents, {counts['target_pages']} from target-language pages")
        results = {engine: _run_child(engine, Path(tmp) / "input", Path(tmp) / engine) for engine in ENGINES}
        # peak RSS of one monsoon worker against input size: the same run on a quarter-size input
        small = build_input(Path(tmp) / "small", args.target_share, max(1, args.scale // 4))
        small_run = _run_child("monsoon", Path(tmp) / "small", Path(tmp) / "monsoon-small")
        # pre-LID: the target documents kept when every page is extracted, and the time it saves
        no_prelid = _run_child("monsoon-without-prelid", Path(tmp) / "small", Path(tmp) / "monsoon-no-prelid")
    n = counts["documents"]
    for engine, r in results.items():
        print(
            f"{engine:>9}: {r['seconds']:.1f} s, {n / r['seconds']:.1f} docs/s/core, peak RSS {r['peak_rss_mib']} MiB"
        )
        shares = ", ".join(f"{k} {v:.0%}" for k, v in sorted(r["stages"].items(), key=lambda kv: -kv[1]) if v >= 0.01)
        print(f"           stage time shares: {shares}")
    reference = set(results["datatrove"]["kept_before_dedup"])
    ours = set(results["monsoon"]["kept_before_dedup"])
    share = len(reference & ours) / len(reference) if reference else 1.0
    print(
        f"reference kept {len(reference)} target docs; monsoon kept {len(ours)} before dedup "
        f"({results['monsoon']['kept']} after); share of the reference's kept docs monsoon keeps: {share:.3f}"
    )
    print(
        f"monsoon peak RSS per worker: {small_run['peak_rss_mib']} MiB on {small['documents']} documents, "
        f"{results['monsoon']['peak_rss_mib']} MiB on {n}"
    )
    everything = set(no_prelid["kept_before_dedup"])
    recall = len(everything & set(small_run["kept_before_dedup"])) / len(everything) if everything else 1.0
    print(
        f"pre-LID on {small['documents']} documents: recall of the target documents kept when every page is "
        f"extracted {recall:.3f} ({len(everything)} such documents); run time {small_run['seconds']:.1f} s with, "
        f"{no_prelid['seconds']:.1f} s without (x{no_prelid['seconds'] / small_run['seconds']:.2f})"
    )
    print("micro: " + ", ".join(f"{k}={v:,}" for k, v in micro_benchmarks().items()))
    print(f"speedup_vs_datatrove={results['datatrove']['seconds'] / results['monsoon']['seconds']:.2f}")


if __name__ == "__main__":
    main()
