"""The LID step's minimum score per model family and the recipe switch, on real NTREX documents."""

from __future__ import annotations

import sys

import fasttext
import pytest
from conftest import REPO, shared
from datatrove.data import Document

from monsoon.config import RunConfig
from monsoon.languages import FIRST_TIER, LID_FAMILIES, Language, normalise_label
from monsoon.pipelines.plan import document_steps
from monsoon.stages.lid import LanguageId, load_model, model_family, predict

sys.path.insert(0, str(REPO / "bench"))
from lid_minimums import fineweb2_rule, ntrex_documents  # noqa: E402  (the bench rebuilds the documents)


@pytest.fixture(scope="module")
def documents() -> dict[str, list[str]]:
    """NTREX dev documents (sentences joined in line order) per language."""
    by_language: dict[str, list[str]] = {}
    for code, text in ntrex_documents(shared("lid_ntrex128", "dev")):
        by_language.setdefault(code, []).append(text)
    return by_language


@pytest.fixture(scope="module")
def glotlid_format_model(tmp_path_factory, documents) -> str:
    """A small fastText model with GlotLID's label format (`__label__khm_Khmr`), trained on three sentences of each
    Khmer, Lao and Thai document: it scores a Khmer document ~0.39, between Khmer's GlotLID and lid.176 minimums."""
    folder = tmp_path_factory.mktemp("glotlid_format")
    with open(folder / "train.txt", "w", encoding="utf-8") as f:
        for code in ("khm_Khmr", "lao_Laoo", "tha_Thai"):
            for text in documents[code]:
                f.writelines(f"__label__{code} {line}\n" for line in text.split("\n")[:3])
    model = fasttext.train_supervised(
        str(folder / "train.txt"), epoch=5, dim=8, minn=1, maxn=2, thread=1, seed=1, verbose=0
    )
    model.save_model(str(folder / "model.bin"))
    return str(folder / "model.bin")


def run(step: LanguageId, texts: list[str]) -> list[Document]:
    return list(step.run(Document(text=text, id=str(i)) for i, text in enumerate(texts)))


def test_model_family_is_told_by_the_label_format(glotlid_format_model):
    assert model_family("embedded") == "lid176"  # '__label__th'
    assert model_family(glotlid_format_model) == "glotlid"  # '__label__tha_Thai'


def test_each_model_family_gets_its_own_minimum(glotlid_format_model, documents):
    lid176 = LanguageId(["khm_Khmr", "jpn_Jpan", "eng_Latn"])
    glotlid = LanguageId(["khm_Khmr", "jpn_Jpan", "eng_Latn"], model=glotlid_format_model)
    assert [lid176.minimum(code) for code in ("khm_Khmr", "jpn_Jpan", "eng_Latn")] == [0.9, 0.9, 0.65]
    assert [glotlid.minimum(code) for code in ("khm_Khmr", "jpn_Jpan", "eng_Latn")] == [0.3, 0.886, 0.65]
    khmer = documents["khm_Khmr"][0]
    code, score = glotlid.label(khmer)
    assert code == "khm_Khmr" and 0.3 <= score < 0.9
    kept = run(glotlid, [khmer])  # kept at GlotLID's 0.3, where lid.176's 0.9 would have dropped it
    assert [doc.metadata["language"] for doc in kept] == ["khm_Khmr"]


def test_a_language_file_gives_a_minimum_for_each_model_family_and_may_give_one_per_recipe():
    fields = {"code": "ind_Latn", "name": "Indonesian", "segmenter": "spaced"}
    language = Language(**fields, min_language_score={"lid176": {"monsoon": 0.9, "fineweb2": 0.728}, "glotlid": 0.685})
    assert [language.minimum_score("lid176", recipe) for recipe in ("monsoon", "fineweb2")] == [0.9, 0.728]
    assert [language.minimum_score("glotlid", recipe) for recipe in ("monsoon", "fineweb2")] == [0.685, 0.685]
    for partial in ({"lid176": 0.9}, 0.9):
        with pytest.raises(ValueError, match="min_language_score must give a minimum for each of lid176, glotlid"):
            Language(**fields, min_language_score=partial)
    with pytest.raises(ValueError, match="per recipe must give one for each of monsoon, fineweb2"):
        Language(**fields, min_language_score={"lid176": {"monsoon": 0.9}, "glotlid": 0.685})
    assert LID_FAMILIES == ("lid176", "glotlid")


def test_without_the_pair_score_indonesian_and_malay_have_the_rules_own_minimum():
    monsoon, fineweb2 = (LanguageId(["ind_Latn", "zsm_Latn"], recipe=recipe) for recipe in ("monsoon", "fineweb2"))
    assert [monsoon.minimum("ind_Latn"), monsoon.minimum("zsm_Latn")] == [0.9, 0.9]
    assert [fineweb2.minimum("ind_Latn"), fineweb2.minimum("zsm_Latn")] == [0.728, 0.493]


def test_a_real_document_of_each_first_tier_language_is_kept_at_the_new_minimum(documents):
    step = LanguageId(list(FIRST_TIER))
    for code in FIRST_TIER:
        kept = run(step, documents[code][:3])
        assert [doc.metadata["language"] for doc in kept] == [code] * 3, code
        assert all(doc.metadata["language_score"] >= step.minimum(code) for doc in kept)


def test_a_malay_document_below_the_new_minimum_is_dropped(documents):
    # 'Tsunami gempa bumi Indonesia: beratus terkorban': Malay at 0.878 with the pair score; kept at GlotLID's 0.618
    text = next(t for t in documents["zsm_Latn"] if t.startswith("Tsunami gempa bumi Indonesia: beratus terkorban"))
    step = LanguageId(["zsm_Latn", "ind_Latn"])
    code, score = step.label(text)
    assert code == "zsm_Latn" and round(score, 3) == 0.878
    assert run(step, [text]) == []
    assert step.stats["acct|dropped|zsm_Latn|low_language_score|LanguageId"].total == 1


def test_recipe_fineweb2_takes_the_models_own_top_label_and_score(documents):
    malay = documents["zsm_Latn"][0]
    raw_labels, raw_scores = load_model("embedded").predict(" ".join(malay[:2000].split()), k=1)
    monsoon, fineweb2 = LanguageId(["zsm_Latn", "ind_Latn"]), LanguageId(["zsm_Latn", "ind_Latn"], recipe="fineweb2")
    assert fineweb2.label(malay) == (normalise_label(raw_labels[0]), float(raw_scores[0]))
    assert fineweb2.label(malay)[0] == "ind_Latn"  # lid.176 alone takes this Malay document for Indonesian
    code, score = monsoon.label(malay)
    assert code == "zsm_Latn" and score > fineweb2.label(malay)[1]  # the pair score: Malay's and Indonesian's summed
    # lid_requires is a deviation too: an NTREX Chinese sentence lid.176 calls Japanese, which has no kana
    chinese = "安防摄像头的画面显示，“袁”某于周四早晨 4:40 进入市场喂猪。"
    assert predict("embedded", chinese, recipe="fineweb2")[0] == "jpn_Jpan"
    assert predict("embedded", chinese)[0] == "zho_Hans"


def test_run_config_recipe_reaches_the_lid_step(tmp_path):
    steps = document_steps(RunConfig(input=str(tmp_path), output=str(tmp_path / "out"), recipe="fineweb2"))
    assert [step.recipe for step in steps if isinstance(step, LanguageId)] == ["fineweb2"]
    with pytest.raises(ValueError, match="unknown recipe 'glotlid'; known: monsoon, fineweb2"):
        LanguageId(["tha_Thai"], recipe="glotlid")


def test_fineweb2_rule():
    assert fineweb2_rule([0.9, 0.8, 0.7]) == pytest.approx((0.8, 0.0816497, 0.7183503))
    assert fineweb2_rule([1.0, 1.0, 0.99])[2] == 0.9  # capped
    assert fineweb2_rule([0.2, 0.3, 0.4])[2] == 0.3  # floor
