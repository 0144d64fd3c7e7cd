"""Index-first input (monsoon/crawl/): a mini Common Crawl bucket built from the bundled sample's real pages (WARC
files under crawl-data/.../warc/ and a columnar index whose content_languages CLD2 computed as Common Crawl does,
bench/minicrawl.py), selected with `monsoon select` and read as byte ranges from a local HTTP server with Range
support and from the S3 server: the same documents as a full scan of the same files, among the selected records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO
from fault_server import FaultServer
from s3 import kill_after_first_task

from monsoon import storage
from monsoon.cli import main
from monsoon.config import IndexConfig, load_run_config
from monsoon.crawl.ranges import coalesce
from monsoon.crawl.select import Criteria, languages_of
from monsoon.pipelines.local import run_local

sys.path.insert(0, str(REPO / "bench"))
from minicrawl import range_server  # noqa: E402

pytest.importorskip("pycld2")
LANGUAGES = ["tha_Thai", "zsm_Latn"]
# retries through tests/fault_server.py: tiny backoff (the default 20 tries), no request budget; a reset can reach
# the client as a socket gone silent, so a short read timeout keeps that retry short
QUICK_FETCH = {"backoff_base": 0.001, "backoff_cap": 0.01, "requests_per_second": 0, "read_timeout": 2}
INDEX = "cc-index/table/cc-main/warc/crawl=CC-MAIN-2099-01/subset=warc/"


def _config(folder: Path, **settings) -> Path:
    body = {"output": "out", "languages": LANGUAGES, "tasks": 1, "workers": 1, **settings}
    path = folder / "crawl.yaml"
    path.write_text(json.dumps(body))  # JSON is YAML
    return path


def _kept(output: str) -> dict[str, tuple[str, str]]:
    """id -> (url, text) of the corpus's documents."""
    return {
        row["id"]: (row["url"], row["text"])
        for path in storage.glob(storage.join(output, "???_????", "*.parquet"))
        for row in storage.read_parquet(path, columns=["id", "url", "text"]).to_pylist()
    }


def _selection(output: str) -> list[dict]:
    parts = storage.glob(storage.join(output, "_selection", "part-*.parquet"))
    return [row for part in parts for row in storage.read_parquet(part).to_pylist()]


def _selected_urls(crawl: dict, output: str) -> set[str]:
    """The URLs of the selected captures (the selection names them by WARC file and offset, as the index)."""
    index = pq.read_table(crawl["bucket"] / crawl["index"]).to_pylist()
    url = {(row["warc_filename"], row["warc_record_offset"]): row["url"] for row in index}
    return {url[row["warc_filename"], row["warc_record_offset"]] for row in _selection(output)}


@pytest.fixture(scope="module")
def crawl(mini_crawl, tmp_path_factory) -> dict:
    """The mini bucket (conftest), and a full scan of its WARC files (the reference)."""
    root = tmp_path_factory.mktemp("crawl")
    bucket = mini_crawl["bucket"]
    config = _config(root, input=str(bucket / mini_crawl["listing"]), input_prefix=str(bucket))
    done = subprocess.run(
        [sys.executable, "-m", "monsoon.cli", "run", str(config), "--output", str(root / "full")],
        capture_output=True, text=True, timeout=300, cwd=root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return {"root": root, "full": str(root / "full"), **mini_crawl}


def test_coalescing_joins_neighbours_closer_than_the_gap_up_to_the_maximum():
    records = [(0, 10), (12, 10), (100, 10), (110, 50), (300, 500)]
    assert coalesce(records, gap=5, max_request=1000) == [(0, 22), (100, 60), (300, 500)]
    assert coalesce(records, gap=0, max_request=1000) == [(0, 10), (12, 10), (100, 10), (110, 50), (300, 500)]
    assert coalesce(records, gap=1000, max_request=150) == [(0, 110), (110, 50), (300, 500)]


def test_the_policy_takes_the_primary_language_or_any_of_the_three():
    found = pa.array(["tha", "eng,tha", "msa,eng", "ind", None, "eng,jpn,tha", "und,tha"])
    codes = {"tha": "tha_Thai", "msa": "zsm_Latn", "ind": "zsm_Latn"}
    assert languages_of(found, Criteria(codes, "primary")).to_pylist() == [
        "tha_Thai", None, "zsm_Latn", "zsm_Latn", None, None, None,
    ]  # fmt: skip
    assert languages_of(found, Criteria(codes, "any")).to_pylist() == [
        "tha_Thai", "tha_Thai", "zsm_Latn", "zsm_Latn", None, "tha_Thai", "tha_Thai",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="policy"):
        IndexConfig(policy="some")


def test_select_writes_the_captures_of_the_runs_languages_grouped_by_warc_file_and_prints_the_plan(crawl, capsys):
    config = _config(crawl["root"], input=str(crawl["bucket"] / INDEX), index={"hosts_deny": ["deny.invalid"]})
    assert main(["select", str(config)]) == 0
    printed = capsys.readouterr().out
    assert "requests after coalescing" in printed and "core-hours" in printed and "zsm_Latn" in printed
    index = pq.read_table(crawl["bucket"] / crawl["index"]).to_pylist()
    expected = {
        (row["warc_filename"], row["warc_record_offset"])
        for row in index
        if row["fetch_status"] == 200
        and (row["content_languages"] or "").split(",")[0] in ("tha", "msa", "ind")  # Malay with Indonesian
    }
    selection = crawl["root"] / "out" / "_selection"
    parts = sorted(selection.glob("part-*.parquet"))
    rows = [row for part in parts for row in pq.read_table(part).to_pylist()]
    assert {(row["warc_filename"], row["warc_record_offset"]) for row in rows} == expected
    for part in parts:  # each part sorted by (file, offset): a file's records in reading order
        keys = [(r["warc_filename"], r["warc_record_offset"]) for r in pq.read_table(part).to_pylist()]
        assert keys == sorted(keys)
    plan = json.loads((selection / "selection.json").read_text())
    assert plan["selected"] == len(expected) and plan["captures"] == len(index)
    assert (selection / "warc.paths").read_text().split() == sorted({f for f, _ in expected})


def test_the_index_listed_by_cc_index_table_paths_and_host_lists(crawl):
    listed = _config(crawl["root"], input=str(crawl["bucket"] / crawl["index_listing"]), output="listed")
    assert main(["select", str(listed)]) == 0
    folder = _config(crawl["root"], input=str(crawl["bucket"] / INDEX), output="folder")
    assert main(["select", str(folder)]) == 0
    assert _selection(str(crawl["root"] / "listed")) == _selection(str(crawl["root"] / "folder"))
    host = "www.tha_thai.co.th"  # the host of the sample's Thai pages
    index = pq.read_table(crawl["bucket"] / crawl["index"]).to_pylist()
    on_host = {(r["warc_filename"], r["warc_record_offset"]) for r in index if r["url_host_name"] == host}
    for hosts, expected in (({"hosts_allow": [host]}, on_host), ({"hosts_deny": [host]}, None)):
        config = _config(crawl["root"], input=str(crawl["bucket"] / INDEX), output="hosts", index=hosts)
        assert main(["select", str(config)]) == 0
        rows = {(r["warc_filename"], r["warc_record_offset"]) for r in _selection(str(crawl["root"] / "hosts"))}
        if expected is not None:
            assert rows == expected and rows
        else:
            assert rows and not rows & on_host


def test_an_index_first_run_over_http_ranges_keeps_the_full_scans_documents_among_the_selected(crawl):
    with range_server(crawl["bucket"]) as server:
        # every record its own request (no gap, never the whole file), so ranges are what is tested
        index = {"gap": 0, "whole_file_share": 1.0}
        config = load_run_config(
            _config(crawl["root"], input=str(crawl["bucket"] / INDEX), input_prefix=server.url, index=index),
            output=str(crawl["root"] / "ranges"),
        )
        accounting = run_local(config)
        ranged = [r for r in server.requests if r[0] == "GET" and r[2].startswith("bytes=")]
        assert accounting["index"]["requests"] == len(ranged) > 0
    selection = _selection(str(crawl["root"] / "ranges"))
    selected_urls = _selected_urls(crawl, str(crawl["root"] / "ranges"))
    assert accounting["index"]["fetched"] == accounting["total"]["read"] == len(selection)  # read = selected
    assert accounting["index"]["selected"] == {
        code: sum(row["language"] == code for row in selection) for code in LANGUAGES
    }
    full = {id_: value for id_, value in _kept(crawl["full"]).items() if value[0] in selected_urls}
    assert _kept(config.output) == full and len(full) > 20  # same ids, same text


def test_an_index_first_run_through_faults_keeps_the_full_scans_documents_among_the_selected(crawl):
    """The byte ranges through tests/fault_server.py drawing a fault for each request (seeded): 503s, resets and
    short bodies are retried and counted, and the corpus is the full scan's among the selected records."""
    with FaultServer(crawl["bucket"]) as server:
        server.set_rates(seed=3, slowdown=0.15, reset=0.05, short=0.05)
        config = load_run_config(
            _config(
                crawl["root"],
                input=str(crawl["bucket"] / INDEX),
                input_prefix=f"{server.url}/",
                index={"gap": 0, "whole_file_share": 1.0},  # a request per record: the most requests to fault
                fetch=QUICK_FETCH,
            ),
            output=str(crawl["root"] / "faulty"),
        )
        accounting = run_local(config)
    retries = accounting["fetch"]["retries"]
    assert {"slowdown", "short_body"} <= set(retries) and sum(retries.values()) >= 5, retries
    assert accounting["fetch"]["failed_inputs"] == 0
    assert accounting["index"]["fetched"] == accounting["total"]["read"] == len(_selection(config.output))
    selected_urls = _selected_urls(crawl, config.output)
    full = {id_: value for id_, value in _kept(crawl["full"]).items() if value[0] in selected_urls}
    assert _kept(config.output) == full and len(full) > 20


def test_an_index_first_run_on_s3_sigkilled_midway_resumes_to_the_full_scans_documents(crawl, s3_bucket):
    s3_bucket.upload(crawl["bucket"], "")
    output = f"{s3_bucket.url}/corpus"
    config = _config(crawl["root"], input=f"{s3_bucket.url}/{INDEX}")  # the WARCs beside it: s3://bucket/crawl-data/
    run = [sys.executable, "-m", "monsoon.cli", "run", str(config), "--output", output, "--tasks", "2"]
    victim = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=crawl["root"])
    kill_after_first_task(victim, f"{s3_bucket.name}/corpus/_work/logs/1_extract/completions")
    done = subprocess.run(run, capture_output=True, text=True, timeout=300, cwd=crawl["root"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "requests after coalescing" in done.stdout  # the plan
    selected = _selected_urls(crawl, output)
    full = {id_: value for id_, value in _kept(crawl["full"]).items() if value[0] in selected}
    assert _kept(output) == full
    accounting = json.loads(storage.read_text(f"{output}/accounting.json"))
    assert accounting["index"]["fetched"] == accounting["total"]["read"] == len(selected)
