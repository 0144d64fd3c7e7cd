"""Fidelity to the published recipes: monsoon's filters decide as datatrove's own filters built with FineWeb-2's
kwargs (FineWeb's for English) and datatrove's word tokenizers (bench/fineweb2_reference.py)."""

from __future__ import annotations

import sys

import pytest
from conftest import REPO

from monsoon.config import RunConfig
from monsoon.filters import FAMILIES
from monsoon.languages import FIRST_TIER, Bounds, get_language
from monsoon.stages.quality import judge

sys.path.insert(0, str(REPO / "bench"))
from fidelity import ntrex_documents, reason_family  # noqa: E402
from fineweb2_reference import reference_decision, reference_filters  # noqa: E402


def monsoon_decision(text: str, code: str, recipe: str = "fineweb2") -> tuple[bool, str]:
    reason, _ = judge(text, get_language(code).for_recipe(recipe), {})
    return reason is None, reason or ""


@pytest.fixture(scope="module")
def documents() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for code, _, text, _ in ntrex_documents():
        found.setdefault(code, []).append(text)
    return found


@pytest.mark.parametrize("code", FIRST_TIER)
def test_a_document_fineweb2_keeps_is_kept_and_one_it_drops_is_dropped_for_the_same_family(code, documents):
    kept = documents[code][0]
    assert reference_decision(reference_filters(code), kept) == (True, "")
    assert monsoon_decision(kept, code) == (True, "")
    # the same news with every line cut to its first 20 characters: a list of fragments
    fragments = "\n".join(line[:20] for line in kept.splitlines())
    ours, theirs = monsoon_decision(fragments, code), reference_decision(reference_filters(code), fragments)
    assert not ours[0] and not theirs[0]
    assert reason_family(ours[1]) == reason_family(theirs[1])


def test_a_repeated_headline_alone_no_longer_drops_a_page(documents):
    article = documents["vie_Latn"][0]
    headline = article.splitlines()[0]
    page = f"{headline}\n{article}"
    signals: dict[str, float] = {}
    reason, _ = judge(page, get_language("vie_Latn"), signals)
    # FineWeb English's char_dup_ratio 0.01 would have dropped it; FineWeb-2 allows 0.1
    share = len(headline) / len(page.replace("\n", ""))
    assert signals["fineweb_quality.char_dup_ratio"] == pytest.approx(share, abs=1e-6)
    assert signals["fineweb_quality.char_dup_ratio"] > 0.01
    assert reason is None
    assert reference_decision(reference_filters("vie_Latn"), page) == (True, "")


def test_a_zero_bound_checks_nothing_in_the_gopher_families_as_in_datatrove():
    bounds = Bounds(max={"dup_para_frac": 0, "dup_line_frac": 0.3})
    signals = {"dup_para_frac": 0.9, "dup_line_frac": 0.1}
    assert FAMILIES["gopher_repetition"].zero_is_off and FAMILIES["gopher_quality"].zero_is_off
    assert bounds.violation("gopher_repetition", signals, zero_is_off=True) is None
    assert bounds.violation("c4_quality", signals, zero_is_off=False) == "c4_quality.dup_para_frac>max"
    assert get_language("vie_Latn").filters["gopher_repetition"].max["dup_line_char_frac"] == 0
    assert get_language("vie_Latn").filters["fineweb_quality"].max["short_line_ratio"] == 999


def test_c4_signals_and_the_text_it_keeps():
    text = (
        "First line of the article. It has two sentences.\n"
        "Menu\n"
        "Please enable JavaScript to see the comments here.\n"
        "We use cookies to improve this site for you.\n"
        "A cited claim[1] stays, without its citation mark.\n"
        "Another line with {braces} in it here."
    )
    language = get_language("eng_Latn")
    family = FAMILIES["c4_quality"]
    assert family.compute(text, language) == {"lorem_ipsum_lines": 0.0, "curly_bracket_lines": 1.0, "sentences": 4.0}
    assert family.rewrite(text, language) == (
        "First line of the article. It has two sentences.\n"
        "A cited claim stays, without its citation mark.\n"
        "Another line with {braces} in it here."
    )


def test_a_kept_document_whose_lines_c4_removed_has_the_token_count_of_its_kept_text(documents):
    from datatrove.data import Document

    from monsoon.stages.quality import QualityFilter
    from monsoon.tokens import load_token_counter

    counter = load_token_counter()
    text = documents["eng_Latn"][0] + "\nPlease enable JavaScript to see the comments here."
    doc = Document(text=text, id="t", metadata={"language": "eng_Latn", "token_count": counter.count(text)})
    assert QualityFilter(["eng_Latn"]).filter(doc) is True
    assert doc.text == documents["eng_Latn"][0]
    assert doc.metadata["token_count"] == counter.count(documents["eng_Latn"][0]) < counter.count(text)


def test_the_recipe_switches_every_deviation_off():
    japanese = get_language("jpn_Jpan")
    assert [d.family for d in japanese.deviations] == ["swallow_japanese", "swallow_repetition", "swallow_ng_words"]
    assert list(japanese.for_recipe("monsoon").filters)[0] == "swallow_japanese"
    assert list(japanese.for_recipe("fineweb2").filters) == ["gopher_repetition", "fineweb_quality", "gopher_quality"]
    assert RunConfig(input="x", output="y").recipe == "monsoon"
    with pytest.raises(ValueError, match="recipe must be one of monsoon, fineweb2"):
        RunConfig(input="x", output="y", recipe="fineweb")
