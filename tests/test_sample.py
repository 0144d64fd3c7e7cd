"""The README's main job: the bundled sample through the local engine, checked against the sample manifest."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from conftest import REPO, identity_holds, run_job

SAMPLE = REPO / "sample"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    manifest = [json.loads(line) for line in (SAMPLE / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    accounting, output = run_job(tmp_path_factory.mktemp("sample"), SAMPLE / "warc")
    kept = {row["url"]: row for path in output.glob("*/*.parquet") for row in pq.read_table(path).to_pylist()}
    return manifest, accounting, kept


def test_every_sample_record_is_accounted_for(sample_run):
    manifest, accounting, kept = sample_run
    assert accounting["total"]["read"] == len(manifest)
    assert identity_holds(accounting["total"])
    assert all(identity_holds(bucket) for bucket in accounting["languages"].values())
    assert accounting["total"]["kept"] == len(kept)


def test_junk_never_reaches_the_output(sample_run):
    manifest, _, kept = sample_run
    junk = {"non_html", "short", "boilerplate_only", "spam", "low_hiragana", "wrong_language"}
    assert not [page["url"] for page in manifest if page["kind"] in junk and page["url"] in kept]


def test_each_duplicate_group_keeps_one_page(sample_run):
    manifest, _, kept = sample_run
    for page in manifest:
        if page["dup_of"]:
            assert (page["url"] in kept) + (page["dup_of"] in kept) <= 1, page["url"]


@pytest.mark.parametrize("code", ["tha_Thai", "jpn_Jpan", "vie_Latn", "ind_Latn", "tam_Taml", "eng_Latn"])
def test_most_articles_of_each_language_are_kept_under_their_language(sample_run, code):
    manifest, _, kept = sample_run
    articles = [page for page in manifest if page["kind"] == "article" and page["language"] == code]
    kept_here = [page for page in articles if kept.get(page["url"], {}).get("language") == code]
    assert len(kept_here) >= 0.75 * len(articles)


def test_legacy_charsets_are_decoded(sample_run):
    manifest, _, kept = sample_run
    legacy = [page for page in manifest if page["charset"] in ("cp874", "shift_jis", "euc_jp")]
    assert legacy and all(page["url"] in kept for page in legacy if not page["dup_of"])


def test_sample_warcs_are_rebuilt_byte_for_byte(tmp_path):
    subprocess.run(
        [sys.executable, str(SAMPLE / "make_sample.py"), "--out", str(tmp_path), "--manifest", str(tmp_path / "m")],
        check=True,
        capture_output=True,
    )
    for path in sorted((SAMPLE / "warc").glob("*.warc.gz")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
    assert (tmp_path / "m").read_bytes() == (SAMPLE / "manifest.jsonl").read_bytes()
