"""The per-document budget (stages/budget.py) on constructed steps and texts: a slow document is dropped naming the
step, a failing one is errored, an oversized one never reaches the step, and the documents after them go on."""

from __future__ import annotations

import signal
import time

import pytest
from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

from monsoon.accounting import merge_stats
from monsoon.config import ConfigError, RunConfig, load_run_config
from monsoon.pipelines.plan import document_steps
from monsoon.stages.budget import STEP_KEYS, Budgeted, Limits, budgeted, step_key
from monsoon.stages.pii import PiiMask


class Sleepy(PipelineStep):
    """Sleeps on "slow", raises on "boom", passes the rest."""

    name = "sleepy"

    def run(self, data, rank: int = 0, world_size: int = 1):
        for doc in data:
            if doc.text == "slow":
                time.sleep(60)
            if doc.text == "boom":
                raise ValueError("boom")
            yield doc


def _docs(*texts: str, language: str | None = None) -> list[Document]:
    return [
        Document(text=t, id=str(i), metadata={"language": language} if language else {}) for i, t in enumerate(texts)
    ]


def _outcomes(step: PipelineStep) -> dict:
    return merge_stats([[step.stats.to_dict()]])["total"]


def test_a_slow_document_is_dropped_a_failing_one_errored_and_the_rest_go_on():
    step = Sleepy()
    started = time.monotonic()
    out = [
        doc.text
        for doc in Budgeted(step, Limits(seconds=0.3, max_chars=0)).run(iter(_docs("a", "slow", "b", "boom", "c")))
    ]

    assert out == ["a", "b", "c"]
    assert time.monotonic() - started < 5
    totals = _outcomes(step)
    assert totals["dropped"] == {"budget.time.sleepy": 1}
    assert totals["errored"] == {"failed.sleepy": 1}
    assert totals["steps"]["budget.time.sleepy"] == "Sleepy"
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer left behind


def test_an_oversized_text_never_reaches_the_step():
    step = Sleepy()
    out = [doc.text for doc in Budgeted(step, Limits(seconds=0, max_chars=4)).run(iter(_docs("a", "slow!", "b")))]

    assert out == ["a", "b"]
    assert _outcomes(step)["dropped"] == {"budget.size.sleepy": 1}


def test_errors_before_the_step_or_in_its_set_up_stay_the_jobs():
    def failing_upstream():
        yield Document(text="a", id="0")
        raise OSError("the disk went away")

    with pytest.raises(OSError, match="disk"):
        list(Budgeted(Sleepy(), Limits(1.0, 0)).run(failing_upstream()))

    class NoModel(PipelineStep):
        name = "no model"

        def run(self, data, rank: int = 0, world_size: int = 1):
            raise FileNotFoundError("model.bin")
            yield from data

    with pytest.raises(FileNotFoundError):
        list(Budgeted(NoModel(), Limits(1.0, 0)).run(iter(_docs("a"))))


def test_the_pii_pattern_on_a_long_letter_run_stops_at_the_budget():
    # 160k letters without "@": the e-mail pattern alone takes ~21 s on them (issue 20)
    step = PiiMask()
    texts = ("Rapat umum warga kota membahas rencana jembatan baru.", "a" * 160_000, "Warga kota setuju.")
    started = time.monotonic()
    out = list(budgeted([step], 1.0, 0, {})[0].run(iter(_docs(*texts, language="ind_Latn"))))

    assert [doc.id for doc in out] == ["0", "2"]
    assert _outcomes(step)["dropped"] == {"budget.time.pii_mask": 1}
    assert time.monotonic() - started < 15


def test_every_step_of_the_plan_has_a_budget_key_and_the_config_checks_them(tmp_path):
    config = RunConfig(input="in", output="out")
    # decontamination and quality scores run only when configured
    assert {step_key(step) for step in document_steps(config)} | {"decontamination", "quality_score"} == set(STEP_KEYS)

    path = tmp_path / "run.yaml"
    path.write_text("input: in\noutput: out\nbudget:\n  seconds: 2\n  steps:\n    pii_mask: {seconds: 1}\n")
    assert load_run_config(path).budget.steps == {"pii_mask": {"seconds": 1}}
    path.write_text("input: in\noutput: out\nbudget:\n  steps:\n    pii: {seconds: 1}\n")
    with pytest.raises(ConfigError, match="unknown step 'pii'"):
        load_run_config(path)
