"""`monsoon tune`: what each threshold removes, on real Thai news and on the bundled sample's WARCs."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, run_cli, shared


@pytest.fixture(scope="module")
def thai_sample(tmp_path_factory):
    """40 real Thai government news releases as JSONL."""
    path = tmp_path_factory.mktemp("tune") / "thai.jsonl"
    lines = shared("thai_prose", "thaigov_news_sample.jsonl").read_text(encoding="utf-8").split("\n")[:40]
    path.write_text("\n".join(json.dumps({"text": json.loads(line)["text"]}, ensure_ascii=False) for line in lines))
    return path


def table(stdout: str) -> dict[str, tuple[float, float]]:
    """bound -> (share removed alone, share removed in sequence) from the printed summary."""
    rows = re.findall(r"^(\S+\.(?:min|max)\.\S+)\s+\S+\s+([\d.]+)%\s+([\d.]+)%(?: \*)?$", stdout, re.MULTILINE)
    return {bound: (float(alone) / 100, float(seq) / 100) for bound, alone, seq in rows}


def kept_share(stdout: str) -> float:
    return float(re.search(r"pass every bound \(([\d.]+)%\)", stdout).group(1)) / 100


def test_tune_reports_each_bound_alone_and_in_sequence(capsys, thai_sample, tmp_path):
    code, out, _ = run_cli(capsys, "tune", "tha_Thai", "--sample", str(thai_sample), "--output", str(tmp_path))
    assert code == 0
    shares = table(out)
    assert len(shares) >= 20 and "fineweb_quality.max.char_dup_ratio" in shares
    assert all(seq <= alone for alone, seq in shares.values())
    # every dropped document is counted under exactly one bound, as in the pipeline
    assert sum(seq for _, seq in shares.values()) + kept_share(out) == pytest.approx(1.0, abs=0.01)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "char_dup_ratio" in report and "nearest the threshold" in report and "รัฐบาล" in report
    assert (tmp_path / "sweeps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_set_tries_a_threshold_without_editing_the_yaml(capsys, thai_sample, tmp_path):
    _, before, _ = run_cli(capsys, "tune", "tha_Thai", "--sample", str(thai_sample), "--output", str(tmp_path))
    assert table(before)["fineweb_quality.max.char_dup_ratio"] == (0.0, 0.0)  # FineWeb-2's 0.1
    code, after, _ = run_cli(
        capsys,
        "tune",
        "tha_Thai",
        "--sample",
        str(thai_sample),
        "--set",
        "fineweb_quality.max.char_dup_ratio=0.01",  # FineWeb's English value
        "--output",
        str(tmp_path),
    )
    assert code == 0
    assert table(after)["fineweb_quality.max.char_dup_ratio"][0] > 0
    assert kept_share(after) < kept_share(before)
    assert "char_dup_ratio: 0.1," in (REPO / "monsoon" / "languages" / "tha_Thai.yaml").read_text(encoding="utf-8")


def test_a_bad_set_names_the_problem(capsys, thai_sample, tmp_path):
    code, _, err = run_cli(
        capsys, "tune", "tha_Thai", "--sample", str(thai_sample), "--set", "fineweb_quality.max.nonsense=1"
    )
    assert code == 1 and "nonsense" in err


def test_tune_reads_warcs_through_the_pipeline_steps(capsys, tmp_path):
    code, out, _ = run_cli(
        capsys, "tune", "jpn_Jpan", "--sample", str(REPO / "sample" / "warc"), "--output", str(tmp_path)
    )
    assert code == 0
    documents = int(re.search(r"jpn_Jpan \(recipe monsoon\): (\d+) documents", out).group(1))
    assert 20 <= documents <= 32  # the sample's Japanese pages that reach language identification
    assert table(out)["swallow_japanese.min.letters"][1] > 0  # its too-short pages


def test_tune_marks_deviations_and_takes_the_recipe(capsys, tmp_path):
    texts = shared("japanese_prose", "utf8").glob("*.txt")
    sample = tmp_path / "ja.jsonl"
    chunks = [t.read_text(encoding="utf-8")[i : i + 3000] for t in sorted(texts)[:2] for i in (3000, 9000)]
    sample.write_text("\n".join(json.dumps({"text": c}, ensure_ascii=False) for c in chunks), encoding="utf-8")
    _, ours, _ = run_cli(capsys, "tune", "jpn_Jpan", "--sample", str(sample), "--output", str(tmp_path / "a"))
    assert "swallow_japanese.min.hiragana_frac" in ours and "* deviation from the published recipe: Swallow" in ours
    assert re.search(r"^swallow_japanese\.\S+ .* \*$", ours, re.MULTILINE)
    assert not re.search(r"^gopher_quality\.\S+ .* \*$", ours, re.MULTILINE)
    code, published, _ = run_cli(
        capsys, "tune", "jpn_Jpan", "--sample", str(sample), "--recipe", "fineweb2", "--output", str(tmp_path / "b")
    )
    assert code == 0 and "recipe fineweb2" in published and "swallow" not in published
