"""Dedup against what already exists: exact dedup by normalised text, the persistent per-language index every run
writes, `--dedup-against` runs that chain, and the Spark engine's same decisions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE_CONFIG, html_page, identity_holds, run_cli, run_job, thai_news, warc_response

from monsoon.config import DedupConfig
from monsoon.dedup import index
from monsoon.dedup.index import (
    INDEX_SCHEMA,
    IncompatibleIndex,
    earlier_matches,
    earlier_parts,
    signature_settings,
)
from monsoon.dedup.local import decide
from monsoon.dedup.signatures import normalised, text_hash


def test_exact_key_folds_width_case_and_white_space():
    assert normalised("  Ｈｅｌｌｏ\u3000World\n\n\tSTRASSE ") == "hello world strasse"
    assert normalised("Straße") == "strasse"  # case folding, not lower-casing
    assert text_hash("Ｈｅｌｌｏ  World") == text_hash("hello world") != text_hash("hello world!")
    assert normalised("ข่าว  วันนี้\n") == "ข่าว วันนี้"  # Thai is left as it is but for the space
    assert 0 <= text_hash("hello world") < 2**63


def test_decisions_exact_first_then_near_then_earlier():
    docs = [
        ("d", 1, [10, 11]),  # exact copy of b: b is smaller
        ("b", 1, [10, 11]),
        ("c", 2, [10, 99]),  # near-duplicate of b (band 0)
        ("e", 3, [50, 51]),  # near-duplicate of an earlier document through band 1
        ("f", 4, [52, 53]),  # same text as an earlier document
        ("g", 5, [60, 61]),  # alone
        ("h", 6, [70, 71]),  # h and i: a cluster whose member i shares a band with an earlier document
        ("i", 7, [70, 72]),
    ]
    earlier_exact = {4: ("x1", "/runs/1")}
    earlier_bands = {(1, 51): ("x2", "/runs/1"), (1, 72): ("x3", "/runs/2"), (0, 10): ("x4", "/runs/1")}
    assert {row[0]: row[1:] for row in decide(docs, earlier_exact, {(1, 51): earlier_bands[(1, 51)]})} == {
        "d": ("b", 3, "exact_duplicate", "b", None),
        "b": ("b", 3, None, None, None),  # kept: it stands for d and c
        "c": ("b", 3, "near_duplicate", "b", None),
        "e": ("e", 1, "near_duplicate_of_earlier", "x2", "/runs/1"),
        "f": ("f", 1, "exact_duplicate", "x1", "/runs/1"),
        "h": ("h", 2, None, None, None),
        "i": ("h", 2, "near_duplicate", "h", None),
    }
    found = {row[0]: row[3:] for row in decide(docs, earlier_exact, earlier_bands)}
    # the b cluster touches x4: all of it goes, d stays an exact copy of b; h goes with i, as a duplicate of x3
    assert found["b"] == found["c"] == ("near_duplicate_of_earlier", "x4", "/runs/1")
    assert found["d"] == ("exact_duplicate", "b", None)
    assert found["h"] == found["i"] == ("near_duplicate_of_earlier", "x3", "/runs/2")
    assert "g" not in found


def _write_index(root: Path, language: str, parts: dict[str, list[dict]], **settings) -> Path:
    folder = root / language
    folder.mkdir(parents=True)
    (folder / "_signatures.json").write_text(json.dumps({**signature_settings(language, 1), **settings}))
    for name, rows in parts.items():
        pq.write_table(pa.Table.from_pylist(rows, schema=INDEX_SCHEMA), folder / name)
    return root


def _row(doc_id: str, text_hash_: int, bands: list[int]) -> dict:
    return {"id": doc_id, "source": "s", "dump": "d", "text_hash": text_hash_, "minhash_bands": bands}


def test_index_lookup_streams_the_parts_and_keeps_the_smallest_earlier_id(tmp_path, monkeypatch):
    monkeypatch.setattr(index, "_BATCH_ROWS", 2)  # batches of 2 rows: matches across batch boundaries
    first = _write_index(
        tmp_path / "run1" / "_index",
        "tha_Thai",
        {
            "00000.parquet": [_row("z", 7, [1, 2, 3]), _row("y", 8, [4, 5, 6]), _row("w", 9, [3, 2, 1])],
            "00001.parquet": [_row("v", 7, [0, 0, 0])],
        },
    )
    _write_index(tmp_path / "ext", "tha_Thai", {"00000.parquet": [_row("a", 10, [9, 9, 6])]})
    parts = earlier_parts([str(tmp_path / "run1"), str(tmp_path / "ext")], "tha_Thai", seed=1)
    assert [(run, Path(uri).relative_to(tmp_path)) for run, uri in parts] == [
        (str(tmp_path / "run1"), Path("run1/_index/tha_Thai/00000.parquet")),
        (str(tmp_path / "run1"), Path("run1/_index/tha_Thai/00001.parquet")),
        (str(tmp_path / "ext"), Path("ext/tha_Thai/00000.parquet")),
    ]
    assert first.exists()

    # this run: text hashes 7 and 11, buckets (band 2, hash 6) and (band 0, hash 3): 3 is w's band 0, z's band 2
    exact, near = earlier_matches(parts, [7, 11], {(2, 6), (0, 3), (1, 2)})
    run1, ext = str(tmp_path / "run1"), str(tmp_path / "ext")
    assert exact == {7: ("v", run1)}
    assert near == {(2, 6): ("a", ext), (0, 3): ("w", run1), (1, 2): ("w", run1)}
    assert earlier_parts([run1], "vie_Latn", seed=1) == []  # no index of that language: nothing to match


def test_an_index_of_other_signatures_or_no_index_is_refused(tmp_path):
    _write_index(tmp_path / "old", "tha_Thai", {}, bands=20)
    with pytest.raises(IncompatibleIndex, match=r"tha_Thai index was built with other signatures: bands 20 \(this"):
        earlier_parts([str(tmp_path / "old")], "tha_Thai", seed=1)
    with pytest.raises(IncompatibleIndex, match=r"seed 1 \(this run: 2\)"):
        earlier_parts([str(_write_index(tmp_path / "seeded", "tha_Thai", {}))], "tha_Thai", seed=2)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="neither a monsoon run's output"):
        earlier_parts([str(tmp_path / "empty")], "tha_Thai", seed=1)
    unfinished = tmp_path / "unfinished"
    _write_index(unfinished / "_index", "tha_Thai", {})
    (unfinished / "_work").mkdir()
    (unfinished / "_work" / "job.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="that run has not finished"):
        earlier_parts([str(unfinished)], "tha_Thai", seed=1)


def _edited(text: str) -> str:
    """The same article syndicated elsewhere: one word changed in its longest line."""
    lines = text.split("\n")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    lines[longest] = lines[longest].replace("จังหวัด", "จ.", 1) + " (ปรับปรุง)"
    return "\n".join(lines)


def _warc(path: Path, pages: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(warc_response(url, html_page("ข่าว", text).encode()) for url, text in pages.items()))
    return path


def _ids_by_url(output: Path) -> dict[str, str]:
    return {row["url"]: row["id"] for row in pq.read_table(output / "tha_Thai").to_pylist()}


def _dedup_table(output: Path) -> dict[str, tuple]:
    rows = pq.read_table(output / "_dedup" / "tha_Thai").to_pylist()
    return {row["id"]: (row["reason"], row["duplicate_of"], row["duplicate_run"]) for row in rows}


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Three runs: run 2 against run 1, run 3 against runs 1 and 2 (real Thai news, copies and edited copies)."""
    root = tmp_path_factory.mktemp("chain")
    a, b, c, d = thai_news(18), thai_news(21), thai_news(25), thai_news(29)
    runs = {}
    inputs = {
        1: {"https://one.example.th/a": a, "https://one.example.th/b": b},
        # a word for word (other markup around it), a edited, c new
        2: {
            "https://two.example.th/a": a + "\n",
            "https://two.example.th/a2": _edited(a),
            "https://two.example.th/c": c,
        },
        # c again (run 2 kept it), b edited (run 1), d new
        3: {
            "https://three.example.th/c": c,
            "https://three.example.th/b2": _edited(b),
            "https://three.example.th/d": d,
        },
    }
    for number, pages in inputs.items():
        against = [str(runs[n][1]) for n in range(1, number)]
        warc = _warc(root / f"in{number}" / "x.warc.gz", pages)
        runs[number] = run_job(root / f"run{number}", warc, dedup=DedupConfig(against=against))
    return runs


def test_runs_chain_and_drop_what_earlier_runs_hold(chain):
    (acc1, out1), (acc2, out2), (acc3, out3) = chain[1], chain[2], chain[3]
    first, second = _ids_by_url(out1), _ids_by_url(out2)
    assert acc1["languages"]["tha_Thai"]["kept"] == 2 and identity_holds(acc1["total"])
    assert acc2["languages"]["tha_Thai"]["dropped"] == {"exact_duplicate": 1, "near_duplicate_of_earlier": 1}
    assert set(second) == {"https://two.example.th/c"}
    assert set(_dedup_table(out2).values()) == {
        ("exact_duplicate", first["https://one.example.th/a"], str(out1)),
        ("near_duplicate_of_earlier", first["https://one.example.th/a"], str(out1)),
    }
    assert acc3["languages"]["tha_Thai"]["dropped"] == {"exact_duplicate": 1, "near_duplicate_of_earlier": 1}
    assert set(_ids_by_url(out3)) == {"https://three.example.th/d"}
    assert set(_dedup_table(out3).values()) == {
        ("exact_duplicate", second["https://two.example.th/c"], str(out2)),
        ("near_duplicate_of_earlier", first["https://one.example.th/b"], str(out1)),
    }
    assert identity_holds(acc3["total"])
    # every document that reached dedup is in the run's index, dropped ones too
    assert pq.read_table(out2 / "_index" / "tha_Thai").num_rows == 3
    settings = json.loads((out2 / "_index" / "tha_Thai" / "_signatures.json").read_text())
    assert settings == signature_settings("tha_Thai", 1) and settings["bands"] == 30


def test_the_sample_run_again_against_itself_keeps_nothing(tmp_path, capsys):
    first = tmp_path / "first"
    one_file = ("--limit", "1", "--tasks", "1", "--workers", "1")  # the first of the sample's 4 WARC files
    code, _, _ = run_cli(capsys, "run", str(SAMPLE_CONFIG), "--output", str(first), *one_file)
    assert code == 0
    again = tmp_path / "again"
    code, _, err = run_cli(
        capsys, "run", str(SAMPLE_CONFIG), "--output", str(again), *one_file, "--dedup-against", str(first)
    )
    accounting = json.loads((again / "accounting.json").read_text())
    reached_dedup = pq.read_table(first / "_index").num_rows
    assert code == 0  # an incremental run whose every page is a duplicate is no failure to a scheduler
    assert accounting["total"]["kept"] == 0 and identity_holds(accounting["total"])
    assert accounting["total"]["dropped"]["exact_duplicate"] == reached_dedup > 0
    assert accounting["total"]["steps"]["exact_duplicate"] == "NearDuplicateFilter"
    assert f"({reached_dedup} of them duplicate documents of --dedup-against {first})" in err


def _smallest_earlier(rows: list[tuple]) -> tuple[dict, dict]:
    """What earlier_matches returns, straight from (id, run, text_hash, bands) index rows."""
    exact, near = {}, {}
    for doc_id, run, text_hash_, bands in rows:
        exact[text_hash_] = min(exact.get(text_hash_, (doc_id, run)), (doc_id, run))
        for key in enumerate(bands):
            near[key] = min(near.get(key, (doc_id, run)), (doc_id, run))
    return exact, near


@pytest.mark.spark
def test_spark_decisions_equal_the_local_ones(spark, tmp_path):
    """Random texts, bands and earlier rows with many collisions, through both engines' `decide`."""
    import random

    from monsoon.dedup.spark import decide as spark_decide

    rng = random.Random(3)
    docs = [(f"d{i:03d}", rng.randrange(170), [rng.randrange(700) for _ in range(3)]) for i in range(200)]
    earlier = [
        (
            f"{rng.choice('abc')}{i:03d}",
            f"/runs/{rng.randrange(2)}",
            rng.randrange(170, 180),
            [rng.randrange(1500) for _ in range(3)],
        )
        for i in range(40)
    ] + [("e000", "/runs/0", 5, [1000, 1001, 1002])]  # an exact copy of the documents of text hash 5
    spark.sparkContext.setCheckpointDir(str(tmp_path / "checkpoints"))
    documents = spark.createDataFrame(
        [("tha_Thai", *doc) for doc in docs],
        "language string, id string, text_hash bigint, minhash_bands array<bigint>",
    )
    index_rows = spark.createDataFrame(
        [("tha_Thai", *row) for row in earlier],
        "language string, id string, run string, text_hash bigint, minhash_bands array<bigint>",
    )
    found = sorted(tuple(row)[1:] for row in spark_decide(documents, index_rows).collect())
    expected = sorted(decide(docs, *_smallest_earlier(earlier)))
    assert found == expected
    reasons = {row[3] for row in expected}
    assert reasons == {None, "exact_duplicate", "near_duplicate", "near_duplicate_of_earlier"}


@pytest.mark.spark
@pytest.mark.usefixtures("spark")
def test_spark_run_against_a_local_run_equals_the_local_run(chain, tmp_path):
    """Run 2 of the chain again on Spark local[2], against the local run 1: the same accounting and dedup table."""
    from monsoon.config import RunConfig
    from monsoon.pipelines.spark import run_spark

    (_, out1), (local, out2) = chain[1], chain[2]
    warc = out2.parents[1] / "in2" / "x.warc.gz"
    config = RunConfig(input=str(warc), output=str(tmp_path / "spark"), dedup=DedupConfig(against=[str(out1)]))
    accounting = run_spark(config, "local[2]")
    assert accounting == local
    assert _dedup_table(tmp_path / "spark") == _dedup_table(out2)
    assert pq.read_table(tmp_path / "spark" / "_index" / "tha_Thai").sort_by("id") == pq.read_table(
        out2 / "_index" / "tha_Thai"
    ).sort_by("id")


def test_an_external_corpus_indexed_with_monsoon_index_is_deduplicated_against(chain, tmp_path, capsys):
    corpus = tmp_path / "pile" / "news.jsonl"
    corpus.parent.mkdir()
    corpus.write_text("".join(json.dumps({"text": t}) + "\n" for t in (thai_news(21), "ข่าวอื่น ไม่เกี่ยวข้อง")))
    code, out, _ = run_cli(capsys, "index", str(corpus.parent), "--language", "tha_Thai", "--to", str(tmp_path / "idx"))
    assert code == 0 and "2 tha_Thai documents indexed" in out
    assert pq.read_table(tmp_path / "idx" / "tha_Thai").column("id").to_pylist() == ["news.jsonl:0", "news.jsonl:1"]

    # run 1's input: a and b (thai_news(21), whose page text is the article with its title: a near-duplicate)
    warc = chain[1][1].parents[1] / "in1" / "x.warc.gz"
    accounting, output = run_job(tmp_path, warc, dedup=DedupConfig(against=[str(tmp_path / "idx")]))
    assert accounting["languages"]["tha_Thai"]["kept"] == 1
    assert list(_dedup_table(output).values()) == [
        (
            "near_duplicate_of_earlier",
            "news.jsonl:0",
            str(tmp_path / "idx"),
        )
    ]
    # an index only grows alike: the same folder with another seed is refused
    code, _, err = run_cli(
        capsys, "index", str(corpus), "--language", "tha_Thai", "--to", str(tmp_path / "idx"), "--seed", "2"
    )
    assert code == 1 and "seed 1 (this run: 2)" in err


@pytest.fixture(scope="module")
def alone(chain, tmp_path_factory) -> Path:
    """Run 2's input, not deduplicated against run 1."""
    return run_job(tmp_path_factory.mktemp("alone"), chain[1][1].parents[1] / "in2" / "x.warc.gz")[1]


def test_global_dedup_of_finished_runs_keeps_what_one_run_over_their_inputs_keeps(chain, alone, tmp_path, capsys):
    root = chain[1][1].parents[1]
    (_, out1), (_, chained) = chain[1], chain[2]
    both = tmp_path / "both"
    both.mkdir()
    for n in (1, 2):
        (both / f"in{n}.warc.gz").write_bytes((root / f"in{n}" / "x.warc.gz").read_bytes())
    _, one_run = run_job(tmp_path / "one", both)

    code, out, _ = run_cli(capsys, "dedup", str(out1), str(alone), "--to", str(tmp_path / "global"))
    assert code == 0
    rows = lambda folder: {r["id"]: r for r in pq.read_table(folder / "tha_Thai").to_pylist()}  # noqa: E731
    merged, single = rows(tmp_path / "global"), rows(one_run)
    assert set(merged) == set(single) and len(merged) == 3  # a, b and c: a's copy and edited copy go
    assert {i: r["cluster_size"] for i, r in merged.items()} == {i: r["cluster_size"] for i, r in single.items()}
    assert "tha_Thai: 4 documents in the runs, 3 kept;" in out  # run 2 had kept one of a's copy and edited copy

    code, _, err = run_cli(capsys, "dedup", str(out1), str(chained), "--to", str(tmp_path / "refused"))
    assert code == 1 and "ran --dedup-against other runs" in err
    code, _, err = run_cli(capsys, "dedup", str(out1), str(alone), "--to", str(tmp_path / "global"))
    assert code == 1 and "is not empty" in err


@pytest.mark.spark
@pytest.mark.usefixtures("spark")
def test_spark_global_dedup_writes_the_local_engines_files(chain, alone, tmp_path, capsys):
    """Runs 1 and 2 (alone) and a copy of run 1 (its ids held by two runs: only the first run's stay), through both
    engines: the same files, tables and summary. (Which of a's copies is kept depends on the WARC record ids, random
    uuids: the figures below hold for any.)"""
    out1 = chain[1][1]
    copy = tmp_path / "copy"
    shutil.copytree(out1, copy)
    runs = [str(out1), str(alone), str(copy)]
    code, local_out, _ = run_cli(capsys, "dedup", *runs, "--to", str(tmp_path / "local"))
    assert code == 0
    code, spark_out, _ = run_cli(
        capsys, "dedup", *runs, "--to", str(tmp_path / "spark"), "--engine", "spark", "--master", "local[2]"
    )
    assert code == 0 and spark_out == local_out
    assert local_out.startswith("tha_Thai: 6 documents in the runs, 3 kept;")  # 2 in each run; a, b and c kept
    files = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())  # noqa: E731
    assert (
        files(tmp_path / "spark")
        == files(tmp_path / "local")
        == [
            "_dedup/tha_Thai/00000.parquet",
            *(f"tha_Thai/{n:05d}.parquet" for n in range(3)),  # one per corpus file, in the command's order
        ]
    )
    rows = {}
    for name in files(tmp_path / "local"):
        local, spark = pq.read_table(tmp_path / "local" / name), pq.read_table(tmp_path / "spark" / name)
        assert spark.equals(local), name
        rows[name] = local.num_rows
    # of a, its copy and its edited copy two go; the copy of run 1 keeps nothing: run 1 holds its ids first
    assert rows["_dedup/tha_Thai/00000.parquet"] == 2 and rows["tha_Thai/00002.parquet"] == 0
    assert {run for _, _, run in _dedup_table(tmp_path / "spark").values()} <= {str(out1), str(alone)}
    # the local engine's refusals (one check for both)
    code, _, err = run_cli(capsys, "dedup", *runs, "--to", str(tmp_path / "spark"), "--engine", "spark")
    assert code == 1 and "is not empty" in err
    code, _, err = run_cli(
        capsys, "dedup", str(out1), str(chain[2][1]), "--to", str(tmp_path / "no"), "--engine", "spark"
    )
    assert code == 1 and "ran --dedup-against other runs" in err


def test_the_audit_funnel_books_duplicates_of_earlier_runs_under_dedup(chain):
    from monsoon.audit.funnel import DEDUP, language_funnel, losses

    accounting = chain[2][0]["languages"]["tha_Thai"]
    assert losses(accounting) == {DEDUP: (2, sum(accounting["dropped_tokens"].values()))}
    dedup_step = next(step for step in language_funnel("tha_Thai", accounting) if step.stage == DEDUP)
    assert (dedup_step.lost_docs, dedup_step.docs) == (2, 1)


def test_dedup_against_paths_are_relative_to_the_config_and_the_command_line_replaces_them(tmp_path, monkeypatch):
    from monsoon.config import load_run_config
    from monsoon.pipelines.layout import job_fingerprint

    (tmp_path / "configs").mkdir()
    config_file = tmp_path / "configs" / "run.yaml"
    config_file.write_text("input: in\noutput: out\ndedup:\n  against: [../runs/one, s3://bucket/runs/two]\n")
    config = load_run_config(config_file)
    assert config.dedup.against == [str(tmp_path / "runs" / "one"), "s3://bucket/runs/two"]
    assert job_fingerprint(config, [], "local", 1)["dedup.against"] == config.dedup.against  # part of the job
    monkeypatch.chdir(tmp_path)
    assert load_run_config(config_file, dedup_against=["elsewhere"]).dedup.against == [str(tmp_path / "elsewhere")]
