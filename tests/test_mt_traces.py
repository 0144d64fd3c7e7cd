"""Machine-translation traces on the raw page: pages that are translation output are dropped or tagged; pages that
only offer translation (a widget on the original, a human language switcher) are not flagged."""

from __future__ import annotations

import gzip

import pyarrow.parquet as pq
import pytest
from conftest import html_page, identity_holds, run_job, shared, thai_news, warc_response

from monsoon.config import DedupConfig, MtTracesConfig
from monsoon.stages.mt_traces import MachineTranslationTraces, flagging, mt_signals

WRAP = '<font style="vertical-align: inherit;"><font style="vertical-align: inherit;">'


def google_translated(page: str) -> str:
    """A page as Chrome/Google Translate leaves it: the class on <html>, every paragraph wrapped in <font>."""
    page = page.replace('<html lang="th">', '<html lang="th" class="translated-ltr">')
    return page.replace("<p>", f"<p>{WRAP}").replace("</p>", "</font></font></p>")


def real_page(*parts: str) -> str:
    raw = shared(*parts).read_bytes()
    return (gzip.decompress(raw) if parts[-1].endswith(".gz") else raw).decode("utf-8", errors="replace")


def test_a_google_translated_page_is_flagged():
    page = google_translated(html_page("ข่าว", thai_news(29), lang="th"))
    signals = mt_signals(page)
    assert signals == ["google_translated_dom", "google_translate_font_wrappers"]
    assert flagging(signals) == signals


def test_the_translation_proxy_url_is_flagged():
    page = html_page("ข่าว", "ข่าว", lang="th")
    assert mt_signals(page, "https://example-com.translate.goog/news/1?_x_tr_sl=en&_x_tr_tl=th") == ["translate_proxy"]


def test_real_pages_that_only_offer_translation_are_not_flagged():
    # a Japanese vulnerability-database page with the Google Translate widget; a German blog with GTranslate
    jvn = real_page("realweb_sea", "dev", "jpn_Jpan", "postlight_parser", "jvndb.jvn.jp.html")
    assert mt_signals(jvn, "https://jvndb.jvn.jp/ja/") == ["google_translate_widget"]  # URL: the site's /ja/ folder
    lacrux = real_page("extraction_trafilatura_eval", "dev", "html", "31136c3a04a98feb.html.gz")
    lacrux_url = "https://www.lacrux.com/klettern/mammut-nimmt-adam-ondra-unter-vertrag/"  # evaldata.json's key
    assert mt_signals(lacrux, lacrux_url) == ["gtranslate"]
    assert flagging(["google_translate_widget", "gtranslate"]) == []


def test_a_human_language_switcher_is_not_flagged_but_a_plugin_subfolder_is():
    alternates = "".join(
        f'<link rel="alternate" hreflang="{code}" href="https://example.co.th/{code}/news/1">' for code in ("th", "en")
    )
    root = '<link rel="alternate" hreflang="x-default" href="https://example.co.th/news/1">'
    page = html_page("ข่าว", thai_news(29), lang="th").replace("<head>", f"<head>{alternates}")
    switcher = page.replace("<nav>", '<nav><a href="/en/news/1" hreflang="en">English</a>')
    assert mt_signals(switcher, "https://example.co.th/th/news/1") == []
    assert mt_signals(switcher.replace("<head>", f"<head>{root}"), "https://example.co.th/th/news/1") == []
    plugin = switcher.replace(
        "</head>", '<script src="https://cdn.gtranslate.net/widgets/latest/float.js"></script></head>'
    )
    assert mt_signals(plugin, "https://example.co.th/th/news/1") == ["gtranslate"]  # every language in a folder
    rooted = plugin.replace("<head>", f"<head>{root}")
    assert mt_signals(rooted, "https://example.co.th/news/1") == ["gtranslate"]  # the original
    assert mt_signals(rooted, "https://example.co.th/th/news/1") == ["gtranslate", "auto_translated_subfolder"]


def test_an_unknown_action_is_an_error():
    with pytest.raises(ValueError, match="mt_traces.action"):
        MachineTranslationTraces("flag")


@pytest.mark.parametrize("action", ["drop", "tag"])
def test_a_machine_translated_page_is_dropped_or_tagged(tmp_path, action):
    warc = tmp_path / "mt.warc.gz"
    original = html_page("ข่าว", thai_news(29), lang="th")
    warc.write_bytes(
        warc_response("https://example.go.th/news/1", original.encode())
        + warc_response("https://mirror.example.com/news/1", google_translated(original).encode())
    )
    accounting, out = run_job(tmp_path, warc, mt_traces=MtTracesConfig(action=action), dedup=DedupConfig(enabled=False))
    assert identity_holds(accounting["total"]) and accounting["total"]["read"] == 2
    rows = pq.read_table(out / "tha_Thai").to_pylist()
    if action == "drop":
        assert accounting["languages"]["und"]["dropped"] == {"mt_traces.google_translated_dom": 1}
        assert [row["url"] for row in rows] == ["https://example.go.th/news/1"]
    else:
        assert accounting["languages"]["tha_Thai"]["kept"] == 2
        signals = {row["url"]: dict(row["quality_signals"]) for row in rows}
        assert signals["https://mirror.example.com/news/1"]["mt_traces.google_translated_dom"] == 1.0
        assert signals["https://example.go.th/news/1"]["mt_traces.google_translated_dom"] is None
