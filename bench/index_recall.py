"""Benchmark: index-first acquisition against a full scan, on a mini Common Crawl built from every real page.

    python bench/index_recall.py [--files 8] [--other-copies 3]

The mini crawl (bench/minicrawl.py) holds every distinct real page bench/run.py uses (../shared/data and the
bundled sample's target pages: each target page once, each other page `--other-copies` times with its own URL, as
bench/run.py's mix), dealt over `--files` WARC files, with a columnar index whose content_languages CLD2 computed
as Common Crawl computes them. Both runs read the files from a local HTTP server with Range support (the stand-in
for https://data.commoncrawl.org/), languages: the first tier, without the per-process request budget
(`fetch.requests_per_second`): its sleep would be most of every figure below.

Printed: per language and policy (`primary`, the default, and `any`), the share of the documents the full scan
keeps (before cross-document dedup, which depends on the set read) that the index selects, and what it misses and
why (CLD2's languages for the page); bytes, requests and wall time both ways; the whole-file threshold (time to
read a share of a file's records as ranges against streaming it, at several per-request latencies); and last
`index_recall_min=<lowest first-tier recall under the default policy>`.
`--json FILE` writes the figures (bench/cost.py reads the per-record rates from it).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import minicrawl  # noqa: E402
from cost import record_rates  # noqa: E402
from run import TARGETS, real_pages  # noqa: E402

from monsoon.config import FetchConfig, IndexConfig, RunConfig  # noqa: E402
from monsoon.crawl.ranges import read_ranges  # noqa: E402
from monsoon.crawl.select import SELECTION_DIR, select  # noqa: E402
from monsoon.languages import FIRST_TIER  # noqa: E402
from monsoon.pipelines.layout import RunLayout  # noqa: E402
from monsoon.pipelines.local import run_local  # noqa: E402
from monsoon.pipelines.plan import DOCUMENTS, warc_reader  # noqa: E402

THAI = "tha_Thai"
INDEX = f"cc-index/table/cc-main/warc/crawl={minicrawl.CRAWL}/subset=warc/"
POLICIES = ("primary", "any")
# no request budget against the stand-in server: at fetch.requests_per_second (10 per process) every request would
# take a 0.1 s slot, and the runs' seconds and the break-even would measure that sleep, not the work or the link
UNPACED = FetchConfig(requests_per_second=0)


def build(root: Path, files: int, other_copies: int) -> tuple[dict, list[minicrawl.Page], dict[str, str]]:
    """The mini bucket; its pages; url -> the page's language label (bench/run.py's: dataset label or lid.176)."""
    pages, labels = [], {}
    for page in real_pages():
        copies = 1 if page.language in TARGETS else other_copies
        for copy in range(copies):
            url = f"{page.url}?copy={copy}" if copy else page.url
            pages.append(minicrawl.Page(url, page.payload, page.content_type))
            labels[url] = page.language
    random.Random(0).shuffle(pages)  # languages spread over the files as in a crawl
    return minicrawl.build(root, pages, files), pages, labels


def _kept(output: Path) -> dict[str, tuple[str, str]]:
    """url -> (id, language) of the documents the documents stage kept (before cross-document dedup)."""
    intermediate = Path(RunLayout(str(output)).intermediate)
    rows = [r for p in intermediate.glob("*/*.parquet") for r in pq.read_table(p, columns=["id", "url", "language"])
            .to_pylist()]  # fmt: skip
    return {row["url"]: (row["id"], row["language"]) for row in rows}


def _selection_rows(output: Path) -> list[dict]:
    """The captures a run's selection holds (WARC file, offset, length, ...), by part."""
    return [r for p in sorted((output / SELECTION_DIR).glob("part-*.parquet")) for r in pq.read_table(p).to_pylist()]


def _selected_urls(output: Path, url_of: dict[tuple[str, int], str]) -> set[str]:
    """The URLs of a selection's captures (it names them by WARC file and offset, as the index does)."""
    return {url_of[row["warc_filename"], row["warc_record_offset"]] for row in _selection_rows(output)}


def _run(config: RunConfig, server: minicrawl.RangeServer) -> dict:
    server.requests.clear()
    server.served = 0
    started = time.perf_counter()
    accounting = run_local(config)
    return {
        "seconds": time.perf_counter() - started,
        "read": accounting["total"]["read"],
        "requests": len(server.requests),
        "bytes": server.served,
        "accounting": accounting,
    }


def _crossing(points: list[tuple[float, float]], level: float) -> float:
    """The share where the (share, seconds) line, interpolated, first reaches `level` seconds (1.0: never)."""
    for (s0, t0), (s1, t1) in zip(points, points[1:], strict=False):
        if t1 >= level:
            return s0 + (s1 - s0) * (level - t0) / (t1 - t0) if t1 > t0 else s1
    return 1.0


def step_seconds(output: Path, records: int) -> dict[str, float]:
    """Seconds each timed step of a run's documents stage spent, over `records` (datatrove's own per-step timing)."""
    stats = json.loads((Path(RunLayout(str(output)).stage_logs(DOCUMENTS)) / "stats.json").read_text())
    return {
        step["name"].split(": ", 1)[-1].split(" ", 1)[-1]: step["time_stats"]["total"] / records
        for step in stats
        if isinstance(step["time_stats"], dict) and step["time_stats"]["total"] > 0
    }


def recipe_floor(bucket: Path, output: Path, repeats: int = 3) -> dict[str, float]:
    """Seconds of one core per selected page of the run in `output` (warm, median of `repeats` passes, over the selected
    records that extract to some text) of the work FineWeb-2's recipe itself asks of a page of the run's language,
    whoever acquires the page and however, each piece done once and by the cheapest code at hand: trafilatura as monsoon
    runs it (in this process: no sandbox), the page's words (pythainlp newmm-safe, datatrove's Thai tokenizer; segmented
    once), fastText LID (the embedded model, FineWeb-2's top label), FineWeb-2's filters by datatrove's own code
    (fineweb2_reference.py) on those words, a MinHash signature, and the token count the mix table is in. monsoon's own
    steps (junk rules, PII, footer, pre-LID, the sandbox, the reader and the steps' bookkeeping) are not in it."""
    import statistics

    from datatrove.data import Document
    from fineweb2_reference import fineweb2_filters

    from monsoon.dedup.signatures import band_hashes, shingles
    from monsoon.languages import get_language
    from monsoon.stages.extract import Extract, _load_trafilatura
    from monsoon.stages.lid import EMBEDDED, predict
    from monsoon.tokens import load_token_counter

    config = RunConfig(input=str(bucket / "crawl-data"), output=str(output / "floor"), languages=[THAI])
    reader, pages = warc_reader(config), []
    for row in _selection_rows(output):
        with open(bucket / row["warc_filename"], "rb") as file:
            file.seek(row["warc_record_offset"])
            record = io.BytesIO(file.read(row["warc_record_length"]))
        document = reader.document_at(record, row["warc_filename"], row["warc_record_offset"], minicrawl.CRAWL)
        if document is not None:
            pages.append(document.text)
    _load_trafilatura()
    extract, language, tokens = Extract().extract, get_language(THAI), load_token_counter()
    extracted = [(html, text) for html in pages if (text := extract(html)).strip()]
    pages, texts = [html for html, _ in extracted], [text for _, text in extracted]
    words = {text: language.words.word_tokenize(text) for text in texts}

    class Segmented(type(language.words)):  # the filters' words: the segmentation above, not again per filter
        def word_tokenize(self, text: str) -> list[str]:
            return words[text]

    shingled = [shingles(text, language) for text in texts]  # the signature's time, not the segmentation's again
    filters = fineweb2_filters(THAI)
    for step in filters:
        step.language = Segmented()
    predict(EMBEDDED, texts[0], recipe="fineweb2")  # loads the model
    steps = {
        "trafilatura": (extract, pages),
        "segmentation": (language.words.word_tokenize, texts),
        "fastText LID": (lambda text: predict(EMBEDDED, text, recipe="fineweb2"), texts),
        "FineWeb-2 filters": (lambda text: [f.filter(Document(text=text, id="0")) for f in filters], texts),
        "MinHash": (lambda items: band_hashes(items, language.dedup.bands, language.dedup.rows), shingled),
        "token count": (tokens.count, texts),
    }
    found = {}
    for name, (step, inputs) in steps.items():
        passes = []
        for _ in range(repeats):
            started = time.perf_counter()
            for item in inputs:
                step(item)
            passes.append((time.perf_counter() - started) / len(inputs))
        found[name] = statistics.median(passes)
    return found


def threshold(bucket: Path, warc: str, links: list[tuple[float, float]]) -> list[dict]:
    """Per (latency s, bandwidth B/s; 0: none) of the server: seconds to read every k-th record of the largest file
    as its own range, against one read of the whole file; the first share of the file's bytes where ranges take
    longer (the break-even)."""
    import pyarrow.compute as pc

    index = pq.read_table(bucket / INDEX)
    rows = index.filter(pc.equal(index["warc_filename"], warc)).sort_by("warc_record_offset").to_pylist()
    size = (bucket / warc).stat().st_size
    found = []
    for latency, bandwidth in links:
        with minicrawl.range_server(bucket, latency, bandwidth) as server:
            uri = server.url + warc
            started = time.perf_counter()
            read_ranges(uri, [(0, size)], UNPACED)
            whole = time.perf_counter() - started
            points = []
            for every in (100, 50, 30, 20, 10, 5, 2, 1):
                chosen = [(r["warc_record_offset"], r["warc_record_length"]) for r in rows[::every]]
                started = time.perf_counter()
                read_ranges(uri, chosen, UNPACED)
                points.append((sum(length for _, length in chosen) / size, time.perf_counter() - started))
        even = _crossing([(0.0, 0.0), *points], whole)
        found.append(
            {"latency_ms": latency * 1000, "mb_per_s": bandwidth / 1e6, "whole_file_s": whole, "points": points,
             "break_even": even}
        )  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=8, help="WARC files in the mini crawl (8)")
    parser.add_argument("--other-copies", type=int, default=3, help="copies of each non-target page (3)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of both runs (2)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--record", action="store_true", help="record the rates in bench/data/index_first.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="index-recall-"))
    bucket = work / "bucket"
    built, pages, labels = build(bucket, args.files, args.other_copies)
    index = pq.read_table(bucket / built["index"]).to_pylist()
    by_url = {row["url"]: row for row in index}
    url_of = {(row["warc_filename"], row["warc_record_offset"]): row["url"] for row in index}
    print(
        f"mini crawl: {len(pages)} captures in {args.files} WARC files "
        f"({sum((bucket / w).stat().st_size for w in built['warcs']) / 2**20:.1f} MiB); page labels: "
        + ", ".join(f"{code} {n}" for code, n in Counter(labels.values()).most_common(10))
    )
    languages = list(FIRST_TIER)
    figures: dict = {"captures": len(pages), "recall": {}}
    runs = {}
    with minicrawl.range_server(bucket) as server:
        # the recall's reference: a full scan for every first-tier language (tasks = files); then Thai alone both
        # ways on one core (the bill's case; the index-first run checked against its full scan document for
        # document), and index-first on the first file only: two index-first runs give the start-up and the cost
        # of a selected record apart
        for name, codes, first, tasks, workers, limit in (
            ("full", languages, False, args.files, args.workers, None),
            ("thai-full", [THAI], False, 1, 1, None),
            ("thai-index", [THAI], True, 1, 1, None),
            ("thai-index-1", [THAI], True, 1, 1, 1),
        ):
            source = {"input": str(bucket / INDEX)} if first else {"input": server.url + built["listing"]}
            config = RunConfig(
                **source, input_prefix=server.url, output=str(work / name), languages=codes, tasks=tasks,
                workers=workers, limit=limit, fetch=UNPACED,
            )  # fmt: skip
            runs[name] = _run(config, server)
    thai_full, first = runs["thai-full"], runs["thai-index"]
    kept_full = _kept(work / "full")
    selected = {}
    for policy in POLICIES:
        config = RunConfig(
            input=str(bucket / INDEX), output=str(work / f"select-{policy}"), languages=languages,
            index=IndexConfig(policy=policy),
        )  # fmt: skip
        select(config)
        selected[policy] = _selected_urls(work / f"select-{policy}", url_of)

    print("\nrecall: the share of the full scan's kept documents (before dedup) that the index selects")
    print(
        f"{'language':<10} {'kept (full)':>11} "
        + " ".join(f"{p:>16}" for p in POLICIES)
        + "   missed (default policy): why"
    )
    recall_min = 1.0
    for code in languages:
        urls = [url for url, (_, language) in kept_full.items() if language == code]
        if not urls:
            print(f"{code:<10} {0:>11}   (no page of this language kept by the full scan)")
            continue
        shares = {p: sum(u in selected[p] for u in urls) / len(urls) for p in POLICIES}
        figures["recall"][code] = {"kept": len(urls), **shares}
        recall_min = min(recall_min, shares["primary"])
        why = Counter(f"cld2={by_url[u]['content_languages']}" for u in urls if u not in selected["primary"])
        print(
            f"{code:<10} {len(urls):>11} " + " ".join(f"{shares[p]:>16.3f}" for p in POLICIES)
            + "   " + ", ".join(f"{reason} x{n}" for reason, n in why.most_common(4))
        )  # fmt: skip
    extra = Counter(by_url[u]["content_languages"] for u in selected["primary"] if u not in kept_full)
    print(
        f"selected but not kept by the full scan: {sum(extra.values())} of {len(selected['primary'])} "
        f"(CLD2 said: {', '.join(f'{k} x{n}' for k, n in extra.most_common(5))})"
    )
    thai_selected = _selected_urls(work / "thai-index", url_of)
    same = {u: v for u, v in _kept(work / "thai-full").items() if u in thai_selected} == _kept(work / "thai-index")
    print(f"Thai: index-first kept exactly the full scan's documents among the selected: {same}")

    print("\nThai both ways (same files, same HTTP server, one task, one worker):")
    print(f"{'':<12} {'records read':>12} {'requests':>9} {'bytes':>12} {'wall s':>7}")
    for name, run in (("full scan", thai_full), ("index-first", first)):
        print(f"{name:<12} {run['read']:>12} {run['requests']:>9} {run['bytes']:>12,} {run['seconds']:>7.1f}")
    ledger = first["accounting"]["index"]
    print(
        f"index-first ledger: {ledger['captures']} captures, selected {ledger['selected']}, fetched "
        f"{ledger['fetched']} in {ledger['requests']} range requests + {ledger['whole_files']} whole files"
    )
    # per-record wall time on one core past start-up (what bench/cost.py multiplies a snapshot by): from the two
    # index-first runs, the cost of a selected record (mostly a target page, extracted) and the start-up; the full
    # scan's record (mostly skipped by the pre-LID) is its run less that start-up
    small = runs["thai-index-1"]
    per_selected = (first["seconds"] - small["seconds"]) / (first["read"] - small["read"])
    startup = small["seconds"] - small["read"] * per_selected
    full_scan = (thai_full["seconds"] - startup) / thai_full["read"]
    others = thai_full["read"] - first["read"]
    figures["seconds_per_record"] = {
        "selected": per_selected,
        "full_scan": full_scan,
        # a record a Thai full scan does not keep for Thai: the rest of its time over the rest of its records
        "not_selected": (full_scan * thai_full["read"] - per_selected * first["read"]) / others,
        "startup": startup,
    }
    print(
        "one core, past start-up: "
        + ", ".join(f"{name} {value * 1000:.1f} ms" for name, value in figures["seconds_per_record"].items())
    )
    figures.update({name: {k: v for k, v in run.items() if k != "accounting"} for name, run in runs.items()})
    steps = step_seconds(work / "thai-index", first["read"])
    print(
        "where a selected record's time goes (the index-first run's own step timings, ms a record): "
        + ", ".join(f"{name} {seconds * 1000:.1f}" for name, seconds in steps.items())
        + f"; the rest (reading the range, parsing the record, the steps' bookkeeping) "
        f"{(per_selected - sum(steps.values())) * 1000:.1f}"
    )
    floor = recipe_floor(bucket, work / "thai-index")
    figures["seconds_recipe_floor"] = floor_s = sum(floor.values())
    print(
        "the recipe's own work on a selected Thai page (it pays the same whatever reads the page): "
        + ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in floor.items())
        + f"; {floor_s * 1000:.1f} ms in all, "
        f"{floor_s / figures['seconds_per_record']['not_selected']:.1f} records a full scan skips"
    )

    largest = max(built["warcs"], key=lambda w: (bucket / w).stat().st_size)
    print(f"\nwhole-file threshold on {largest.rsplit('/', 1)[1]} ({(bucket / largest).stat().st_size:,} bytes):")
    # this machine's loopback as it is, then S3-like links: ~20-50 ms to the first byte, 50-100 MB/s per connection
    figures["threshold"] = threshold(bucket, largest, [(0.0, 0.0), (0.02, 50e6), (0.05, 100e6)])
    for row in figures["threshold"]:
        points = ", ".join(f"{share:.0%}: {seconds:.3f} s" for share, seconds in row["points"])
        link = f"{row['latency_ms']:.0f} ms, " + (f"{row['mb_per_s']:.0f} MB/s" if row["mb_per_s"] else "loopback")
        print(
            f"  {link:<16}: whole file {row['whole_file_s']:.3f} s; ranges {points}; "
            f"break-even at {row['break_even']:.0%} of the bytes"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    if args.record:
        record_rates(
            {"seconds_per_selected_record": figures["seconds_per_record"]["selected"],
             "seconds_per_other_record": figures["seconds_per_record"]["not_selected"],
             "seconds_recipe_floor": figures["seconds_recipe_floor"],
             "whole_file_break_even": {f"{r['latency_ms']:.0f} ms, {r['mb_per_s']:.0f} MB/s": r["break_even"]
                                       for r in figures["threshold"]}}
        )  # fmt: skip
    print(f"index_recall_min={recall_min:.3f}")


if __name__ == "__main__":
    main()
