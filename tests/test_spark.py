"""The Spark engine: the bundled sample through Spark local[2] gives the local engine's corpus and accounting."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO, SAMPLE_CONFIG, identity_holds

from monsoon.config import load_run_config
from monsoon.dedup.local import clusters
from monsoon.pipelines.local import run_local

pytestmark = pytest.mark.spark


def corpus(output: Path) -> dict[str, dict[str, dict]]:
    """language -> {id: row} over the output parquet files."""
    found: dict[str, dict[str, dict]] = {}
    for path in sorted(output.glob("*/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            assert row["id"] not in found.setdefault(path.parent.name, {}), f"{row['id']} written twice"
            found[path.parent.name][row["id"]] = row
    return found


def dropped(output: Path) -> dict[str, list[dict]]:
    """`_dropped/<language>/<stage>-<rank>.parquet` -> its rows (`--keep-dropped`), sorted by id."""
    return {
        str(path.relative_to(output)): sorted(pq.read_table(path).to_pylist(), key=lambda row: row["id"])
        for path in sorted(output.glob("_dropped/*/*.parquet"))
    }


@pytest.fixture(scope="module")
def both_engines(spark, sample_reference, tmp_path_factory):
    """The sample through the local engine, and through `monsoon run --engine spark --master local[2]`, both
    keeping the dropped documents."""
    from monsoon.cli import main

    root = tmp_path_factory.mktemp("engines")
    command = ["run", str(SAMPLE_CONFIG), "--engine", "spark", "--master", "local[2]", "--output", str(root / "spark")]
    command.append("--keep-dropped")
    assert main(command) == 0
    return {
        "local": sample_reference,
        "spark": (json.loads((root / "spark" / "accounting.json").read_text()), root / "spark"),
    }


def test_spark_keeps_the_local_engines_documents(both_engines):
    (_, local_out), (_, spark_out) = both_engines["local"], both_engines["spark"]
    local, spark = corpus(local_out), corpus(spark_out)
    assert {lang: set(rows) for lang, rows in spark.items()} == {lang: set(rows) for lang, rows in local.items()}
    assert sum(len(rows) for rows in spark.values()) > 100
    for language, rows in local.items():
        assert spark[language] == rows  # same text, token counts, signals and cluster sizes


def test_spark_accounting_equals_the_local_engines(both_engines):
    (local, _), (spark, _) = both_engines["local"], both_engines["spark"]
    assert spark == local
    assert spark["total"]["read"] == 222 and identity_holds(spark["total"])
    assert spark["total"]["dropped"]["near_duplicate"] > 0


def test_spark_output_has_the_local_layout_and_schema(both_engines):
    (_, local_out), (_, spark_out) = both_engines["local"], both_engines["spark"]
    spark_files = sorted(spark_out.glob("*/*.parquet"))
    assert spark_files and all(p.stem.isdigit() and len(p.stem) == 5 for p in spark_files)
    local_schema = pq.read_schema(next(local_out.glob("*/*.parquet")))
    for path in spark_files:
        assert pq.read_schema(path).equals(local_schema, check_metadata=True)
    assert not (spark_out / "_work" / "attempts").exists()  # every attempt folder was moved into place
    stages = json.loads((spark_out / "_work" / "stage_seconds.json").read_text())
    assert list(stages) == ["spark_session", "1_extract", "2_clusters", "3_write"]


def test_spark_keeps_the_local_engines_dropped_documents(both_engines):
    (accounting, local_out), (_, spark_out) = both_engines["local"], both_engines["spark"]
    local = dropped(local_out)
    assert dropped(spark_out) == local  # the same files, rows, reasons and texts
    assert sum(len(rows) for rows in local.values()) == sum(accounting["total"]["dropped"].values())


def test_a_second_run_of_the_same_job_resumes_and_another_job_is_refused(both_engines, spark):
    from monsoon.pipelines.layout import JobChanged
    from monsoon.pipelines.spark import run_spark

    (local_accounting, _), (_, spark_out) = both_engines["local"], both_engines["spark"]
    first = {p.relative_to(spark_out): p.read_bytes() for p in spark_out.glob("*/*.parquet")}
    config = load_run_config(SAMPLE_CONFIG, output=str(spark_out), input=str(REPO / "sample" / "warc"))
    config.keep_dropped = True
    assert run_spark(config, "local[2]") == local_accounting
    again = {p.relative_to(spark_out): p.read_bytes() for p in spark_out.glob("*/*.parquet")}
    assert again == first  # every rank was finished: nothing rewritten

    config.reader.max_html_bytes = 1000
    with pytest.raises(JobChanged, match=r"reader.max_html_bytes \(2000000 -> 1000\) changed"):
        run_spark(config, "local[2]")
    assert {p.relative_to(spark_out): p.read_bytes() for p in spark_out.glob("*/*.parquet")} == first


def test_a_rerun_extracts_only_the_files_an_interrupted_run_left(both_engines):
    from monsoon.pipelines.spark import run_spark

    (local_accounting, local_out), (_, spark_out) = both_engines["local"], both_engines["spark"]
    work = spark_out / "_work"
    # as if the job died while extract task 2 was writing: no completion or stats for it, no clusters, no final files
    (work / "logs" / "1_extract" / "completions" / "00002").unlink()
    (work / "logs" / "1_extract" / "stats" / "00002.json").unlink()
    for path in [*spark_out.glob("*/*.parquet"), spark_out / "accounting.json"]:
        path.unlink()
    for folder in (work / "clusters", work / "logs" / "2_clusters", work / "logs" / "3_write"):
        shutil.rmtree(folder)
    intermediate = sorted((work / "intermediate").glob("*/*.parquet"))
    before = {path: path.stat().st_mtime_ns for path in intermediate}

    config = load_run_config(SAMPLE_CONFIG, output=str(spark_out), input=str(REPO / "sample" / "warc"))
    config.keep_dropped = True
    accounting = run_spark(config, "local[2]")

    rewritten = {path.name for path in intermediate if path.stat().st_mtime_ns != before[path]}
    assert rewritten == {"00002.parquet"}
    assert (work / "logs" / "1_extract" / "stats" / "00002.json").exists()
    assert accounting == local_accounting
    assert corpus(spark_out) == corpus(local_out)
    assert dropped(spark_out) == dropped(local_out)  # the rerun ranks replaced their dropped files


def test_a_sigkilled_spark_run_resumes_under_spark_submit_to_the_local_engines_output(both_engines, tmp_path):
    """SIGKILL of the whole job (driver, JVM and Python workers) once one extract rank is complete; the same job
    under spark-submit (jobs/spark_run.py) finishes it with the uninterrupted run's corpus and accounting. One
    resumed run checks both: a separate spark-submit run cost a minute more of the suite."""
    local_accounting, local_out = both_engines["local"]
    output = tmp_path / "killed"
    command = [sys.executable, "-m", "monsoon.cli", "run", str(SAMPLE_CONFIG), "--engine", "spark"]
    command += ["--master", "local[1]", "--output", str(output), "--keep-dropped"]
    victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    completions = output / "_work" / "logs" / "1_extract" / "completions"
    deadline = time.monotonic() + 300
    while not (completions.exists() and any(completions.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert 1 <= len(list(completions.iterdir())) < 4 and not (output / "accounting.json").exists()

    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # no spark.sql.shuffle.partitions: monsoon sets one per core for spark-submit's local master (Spark's 200 would
    # make the clusters stage's many small jobs take a minute)
    submit = [str(Path(sys.executable).with_name("spark-submit")), "--master", "local[2]"]
    submit += ["--conf", "spark.ui.enabled=false"]
    submit += [str(REPO / "jobs" / "spark_run.py"), str(SAMPLE_CONFIG), "--output", str(output), "--keep-dropped"]
    result = subprocess.run(submit, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "total" in result.stdout  # the summary table
    accounting = json.loads((output / "accounting.json").read_text())
    assert 0 < accounting["total"]["kept"] < accounting["total"]["read"] and identity_holds(accounting["total"])
    assert accounting == local_accounting
    assert corpus(output) == corpus(local_out)
    assert dropped(output) == dropped(local_out)


def test_a_local_master_given_by_spark_submit_gets_a_shuffle_partition_per_core(spark):
    from monsoon.spark_session import spark_session

    spark.conf.set("spark.sql.shuffle.partitions", "200")  # Spark's default, as under spark-submit
    assert spark_session("monsoon tests", progress=False) is spark  # no master given: spark-submit's local[2]
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"


def test_moving_an_attempt_replaces_the_files_of_an_earlier_attempt(tmp_path):
    from monsoon.pipelines.spark import move_tree

    target = tmp_path / "out"
    (target / "tha_Thai").mkdir(parents=True)
    (target / "tha_Thai" / "00003.parquet").write_text("from a failed attempt")
    attempt = tmp_path / "attempt-1"
    (attempt / "tha_Thai").mkdir(parents=True)
    (attempt / "tha_Thai" / "00003.parquet").write_text("retried")
    move_tree(str(attempt), str(target))
    assert [p.read_text() for p in target.glob("*/*")] == ["retried"]
    assert not attempt.exists()


def test_connected_components_equal_union_find(spark, tmp_path):
    """Random band collisions plus a 40-document chain (many large/small-star rounds) against the local engine's
    union-find."""
    from monsoon.dedup.spark import near_duplicate_clusters

    spark.sparkContext.setCheckpointDir(str(tmp_path / "checkpoints"))
    rng = random.Random(7)
    docs = [
        (f"doc-{i:04d}", [rng.randrange(40) if band == 0 else rng.randrange(10**9) for band in range(3)])
        for i in range(300)
    ]
    chain = [f"chain-{i:02d}" for i in rng.sample(range(40), 40)]
    # link i and i + 1 through band 0 (even i) or band 1 (odd i)
    docs += [(doc, [10**6 + i // 2, 10**6 + (i + 1) // 2, rng.randrange(10**9)]) for i, doc in enumerate(chain)]
    frame = spark.createDataFrame(
        [("tha_Thai", i, b) for i, b in docs], "language string, id string, minhash_bands array<bigint>"
    )
    found = {r.id: (r.cluster_id, r.cluster_size) for r in near_duplicate_clusters(frame).collect()}
    assert found == clusters(docs)
    assert found[chain[0]] == found[chain[-1]] == ("chain-00", 40)


def test_copies_of_records_held_by_several_files_are_dropped_on_both_engines(spark, tmp_path):
    """The same WARC given twice and two records sharing a WARC-Record-ID: the Spark engine keeps each page once,
    with unique ids, as the local engine does (stages/near_duplicates.py copy_key)."""
    from hostile import good_pages, good_warc, record

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.warc.gz").write_bytes(good_warc())
    (inputs / "b.warc.gz").write_bytes(good_warc())
    twin_id = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    (inputs / "c.warc.gz").write_bytes(b"".join(record(url, html, record_id=twin_id) for url, html in good_pages()[:2]))
    config = load_run_config(SAMPLE_CONFIG, input=str(inputs), output=str(tmp_path / "local"), tasks=1, workers=1)
    local = run_local(config)
    from monsoon.pipelines.spark import run_spark

    config.output = str(tmp_path / "spark")
    on_spark = run_spark(config, "local[2]")

    assert local == on_spark
    assert local["total"]["kept"] == len(good_pages()) and local["total"]["dropped"]["exact_duplicate"] == 6 + 2
    assert corpus(tmp_path / "local") == corpus(tmp_path / "spark")  # corpus() fails on an id written twice
