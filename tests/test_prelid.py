"""The pre-LID on raw HTML: what it reads of a page, and which pages it lets through to extraction."""

from conftest import aozora, html_page, shared
from datatrove.data import Document

from monsoon.stages.charset import decode_html
from monsoon.stages.prelid import PreLanguageCheck, page_hints

TARGETS = ["tha_Thai", "jpn_Jpan", "vie_Latn", "ind_Latn", "zsm_Latn", "tam_Taml"]


def as_references(text: str) -> str:
    """Every character written as a hexadecimal character reference (&#x65E5;), as some pages do."""
    return "".join(f"&#x{ord(c):X};" for c in text)


def passed(pages: dict[str, str]) -> list[str]:
    docs = [Document(text=html, id=name, metadata={"content_kind": "html"}) for name, html in pages.items()]
    return [doc.id for doc in PreLanguageCheck(TARGETS).run(docs)]


def test_page_hints_decodes_character_references_and_skips_scripts():
    html = (
        "<html><head><title>&#x30DE;&#x30A4; &amp; co</title></head><body><script>var a = 1;</script>"
        "<p>&#x65E5;&#x672C;&nbsp;&lt;b&gt;</p><style>p {}</style></body></html>"
    )
    assert page_hints(html, 1500) == (None, "マイ & co 日本 <b>")
    assert page_hints(html, 4) == (None, "マイ &")


def test_japanese_page_written_in_character_references_passes():
    # no <html lang>, every character of its Japanese text a reference: read as the old code did (references
    # dropped), nothing is left for the LID model
    text = aozora(chars=1200)
    pages = {
        "references": html_page(as_references(text.split("\n")[0]), as_references(text)),
        "english": html_page("Weather", "The weather today is sunny with light winds.\n" * 20),
    }
    assert passed(pages) == ["references"]


def test_realweb_phpspot_article_passes():
    # a real Japanese article (realweb_sea/dev, postlight/parser's fixture) whose text is all character references
    path = shared("realweb_sea", "dev", "jpn_Jpan", "postlight_parser", "phpspot.org.html")
    html = decode_html(path.read_bytes())[0]
    assert "&#x" in html[:5000]
    assert passed({"phpspot": html}) == ["phpspot"]
