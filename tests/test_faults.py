"""Faults: a run killed midway and rerun with the same command equals an uninterrupted run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from conftest import SAMPLE_CONFIG


def _rows(output) -> list[tuple]:
    return sorted(
        (row["language"], row["id"], row["token_count"])
        for path in output.glob("*/*.parquet")
        for row in pq.read_table(path, columns=["language", "id", "token_count"]).to_pylist()
    )


def _command(config, output) -> list[str]:
    return [sys.executable, "-m", "monsoon.cli", "run", str(config), "--output", str(output), "--workers", "1"]


def _processes_writing_to(output: Path, grace: float = 5.0) -> list[int]:
    """Processes whose command line names `output`, after up to `grace` seconds for them to exit."""
    deadline = time.monotonic() + grace
    while True:
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if str(output).encode() in cmdline.read_bytes():
                    found.append(int(cmdline.parent.name))
            except OSError:  # exited meanwhile
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_sigkilled_run_resumes_to_the_same_output(sample_reference, tmp_path):
    """The reference: an uninterrupted local run of the same job (conftest, shared with test_spark; it also keeps
    the dropped documents, which changes neither the corpus nor the accounting)."""
    reference_accounting, reference = sample_reference
    resumed = tmp_path / "resumed"
    victim = subprocess.Popen(_command(SAMPLE_CONFIG, resumed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    completions = resumed / "_work" / "logs" / "1_extract" / "completions"
    deadline = time.monotonic() + 120
    while not (completions.exists() and any(completions.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)  # mid-stage: some tasks done, one partly written, others not started
    victim.wait()
    assert len(list(completions.iterdir())) < 4
    assert _processes_writing_to(resumed) == []  # the victim's extraction sandbox died with it
    subprocess.run(_command(SAMPLE_CONFIG, resumed), check=True, capture_output=True, timeout=300)

    assert _rows(resumed) == _rows(reference)
    assert json.loads((resumed / "accounting.json").read_text()) == reference_accounting
