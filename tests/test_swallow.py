"""Swallow's Japanese rules (swallow-llm/swallow-corpus): definitions, repetition, NG words, footer trimming."""

from __future__ import annotations

import gzip

import pyarrow.parquet as pq
import pytest
from conftest import aozora, html_page, run_job, shared, warc_response
from datatrove.data import Document

from monsoon.config import ConfigError
from monsoon.filters import FAMILIES
from monsoon.filters.swallow_japanese import japanese_letter_counts, line_sentences
from monsoon.languages import LANGUAGES_DIR, NgHostSpec, get_language, load_language_file, read_word_file
from monsoon.stages.charset import decode_html
from monsoon.stages.extract import Extract
from monsoon.stages.footer import FooterTrim, keyword_frac, trim_footer
from monsoon.stages.ng_hosts import NgHostFilter, ng_host_reason
from monsoon.stages.quality import QualityFilter
from monsoon.tokens import load_token_counter

JAPANESE = get_language("jpn_Jpan")
SWALLOW = ("swallow_japanese", "swallow_repetition", "swallow_ng_words")


def signals(family: str, text: str) -> dict[str, float]:
    return FAMILIES[family].compute(text, JAPANESE)


def swallow_reason(text: str) -> str | None:
    """The first Swallow bound of jpn_Jpan.yaml the text breaks, in the file's order."""
    for family in SWALLOW:
        if reason := JAPANESE.filters[family].violation(family, signals(family, text)):
            return reason
    return None


def keeps(text: str) -> bool | tuple[bool, str]:
    return QualityFilter(["jpn_Jpan"]).filter(Document(text=text, id="t", metadata={"language": "jpn_Jpan"}))


def realweb_text(path: str) -> str:
    payload = shared("realweb_sea", "dev", path).read_bytes()
    html = decode_html(gzip.decompress(payload) if path.endswith(".gz") else payload)[0]
    return Extract().extract(html)


# --- definitions -------------------------------------------------------------------------------------------------
def test_a_letter_is_any_character_and_japanese_letters_are_kana_kanji_and_kuten_toten():
    # あい hiragana, アイ katakana, ー ・ neither, 漢字々 kanji, 、。 toten/kuten, 𠮷 (U+20BB7) not counted, "A " other
    text = "あいアイー・漢字々、。𠮷A "
    assert japanese_letter_counts(text) == (2, 2, 9)
    values = signals("swallow_japanese", text)
    assert values["letters"] == 14
    assert values["japanese_letters"] == 9
    assert values["hiragana_frac"] == pytest.approx(2 / 9)
    assert values["katakana_frac"] == pytest.approx(2 / 9)
    assert values["japanese_letter_frac"] == pytest.approx(9 / 14)


def test_sentences_are_split_per_line_after_one_stop_character():
    # the ！ after ？ and the 。 opening the third line belong to no sentence; an empty line has none
    text = "今日は晴れ。明日は？！雨\n\n。終わり"
    assert line_sentences(text) == [["今日は晴れ。", "明日は？", "雨"], [], ["終わり"]]
    values = signals("swallow_japanese", text)
    assert values["avg_sentence_length"] == (6 + 4 + 1 + 3) / 4
    assert values["max_sentence_length"] == 6
    assert signals("swallow_japanese", "そして…\nはい。\nまた・")["ellipsis_sentence_frac"] == pytest.approx(2 / 3)
    assert signals("swallow_japanese", "")["max_sentence_length"] == 0


# --- repetition on lines, sentences and character n-grams ---------------------------------------------------------
def test_duplicate_lines_and_sentences_count_repeats_and_their_characters():
    values = signals("swallow_repetition", "ああ。いい。\nああ。いい。\nうう")
    assert values["dup_para_frac"] == pytest.approx(1 / 3)
    assert values["dup_para_char_frac"] == pytest.approx(6 / 14)
    assert values["dup_sentence_frac"] == pytest.approx(2 / 5)
    assert values["dup_sentence_char_frac"] == pytest.approx(6 / 14)


def test_top_ngrams_are_character_ngram_occurrences_and_dup_ngrams_distinct_ngrams():
    values = signals("swallow_repetition", "abababab")
    assert values["top_2_char_gram_frac"] == pytest.approx(4 / 7)  # "ab" 4 of the 7 bigrams
    assert values["top_3_char_gram_frac"] == pytest.approx(3 / 6)
    assert values["dup_5_char_gram_frac"] == 1.0  # "ababa" and "babab" both repeat
    assert values["dup_10_char_gram_frac"] == 0.0  # shorter than 10 characters
    # "aaaaa" twice, "aaaab" once: one of two distinct 5-grams repeats (occurrences would say 2 of 3)
    assert signals("swallow_repetition", "aaaaaab")["dup_5_char_gram_frac"] == 0.5
    # characters, not words: one Japanese "word" repeated is a repeated character n-gram
    assert signals("swallow_repetition", "東京都" * 3)["top_3_char_gram_frac"] == pytest.approx(3 / 7)


# --- NG words ----------------------------------------------------------------------------------------------------
def test_ng_word_share_is_longest_match_characters_over_japanese_letters():
    assert {"クソ", "クソガキ", "バカ"} <= set(read_word_file(JAPANESE.ng_words))
    # クソガキ (not クソ) then バカ: 6 of the 11 Japanese letters
    assert signals("swallow_ng_words", "このクソガキはバカだ。")["ng_word_frac"] == pytest.approx(6 / 11)
    assert signals("swallow_ng_words", "今日は良い天気です。")["ng_word_frac"] == 0.0
    assert FAMILIES["swallow_ng_words"].compute("クソ", get_language("tha_Thai")) == {"ng_word_frac": 0.0}


def test_a_page_over_five_percent_ng_words_is_dropped_for_it():
    words = [w for w in read_word_file(JAPANESE.ng_words) if len(w) >= 3 and japanese_letter_counts(w)[2] == len(w)]
    text = aozora() + "\n" + "\n".join(f"彼は「{word}」と言った。" for word in words[:60])
    assert swallow_reason(aozora()) is None
    assert swallow_reason(text) == "swallow_ng_words.ng_word_frac>max"


# --- NG hosts ----------------------------------------------------------------------------------------------------
def test_hosts_ending_in_swallows_suffixes_are_dropped_and_others_kept():
    spec = JAPANESE.ng_hosts
    assert ng_host_reason("https://hayabusa9.5ch.net/test/read.cgi/news/1/", spec) == "ng_host.suffix"
    assert ng_host_reason("https://ja.wikipedia.org/wiki/東京", spec) == "ng_host.suffix"
    assert ng_host_reason("https://www.asahi.com/articles/A.html", spec) is None
    assert ng_host_reason("", spec) is None


def test_ut1_categories_match_exact_hosts_of_the_chosen_categories_only(tmp_path):
    for category, host in (("adult", "adult.example.jp"), ("blog", "blog.example.jp")):
        (tmp_path / category).mkdir()
        (tmp_path / category / "domains").write_text(f"{host}\n")
    spec = NgHostSpec(ut1=str(tmp_path), ut1_categories=["adult", "mixed adult"])
    assert ng_host_reason("https://adult.example.jp/page", spec) == "ng_host.adult"
    assert ng_host_reason("https://www.adult.example.jp/page", spec) is None  # exact host name, as in Swallow
    assert ng_host_reason("https://blog.example.jp/page", spec) is None  # a category not chosen


def test_host_step_drops_japanese_pages_of_listed_hosts_only():
    docs = {
        code: Document(text="本文", id=code, metadata={"language": code, "url": "https://a.5ch.net/x"})
        for code in ("jpn_Jpan", "tha_Thai")
    }
    step = NgHostFilter(["jpn_Jpan", "tha_Thai"])
    assert step.filter(docs["jpn_Jpan"]) == (False, "ng_host.suffix")
    assert step.filter(docs["tha_Thai"]) is True


# --- footer trimming ---------------------------------------------------------------------------------------------
def test_keyword_share_deletes_keywords_longest_first():
    keywords = ("プライバシーポリシー", "会社概要", "ポリシー")
    assert keyword_frac("会社概要 | プライバシーポリシー", keywords) == pytest.approx(14 / 17)
    assert keyword_frac("", keywords) == 0.0


def test_footer_trimming_cuts_exactly_the_footer_lines():
    body = ["本文の一行目です。", "記事を読んだ多くの人が感想を寄せた。"]  # 記事: 2 of 18 characters, not a footer
    footer = ["Copyright © 2024 Example Inc. All rights reserved.", "プライバシーポリシー", "本文の続きのようでも切る"]
    assert trim_footer("\n".join(body + footer), JAPANESE.footer) == "\n".join(body)
    assert trim_footer("\n".join(body), JAPANESE.footer) == "\n".join(body)
    # only the last 10 lines are looked at
    early = "\n".join(["会社概要"] + [f"本文の{n}行目です。" for n in range(10)])
    assert trim_footer(early, JAPANESE.footer) == early


def test_footer_step_trims_japanese_recounts_tokens_and_leaves_other_languages():
    text = "本文です。\nAll rights reserved"
    docs = [
        Document(text=text, id="ja", metadata={"language": "jpn_Jpan", "token_count": 99}),
        Document(text=text, id="th", metadata={"language": "tha_Thai", "token_count": 99}),
    ]
    ja, th = FooterTrim().run(iter(docs))
    assert (ja.text, ja.metadata["token_count"]) == ("本文です。", load_token_counter("llama3").count("本文です。"))
    assert (th.text, th.metadata["token_count"]) == (text, 99)


# --- real text ---------------------------------------------------------------------------------------------------
def test_real_aozora_chunk_passes_every_swallow_rule_and_the_japanese_filters():
    text = aozora()
    assert swallow_reason(text) is None
    assert keeps(text) is True


def test_real_news_pages_are_kept_and_a_real_copyright_footer_is_cut():
    nikkei = realweb_text("jpn_Jpan/fundus/Nikkei_2025_01_14.html.gz")
    assert swallow_reason(nikkei) is None and keeps(nikkei) is True
    itmedia = realweb_text("jpn_Jpan/postlight_parser/www.itmedia.co.jp.html")
    trimmed = trim_footer(itmedia, JAPANESE.footer)
    assert itmedia[len(trimmed) :] == "\nCopyright © ITmedia, Inc. All Rights Reserved."
    assert keeps(trimmed) is True


def test_a_templated_spam_page_is_dropped_by_swallows_character_repetition():
    """Lines differ only in a product number: no line or sentence repeats, but their character 5-grams do."""
    spam = "\n".join(f"【激安】人気ブランドの財布が今だけ半額 商品番号{n:04d} 在庫わずか お早めに" for n in range(20))
    values = signals("swallow_repetition", spam)
    assert values["dup_para_frac"] == values["dup_sentence_frac"] == 0.0
    assert swallow_reason(spam) == "swallow_repetition.dup_5_char_gram_frac>max"
    assert keeps(spam) is not True


def test_the_pipeline_trims_a_footer_before_the_filters_and_keeps_the_page(tmp_path):
    text = aozora() + "\n会社概要 | プライバシーポリシー | サイトマップ"
    path = tmp_path / "ja.warc.gz"
    path.write_bytes(warc_response("https://bunko.example.jp/a", html_page("随筆", text, lang="ja").encode()))
    accounting, output = run_job(tmp_path, path)
    [row] = pq.read_table(output / "jpn_Jpan").to_pylist()
    assert row["text"].endswith(aozora()[-40:])
    assert "プライバシーポリシー" not in row["text"]
    assert row["token_count"] == load_token_counter("llama3").count(row["text"])
    assert accounting["languages"]["jpn_Jpan"]["tokens"] == row["token_count"]


def test_a_missing_word_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "jpn_Jpan.yaml"
    text = (LANGUAGES_DIR / "jpn_Jpan.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("ng_words: jpn_Jpan_ng_words.txt", "ng_words: jpn_Jpan_ngwords.txt"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"jpn_Jpan.yaml.*'jpn_Jpan_ngwords.txt' not found"):
        load_language_file(path)
