"""dedup.lines: cc_net-style exact line dedup among the documents exact and near dedup keep (a line shared by several
documents of a language stays in the one with the smallest id), in both engines."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import html_page, identity_holds, run_job, thai_news, warc_response
from datatrove.data import Document

from monsoon.accounting import merge_stats
from monsoon.config import DedupConfig, RunConfig
from monsoon.dedup.local import line_removals
from monsoon.dedup.signatures import line_hash, line_hashes
from monsoon.stages.near_duplicates import NearDuplicateFilter, read_line_file, write_line_file
from monsoon.tokens import load_token_counter

BOILERPLATE = "ติดตามข่าวสารและกิจกรรมของรัฐบาลได้ทางเว็บไซต์ทำเนียบรัฐบาลทุกวัน"  # a line every page carries


def test_line_hashes_are_the_normalised_lines_of_at_least_min_chars():
    text = "Home\nShared   boilerplate LINE\n\nshared boilerplate line\n  \nunique words here"
    assert line_hashes(text, 10) == sorted({line_hash("shared boilerplate line", 1), line_hash("unique words here", 1)})
    assert line_hash("Home", 10) is None and line_hash("Home", 4) == line_hash(" HOME ", 1)
    assert line_hash("   ", 0) is None  # a blank line is never a duplicate
    assert len(line_hashes(text, 0)) == 3


def test_each_line_stays_with_the_smallest_id_that_has_it():
    assert sorted(line_removals([("b", [1, 2]), ("a", [2, 3]), ("c", [1, 4])])) == [("b", 2), ("c", 1)]


def _doc(doc_id: str, text: str) -> Document:
    tokens = load_token_counter("llama3").count(text)
    return Document(text=text, id=doc_id, metadata={"language": "eng_Latn", "token_count": tokens})


def test_the_write_step_removes_lines_recounts_tokens_and_drops_an_emptied_document(tmp_path):
    shared = "Subscribe to our newsletter for the latest updates"
    docs = [
        _doc("b", f"Second article about rivers.\n{shared}\nShort"),
        _doc("a", f"{shared}\nFirst article about mountains.\nShort"),
        _doc("c", f"{shared.upper()}\n\n  {shared}  "),  # only the shared line, twice: nothing left
    ]
    removals = line_removals((doc.id, line_hashes(doc.text, 6)) for doc in docs)
    write_line_file(str(tmp_path), "eng_Latn", 0, removals)
    assert read_line_file(str(tmp_path), "eng_Latn", 0) == {"b": {line_hash(shared, 1)}, "c": {line_hash(shared, 1)}}

    step = NearDuplicateFilter(str(tmp_path), lines=True)
    kept = {doc.id: doc for doc in step.run(iter(docs))}
    assert {doc_id: doc.text for doc_id, doc in kept.items()} == {
        "b": "Second article about rivers.\nShort",  # "Short" is in a and b, but under 6 characters
        "a": f"{shared}\nFirst article about mountains.\nShort",  # the smallest id keeps its copy
    }
    assert kept["b"].metadata["token_count"] == load_token_counter("llama3").count(kept["b"].text)
    eng = merge_stats([[step.stats.to_dict()]])["languages"]["eng_Latn"]
    assert eng["dropped"] == {"duplicate_lines": 1}
    assert eng["steps"]["duplicate_lines"] == "NearDuplicateFilter"  # booked under dedup in the funnel
    stats = step.stats.to_dict()["stats"]
    assert stats["lines_removed"]["total"] == 1 + 2  # b's line; c's two lines (the blank one stays, but c goes)


def _texts(output: Path) -> dict[str, tuple[str, str, int]]:
    rows = pq.read_table(output / "tha_Thai").to_pylist()
    return {row["url"]: (row["id"], row["text"], row["token_count"]) for row in rows}


@pytest.fixture(scope="module")
def boilerplate_run(tmp_path_factory):
    """Three real Thai news pages that each end with the same line, run locally with dedup.lines on."""
    root = tmp_path_factory.mktemp("lines")
    warc = root / "in" / "x.warc.gz"
    warc.parent.mkdir()
    pages = {f"https://news.example.th/{i}": f"{thai_news(i)}\n{BOILERPLATE}" for i in (18, 21, 25)}
    warc.write_bytes(b"".join(warc_response(url, html_page("ข่าว", text).encode()) for url, text in pages.items()))
    accounting, output = run_job(root, warc, languages=["tha_Thai"], dedup=DedupConfig(lines=True))
    return warc, accounting, output


def test_a_run_keeps_a_shared_line_in_one_document_only(boilerplate_run):
    _, accounting, output = boilerplate_run
    texts = _texts(output)
    assert len(texts) == 3 and identity_holds(accounting["total"])
    having = sorted(doc_id for doc_id, text, _ in texts.values() if BOILERPLATE in text)
    assert having == [min(doc_id for doc_id, _, _ in texts.values())]
    counter = load_token_counter("llama3")
    assert all(tokens == counter.count(text) for _, text, tokens in texts.values())
    assert accounting["languages"]["tha_Thai"]["tokens"] == sum(tokens for _, _, tokens in texts.values())


@pytest.mark.spark
@pytest.mark.usefixtures("spark")
def test_spark_removes_the_same_lines(boilerplate_run, tmp_path):
    from monsoon.pipelines.spark import run_spark

    warc, local, output = boilerplate_run
    config = RunConfig(input=str(warc), output=str(tmp_path / "spark"), languages=["tha_Thai"])
    config.dedup.lines = True
    assert run_spark(config, "local[2]") == local
    assert _texts(tmp_path / "spark") == _texts(output)
