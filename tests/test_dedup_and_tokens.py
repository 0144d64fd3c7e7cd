"""Near-duplicate removal and token counts, end to end through the local engine."""

from __future__ import annotations

import pyarrow.parquet as pq
from conftest import aozora, html_page, identity_holds, run_job, thai_news, warc_response
from llama_models.llama3.tokenizer import Tokenizer

from monsoon.dedup.local import clusters


def _lightly_edited(text: str) -> str:
    """The same article as syndicated elsewhere: one word changed in one line."""
    lines = text.split("\n")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    lines[longest] = lines[longest].replace("จังหวัด", "จ.", 1) + " (ปรับปรุง)"
    return "\n".join(lines)


def test_two_near_duplicate_pages_leave_one(tmp_path):
    article = thai_news(18)
    path = tmp_path / "dups.warc.gz"
    path.write_bytes(
        warc_response("https://a.example.th/news/1", html_page("ข่าว", article).encode())
        + warc_response("https://b.example.th/copy/1", html_page("ข่าวล่าสุด", _lightly_edited(article)).encode())
        + warc_response("https://a.example.th/news/2", html_page("ข่าว", thai_news(21)).encode())
    )

    accounting, output = run_job(tmp_path, path)

    thai = accounting["languages"]["tha_Thai"]
    assert thai["dropped"] == {"near_duplicate": 1}
    assert thai["kept"] == 2
    assert identity_holds(accounting["total"])
    rows = pq.read_table(output / "tha_Thai").to_pylist()
    sizes = sorted(row["cluster_size"] for row in rows)
    assert sizes == [1, 2]


def test_japanese_near_duplicates_found_with_character_shingles(tmp_path):
    text = aozora("92_ruby_164.txt")
    edited = text.replace("。", "。", 1).replace("た。", "たのだ。", 2)
    path = tmp_path / "ja.warc.gz"
    path.write_bytes(
        warc_response("https://a.example.jp/1", html_page("随筆", text, lang="ja").encode())
        + warc_response("https://b.example.jp/2", html_page("随筆", edited, lang="ja").encode())
    )

    accounting, _ = run_job(tmp_path, path)

    assert accounting["languages"]["jpn_Jpan"]["dropped"] == {"near_duplicate": 1}


def test_cluster_representative_is_the_same_whatever_the_input_order():
    docs = [("b", [1, 2]), ("a", [9, 2]), ("c", [7, 8]), ("d", [5, 8])]
    assert (
        clusters(docs)
        == clusters(list(reversed(docs)))
        == {
            "a": ("a", 2),
            "b": ("a", 2),
            "c": ("c", 2),
            "d": ("c", 2),
        }
    )


def test_token_count_equals_the_llama3_tokenizers_own_count(tmp_path):
    path = tmp_path / "t.warc.gz"
    path.write_bytes(
        warc_response("https://a.example.th/1", html_page("ข่าว", thai_news(25)).encode())
        + warc_response("https://a.example.jp/2", html_page("随筆", aozora("42_ruby_154.txt"), lang="ja").encode())
    )

    _, output = run_job(tmp_path, path)

    tokenizer = Tokenizer.get_instance()
    rows = [row for path in sorted(output.glob("*/*.parquet")) for row in pq.read_table(path).to_pylist()]
    assert len(rows) == 2
    for row in rows:
        assert row["token_count"] == len(tokenizer.encode(row["text"], bos=False, eos=False))
    metadata = pq.read_schema(next(output.glob("tha_Thai/*.parquet"))).metadata
    assert metadata[b"monsoon.tokenizer"].startswith(b"llama3")
