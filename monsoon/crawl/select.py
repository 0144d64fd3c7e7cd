"""Select the captures a run can use from Common Crawl's columnar index, and plan their reading.

The index (cc-index/table/cc-main/warc/crawl=CC-MAIN-YYYY-WW/subset=warc/*.parquet, schema in commoncrawl/cc-index-table
`src/main/resources/schema/cc-index-schema-flat.json`) has one row per capture. A capture is selected when
`fetch_status` is 200, `content_mime_detected` (the WARC-Identified-Payload-Type) is HTML, and `content_languages`
(CLD2's up to three ISO 639-3 codes, primary first, since CC-MAIN-2018-39) names one of the run's languages under the
policy (`primary` or `any`), its host passing the allow/deny lists. Only those columns are read, in record batches, so
memory is bounded by a batch and one sort bucket, not the index.

The selection is written under OUTPUT/_selection/:

    part-NNNNN.parquet   the selected captures, one sort bucket of WARC files per part, sorted by (file, offset):
                         warc_filename, warc_record_offset, warc_record_length, content_languages, language
    warc.paths           the WARC files holding a selected capture, sorted: the files ranks / Spark tasks take
    selection.json       the settings it was made with (reused by a run with the same ones) and the plan
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from fsspec.core import url_to_fs

from monsoon.config import RunConfig
from monsoon.crawl.ranges import coalesce
from monsoon.languages import get_language
from monsoon.pipelines.inputs import read_listing
from monsoon.stages.warc_reader import HTML_TYPES
from monsoon.storage import glob, join

HTML_MIMES = tuple(sorted(HTML_TYPES))  # the types the reader takes as HTML
FILE, OFFSET, LENGTH = "warc_filename", "warc_record_offset", "warc_record_length"
# the columns a selection reads (the URL, the index's largest column, is not one: the record carries it); the host
# columns only for host lists
SCANNED = ["fetch_status", "content_mime_detected", "content_languages", FILE, OFFSET, LENGTH]
HOSTS = ["url_host_name", "url_host_registered_domain"]
SELECTED = [FILE, OFFSET, LENGTH, "content_languages", "language"]
SELECTION_DIR = "_selection"
PART_ROW_GROUP = 16_384
_INDEX_ROOT = re.compile(r"^(.*?/)(?:cc-index|crawl-data)/")
# one core's seconds per record past start-up, for the plan's core-hours (bench/index_recall.py, recorded in
# bench/data/index_first.json): a selected record is mostly a page of the run's languages, extracted and filtered; a
# full scan also reads and pre-LID-skips every other page
SELECTED_RECORD_S = 0.0377
OTHER_RECORD_S = 0.0039
INDEX_LISTING = "cc-index-table.paths"  # Common Crawl's list of a crawl's index files, crawl-data/CC-MAIN-*/


def is_index(path: str) -> bool:
    """A columnar index is recognised by its path: under `cc-index/`, a `.parquet` file or glob, or Common Crawl's
    listing of the index files (`cc-index-table.paths[.gz]`)."""
    name = path.rsplit("/", 1)[-1]
    return "cc-index/" in path or path.rstrip("*/").endswith(".parquet") or name.startswith(INDEX_LISTING)


def _bucket_root(path: str) -> str | None:
    """The bucket (or folder) Common Crawl's relative paths start from: the part of `path` before cc-index/ or
    crawl-data/."""
    found = _INDEX_ROOT.match(path)
    return found.group(1) if found else None


def index_files(path: str, prefix: str | None = None) -> list[str]:
    """The index's parquet files: a crawl's folder (every *.parquet below it), a glob, one file, or the listing
    cc-index-table.paths[.gz] (its lines relative to `prefix`, default: the bucket the listing is in)."""
    if path.rsplit("/", 1)[-1].startswith(INDEX_LISTING):
        root = prefix or _bucket_root(path)
        if root is None:
            raise ValueError(f"input_prefix is needed to find the files {path} lists")
        return [join(root, line) for line in read_listing(path)]
    if path.endswith(".parquet") or any(c in path for c in "*?["):
        found = glob(path)
    else:
        found = glob(join(path.rstrip("/"), "**", "*.parquet"))
    if not found:
        raise FileNotFoundError(f"no index parquet files match {path}")
    return found


def warc_prefix(config: RunConfig) -> str:
    """Where the index's `warc_filename`s (relative to the bucket) are: `input_prefix`, else the index path's part
    before `cc-index/` or `crawl-data/` (s3://commoncrawl/ for the index on s3://commoncrawl/cc-index/...)."""
    root = config.input_prefix or _bucket_root(config.input)
    if root is None:
        raise ValueError(f"input_prefix is needed: the WARC files of {config.input} cannot be found from its path")
    return root


@dataclass(frozen=True)
class Criteria:
    """What a capture needs to be selected: `codes` maps each Common Crawl language code taken to the run language
    it stands for (the run's own first, then the confusable ones)."""

    codes: dict[str, str]
    policy: str
    hosts_allow: tuple[str, ...] = ()
    hosts_deny: tuple[str, ...] = ()


def criteria(config: RunConfig) -> Criteria:
    codes: dict[str, str] = {}
    for code in config.languages:
        cc_code = get_language(code).cc_index_code
        if cc_code is None:
            raise ValueError(f"languages/{code}.yaml has no cc_index_code: it cannot be selected from the index")
        codes[cc_code] = code
    if config.index.confusable:
        for code in config.languages:
            for other in get_language(code).lid_confusable:
                codes.setdefault(get_language(other).cc_index_code, code)
    index = config.index
    return Criteria(codes, index.policy, tuple(index.hosts_allow), tuple(index.hosts_deny))


def _host_listed(batch: pa.RecordBatch, hosts: tuple[str, ...]) -> pa.Array:
    names = pa.array(hosts, pa.string())
    return pc.or_(
        pc.fill_null(pc.is_in(batch["url_host_name"], names), False),
        pc.fill_null(pc.is_in(batch["url_host_registered_domain"], names), False),
    )


def languages_of(content_languages: pa.Array, criteria: Criteria) -> pa.Array:
    """Per capture, the run language it is selected for (null: none): under `primary` CLD2's first code, under `any`
    the first of its codes the run takes."""
    # padded with empty codes, so each of the first three positions exists in every row
    padded = pc.binary_join_element_wise(pc.fill_null(content_languages, ""), ",,,", "")
    split = pc.split_pattern(padded, ",")
    codes = pa.array(list(criteria.codes), pa.string())
    chosen = pa.nulls(len(content_languages), pa.string())
    for position in reversed(range(1 if criteria.policy == "primary" else 3)):  # the earliest position wins
        code = pc.list_element(split, position)
        chosen = pc.if_else(pc.is_in(code, codes), code, chosen)
    run_codes = pa.array(list(criteria.codes.values()), pa.string())
    return pc.take(run_codes, pc.index_in(chosen, codes))


def selection_mask(batch: pa.RecordBatch, criteria: Criteria) -> tuple[pa.Array, pa.Array]:
    """(selected?, run language) for each capture of a batch."""
    language = languages_of(batch["content_languages"], criteria)
    mask = pc.and_(
        pc.fill_null(pc.equal(batch["fetch_status"], 200), False),
        pc.fill_null(pc.is_in(batch["content_mime_detected"], pa.array(HTML_MIMES)), False),
    )
    mask = pc.and_(mask, pc.is_valid(language))
    if criteria.hosts_allow:
        mask = pc.and_(mask, _host_listed(batch, criteria.hosts_allow))
    if criteria.hosts_deny:
        mask = pc.and_(mask, pc.invert(_host_listed(batch, criteria.hosts_deny)))
    return mask, language


def settings(config: RunConfig, files: list[str]) -> dict:
    """What the selection depends on: a run reuses a selection made with the same."""
    index = dataclasses.asdict(config.index)
    return {
        "index files": files,
        "languages": list(config.languages),
        # sort_buckets: the reader finds a file's records in the part of its bucket
        **{key: index[key] for key in ("policy", "confusable", "hosts_allow", "hosts_deny", "sort_buckets")},
    }


def _bucket_of(files: pa.Array, buckets: int) -> pa.Array:
    unique = pc.unique(files)
    numbers = pa.array([zlib.crc32(name.encode()) % buckets for name in unique.to_pylist()], pa.int32())
    return pc.take(numbers, pc.index_in(files, unique))


def _start(config: RunConfig) -> tuple[list[str], dict, dict | None, object, str]:
    """(index files, settings, the earlier plan if made with the same settings, fs, selection folder); a selection
    made with other settings is removed."""
    files = index_files(config.input, config.input_prefix)
    wanted = settings(config, files)
    earlier = read_plan(config.output)
    fs, root = url_to_fs(join(config.output.rstrip("/"), SELECTION_DIR))
    if earlier is not None and earlier.get("settings") == wanted:
        return files, wanted, earlier, fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)
    fs.makedirs(join(root, "spill"), exist_ok=True)
    return files, wanted, None, fs, root


def select(config: RunConfig, batch_rows: int = 262_144) -> dict:
    """Select from the index named by `config.input` into OUTPUT/_selection/ (see the module docstring); returns
    the plan (also in selection.json). An existing selection made with the same settings is reused."""
    files, wanted, earlier, fs, root = _start(config)
    if earlier is not None:
        return earlier
    started = time.perf_counter()
    rule = criteria(config)
    buckets = config.index.sort_buckets
    index_fs, _ = url_to_fs(files[0])
    dataset = ds.dataset([url_to_fs(f)[1] for f in files], format="parquet", filesystem=index_fs)
    columns = SCANNED + (HOSTS if rule.hosts_allow or rule.hosts_deny else [])
    captures = index_bytes = 0
    writers: dict[int, pq.ParquetWriter] = {}
    schema = None
    try:
        # one batch and one file ahead: memory stays a few batches whatever the index's size
        batches = dataset.to_batches(columns=columns, batch_size=batch_rows, batch_readahead=1, fragment_readahead=1)
        for batch in batches:
            captures += batch.num_rows
            index_bytes += pc.sum(batch[LENGTH]).as_py() or 0
            mask, language = selection_mask(batch, rule)
            if not pc.any(mask).as_py():
                continue
            chosen = pa.Table.from_batches([batch]).append_column("language", language).filter(mask)
            chosen = chosen.select(SELECTED)
            schema = schema or chosen.schema
            numbers = _bucket_of(chosen[FILE].combine_chunks(), buckets)
            for number in pc.unique(numbers).to_pylist():
                if number not in writers:
                    spill = join(root, "spill", f"{number:05d}.parquet")
                    writers[number] = pq.ParquetWriter(spill, schema, filesystem=fs)
                writers[number].write_table(chosen.filter(pc.equal(numbers, number)).cast(schema))
    finally:
        for writer in writers.values():
            writer.close()
    return _finish(config, wanted, fs, root, captures, index_bytes, started)


def _finish(config: RunConfig, wanted: dict, fs, root: str, captures: int, index_bytes: int, started: float) -> dict:
    """Sort the spilled buckets into parts, count the plan, write selection.json."""
    spilled = sorted(int(path.rsplit("/", 1)[1].split(".")[0]) for path in fs.glob(join(root, "spill", "*.parquet")))
    plan = _sort_and_plan(config, fs, root, spilled)
    fs.rm(join(root, "spill"), recursive=True)
    plan.update(captures=captures, index_bytes=index_bytes, seconds=round(time.perf_counter() - started, 2))
    plan = {"settings": wanted, **plan, **estimate(plan, config)}
    with fs.open(join(root, "selection.json"), "w") as file:
        file.write(json.dumps(plan, indent=1) + "\n")
    return plan


def select_with_spark(config: RunConfig, master: str | None = None) -> dict:
    """`select` with the scan in Spark SQL (select_spark): each sort bucket of WARC files is one Spark partition,
    written as one spill file, then sorted and planned as the local selection is."""
    from pyspark.sql import functions as F

    from monsoon.spark_session import spark_session

    files, wanted, earlier, fs, root = _start(config)
    if earlier is not None:
        return earlier
    started = time.perf_counter()
    spark = spark_session("monsoon select", master)
    totals = spark.read.parquet(*[_hadoop(f) for f in files]).agg(F.count("*"), F.sum(LENGTH)).first()
    buckets = config.index.sort_buckets
    spill = join(config.output.rstrip("/"), SELECTION_DIR, "spark")
    selected = select_spark(spark, files, criteria(config))
    # Spark's crc32 is zlib's: the same bucket for a WARC file as the local selection and the reader compute
    selected = selected.withColumn("bucket", F.pmod(F.crc32(F.col(FILE)), F.lit(buckets)))
    selected.repartition("bucket").write.partitionBy("bucket").parquet(_hadoop(spill))
    for path in fs.glob(join(root, "spark", "bucket=*", "*.parquet")):
        number = int(path.rsplit("bucket=", 1)[1].split("/")[0])
        fs.mv(path, join(root, "spill", f"{number:05d}.parquet"))
    fs.rm(join(root, "spark"), recursive=True)
    return _finish(config, wanted, fs, root, totals[0], totals[1] or 0, started)


def _sort_and_plan(config: RunConfig, fs, root: str, buckets: list[int]) -> dict:
    """Sort each spilled bucket by (file, offset) into its part, and count what reading it takes."""
    per_language: dict[str, Counter] = defaultdict(Counter)
    requests = fetched = 0
    paths: list[str] = []
    index = config.index
    for number in buckets:
        table = pq.read_table(join(root, "spill", f"{number:05d}.parquet"), filesystem=fs)
        table = table.sort_by([(FILE, "ascending"), (OFFSET, "ascending")])
        # small row groups: sorted by file, their statistics let the reader load only its file's rows of a part
        pq.write_table(table, join(root, f"part-{number:05d}.parquet"), filesystem=fs, row_group_size=PART_ROW_GROUP)
        for row in table.group_by("language").aggregate([(LENGTH, "sum"), (LENGTH, "count")]).to_pylist():
            per_language[row["language"]].update(captures=row[f"{LENGTH}_count"], bytes=row[f"{LENGTH}_sum"])
        names = table[FILE].to_pylist()
        offsets, lengths = table[OFFSET].to_pylist(), table[LENGTH].to_pylist()
        start = 0
        for end in range(1, len(names) + 1):
            if end == len(names) or names[end] != names[start]:
                ranges = coalesce(
                    list(zip(offsets[start:end], lengths[start:end], strict=True)), index.gap, index.max_request
                )
                requests += len(ranges)
                fetched += sum(length for _, length in ranges)
                paths.append(names[start])
                start = end
    paths.sort()
    with fs.open(join(root, "warc.paths"), "w") as file:
        file.write("".join(f"{path}\n" for path in paths))
    languages = {code: dict(per_language[code]) for code in sorted(per_language)}
    return {
        "selected": sum(c["captures"] for c in languages.values()),
        "selected_bytes": sum(c["bytes"] for c in languages.values()),
        "languages": languages,
        "warc_files": len(paths),
        "requests": requests,
        "fetched_bytes": fetched,
    }


def estimate(plan: dict, config: RunConfig) -> dict:
    """Core-hours and wall time of reading the selection and of reading the whole crawl (every capture the index
    has), at the per-record rates above, on `index.executors` x `index.cores_per_executor` cores."""
    cores = config.index.executors * config.index.cores_per_executor
    selected_h = plan["selected"] * SELECTED_RECORD_S / 3600
    scan_h = selected_h + (plan["captures"] - plan["selected"]) * OTHER_RECORD_S / 3600
    return {
        "core_hours": selected_h,
        "full_scan_core_hours": scan_h,
        # a WARC file is one task: no more cores busy than files
        "wall_hours": selected_h / min(cores, max(plan["warc_files"], 1)),
        "full_scan_wall_hours": scan_h / cores,
    }


def read_plan(output: str) -> dict | None:
    """The plan of the selection under OUTPUT, if one was made."""
    fs, path = url_to_fs(join(output.rstrip("/"), SELECTION_DIR, "selection.json"))
    if not fs.exists(path):
        return None
    with fs.open(path) as file:
        return json.load(file)


def selected_files(output: str) -> list[str]:
    """The WARC files of the selection under OUTPUT (relative to the bucket), sorted."""
    fs, path = url_to_fs(join(output.rstrip("/"), SELECTION_DIR, "warc.paths"))
    return fs.read_text(path).split()


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{n:,.0f} B"
        n /= 1024
    raise AssertionError


def format_plan(plan: dict, config: RunConfig) -> str:
    """The plan as printed by `monsoon select` and `monsoon run`."""
    total, share = plan["index_bytes"], (lambda x, y: x / y if y else 0.0)
    lines = [
        f"index: {plan['captures']:,} captures, {_size(total)} of WARC records "
        f"({len(plan['settings']['index files'])} parquet files, scanned in {plan['seconds']:.1f} s)",
        f"selected ({plan['settings']['policy']}, languages {', '.join(plan['settings']['languages'])}):",
        f"  {'language':<10} {'captures':>12} {'bytes':>12} {'share of bytes':>15}",
    ]
    for code, counts in plan["languages"].items():
        lines.append(
            f"  {code:<10} {counts['captures']:>12,} {_size(counts['bytes']):>12} "
            f"{share(counts['bytes'], total):>15.4%}"
        )
    lines += [
        f"  {'total':<10} {plan['selected']:>12,} {_size(plan['selected_bytes']):>12} "
        f"{share(plan['selected_bytes'], total):>15.4%}",
        f"reading: {plan['warc_files']:,} WARC files, {plan['requests']:,} range requests after coalescing "
        f"(gap {config.index.gap:,} B, max {_size(config.index.max_request)}), {_size(plan['fetched_bytes'])} "
        f"fetched = {share(plan['fetched_bytes'], total):.4%} of the crawl's bytes",
        f"estimate on {config.index.executors} executors x {config.index.cores_per_executor} cores: "
        f"{plan['core_hours']:,.3g} core-hours, {_wall(plan['wall_hours'])} wall; the whole crawl: "
        f"{plan['full_scan_core_hours']:,.3g} core-hours, {_wall(plan['full_scan_wall_hours'])} wall "
        f"(core-hours share {share(plan['core_hours'], plan['full_scan_core_hours']):.2%})",
    ]
    return "\n".join(lines)


def _wall(hours: float) -> str:
    return f"{hours:,.1f} h" if hours >= 1 else f"{math.ceil(hours * 3600):,} s"


def select_spark(spark, files: list[str], rule: Criteria):
    """The same selection in Spark SQL: a DataFrame of SELECTED's columns (unsorted)."""
    spark.read.parquet(*[_hadoop(f) for f in files]).createOrReplaceTempView("cc_index")
    codes = ", ".join(f"'{code}'" for code in rule.codes)
    positions = 1 if rule.policy == "primary" else 3
    parts = "split(coalesce(content_languages, ''), ',')"
    # try_element_at: 1-based, null past the end whatever spark.sql.ansi.enabled says
    first = (
        "CASE "
        + " ".join(
            f"WHEN try_element_at({parts}, {i + 1}) IN ({codes}) THEN try_element_at({parts}, {i + 1})"
            for i in range(positions)
        )
        + " END"
    )
    mapping = "CASE cc_code " + " ".join(f"WHEN '{c}' THEN '{r}'" for c, r in rule.codes.items()) + " END"
    hosts = ""
    if rule.hosts_allow:
        listed = ", ".join(f"'{h}'" for h in rule.hosts_allow)
        hosts += f" AND (url_host_name IN ({listed}) OR url_host_registered_domain IN ({listed}))"
    if rule.hosts_deny:
        listed = ", ".join(f"'{h}'" for h in rule.hosts_deny)
        hosts += f" AND NOT coalesce(url_host_name IN ({listed}) OR url_host_registered_domain IN ({listed}), false)"
    mimes = ", ".join(f"'{m}'" for m in HTML_MIMES)
    return spark.sql(
        f"""SELECT {FILE}, {OFFSET}, {LENGTH}, content_languages, {mapping} AS language
        FROM (SELECT *, {first} AS cc_code FROM cc_index
              WHERE fetch_status = 200 AND content_mime_detected IN ({mimes}){hosts})
        WHERE cc_code IS NOT NULL"""
    )


def _hadoop(path: str) -> str:
    """A path as Spark's Hadoop file systems name it (s3:// is s3a:// there)."""
    return "s3a://" + path.removeprefix("s3://") if path.startswith("s3://") else path


def index_ledger(config: RunConfig, accounting: dict, logs) -> dict:
    """The accounting of an index-first run, starting at the index: captures in it, selected (per run language,
    under the policy), fetched (the records read, read = kept + dropped + errored) and what fetching them took
    (requests, bytes, whole files streamed), from the range reader's stats in the per-rank stats files."""
    if not is_index(config.input):
        return accounting
    plan = read_plan(config.output)
    fetching: Counter = Counter()
    for path in logs.list_files(glob_pattern="*/stats/*.json"):
        for step in json.loads(logs.read_text(path)):
            for key in ("range_requests", "range_bytes", "whole_files"):
                value = step.get("stats", {}).get(key)
                fetching[key] += int(value["total"] if isinstance(value, dict) else value or 0)
    accounting["index"] = {
        "captures": plan["captures"],
        "policy": plan["settings"]["policy"],
        "selected": {code: counts["captures"] for code, counts in plan["languages"].items()},
        "fetched": accounting["total"]["read"],
        "requests": fetching["range_requests"],
        "bytes": fetching["range_bytes"],
        "whole_files": fetching["whole_files"],
    }
    return accounting
