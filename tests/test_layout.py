"""The run's layout and job fingerprint, without running a pipeline: paths under any fsspec URI, and which rerun
resumes, is refused (naming what changed) or starts over."""

from __future__ import annotations

import dataclasses
import json

import pytest

from monsoon.config import PreLidConfig, RunConfig
from monsoon.pipelines.layout import JobChanged, RunLayout, job_fingerprint, start_or_resume


def test_every_path_is_under_the_output_uri():
    layout = RunLayout("s3://bucket/corpus/")
    assert layout.intermediate == "s3://bucket/corpus/_work/intermediate"
    assert layout.stage_logs("1_extract") == "s3://bucket/corpus/_work/logs/1_extract"
    assert layout.uri(layout.attempt("3_write", 7, 1)) == "s3://bucket/corpus/_work/attempts/3_write/00007-1"
    assert not layout.is_local and RunLayout("file:///tmp/x").is_local


def test_the_fingerprint_holds_what_changes_the_output_and_not_what_places_it():
    config = RunConfig(input="in", output="out", languages=["tha_Thai"])
    job = job_fingerprint(config, ["a.warc.gz"], "local", config.tasks)
    assert job["prelid.min_score"] == 0.05 and job["lid.model"] == "embedded" and job["tokenizer"] == "llama3"
    assert job["input files"] == ["a.warc.gz"] and job["tasks"] == 4
    assert len(job["languages/tha_Thai.yaml"]) == 64  # sha256 of the thresholds file
    moved = dataclasses.replace(config, output="elsewhere", workers=8)
    assert job_fingerprint(moved, ["a.warc.gz"], "local", moved.tasks) == job


def test_same_job_resumes_another_is_refused_naming_the_change_and_restart_starts_over(tmp_path):
    layout = RunLayout(str(tmp_path / "out"))
    config = RunConfig(input="in", output=layout.output, languages=["tha_Thai"])
    job = job_fingerprint(config, ["a.warc.gz"], "local", 4)
    assert start_or_resume(layout, job, restart=False) is False
    (tmp_path / "out" / "_work" / "logs").mkdir(parents=True)
    (tmp_path / "out" / "tha_Thai").mkdir()
    assert start_or_resume(layout, job, restart=False) is True
    assert (tmp_path / "out" / "_work" / "logs").exists()

    changed = job_fingerprint(
        dataclasses.replace(config, prelid=PreLidConfig(min_score=0.2)), ["a.warc.gz", "b.warc.gz"], "local", 4
    )
    with pytest.raises(JobChanged, match=r"input files \(1 -> 2 files\), prelid.min_score \(0.05 -> 0.2\) changed"):
        start_or_resume(layout, changed, restart=False)
    assert (tmp_path / "out" / "tha_Thai").exists()  # a refused run removes nothing

    assert start_or_resume(layout, changed, restart=True) is False
    assert not (tmp_path / "out" / "_work" / "logs").exists() and not (tmp_path / "out" / "tha_Thai").exists()
    assert json.loads((tmp_path / "out" / "_work" / "job.json").read_text()) == changed
