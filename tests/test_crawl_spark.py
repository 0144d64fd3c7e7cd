"""Index-first on Spark: the selection in Spark SQL is the local one (same rows, same plan), and an index-first run
on Spark local[2] keeps the local engine's documents, on the mini bucket of
tests/test_crawl.py (conftest mini_crawl), both reading their byte ranges through a faulty server."""

from __future__ import annotations

import json

import pytest
from fault_server import FaultServer
from test_crawl import INDEX, LANGUAGES, QUICK_FETCH, _config, _kept, _selection

from monsoon.config import load_run_config
from monsoon.crawl.select import select, select_with_spark
from monsoon.pipelines.local import run_local
from monsoon.pipelines.spark import run_spark

pytestmark = [pytest.mark.spark, pytest.mark.usefixtures("spark")]


def _plan(plan: dict) -> dict:
    return {key: value for key, value in plan.items() if key not in ("seconds", "wall_hours", "core_hours")}


def test_spark_sql_selects_the_local_selections_rows_and_the_spark_run_keeps_the_local_runs_documents(
    mini_crawl, tmp_path
):
    with FaultServer(mini_crawl["bucket"]) as faulty:
        # the ranges through tests/fault_server.py, a fault drawn for each request (seeded): 40% of them retried
        faulty.set_rates(seed=5, slowdown=0.3, reset=0.05, short=0.05)
        path = _config(
            tmp_path,
            input=str(mini_crawl["bucket"] / INDEX),
            input_prefix=f"{faulty.url}/",
            index={"policy": "any", "gap": 0, "whole_file_share": 1.0},  # a request per record: the most to fault
            limit=1,
            fetch=QUICK_FETCH,
        )
        local = load_run_config(path, output=str(tmp_path / "local"))
        on_spark = load_run_config(path, output=str(tmp_path / "spark"))
        local_plan = select(local)
        spark_plan = select_with_spark(on_spark, "local[2]")
        assert _plan(spark_plan) == _plan(local_plan) and local_plan["selected"] > 0
        key = json.dumps
        assert sorted(map(key, _selection(on_spark.output))) == sorted(map(key, _selection(local.output)))
        assert set(local_plan["languages"]) == set(LANGUAGES)

        local_accounting = run_local(local)
        spark_accounting = run_spark(on_spark, "local[2]")
    assert spark_accounting["index"] == local_accounting["index"]
    assert spark_accounting["total"] == local_accounting["total"]
    assert _kept(on_spark.output) == _kept(local.output) and _kept(local.output)
    for accounting in (local_accounting, spark_accounting):  # the faults were met, retried and counted
        assert sum(accounting["fetch"]["retries"].values()) > 0 and accounting["fetch"]["failed_inputs"] == 0
