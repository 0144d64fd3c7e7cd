"""`monsoon run` with its input and its output on S3 (the moto server of tests/s3.py), as the README shows it:
the same corpus and accounting as a local run of the same files, and a run SIGKILLed midway resumes to it."""

from __future__ import annotations

import json
import subprocess
import sys

import fsspec
import pyarrow.parquet as pq
import pytest
from conftest import REPO
from s3 import kill_after_first_task
from test_storage import CRAWL, SAMPLE_WARCS, _warc_paths

from monsoon import storage

CONFIG = REPO / "configs" / "sample.yaml"
LISTING_KEY = "crawl-data/CC-MAIN-2024-22/warc.paths.gz"


def _monsoon_run(*argv: str) -> list[str]:
    return [sys.executable, "-m", "monsoon.cli", "run", str(CONFIG), *argv, "--tasks", "2", "--workers", "1"]


def _rows(output: str) -> list[tuple]:
    return sorted(
        (row["language"], row["id"], row["token_count"])
        for path in storage.glob(storage.join(output, "*", "*.parquet"))
        for row in storage.read_parquet(path, columns=["language", "id", "token_count"]).to_pylist()
    )


@pytest.fixture(scope="module")
def crawl(s3_endpoint, tmp_path_factory) -> dict:
    """Common Crawl's layout on the test server: the sample WARCs under crawl-data/.../warc/ and a gzip'd
    warc.paths naming them, in a bucket; and a local run of the first two files, the reference."""
    import uuid

    root = tmp_path_factory.mktemp("crawl")
    bucket = f"crawl-{uuid.uuid4().hex[:12]}"
    fs = fsspec.filesystem("s3")
    fs.mkdir(bucket)
    for path in SAMPLE_WARCS:
        fs.put_file(str(path), f"{bucket}/{CRAWL}/{path.name}")
    listing = _warc_paths(root / "warc.paths.gz", [f"{CRAWL}/{path.name}" for path in SAMPLE_WARCS])
    fs.put_file(str(listing), f"{bucket}/{LISTING_KEY}")
    local_listing = _warc_paths(root / "local.paths", [path.name for path in SAMPLE_WARCS])
    reference = root / "reference"
    subprocess.run(
        _monsoon_run(
            "--input", str(local_listing), "--input-prefix", str(SAMPLE_WARCS[0].parent), "--limit", "2",
            "--output", str(reference),
        ),
        check=True, capture_output=True, timeout=300, cwd=root,
    )  # fmt: skip
    return {"bucket": bucket, "root": root, "reference": reference}


def _readme_command(crawl: dict, output: str) -> list[str]:
    """The README's remote example, with the test server's bucket for Common Crawl's and the user's."""
    bucket = crawl["bucket"]
    return _monsoon_run(
        "--input", f"s3://{bucket}/{LISTING_KEY}", "--input-prefix", f"s3://{bucket}/", "--limit", "2",
        "--output", output,
    )  # fmt: skip


def _finish(crawl: dict, output: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        _readme_command(crawl, output), capture_output=True, text=True, timeout=300, cwd=crawl["root"]
    )


def test_a_run_from_s3_to_s3_writes_the_local_runs_corpus_and_accounting(crawl):
    output = f"s3://{crawl['bucket']}/corpus"
    done = _finish(crawl, output)
    assert done.returncode == 0, done.stderr[-2000:]
    accounting = json.loads(storage.read_text(f"{output}/accounting.json"))
    fetched = accounting.pop("fetch")  # the S3 reads' counters (monsoon/fetch.py); a local run has none
    assert accounting == json.loads((crawl["reference"] / "accounting.json").read_text())
    assert accounting["total"]["read"] == 112
    assert fetched["failed_inputs"] == 0 and fetched["requests"] >= 4  # each file: its size, then its block
    assert _rows(output) == _rows(str(crawl["reference"]))
    assert not (crawl["root"] / "s3:").exists()  # nothing went to a local folder named after the URI
    metadata = storage.parquet_file(storage.glob(f"{output}/tha_Thai/*.parquet")[0]).schema_arrow.metadata
    assert metadata == pq.read_schema(next((crawl["reference"] / "tha_Thai").glob("*.parquet"))).metadata


def test_a_run_with_its_output_on_s3_sigkilled_midway_resumes_to_the_same_output(crawl):
    output = f"s3://{crawl['bucket']}/resumed"
    victim = subprocess.Popen(
        _readme_command(crawl, output), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=crawl["root"]
    )
    kill_after_first_task(victim, f"{crawl['bucket']}/resumed/_work/logs/1_extract/completions")
    done = _finish(crawl, output)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _rows(output) == _rows(str(crawl["reference"]))
    accounting = json.loads(storage.read_text(f"{output}/accounting.json"))
    accounting.pop("fetch")
    assert accounting == json.loads((crawl["reference"] / "accounting.json").read_text())
