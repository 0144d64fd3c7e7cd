"""The mechanisms behind tests/test_hostile.py, one at a time on constructed input, with exact values: URL parts of
unparsable URLs, charsets that smuggle surrogates or NULs, the reader's line bounds and re-synchronisation, copy
keys, and config type checks."""

from __future__ import annotations

import gzip

import pytest
from hostile import _bomb_member, record

from monsoon.stages import warc_reader
from monsoon.stages.charset import decode_html, is_wide
from monsoon.stages.mt_traces import mt_signals
from monsoon.stages.near_duplicates import dedup_keys
from monsoon.stages.warc_reader import WarcDocumentReader
from monsoon.urls import url_host, url_path
from monsoon.yamlconfig import ConfigError, check_value

BRACKETED = "https://[your-domain]/th/news/1?x=1"


def test_unparsable_urls_have_no_host_and_keep_their_path():
    assert url_host(BRACKETED) == "" and url_path(BRACKETED) == "/th/news/1"
    assert url_host("https://News.Example.th/a") == "news.example.th" and url_path("https://x.th/a/b") == "/a/b"
    link = '<link rel="alternate" hreflang="en" href="https://[your-domain]/en/">'
    assert mt_signals(f"<html><head>{link}</head><body>x</body></html>", BRACKETED) == []


def test_charsets_that_smuggle_surrogates_or_nuls_decode():
    assert decode_html(b"<p>+2AA- ok</p>", "text/html; charset=utf-7") == ("<p>\ufffd ok</p>", "utf-7")
    wide = "<p>สวัสดี</p>".encode("utf-16")
    assert is_wide(wide) and decode_html(wide) == ("<p>สวัสดี</p>", "utf-16")
    assert decode_html(b"<p>ok</p>", "text/html; charset=undefined") == ("<p>ok</p>", "utf-8")


def _read(tmp_path, name: str, data: bytes) -> tuple[list[str], dict[str, int]]:
    (tmp_path / name).write_bytes(data)
    reader = WarcDocumentReader(str(tmp_path))
    urls = [doc.metadata["url"] for doc in reader.read_file(name)]
    return urls, {key: int(value.total) for key, value in reader.stats.stats.items()}


def test_header_lines_and_blank_line_runs_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(warc_reader, "MAX_HEADER_LINE", 1 << 16)
    page = b"<html><body><p>page</p></body></html>"
    long_line = _bomb_member(b"WARC/1.0\r\nWARC-Type: response\r\nX-Long: ", b"A", 4 << 20, b"\r\n\r\n")
    blanks = _bomb_member(gzip.decompress(record("https://b.example/", page)), b"\n", 4 << 20)
    after = record("https://after.example/", page)

    urls, stats = _read(tmp_path, "a.warc.gz", long_line + blanks + after)

    assert urls == ["https://b.example/", "https://after.example/"]
    assert stats["acct|read|||"] == 4
    assert stats["acct|errored|und|header_line_too_long|WarcDocumentReader"] == 1
    assert stats["acct|errored|und|too_many_blank_lines|WarcDocumentReader"] == 1


def test_a_plain_warc_resynchronises_after_a_content_length_past_its_record(tmp_path):
    records = [record(f"https://p.example/{i}", b"<html><p>%d</p></html>" % i, gz=False) for i in range(4)]
    length = int(records[1].split(b"Content-Length: ")[1].split(b"\r\n")[0])
    records[1] = records[1].replace(b"Content-Length: %d" % length, b"Content-Length: %d" % (length + 300))

    urls, stats = _read(tmp_path, "p.warc", b"".join(records))

    assert urls == ["https://p.example/0", "https://p.example/2", "https://p.example/3"]
    assert stats["acct|errored|und|content_length_mismatch|WarcDocumentReader"] == 1


def test_a_file_without_a_record_is_one_error(tmp_path):
    urls, stats = _read(tmp_path, "text.warc.gz", b"just text\n" * 50)
    assert urls == [] and stats == {"acct|read|||": 1, "acct|errored|und|not_a_warc_file|WarcDocumentReader": 1}


def test_a_record_id_repeated_in_a_file_gets_its_offset(tmp_path):
    twin = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    first, second = (record(f"https://t.example/{i}", b"<html>x</html>", record_id=twin) for i in range(2))
    (tmp_path / "t.warc.gz").write_bytes(first + second)
    ids = [doc.id for doc in WarcDocumentReader(str(tmp_path)).read_file("t.warc.gz")]
    assert ids == ["00000000-0000-0000-0000-000000000001", f"00000000-0000-0000-0000-000000000001@{len(first)}"]


def test_copies_in_later_files_get_copy_keys():
    ids, paths = ["a", "a", "b", "a"], ["y.warc.gz", "x.warc.gz", "x.warc.gz", "z.warc.gz"]
    assert dedup_keys(ids, paths) == ["a@y.warc.gz", "a", "b", "a@z.warc.gz"]


@pytest.mark.parametrize(
    "value, tp, ok",
    [
        (3, int, True),
        (True, int, False),
        (3, float, True),
        ("3", float, False),
        (["a"], list[str], True),
        (["a", 1], list[str], False),
        (None, str | None, True),
        ({"k": {"seconds": 1}}, dict[str, dict[str, float]], True),
        ({"k": {"seconds": "1"}}, dict[str, dict[str, float]], False),
    ],
)
def test_config_values_are_type_checked(value, tp, ok):
    if ok:
        check_value(value, tp, "c.yaml", "key")
    else:
        with pytest.raises(ConfigError, match="c.yaml: key"):
            check_value(value, tp, "c.yaml", "key")
