"""Remote storage, for real: Common Crawl style path listings (warc.paths[.gz], --input-prefix, --limit), and a
run's output, the LID model and a tokenizer.json read from s3:// on the moto server of tests/s3.py."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO, run_cli, run_job

from monsoon.pipelines.inputs import input_folder
from monsoon.stages.lid import embedded_model_path, local_model_path, predict
from monsoon.tokens import load_token_counter

SAMPLE_WARCS = sorted((REPO / "sample" / "warc").glob("*.warc.gz"))
CRAWL = "crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc"  # Common Crawl's key layout
MIX = REPO / "configs" / "sample_mix.yaml"


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


# --- a finished run's output read from s3:// ---


@pytest.fixture(scope="module")
def remote_run(s3_endpoint, tmp_path_factory) -> dict:
    """One sample WARC through the pipeline, its output copied to s3://<bucket>/run."""
    import uuid

    import fsspec

    root = tmp_path_factory.mktemp("remote_run")
    _, output = run_job(root, SAMPLE_WARCS[0])
    shutil.rmtree(output / "_work")
    bucket = f"run-{uuid.uuid4().hex[:12]}"
    fs = fsspec.filesystem("s3")
    fs.mkdir(bucket)
    fs.put(f"{output}/", f"{bucket}/run", recursive=True)
    return {"local": output, "remote": f"s3://{bucket}/run", "bucket": bucket, "root": root}


def test_mix_plan_of_an_output_on_s3_is_the_local_plan(remote_run, capsys):
    local_code, local_out, _ = run_cli(capsys, "mix", "plan", str(MIX), "--from", str(remote_run["local"]))
    code, out, err = run_cli(capsys, "mix", "plan", str(MIX), "--from", remote_run["remote"])
    assert (code, local_code) == (0, 0), err
    assert out.replace(remote_run["remote"], "OUT") == local_out.replace(str(remote_run["local"]), "OUT")
    assert "(56 records read by the run)" in out


def test_mix_build_from_s3_writes_the_local_builds_shards(remote_run, capsys):
    root = remote_run["root"]
    for source, shards in ((str(remote_run["local"]), root / "shards-local"), (remote_run["remote"], root / "shards")):
        code, _, err = run_cli(capsys, "mix", "build", str(MIX), "--from", source, "--to", str(shards))
        assert code == 0, err
    manifest = json.loads((root / "shards" / "manifest.json").read_text())
    assert manifest == json.loads((root / "shards-local" / "manifest.json").read_text())
    assert sum(shard["docs"] for shard in manifest["shards"]) > 0


def test_audit_of_an_output_on_s3_reconciles_as_the_local_one(remote_run, capsys):
    root = remote_run["root"]
    reports = {}
    for name, source in (("local", str(remote_run["local"])), ("remote", remote_run["remote"])):
        code, out, err = run_cli(capsys, "audit", source, "--mix", str(MIX), "--to", str(root / f"audit-{name}"))
        assert code == 0, err
        reports[name] = (root / f"audit-{name}" / "report.md").read_text().replace(source, "OUT")
    assert reports["remote"] == reports["local"]
    code, _, err = run_cli(capsys, "audit", remote_run["remote"])
    assert code == 2 and "give --to REPORT_DIR" in err  # the report is written locally


def test_tune_reads_a_sample_parquet_on_s3(remote_run, capsys, tmp_path):
    sample = "tha_Thai/00000.parquet"
    local_code, local_out, _ = run_cli(
        capsys, "tune", "tha_Thai", "--sample", str(remote_run["local"] / sample), "--output", str(tmp_path / "l")
    )
    code, out, err = run_cli(
        capsys, "tune", "tha_Thai", "--sample", f"{remote_run['remote']}/{sample}", "--output", str(tmp_path / "r")
    )
    assert (code, local_code) == (0, 0), err
    assert out.replace(str(tmp_path / "r"), "R") == local_out.replace(str(tmp_path / "l"), "R")


# --- models on s3:// ---


def test_the_lid_model_on_s3_is_copied_once_and_labels_as_the_local_one(s3_bucket):
    import fsspec

    embedded = Path(embedded_model_path())
    uri = s3_bucket.upload(embedded, "models/lid.176.ftz")
    other = s3_bucket.upload(embedded, "other/lid.176.ftz")
    copy = local_model_path(uri)
    assert Path(copy).read_bytes() == embedded.read_bytes()
    assert local_model_path(other) != copy  # the same file name in another place is another model
    fsspec.filesystem("s3").rm(uri)
    assert local_model_path(uri) == copy  # copied once: not fetched again
    text = "สำนักนายกรัฐมนตรีแถลงผลการประชุมคณะรัฐมนตรีวันนี้"
    assert predict(other, text) == predict("embedded", text)


def test_a_tokenizer_json_on_s3_counts_as_the_local_file(s3_bucket, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0, "monsoon": 1, "rain": 2}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    local = tmp_path / "tokenizer.json"
    tokenizer.save(str(local))
    uri = s3_bucket.upload(local, "tokenizers/tokenizer.json")
    remote = load_token_counter(uri)
    assert remote.name == uri  # recorded in the output files' metadata
    assert remote.count("monsoon rain, more rain") == load_token_counter(str(local)).count("monsoon rain, more rain")
    assert remote.count("monsoon rain, more rain") == 5
