"""`--keep-dropped`: OUTPUT/_dropped/ holds exactly the documents the run dropped, each once, with its reason."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO, identity_holds
from datatrove.data import Document

from monsoon.config import RunConfig
from monsoon.pipelines import plan
from monsoon.pipelines.layout import RunLayout
from monsoon.pipelines.local import run_local
from monsoon.stages.dropped import DroppedWriter

SAMPLE_WARCS = sorted((REPO / "sample" / "warc").glob("*.warc.gz"))


def dropped_rows(output: Path) -> list[dict]:
    return [row for path in sorted(output.glob("_dropped/*/*.parquet")) for row in pq.read_table(path).to_pylist()]


def kept_ids(output: Path) -> list[str]:
    files = sorted(output.glob("*/*.parquet"))
    return [i for path in files for i in pq.read_table(path, columns=["id"])["id"].to_pylist()]


def dropped_counts(accounting: dict) -> Counter:
    """(language, reason) -> documents dropped, from accounting.json's per-language buckets."""
    languages = accounting["languages"]
    return Counter({(code, reason): n for code, bucket in languages.items() for reason, n in bucket["dropped"].items()})


def same_drops(rows: list[dict], accounting: dict) -> bool:
    return Counter((row["language"], row["reason"]) for row in rows) == dropped_counts(accounting)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Two of the sample's WARCs (112 records: every kind of drop, from the reader's to near duplicates), two
    ranks run one after the other in one process (the same step objects serve both ranks)."""
    output = tmp_path_factory.mktemp("keep") / "out"
    folder = output.parent / "warc"
    folder.mkdir()
    for path in SAMPLE_WARCS[:2]:
        shutil.copy(path, folder / path.name)
    config = RunConfig(input=str(folder), output=str(output), tasks=2, workers=1, keep_dropped=True)
    return config, run_local(config), output


def test_the_dropped_files_hold_exactly_the_dropped_documents(run):
    _, accounting, output = run
    rows = dropped_rows(output)
    total = accounting["total"]
    assert identity_holds(total) and total["read"] == 112
    assert same_drops(rows, accounting)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == sum(total["dropped"].values())
    kept = kept_ids(output)
    assert len(kept) == total["kept"] and not set(kept) & set(ids)
    assert total["read"] == len(kept) + len(rows) + sum(total["errored"].values())
    # every stage that drops, the reader's drops before language identification included
    reasons = {row["reason"] for row in rows}
    assert {"not_html", "prelid_not_target_language", "near_duplicate"} <= reasons
    assert any(reason.startswith("junk_") for reason in reasons)
    assert all(row["language"] == "und" for row in rows if row["reason"] == "not_html")


def test_each_dropped_row_says_where_and_why(run):
    _, _, output = run
    names = sorted(str(p.relative_to(output)) for p in output.glob("_dropped/*/*.parquet"))
    assert "_dropped/und/1_extract-00000.parquet" in names and any(n.endswith("3_write-00001.parquet") for n in names)
    rows = {row["reason"]: row for row in dropped_rows(output)}
    junk = next(row for reason, row in rows.items() if reason.startswith("junk_lexicon."))
    assert junk["step"] == "JunkFilter" and junk["token_count"] > 0 and junk["text"] and junk["url"].startswith("http")
    near = rows["near_duplicate"]
    assert near["step"] == "NearDuplicateFilter" and near["duplicate_of"] in kept_ids(output)  # its cluster's kept one
    assert rows["not_html"]["text"] == "" and rows["not_html"]["token_count"] is None  # no page was decoded
    assert "<" in rows["prelid_not_target_language"]["text"]  # the HTML page: dropped before extraction
    assert rows["not_html"]["source"] == "commoncrawl" and rows["not_html"]["dump"]


def test_the_dropped_files_load_in_datatrove_duckdb_and_datasets(run, tmp_path):
    import datasets
    import duckdb
    from datatrove.pipeline.readers import ParquetReader

    _, accounting, output = run
    pattern = str(output / "_dropped" / "*" / "*.parquet")
    (count,) = duckdb.execute(f"SELECT count(*) FROM read_parquet('{pattern}')").fetchone()
    assert count == sum(accounting["total"]["dropped"].values())
    files = sorted(str(p) for p in output.glob("_dropped/*/*.parquet"))
    loaded = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path))
    assert len(loaded) == count and "duplicate_of" in loaded.column_names
    documents = list(ParquetReader(str(output / "_dropped"), glob_pattern="*/*.parquet")())
    empty = duckdb.execute(f"SELECT DISTINCT step FROM read_parquet('{pattern}') WHERE text = ''").fetchall()
    assert empty == [("WarcDocumentReader",)]  # no page decoded: datatrove's readers skip a document without text
    assert len(documents) == count - 3 and "near_duplicate" in {doc.metadata["reason"] for doc in documents}


def test_a_resumed_rank_replaces_its_dropped_files(run):
    config, accounting, output = run
    before = sorted(dropped_rows(output), key=lambda row: row["id"])
    logs = output / "_work" / "logs" / plan.DOCUMENTS
    # as if the job died while documents rank 1 was running: its files stay, its completion and stats do not
    (logs / "completions" / "00001").unlink()
    (logs / "stats" / "00001.json").unlink()
    assert run_local(config) == accounting
    assert sorted(dropped_rows(output), key=lambda row: row["id"]) == before  # rewritten, not appended


def test_a_dropped_text_is_masked_as_the_corpus_is(tmp_path):
    """A page dropped before PII masking keeps no personal data in _dropped/: its language's formats are masked,
    and for `und` the country-free kinds."""
    writer = DroppedWriter(str(tmp_path), plan.DOCUMENTS, mask=True)
    with writer:
        thai = {"language": "tha_Thai", "url": "https://x.example/"}
        writer.keep(Document(text="ติดต่อ somchai@example.co.th โทร 081-234-5678", id="a", metadata=thai), "r", "Step")
        writer.keep(Document(text="<p>mail a.b@gov.go.th 081-234-5678</p>", id="b", metadata={}), "r", "Step")
    (thai_row,) = pq.read_table(tmp_path / "tha_Thai" / "1_extract-00000.parquet").to_pylist()
    (und_row,) = pq.read_table(tmp_path / "und" / "1_extract-00000.parquet").to_pylist()
    assert thai_row["text"] == "ติดต่อ <EMAIL> โทร <PHONE>" and thai_row["url"] == "https://x.example/"
    assert und_row["text"] == "<p>mail <EMAIL> 081-234-5678</p>"  # no country: no phone format applies


def test_without_keep_dropped_no_writer_is_built(tmp_path):
    config = RunConfig(input=str(SAMPLE_WARCS[0]), output=str(tmp_path), languages=["tha_Thai"])
    layout = RunLayout.of(config)
    for stage in plan.stages(config, layout):
        assert not any(isinstance(step, DroppedWriter) for step in stage.steps(layout.output))
    config.keep_dropped = True
    assert isinstance(plan.documents_stage(config, layout.output)[-1], DroppedWriter)
