"""Near-duplicate removal and token counts, end to end through the local engine."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import regex as re
from conftest import aozora, html_page, identity_holds, run_job, shared, thai_news, warc_response
from llama_models.llama3.tokenizer import Tokenizer

from monsoon.dedup.local import clusters
from monsoon.dedup.signatures import shingles
from monsoon.languages import get_language


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


def _aozora_edition_html(doc_id: str) -> str:
    """The body of one edition of a work (neardup_labelled) as Aozora Bunko's XHTML shows it: ruby as <ruby>
    markup, which extraction drops, and no transcriber's notes."""
    with open(shared("neardup_labelled", "dev", "docs.jsonl"), encoding="utf-8") as f:
        text = next(doc["text"] for doc in map(json.loads, f) if doc["doc_id"] == doc_id)
    body = text.split("-------------------------------------------------------")[-1]
    body = re.sub(r"［＃[^］]*］", "", body)
    body = re.sub(r"(?:｜([^《｜\n]+)|(\p{Han}+))《([^》]+)》", r"<ruby>\1\2<rt>\3</rt></ruby>", body)
    return "\n".join(line.strip() for line in body.split("\n") if line.strip())


def test_japanese_editions_in_old_and_new_orthography_leave_one(tmp_path):
    # 羅生門 in today's spelling and in the 1915 one (舊記, 云ふ, ゐる, other ruby); 山月記 is another work
    editions = {"aozora/127_ruby_150": "羅生門", "aozora/128_ruby_2046": "羅生門", "aozora/624_ruby_5668": "山月記"}
    path = tmp_path / "editions.warc.gz"
    path.write_bytes(
        b"".join(
            warc_response(f"https://site{i}.example.jp/", html_page(title, _aozora_edition_html(doc_id)).encode())
            for i, (doc_id, title) in enumerate(editions.items())
        )
    )

    accounting, output = run_job(tmp_path, path)

    assert accounting["languages"]["jpn_Jpan"]["dropped"] == {"near_duplicate": 1}
    kept = {row["url"] for row in pq.read_table(output / "jpn_Jpan").to_pylist()}
    assert len(kept) == 2 and "https://site2.example.jp/" in kept


def test_japanese_shingles_ignore_inline_ruby_and_old_character_forms():
    japanese = get_language("jpn_Jpan")
    today = "旧記によると、仏像や仏具を打砕いて、路ばたにつみ重ねたと言う。下人は門の下にいた。ＡＩの話だ。"
    old = (
        "舊記によると、佛像《ぶつざう》や佛具を打砕《うちくだ》いて、路ばたにつみ重ねたと云ふ。"
        "下人は門の下にゐた。｜ＡＩ《エーアイ》の話だ。"
    )

    assert shingles(old, japanese) == shingles(today, japanese)
    assert shingles(old, japanese) != shingles("羅生門の下で雨やみを待っていた。", japanese)


def test_japanese_near_duplicates_found_after_small_edits(tmp_path):
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
