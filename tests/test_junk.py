"""The SEA web's own junk (issue 12): gambling/adult/spam lexicons, URL rules and broken text."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq
import pytest
from conftest import html_page, identity_holds, run_job, shared, warc_response
from conftest import junk_case as case
from conftest import thai_news as thai_news_at
from datatrove.data import Document

from monsoon.config import load_run_config
from monsoon.filters import FAMILIES
from monsoon.filters.junk_lexicon import normalise_for_matching
from monsoon.languages import get_language
from monsoon.stages.charset import decode_html
from monsoon.stages.extract import Extract
from monsoon.stages.junk import JunkFilter, url_reason

STEP = JunkFilter(["tha_Thai", "ind_Latn", "vie_Latn", "jpn_Jpan", "eng_Latn"])


def junk(text: str, language: str, url: str = "") -> bool | tuple[bool, str]:
    return STEP.filter(Document(text=text, id="t", metadata={"language": language, "url": url}))


def signals(family: str, text: str, language: str) -> dict[str, float]:
    return FAMILIES[family].compute(text, get_language(language))


def realweb_text(path: str) -> str:
    payload = shared("realweb_sea", "dev", path).read_bytes()
    html = decode_html(gzip.decompress(payload) if path.endswith(".gz") else payload)[0]
    return Extract().extract(html)


def thai_news(marker: str) -> str:
    with open(shared("thai_prose", "thaigov_news_sample.jsonl"), encoding="utf-8") as f:
        return next(t for t in (json.loads(line)["text"] for line in f) if marker in t)


# --- normalisation and counting on constructed text ----------------------------------------------------------------
def test_matching_text_undoes_full_width_leetspeak_and_spaced_out_letters():
    assert normalise_for_matching("ＳＬ0Ｔ ＧＡＣＯＲ s.l.o.t s l o t") == "slot gacor slot slot"
    assert normalise_for_matching("ส ล็ อ ต เว็บ ตรง pg ฟรี", unspaced="\u0e00-\u0e7f") == "สล็อตเว็บตรง pg ฟรี"
    assert normalise_for_matching("ab cd ef", 2) == "abcdef"
    assert normalise_for_matching("a b\nc d") == "a b\nc d"  # a run stays on one line


def test_lexicon_counts_distinct_entries_and_their_characters_at_word_boundaries():
    values = signals("junk_lexicon", "slot gacor, SLOT GACOR, maxwin and timeslots", "ind_Latn")
    assert values["gambling_terms"] == 2  # "slot gacor" twice, "maxwin"; not inside "timeslots"
    assert values["gambling_char_frac"] == pytest.approx(26 / 38)  # 10 + 10 + 6 matched of 38 non-space characters
    once = signals("junk_lexicon", "ตำรวจไซด์ไลน์จะหารายได้จากไหน", "tha_Thai")  # a real comment, Wisesight
    assert (once["adult_terms"], once["adult_char_frac"]) == (1, 0)  # one mention covers nothing
    thai = signals("junk_lexicon", "ส ล็ อ ต เว็บ ต ร ง  เค ร ดิ ต ฟ รี", "tha_Thai")
    assert thai["gambling_terms"] == 2  # สล็อตเว็บตรง, เครดิตฟรี


def test_broken_text_counts_each_trace_exactly():
    thai = "กำหนดเป้าหมาย"
    values = signals("broken_text", thai.encode("utf-8").decode("cp874", errors="replace"), "tha_Thai")
    assert values["thai_cp874_mojibake"] == 13  # one "เธ./เน." triple per Thai letter
    assert signals("broken_text", "ก าหนด เป าหมาย เธอ", "tha_Thai")["thai_orphan_marks"] == 2
    assert signals("broken_text", "\u0e5c\u0e7f ok \ufffd", "tha_Thai")["thai_unassigned"] == 2
    assert signals("broken_text", "ok \ufffd\ufffd", "tha_Thai")["replacement_chars"] == 2
    japanese = "日本語のテキストです"
    assert (
        signals("broken_text", japanese.encode("utf-8").decode("cp932", errors="replace"), "jpn_Jpan")["cp932_mojibake"]
        == 5
    )
    assert (
        signals("broken_text", japanese.encode("utf-8").decode("cp1252", errors="replace"), "jpn_Jpan")[
            "latin1_mojibake"
        ]
        == 10
    )


# --- real spam dropped with its reason, real news on the same topic kept ---------------------------------------------
def test_thai_slot_spam_is_dropped_and_its_spaced_out_copy_too_while_crackdown_news_is_kept():
    spam = case("piyakit/scanslot", "app/article/page.tsx")["text"]
    assert junk(spam, "tha_Thai") == (False, "junk_lexicon.gambling_terms>max")
    spaced = spam.replace("สล็อต", "ส ล็ อ ต").replace("ค่าย", "ค่ า ย")
    assert junk(spaced, "tha_Thai") == (False, "junk_lexicon.gambling_terms>max")
    crackdown = thai_news("ลุยปิดบัญชี “พนันออนไลน์”")  # police and ministry against online gambling
    assert junk(crackdown, "tha_Thai") is True
    assert junk(thai_news("ธอส.ลุย Money Expo"), "tha_Thai") is True  # savings-lottery (สลาก) news


def test_indonesian_slot_pages_are_dropped_by_text_and_by_host_and_news_is_kept():
    storefront = realweb_text("spam_ind_Latn/slot_storefront_farm/caramainslot.html")
    assert junk(storefront, "ind_Latn") == (False, "junk_lexicon.gambling_terms>max")
    bocoran = realweb_text("spam_ind_Latn/yukslot_github_io/index.html")
    assert junk(bocoran, "ind_Latn", "https://yukslot.github.io/66.29.141.231/index.html") == (
        False,
        "junk_url.gambling",
    )
    rtp = case("SuryaWilliam/rtpnext1", "pages/index.tsx")["text"]
    assert junk(rtp, "ind_Latn") == (False, "junk_lexicon.gambling_terms>max")
    for news in ("kompas-singlepage.html", "detik-singlepage.html", "antara-singlepage2.html"):
        text = realweb_text(f"ind_Latn/anpandu_indonesian_news_scraper/{news}")
        assert junk(text, "ind_Latn", "https://www.kompas.com/judi-online-diberantas") is True


def test_vietnamese_bookmaker_spam_is_dropped_and_vnexpress_is_kept():
    spam = case("g0v-data/g0v-hackmd-archive", "notes/P1x0_eVpSy6D8FcMq4YixQ.md")["text"]
    assert junk(spam, "vie_Latn") == (False, "junk_lexicon.gambling_char_frac>max")
    assert junk(realweb_text("vie_Latn/fundus/VnExpress_2025_10_22.html.gz"), "vie_Latn") is True


def test_japanese_casino_affiliate_page_is_dropped_and_news_is_kept():
    spam = case("bakr-bit/japatsu", "content/data/bonuses/bons-exclusive.tsx")
    assert junk(spam["text"], "jpn_Jpan", spam["url"]) == (False, "junk_url.gambling")
    assert junk(spam["text"], "jpn_Jpan") == (False, "junk_lexicon.gambling_char_frac>max")  # by its text too
    assert junk(realweb_text("jpn_Jpan/fundus/Nikkei_2025_01_14.html.gz"), "jpn_Jpan") is True


def test_adult_terms_drop_a_porn_page_but_not_a_sexual_health_text():
    porn = "Free porn, sex videos and hot MILF xxx clips"
    assert junk(porn, "eng_Latn") == (False, "junk_lexicon.adult_terms>max")
    health = "Sexual health clinics test for STIs; the vagina and penis can both carry infections after sex."
    assert signals("junk_lexicon", health, "eng_Latn")["adult_terms"] == 0


# --- broken text on real news ----------------------------------------------------------------------------------------
def test_a_mojibake_thai_page_and_a_pdf_extraction_are_dropped_and_the_original_kept():
    news = thai_news("ลุยปิดบัญชี “พนันออนไลน์”")
    assert junk(news.encode("utf-8").decode("cp874", errors="replace"), "tha_Thai") == (
        False,
        "broken_text.thai_cp874_mojibake>max",
    )
    assert junk(news.encode("utf-8").decode("latin-1"), "tha_Thai") == (False, "broken_text.latin1_mojibake>max")
    assert junk(news.replace("ำ", " า"), "tha_Thai") == (False, "broken_text.thai_orphan_marks>max")


# --- URL rules -------------------------------------------------------------------------------------------------------
def test_bundled_blocklist_drops_listed_hosts_and_their_subdomains():
    spec = get_language("tha_Thai").junk
    assert url_reason("https://www.pornhub.com/x", spec, STEP.blocklist) == "junk_blocklist.adult"
    assert url_reason("https://m.ufabet.com/", spec, STEP.blocklist) == "junk_blocklist.gambling"
    assert url_reason("https://notufabet.com.example.org/", spec, STEP.blocklist) == "junk_url.gambling"
    assert url_reason("https://www.thairath.co.th/news/crime/ufabet", spec, STEP.blocklist) is None


def test_the_config_names_a_ut1_copy_and_a_missing_folder_is_an_error(tmp_path):
    (tmp_path / "ut1" / "gambling").mkdir(parents=True)
    (tmp_path / "ut1" / "gambling" / "domains").write_text("lucky-spin.example\n")
    (tmp_path / "run.yaml").write_text("input: in\noutput: out\njunk_blocklist: ut1\n")
    config = load_run_config(tmp_path / "run.yaml")
    assert config.junk_blocklist == str(tmp_path / "ut1")
    step = JunkFilter(["tha_Thai"], config.junk_blocklist)
    doc = Document(text="ข่าว", id="t", metadata={"language": "tha_Thai", "url": "http://www.lucky-spin.example/"})
    assert step.filter(doc) == (False, "junk_blocklist.gambling")
    with pytest.raises(ValueError, match="is not a folder"):
        JunkFilter(["tha_Thai"], str(tmp_path / "missing"))


# --- end to end: every junk drop has its reason in the accounting --------------------------------------------------
def test_the_pipeline_drops_junk_with_its_reasons_and_keeps_the_news(tmp_path):
    news = thai_news_at(17)  # an article the Thai filters keep (test_languages)
    spam = case("piyakit/scanslot", "app/article/page.tsx")["text"]
    pages = [
        ("https://www.thaigov.go.th/news/1", news),
        ("https://review.example/slot", "\n".join([spam] * 3)),
        ("https://www.thaigov.go.th/news/2", news.encode("utf-8").decode("cp874", errors="replace")),
        ("https://th.pornhub.com/view", thai_news("ลุยปิดบัญชี “พนันออนไลน์”")),
    ]
    path = tmp_path / "th.warc.gz"
    path.write_bytes(b"".join(warc_response(url, html_page("ข่าว", text, lang="th").encode()) for url, text in pages))
    accounting, output = run_job(tmp_path, path)
    thai = accounting["languages"]["tha_Thai"]
    assert {r: n for r, n in thai["dropped"].items() if r.startswith(("junk", "broken", "url_filter"))} == {
        "junk_lexicon.gambling_terms>max": 1,
        "broken_text.thai_cp874_mojibake>max": 1,
        "url_filter.domain": 1,  # FineWeb's URL filter, before the junk rules, has this host too
    }
    [row] = pq.read_table(output / "tha_Thai").to_pylist()
    assert row["url"] == "https://www.thaigov.go.th/news/1"
    assert dict(row["quality_signals"])["junk_lexicon.gambling_terms"] == 0
    assert identity_holds(accounting["total"])
