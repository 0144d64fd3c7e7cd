"""Hostile input, tried as a user would (issue 20): `monsoon run` on real pages that a clean run keeps, with hostile
records, files, configs and output folders beside them (tests/hostile.py builds them). Each run asserts its exit
status, a bounded wall time and peak RSS, read = kept + dropped + errored, the good pages kept, and no duplicate
ids or texts. bench/hostile.py runs each case alone and prints the table."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import identity_holds
from hostile import (
    BAD_CONFIGS,
    RECORD_CASES,
    fresh,
    good_pages,
    good_warc,
    record,
    run_monsoon,
    write_config,
    write_file_cases,
)

from monsoon.exit_status import FAILED, SUCCESS

GOOD_URLS = {url for url, _ in good_pages()}


def _corpus(output: Path) -> list[dict]:
    return [
        row
        for path in output.glob("*/*.parquet")
        for row in pq.read_table(path, columns=["id", "url", "text"]).to_pylist()
    ]


def _assert_sound(result, output: Path, wall: float, rss_mib: float = 2048) -> dict:
    assert result.code == SUCCESS, result.stderr[-2000:]
    assert result.wall < wall, result.wall
    assert result.peak_rss_mib < rss_mib, result.peak_rss_mib
    accounting = json.loads((output / "accounting.json").read_text())
    assert identity_holds(accounting["total"])
    rows = _corpus(output)
    assert GOOD_URLS <= {row["url"] for row in rows}
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["text"] for row in rows}) == len(rows)
    return accounting


def test_hostile_records_cost_only_themselves(tmp_path):
    """Every hostile record of the corpus in one WARC among the good pages: one run, every record accounted for."""
    folder = fresh(tmp_path / "records")
    good = [record(url, html) for url, html in good_pages()]
    hostile = [case.build() for case in RECORD_CASES]
    (folder / "in" / "mixed.warc.gz").write_bytes(b"".join(good[:3] + hostile + good[3:]))

    result = run_monsoon("run", str(write_config(folder)))

    accounting = _assert_sound(result, folder / "out", wall=240)
    total = accounting["total"]
    assert total["read"] == len(good) + len(RECORD_CASES) + 1  # the blank-lines bomb: its record, then the junk
    assert not any(reason.startswith("failed.") for reason in total["errored"]), total["errored"]
    assert total["errored"]["header_line_too_long"] == 1 and total["errored"]["too_many_blank_lines"] == 1
    assert total["dropped"]["budget.time.machine_translation_traces"] == 1
    kept = {row["url"] for row in _corpus(folder / "out")}
    for case in RECORD_CASES:
        if case.outcome == "kept":
            url = gzip.decompress(case.build()).split(b"WARC-Target-URI: ")[1].split(b"\r\n")[0].decode()
            assert url in kept, case.name


def test_hostile_files_cost_only_themselves(tmp_path):
    """The same WARC twice, a plain WARC whose Content-Length swallows the records after it, a text file named
    .warc.gz, and two records sharing a WARC-Record-ID."""
    folder = fresh(tmp_path / "files")
    write_file_cases(folder / "in")

    result = run_monsoon("run", str(write_config(folder, tasks=3)))

    accounting = _assert_sound(result, folder / "out", wall=240)
    total = accounting["total"]
    assert total["errored"] == {"content_length_mismatch": 1, "not_a_warc_file": 1}
    # every record read (c.warc's five after the bad one too), and every page kept once: a.warc.gz's copy, the
    # plain file's pages and the twins are exact copies of a.warc.gz's pages
    assert total["read"] == 6 + 6 + 6 + 1 + 2
    assert total["kept"] == len(GOOD_URLS)
    assert total["dropped"]["exact_duplicate"] == 6 + 5 + 2


@pytest.mark.parametrize("text, says", BAD_CONFIGS)
def test_a_bad_config_is_one_line_naming_the_file_and_key(tmp_path, text, says):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    result = run_monsoon("run", str(config), timeout=120)
    assert result.code == FAILED
    assert result.stderr.strip().splitlines() == [
        f"monsoon run: {config}{result.stderr.split(str(config), 1)[1].strip()}"
    ]
    assert says in result.stderr and "Traceback" not in result.stderr
    assert result.peak_rss_mib < 512  # the aliases of the first case would expand to > 5 GiB


def test_an_output_folder_that_holds_no_run_is_refused_and_untouched(tmp_path):
    folder = fresh(tmp_path / "refused")
    (folder / "in" / "a.warc.gz").write_bytes(good_warc())
    output = folder / "out"
    (output / "_work").mkdir(parents=True)
    (output / "_work" / "notes.txt").write_text("mine")
    (output / "tha_Thai").mkdir()
    (output / "accounting.json").write_text("{}")
    before = sorted((p.relative_to(output), p.read_bytes() if p.is_file() else None) for p in output.rglob("*"))

    for extra in ((), ("--restart",)):
        result = run_monsoon("run", str(write_config(folder)), *extra, timeout=120)
        assert result.code == FAILED
        assert "is not empty and holds no monsoon run" in result.stderr
        after = sorted((p.relative_to(output), p.read_bytes() if p.is_file() else None) for p in output.rglob("*"))
        assert after == before
