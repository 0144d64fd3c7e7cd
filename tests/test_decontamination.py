"""Benchmark decontamination: a document sharing a long token n-gram with a benchmark item is dropped (reason
`benchmark_contamination:<file>`) or tagged; short items must appear whole; unrelated real text is not caught."""

from __future__ import annotations

import csv
import dataclasses
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import REPO, html_page, identity_holds, run_job, shared, thai_news, warc_response
from datatrove.data import Document

from monsoon.accounting import merge_stats
from monsoon.audit.report import _benchmark_blocks, write_report
from monsoon.config import ConfigError, DecontaminationConfig, DedupConfig, RunConfig, load_run_config
from monsoon.pipelines.layout import job_fingerprint
from monsoon.pipelines.plan import document_steps, pipe
from monsoon.stages.decontamination import (
    SIGNAL,
    Decontamination,
    Rule,
    benchmark_files,
    build_benchmark,
    contamination,
    item_texts,
    tokens_of,
)

UNRELATED = "An unrelated test item that no page here contains at all, not one."
ITEM = (
    "The committee will publish its final report on the new railway line early next year, officials said on Monday"
    " in Bangkok."
)  # 22 Llama 3 tokens, 120 bytes once normalised: 8 windows of 13 tokens stretched to 75 bytes
SHORT = "The new railway line will open early next year."  # 9 tokens: indexed whole
TINY = "Railway line"  # 2 tokens: below min_tokens (8), skipped


DEFAULT = Rule.of(DecontaminationConfig())  # 13 tokens spanning >= 75 bytes; short items of 8+ tokens whole


def benchmark(*texts: str, rule: Rule = DEFAULT):
    return (build_benchmark("items.jsonl", list(texts), rule, "llama3"),)


def matches(text: str, index, rule: Rule = DEFAULT) -> dict[str, int]:
    return contamination(text, index, rule, "llama3")


def test_a_pasted_item_matches_every_window_whatever_its_case_and_punctuation():
    index = benchmark(ITEM, SHORT, TINY)
    assert (len(tokens_of(ITEM, "llama3")), tokens_of(ITEM, "llama3").offsets[-1]) == (22, 120)  # tokens, bytes
    assert (index[0].items, index[0].skipped, len(index[0].ngrams)) == (3, 1, 8)
    assert index[0].whole_length.tolist() == [9]
    page = "Other news first. " + ITEM.upper().replace(",", " ,") + " More news."
    assert matches(page, index) == {"items.jsonl": 8}
    # one word changed near the end (token 18): only the 5 windows ending before it still match
    assert matches(page.replace("MONDAY", "Tuesday"), index) == {"items.jsonl": 5}
    assert matches("A page about something else entirely, with no item in it.", index) == {}


def test_a_short_item_must_appear_whole_and_a_tiny_one_never_matches():
    index = benchmark(SHORT, TINY)
    assert matches('Officials said: "the new railway line will open early next year!"', index) == {"items.jsonl": 1}
    assert matches("Officials said the new railway line will open early next month.", index) == {}
    assert matches("The railway line is long.", index) == {}


def ntrex(language: str) -> list[str]:
    """The NTREX-128 dev sentences of one language (../shared/data/lid_ntrex128)."""
    with open(shared("lid_ntrex128", "dev", "lid.tsv"), encoding="utf-8") as file:
        rows = csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row["text"] for row in rows if row["lang"] == language]


def udhr(language: str) -> list[str]:
    with open(shared("lid_udhr", "dev", "lid.tsv"), encoding="utf-8") as file:
        rows = csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row["text"] for row in rows if row["lang"] == language]


def test_n_grams_span_75_bytes_where_llama3_splits_a_script_into_bytes():
    # Tamil: 13 Llama 3 tokens are ~27 bytes (9 characters, a word or two), which unrelated texts share with
    # NTREX's news: the UDHR and the sentences written for the bundled sample (REPO/sample/pools)
    paragraphs, items = udhr("tam_Taml"), ntrex("tam_Taml")
    sentences = yaml.safe_load((REPO / "sample" / "pools" / "tam_Taml.yaml").read_text(encoding="utf-8"))["sentences"]
    raw = dataclasses.replace(DEFAULT, min_bytes=0)
    assert (len(paragraphs), len(sentences), len(items)) == (33, 30, 915)
    short, stretched = benchmark(*items, rule=raw), benchmark(*items)
    assert sum(bool(matches(text, short, raw)) for text in paragraphs) == 32
    assert sum(bool(matches(text, short, raw)) for text in sentences) == 30
    assert sum(bool(matches(text, stretched)) for text in paragraphs + sentences) == 0


def write_jsonl(path, texts: list[str], field: str = "text") -> str:
    path.write_text("".join(json.dumps({field: text}, ensure_ascii=False) + "\n" for text in texts), encoding="utf-8")
    return str(path)


def thai_doc(text: str, doc_id: str) -> Document:
    return Document(text=text, id=doc_id, metadata={"language": "tha_Thai", "token_count": 1000})


def test_an_ntrex_sentence_pasted_into_a_real_thai_page_is_dropped_naming_the_file(tmp_path):
    sentences = ntrex("tha_Thai")
    assert len(sentences) == 915
    pasted = sentences[100]
    items = write_jsonl(tmp_path / "ntrex_tha.jsonl", sentences)
    step = Decontamination(DecontaminationConfig(benchmarks=[items]))
    contaminated = thai_doc(f"{thai_news(29)}\n{pasted}\n{thai_news(3)[:500]}", "pasted")
    unrelated = [thai_doc(thai_news(i), f"news-{i}") for i in range(40)]  # real articles: none holds an item

    kept = list(pipe([step], data=[contaminated, *unrelated]))

    assert [doc.id for doc in kept] == [doc.id for doc in unrelated]
    assert {doc.metadata["quality_signals"][SIGNAL] for doc in kept} == {0.0}
    tha = merge_stats([[step.stats.to_dict()]])["languages"]["tha_Thai"]
    assert tha["dropped"] == {"benchmark_contamination:ntrex_tha.jsonl": 1}
    assert tha["dropped_tokens"] == {"benchmark_contamination:ntrex_tha.jsonl": 1000}
    assert contaminated.metadata["quality_signals"][SIGNAL] == len(benchmark(pasted)[0].ngrams)


def test_tag_mode_keeps_the_page_with_the_signal_and_counts_it_per_benchmark(tmp_path):
    first = write_jsonl(tmp_path / "a.jsonl", [ITEM])
    second = write_jsonl(tmp_path / "b.jsonl", [UNRELATED])
    step = Decontamination(DecontaminationConfig(benchmarks=[first, second], action="tag"))
    page = Document(text=f"News. {ITEM}", id="p", metadata={"language": "eng_Latn", "token_count": 30})

    assert [doc.id for doc in pipe([step], data=[page])] == ["p"]
    assert page.metadata["quality_signals"] == {SIGNAL: 8.0}
    stats = step.stats.to_dict()["stats"]
    assert stats["decontamination.documents:a.jsonl"]["total"] == 1
    assert stats["decontamination.tokens:a.jsonl"]["total"] == 30
    assert stats["decontamination.documents:b.jsonl"] == 0  # registered, nothing matched


def test_jsonl_csv_tsv_parquet_and_folders_of_them_are_read_with_their_text_fields(tmp_path):
    folder = tmp_path / "exam"
    (folder / "part").mkdir(parents=True)
    write_jsonl(folder / "q.jsonl", ["question one"], field="question")
    (folder / "part" / "q.csv").write_text('question,answer\n"two, quoted",ans\n', encoding="utf-8")
    pq.write_table(pa.table({"question": ["three"], "choices": [["c1", "c2"]]}), folder / "part" / "q.parquet")
    (folder / "README.md").write_text("not items", encoding="utf-8")
    tsv = tmp_path / "items.tsv"
    tsv.write_text('text\nsays "hi" there\n', encoding="utf-8")

    files = benchmark_files([str(folder), str(tsv)])

    assert [name for name, _ in files] == ["exam/part/q.csv", "exam/part/q.parquet", "exam/q.jsonl", "items.tsv"]
    texts = [item_texts(path, ["question", "choices"]) for name, path in files if name.startswith("exam")]
    assert texts == [["two, quoted"], ["three", "c1", "c2"], ["question one"]]
    assert item_texts(str(tsv), ["text"]) == ['says "hi" there']
    with pytest.raises(ValueError, match="none of the text fields"):
        item_texts(str(tsv), ["question"])
    with pytest.raises(FileNotFoundError):
        benchmark_files([str(tmp_path / "missing.jsonl")])


def test_the_config_block_resolves_paths_and_the_fingerprint_follows_the_files_contents(tmp_path):
    items = tmp_path / "bench" / "items.jsonl"
    items.parent.mkdir()
    write_jsonl(items, [ITEM])
    config_file = tmp_path / "run.yaml"
    config_file.write_text(
        "input: warc\noutput: out\ndecontamination:\n  benchmarks: [bench/items.jsonl]\n  action: tag\n",
        encoding="utf-8",
    )
    config = load_run_config(config_file)
    assert config.decontamination.benchmarks == [str(items)]
    assert any(isinstance(step, Decontamination) for step in document_steps(config))
    assert not any(isinstance(step, Decontamination) for step in document_steps(RunConfig(input="w", output="o")))

    before = job_fingerprint(config, [], "local", 1)
    write_jsonl(items, [ITEM, SHORT])
    after = job_fingerprint(config, [], "local", 1)
    assert before["decontamination.action"] == "tag"
    assert before["benchmarks/items.jsonl"] != after["benchmarks/items.jsonl"]

    config_file.write_text("input: w\noutput: o\ndecontamination:\n  action: flag\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="decontamination.action"):
        load_run_config(config_file)


def test_a_run_drops_the_contaminated_page_and_the_audit_reports_it_per_benchmark(tmp_path):
    pasted = ntrex("tha_Thai")[100]
    items = write_jsonl(tmp_path / "ntrex_tha.jsonl", ntrex("tha_Thai"))
    other = write_jsonl(tmp_path / "other.jsonl", [UNRELATED])
    warc = tmp_path / "pages.warc.gz"
    contaminated = html_page("ข่าว", f"{thai_news(29)}\n{pasted}", lang="th")
    warc.write_bytes(
        warc_response("https://example.go.th/news/1", contaminated.encode())
        + warc_response("https://example.go.th/news/2", html_page("ข่าว", thai_news(5), lang="th").encode())
    )
    decontamination = DecontaminationConfig(benchmarks=[items, other])

    accounting, out = run_job(tmp_path, warc, decontamination=decontamination, dedup=DedupConfig(enabled=False))

    thai = accounting["languages"]["tha_Thai"]
    assert identity_holds(accounting["total"]) and accounting["total"]["read"] == 2
    assert thai["kept"] == 1 and thai["dropped"] == {"benchmark_contamination:ntrex_tha.jsonl": 1}
    assert thai["steps"]["benchmark_contamination:ntrex_tha.jsonl"] == "Decontamination"
    tokens = thai["dropped_tokens"]["benchmark_contamination:ntrex_tha.jsonl"]
    rows = pq.read_table(out / "tha_Thai").to_pylist()
    assert [(row["url"], row["quality_signals"][SIGNAL]) for row in rows] == [("https://example.go.th/news/2", 0.0)]

    write_report(out, tmp_path / "audit")
    markdown = (tmp_path / "audit" / "report.md").read_text()
    assert "## Benchmark contamination" in markdown
    assert f"| ntrex_tha.jsonl | dropped | 1 | {tokens:,} |" in markdown
    assert "| other.jsonl | none matched | 0 | 0 |" in markdown
    assert f"| decontamination | 1 | {tokens:,} |" in markdown  # its own funnel stage


def test_the_audit_table_counts_tagged_documents_from_the_steps_counters(tmp_path):
    stats = tmp_path / "_work" / "logs" / "1_extract" / "stats"
    stats.mkdir(parents=True)
    for rank, (docs, tokens) in enumerate([(2, 900), (1, 300)]):
        counters = {
            "decontamination.documents:exam.jsonl": {"total": docs},  # as datatrove writes a counter
            "decontamination.tokens:exam.jsonl": tokens,  # a counter updated once is a bare number
        }
        (stats / f"{rank:05d}.json").write_text(json.dumps([{"name": "decontamination", "stats": counters}]))
    accounting = {"total": {"dropped": {"pii.hits>max": 1}, "dropped_tokens": {"pii.hits>max": 50}}}

    table = _benchmark_blocks(accounting, tmp_path)[-1]

    assert table.rows == [["exam.jsonl", "tagged", 3, 1200]]
    assert _benchmark_blocks(accounting, tmp_path / "no-run") == []  # a run that checked no benchmarks
