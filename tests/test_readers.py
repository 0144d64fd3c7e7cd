"""The corpus and the mix shards load in every reader a trainer uses: Hugging Face datasets, DuckDB, pandas, Spark.

The quality signals are a struct of named float columns (schema version 2); a map column is what `datasets`
refused ("Arrow type map<string, double> does not have a datasets dtype equivalent")."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import run_job

from monsoon.cli import build_parser
from monsoon.schema import SCHEMA_VERSION, SCHEMA_VERSION_KEY, quality_signal_names

ROOT = Path(__file__).resolve().parent.parent
SIGNAL = "fineweb_quality.line_punct_ratio"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    """A real run over one file of the bundled sample (Thai and Japanese) and a mix built from it."""
    root = tmp_path_factory.mktemp("readers")
    accounting, out = run_job(
        root, ROOT / "sample" / "warc" / "monsoon-sample-00000.warc.gz", languages=["tha_Thai", "jpn_Jpan"]
    )
    files = sorted(str(p) for p in out.glob("*/*.parquet"))
    table = root / "mix.yaml"
    table.write_text(
        "name: readers\nunit: K\ntokenizer: llama3\ntokens_per_shard: 2000\nseed: 1\nrows:\n"
        "  - source: Thai web\n    language: tha_Thai\n    unique: all\n    multiplier: 2\n"
    )
    shards = root / "shards"
    parsed = build_parser().parse_args(["mix", "build", str(table), "--from", str(out), "--to", str(shards)])
    assert parsed.handler(parsed) == 0
    assert accounting["languages"]["tha_Thai"]["kept"] > 0
    manifest = json.loads((shards / "manifest.json").read_text())
    return {
        "kept": accounting["total"]["kept"],
        "thai": accounting["languages"]["tha_Thai"]["kept"],
        "files": files,
        "shards": [str(shards / shard["file"]) for shard in manifest["shards"]],
    }


def test_the_corpus_stores_named_signals_nulls_where_a_family_did_not_run(corpus):
    first = pq.ParquetFile(corpus["files"][0])
    assert first.schema_arrow.metadata[SCHEMA_VERSION_KEY.encode()] == SCHEMA_VERSION.encode() == b"3"
    rows = pq.read_table(corpus["files"]).to_pylist()
    assert len(rows) == corpus["kept"] > 0
    for row in rows:
        signals = row["quality_signals"]
        assert list(signals) == list(quality_signal_names())
        assert signals[SIGNAL] is not None  # every first-tier language runs fineweb_quality
        if row["language"] == "tha_Thai":  # Japanese runs the Swallow families, Thai does not
            assert signals["swallow_japanese.hiragana_frac"] is None


def test_hugging_face_datasets_loads_the_corpus_and_the_shards(corpus, tmp_path):
    import datasets

    for files, rows in ((corpus["files"], corpus["kept"]), (corpus["shards"], 2 * corpus["thai"])):
        loaded = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path))
        assert loaded.num_rows == rows
        assert loaded.features["quality_signals"][SIGNAL].dtype == "float64"
        assert loaded[0]["quality_signals"][SIGNAL] is not None


def test_duckdb_and_pandas_load_the_corpus_and_the_shards(corpus):
    import duckdb
    import pandas as pd

    for files, rows in ((corpus["files"], corpus["kept"]), (corpus["shards"], 2 * corpus["thai"])):
        count, nulls = duckdb.execute(
            f'SELECT count(*), count(*) - count(quality_signals."{SIGNAL}") FROM read_parquet({files!r})'
        ).fetchone()
        assert (count, nulls) == (rows, 0)
        frame = pd.concat([pd.read_parquet(path) for path in files])
        assert len(frame) == rows and all(row[SIGNAL] is not None for row in frame["quality_signals"])


@pytest.mark.spark
def test_spark_loads_the_corpus_and_the_shards(corpus, spark):
    for files, rows in ((corpus["files"], corpus["kept"]), (corpus["shards"], 2 * corpus["thai"])):
        frame = spark.read.parquet(*files)
        assert frame.count() == rows
        assert frame.where(frame["quality_signals"][SIGNAL].isNull()).count() == 0
