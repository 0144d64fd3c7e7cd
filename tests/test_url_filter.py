"""FineWeb's URL filter (stages/url_filter.py): datatrove's URLFilter rules and lists, decision for decision, for the
languages whose file switches it on (every one: FineWeb-2's input had passed it), first of their filters, with its
drops in the accounting."""

from __future__ import annotations

import io
import sys
import tarfile
from collections import Counter

import numpy as np
import pytest
from conftest import REPO, html_page, identity_holds, run_job, warc_response
from datatrove.data import Document

from monsoon.audit.funnel import language_funnel
from monsoon.languages import FIRST_TIER, SECOND_TIER, get_language
from monsoon.stages import url_filter
from monsoon.stages.url_filter import UrlFilter, hash_entries

sys.path.insert(0, str(REPO / "bench"))
from fidelity import built_urls, ntrex_documents, real_urls, url_agreement  # noqa: E402

STEP = UrlFilter()


def decide(url: str | None, language: str = "eng_Latn") -> bool | tuple[bool, str]:
    return STEP.filter(Document(text="", id="t", metadata={"language": language, "url": url}))


def test_blocked_domains_banned_words_and_two_soft_words_are_dropped_and_news_is_kept():
    assert decide("https://www.pornhub.com/view_video.php") == (False, "url_filter.domain")
    # listed as a host under a public suffix it does not own: blogspot.hk itself is not listed
    assert decide("http://07xnxx.blogspot.hk/2019/") == (False, "url_filter.subdomain")
    assert decide("https://other.blogspot.hk/2019/") is True
    assert decide("193.56.146.168/nado/suza.exe") == (False, "url_filter.url")  # listed without a scheme
    assert decide("https://www.example.com/free-porn-videos") == (False, "url_filter.hard_blacklisted")
    assert decide("https://www.example.com/Porn-videos") is True  # datatrove matches the URL's words as written
    assert decide("https://shop.example.com/sexy-lingerie.html") == (False, "url_filter.soft_blacklisted")
    assert decide("https://shop.example.com/lingerie.html") is True  # one soft-banned word is not enough
    assert decide("https://www.example.com/BigTits/1") == (False, "url_filter.blacklisted_subword")  # "big tits"
    assert decide("https://www.bbc.co.uk/news/world-asia-68000000") is True
    assert decide("https://www.malaymail.com/news/malaysia/2024/11/22/all-paid-their-own-way/157698") is True


def test_every_language_file_switches_it_on_and_a_page_needs_its_url():
    # FineWeb-2's input had passed FineWeb's URL filter, whatever its language
    codes = (*FIRST_TIER, *SECOND_TIER)
    assert {code: get_language(code).url_filter.soft_word_threshold for code in codes} == dict.fromkeys(codes, 2)
    assert decide("https://www.pornhub.com/", language="tha_Thai") == (False, "url_filter.domain")
    assert decide(None) == (False, "url_filter.no_url")


@pytest.fixture(scope="module")
def cases() -> dict[str, list[tuple[str, str]]]:
    return {"real": real_urls(), "built": built_urls()}


def test_monsoon_decides_every_url_as_datatroves_url_filter(cases):
    """datatrove's own URLFilter (loaded once here: ~4 s, ~800 MB) against monsoon's, on every page URL of the
    shared data and the sample, and on URLs built from the blocklists and word lists (each rule and near misses)."""
    real, built = url_agreement(cases["real"]), url_agreement(cases["built"])
    assert real["urls"] >= 500 and real["reasons"] == Counter({"kept": real["urls"]})  # real news, all kept
    rules = {"domain", "subdomain", "url", "hard_blacklisted", "soft_blacklisted", "blacklisted_subword"}
    assert {reason.removeprefix("url_filter.") for reason in built["reasons"]} == rules | {"kept"}
    assert real["disagreements"] == [] and built["disagreements"] == []


def test_the_blocklist_is_hashed_as_datatrove_parses_it_and_cached_on_disk(tmp_path, monkeypatch):
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in (("domains", b"a.example\n#comment.example\n  b.example \r\nc.example"), ("urls", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / url_filter.BLOCKLIST_ARCHIVE).write_bytes(archive.getvalue())
    monkeypatch.setattr(url_filter, "ASSETS_PATH", str(tmp_path / "assets"))
    monkeypatch.setenv("MONSOON_CACHE_DIR", str(tmp_path / "cache"))
    url_filter.blocklist_arrays.cache_clear()
    try:
        arrays = url_filter.blocklist_arrays()
        assert np.array_equal(arrays["domains"], hash_entries(["a.example", "b.example", "c.example"]))
        assert isinstance(arrays["domains"], np.memmap) and len(arrays["urls"]) == 0
        [domains] = (tmp_path / "cache").glob("*.domains.npy")
        domains.write_bytes(b"damaged")  # a damaged cache is rebuilt
        url_filter.blocklist_arrays.cache_clear()
        assert len(url_filter.blocklist_arrays()["domains"]) == 3 and len(domains.read_bytes()) > 7
        monkeypatch.setenv("MONSOON_CACHE_DIR", str(domains / "not-a-folder"))  # unwritable: kept in memory
        url_filter.blocklist_arrays.cache_clear()
        assert len(url_filter.blocklist_arrays()["domains"]) == 3
    finally:
        url_filter.blocklist_arrays.cache_clear()


def test_a_run_drops_an_english_page_at_a_blocked_domain_first_and_books_it_in_the_funnel(tmp_path):
    news = next(text for code, _, text, _ in ntrex_documents() if code == "eng_Latn")
    pages = [("https://www.bbc.co.uk/news/1", news), ("https://www.xvideos.com/news/1", news)]
    path = tmp_path / "en.warc.gz"
    path.write_bytes(b"".join(warc_response(url, html_page("News", text, lang="en").encode()) for url, text in pages))
    accounting, _ = run_job(tmp_path, path, languages=["eng_Latn"])
    english = accounting["languages"]["eng_Latn"]
    assert english["dropped"].get("url_filter.domain") == 1 and english["steps"]["url_filter.domain"] == "UrlFilter"
    assert english["kept"] == 1
    funnel = {step.stage: step.lost_docs for step in language_funnel("eng_Latn", english)}
    assert list(funnel)[:4] == ["identified", "LID", "url_filter", "junk"] and funnel["url_filter"] == 1
    assert identity_holds(accounting["total"])
