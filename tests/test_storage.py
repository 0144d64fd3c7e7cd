"""Remote storage, for real: Common Crawl style path listings (warc.paths[.gz], --input-prefix, --limit), and a
run's output, the LID model and a tokenizer.json read from s3:// on the moto server of tests/s3.py."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO, run_cli, run_job

from monsoon.pipelines.inputs import input_folder

SAMPLE_WARCS = sorted((REPO / "sample" / "warc").glob("*.warc.gz"))
CRAWL = "crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc"  # Common Crawl's key layout


def _warc_paths(path: Path, lines: list[str]) -> Path:
    data = "".join(f"{line}\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def _warc_paths_of(output: Path) -> set[str]:
    return {
        value
        for path in output.glob("*/*.parquet")
        for value in pq.read_table(path, columns=["warc_path"])["warc_path"].to_pylist()
    }


# --- the input list, unit layer ---


def test_a_listing_is_read_in_order_joined_to_its_prefix_and_cut_at_the_limit(tmp_path):
    listing = _warc_paths(tmp_path / "warc.paths.gz", [f"{CRAWL}/b.warc.gz", "", f"{CRAWL}/a.warc.gz", "c.warc.gz"])
    folder = input_folder(str(listing), "s3://commoncrawl/", limit=2)
    assert folder.list_files() == [f"{CRAWL}/b.warc.gz", f"{CRAWL}/a.warc.gz"]
    assert folder.resolve_paths(folder.list_files()[0]) == f"s3://commoncrawl/{CRAWL}/b.warc.gz"
    https = input_folder(str(listing), "https://data.commoncrawl.org/")
    assert https.resolve_paths("c.warc.gz") == "https://data.commoncrawl.org/c.warc.gz"  # no doubled slash
    here = input_folder(str(_warc_paths(tmp_path / "local.paths", ["x.warc.gz"])))  # default: the listing's folder
    assert here.resolve_paths("x.warc.gz") == str(tmp_path / "x.warc.gz")


def test_a_folder_is_listed_sorted_and_the_limit_keeps_the_first_files():
    folder = input_folder(str(REPO / "sample" / "warc"), limit=3)
    assert folder.list_files() == [path.name for path in SAMPLE_WARCS[:3]]


def test_a_prefix_without_a_listing_and_a_limit_below_one_are_refused(tmp_path):
    with pytest.raises(ValueError, match="input_prefix applies to a listing"):
        input_folder(str(REPO / "sample" / "warc"), "s3://commoncrawl/")
    config = tmp_path / "run.yaml"
    config.write_text("input: warc.paths\noutput: out\nlimit: 0\n")
    from monsoon.config import ConfigError, load_run_config

    with pytest.raises(ConfigError, match="limit must be >= 1"):
        load_run_config(config)
    config.write_text("input: lists/warc.paths\ninput_prefix: warcs\noutput: out\nlimit: 2\n")
    loaded = load_run_config(config, limit=1)
    assert (loaded.input, loaded.input_prefix, loaded.limit) == (
        str(tmp_path / "lists" / "warc.paths"),
        str(tmp_path / "warcs"),
        1,
    )


def test_a_listing_on_s3_names_files_on_s3(s3_bucket, tmp_path):
    listing = _warc_paths(tmp_path / "warc.paths.gz", [f"{CRAWL}/{path.name}" for path in SAMPLE_WARCS])
    uri = s3_bucket.upload(listing, "crawl-data/CC-MAIN-2024-22/warc.paths.gz")
    s3_bucket.upload(SAMPLE_WARCS[1], f"{CRAWL}/{SAMPLE_WARCS[1].name}")
    folder = input_folder(uri, f"{s3_bucket.url}/", limit=2)
    assert folder.list_files() == [f"{CRAWL}/{SAMPLE_WARCS[0].name}", f"{CRAWL}/{SAMPLE_WARCS[1].name}"]
    with folder.open(folder.list_files()[1], "rb") as remote:
        assert remote.read() == SAMPLE_WARCS[1].read_bytes()


# --- monsoon run on a listing ---


def test_monsoon_run_reads_the_first_file_of_a_local_listing(tmp_path, capsys):
    listing = _warc_paths(tmp_path / "warc.paths", [SAMPLE_WARCS[1].name, SAMPLE_WARCS[0].name])
    output = tmp_path / "out"
    code, out, _ = run_cli(
        capsys,
        "run",
        str(REPO / "configs" / "sample.yaml"),
        "--input",
        str(listing),
        "--input-prefix",
        str(SAMPLE_WARCS[0].parent),
        "--limit",
        "1",
        "--output",
        str(output),
        "--tasks",
        "1",
        "--workers",
        "1",
    )
    assert code == 0, out
    accounting = json.loads((output / "accounting.json").read_text())
    assert (accounting["total"]["read"], accounting["total"]["kept"]) == (56, 37)
    assert _warc_paths_of(output) == {SAMPLE_WARCS[1].name}


def test_a_run_reads_warcs_named_by_a_gzipped_listing_on_s3(s3_bucket, tmp_path):
    names = [path.name for path in SAMPLE_WARCS[:2]]
    listing = _warc_paths(tmp_path / "warc.paths.gz", [f"{CRAWL}/{name}" for name in names])
    uri = s3_bucket.upload(listing, "crawl-data/CC-MAIN-2024-22/warc.paths.gz")
    for path in SAMPLE_WARCS[:2]:
        s3_bucket.upload(path, f"{CRAWL}/{path.name}")
    accounting, output = run_job(tmp_path, uri, input_prefix=f"{s3_bucket.url}/", limit=1)
    assert (accounting["total"]["read"], accounting["total"]["kept"]) == (56, 40)
    assert _warc_paths_of(output) == {f"{CRAWL}/{names[0]}"}
    dumps = {value for path in output.glob("*/*.parquet") for value in pq.read_table(path)["dump"].to_pylist()}
    assert dumps == {"CC-MAIN-2024-22"}  # taken from the Common Crawl key
