"""`monsoon tune`: what each threshold removes, on real Thai news and on the bundled sample's WARCs."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, junk_case, run_cli, shared


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


@pytest.fixture(scope="module")
def news_and_spam(tmp_path_factory):
    """20 real Thai government news releases, then a real Thai slot-gambling page (bench/data/junk_cases.tsv)."""
    news = [json.loads(line)["text"] for line in shared("thai_prose", "thaigov_news_sample.jsonl").open()][:20]
    spam = junk_case("piyakit/scanslot", "app/article/page.tsx")["text"]
    path = tmp_path_factory.mktemp("junk") / "news_and_spam.jsonl"
    path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in [*news, spam]), "utf-8")
    return path, [*news, spam]


def test_tune_shows_the_junk_rules_before_the_quality_bounds(capsys, news_and_spam, tmp_path):
    path, texts = news_and_spam
    code, out, _ = run_cli(capsys, "tune", "tha_Thai", "--sample", str(path), "--output", str(tmp_path))
    assert code == 0
    lines = out.splitlines()
    junk_heading = next(i for i, line in enumerate(lines) if line.startswith("junk rules"))
    quality_heading = next(i for i, line in enumerate(lines) if line.startswith("quality filters"))
    assert lines[junk_heading + 1].startswith("junk_lexicon.max.gambling_terms") and junk_heading < quality_heading
    shares = table(out)
    assert shares["junk_lexicon.max.gambling_terms"] == (0.048, 0.048)  # 1 of 21: the spam page, first
    assert shares["junk_lexicon.max.gambling_char_frac"] == (0.048, 0.0)  # it breaks this one too, later
    assert all(shares[bound] == (0.0, 0.0) for bound in shares if bound.startswith(("broken_text.", "junk_lexicon.a")))
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<td>junk</td><td>junk_lexicon</td><td>gambling_terms</td>" in report
    assert "ทดลองเล่นสล็อต" in report  # the spam page, as the dropped example nearest the bound


def test_the_junk_rules_remove_exactly_the_spam_page(news_and_spam):
    from monsoon.languages import get_language
    from monsoon.tune import bounds_of, first_broken, signal_table, summarise, with_overrides

    _, texts = news_and_spam
    language = get_language("tha_Thai")
    rows, bounds = signal_table(texts, language), bounds_of(language)
    first = [first_broken(row, bounds) for row in rows]
    assert [i for i, bound in enumerate(first) if bound and bound.rules == "junk"] == [20]
    assert first[20].key == "junk_lexicon.max.gambling_terms" and rows[20]["junk_lexicon.gambling_terms"] > 2
    entry = next(e for e in summarise(texts, rows, bounds, first) if e["bound"] == first[20])
    assert entry["dropped_nearest"] == [{"value": rows[20]["junk_lexicon.gambling_terms"], "text": texts[20][:400]}]
    assert entry["kept_nearest"][0]["value"] == max(row["junk_lexicon.gambling_terms"] for row in rows[:20])

    # a looser gambling_terms bound leaves the page to the character-share bound
    looser = with_overrides(language, [f"junk_lexicon.max.gambling_terms={rows[20]['junk_lexicon.gambling_terms']}"])
    assert first_broken(rows[20], bounds_of(looser)).key == "junk_lexicon.max.gambling_char_frac"
