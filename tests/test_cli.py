"""The command line as a user runs it: help texts, and `monsoon run` with its summary and output contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
from conftest import REPO, html_page, thai_news, warc_response

REQUIRED_COLUMNS = {"id", "text", "url", "language", "language_score", "token_count", "source", "dump"}


def monsoon(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "monsoon.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_help_explains_every_run_option():
    assert "run" in monsoon("--help").stdout
    text = monsoon("run", "--help").stdout
    for option in ("--input", "--output", "--workers", "--tasks", "--restart", "accounting.json", "resumes"):
        assert option in text


def test_run_prints_the_summary_and_writes_the_output_contract(tmp_path):
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    for i, index in enumerate((29, 34)):
        page = html_page("ข่าว", thai_news(index), lang="th").encode()
        (warcs / f"part-{i}.warc.gz").write_bytes(warc_response(f"https://news.example.th/{i}", page))
    config = tmp_path / "run.yaml"
    config.write_text("input: nowhere\noutput: nowhere\nsource: test-crawl\ndump: CC-TEST\ntasks: 2\nworkers: 2\n")

    result = monsoon("run", str(config), "--input", str(warcs), "--output", str(tmp_path / "out"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "tha_Thai" in result.stdout and "docs/s" in result.stdout
    stages = json.loads((tmp_path / "out" / "_work" / "stage_seconds.json").read_text())
    assert list(stages) == ["1_extract", "2_clusters", "3_write"] and all(s > 0 for s in stages.values())
    assert f"wall time per stage: 1_extract {stages['1_extract']:.1f} s, 2_clusters" in result.stdout
    accounting = json.loads((tmp_path / "out" / "accounting.json").read_text())
    assert accounting["total"]["read"] == 2
    assert accounting["languages"]["tha_Thai"]["kept"] == 2
    table = pq.read_table(tmp_path / "out" / "tha_Thai")
    assert REQUIRED_COLUMNS <= set(table.column_names)
    assert set(table.column("source").to_pylist()) == {"test-crawl"}
    assert set(table.column("dump").to_pylist()) == {"CC-TEST"}


def test_rerun_resumes_without_redoing_or_duplicating(tmp_path):
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    page = html_page("ข่าว", thai_news(29), lang="th").encode()
    (warcs / "a.warc.gz").write_bytes(warc_response("https://news.example.th/a", page))
    config = tmp_path / "run.yaml"
    config.write_text(f"input: {warcs}\noutput: {tmp_path / 'out'}\ntasks: 1\nworkers: 1\n")

    first = monsoon("run", str(config))
    second = monsoon("run", str(config))

    assert first.returncode == second.returncode == 0
    accounting = json.loads((tmp_path / "out" / "accounting.json").read_text())
    assert accounting["total"]["read"] == 1
    assert pq.read_table(tmp_path / "out" / "tha_Thai").num_rows == 1


def _one_thai_page(tmp_path, name: str = "warcs"):
    warcs = tmp_path / name
    warcs.mkdir()
    page = html_page("ข่าว", thai_news(29), lang="th").encode()
    (warcs / "a.warc.gz").write_bytes(warc_response("https://news.example.th/a", page))
    return warcs


def test_a_file_uri_output_is_written_there_and_a_changed_job_is_refused_until_restarted(tmp_path):
    warcs = _one_thai_page(tmp_path)
    config = tmp_path / "run.yaml"
    config.write_text(f"input: {warcs}\noutput: nowhere\ntasks: 1\nworkers: 1\n")
    output = f"file://{tmp_path}/out"

    first = monsoon("run", str(config), "--output", output, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1 documents" in first.stdout
    assert not (tmp_path / "file:").exists()
    assert json.loads((tmp_path / "out" / "accounting.json").read_text())["languages"]["tha_Thai"]["kept"] == 1
    assert (tmp_path / "out" / "_work" / "logs" / "console.log").exists()

    config.write_text(config.read_text() + "prelid:\n  min_score: 0.1\n")
    refused = monsoon("run", str(config), "--output", output)
    assert refused.returncode == 1
    assert "prelid.min_score (0.05 -> 0.1) changed" in refused.stderr and "--restart" in refused.stderr

    restarted = monsoon("run", str(config), "--output", output, "--restart")
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    job = json.loads((tmp_path / "out" / "_work" / "job.json").read_text())
    assert job["prelid.min_score"] == 0.1
    assert pq.read_table(tmp_path / "out" / "tha_Thai").num_rows == 1


def test_a_run_that_reads_nothing_fails_and_one_that_keeps_nothing_says_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing_read = monsoon(
        "run", str(REPO / "configs" / "sample.yaml"), "--input", str(empty), "--output", str(tmp_path / "out")
    )
    assert nothing_read.returncode == 1
    assert f"no WARC files match {empty}" in nothing_read.stderr

    warcs = tmp_path / "warcs"
    warcs.mkdir()
    (warcs / "a.warc.gz").write_bytes(warc_response("https://example.com/a.png", b"\x89PNG", "image/png"))
    nothing_kept = monsoon(
        "run",
        str(REPO / "configs" / "sample.yaml"),
        "--input",
        str(warcs),
        "--output",
        str(tmp_path / "out"),
        "--tasks",
        "1",
        "--workers",
        "1",
    )
    assert nothing_kept.returncode == 0  # read and accounted for: a success, said loudly
    said = f"WARNING: none of the 1 documents read was kept: nothing written to {tmp_path / 'out'}"
    assert said in nothing_kept.stderr


def test_lid_prints_label_and_score_per_line():
    result = subprocess.run(
        [sys.executable, "-m", "monsoon.cli", "lid"],
        input="สวัสดีครับ วันนี้อากาศดีมาก\nThe council approved the new bridge plan on Tuesday.\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [label for label, _ in lines] == ["tha_Thai", "eng_Latn"]
    assert all(0.0 < float(score) <= 1.01 for _, score in lines)
