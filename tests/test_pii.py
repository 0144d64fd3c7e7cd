"""Personal-data masking: each kind and country format, the Thai ID checksum, look-alikes that stay (real news
dates and prices), the drop above max_hits, and one end-to-end run that writes and counts the masks."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from conftest import html_page, identity_holds, run_job, thai_news, warc_response

from monsoon.audit.report import write_report
from monsoon.config import PiiConfig
from monsoon.stages.pii import mask_pii
from monsoon.tokens import load_token_counter

VALID_THAI_ID = "1103702071811"  # mod-11 check digit 1 over 110370207181
INVALID_THAI_ID = "1103702071812"


@pytest.mark.parametrize(
    ("countries", "text", "masked", "counts"),
    [
        (
            ("TH",),
            "โทร. 081-234-5678 หรือ 0 2283 1500 อีเมล a.b@gov.go.th IP 203.150.10.4",
            "โทร. <PHONE> หรือ <PHONE> อีเมล <EMAIL> IP <IP>",
            {"phone": 2, "email": 1, "ip": 1},
        ),
        (
            ("ID",),
            "Hubungi 0812-3456-7890 atau (021) 5551234, NIK 3174012501900003, IPv6 2001:db8::8a2e:370:7334.",
            "Hubungi <PHONE> atau <PHONE>, NIK <NATIONAL_ID>, IPv6 <IP>.",
            {"phone": 2, "national_id": 1, "ip": 1},
        ),
        (
            ("MY", "SG"),
            "MyKad 850101-14-5123, tel 012-345 6789 / 03-2142 8888 / +65 6123 4567",
            "MyKad <NATIONAL_ID>, tel <PHONE> / <PHONE> / <PHONE>",
            {"national_id": 1, "phone": 3},
        ),
        (
            ("VN",),
            "Gọi 0912.345.678 hoặc 024 3825 1234, CCCD 001203012345",
            "Gọi <PHONE> hoặc <PHONE>, CCCD <NATIONAL_ID>",
            {"phone": 2, "national_id": 1},
        ),
        (("PH",), "Text 0917 123 4567 or call (02) 8123 4567", "Text <PHONE> or call <PHONE>", {"phone": 2}),
        (("JP",), "電話 03-1234-5678、携帯 090-1234-5678", "電話 <PHONE>、携帯 <PHONE>", {"phone": 2}),
    ],
)
def test_each_kind_is_masked_in_its_countries_formats(countries, text, masked, counts):
    assert mask_pii(text, countries) == (masked, counts)


def test_look_alikes_stay():
    text = (
        "ISBN 978-602-03-1234-5, versi 2.4.1, Rp 1.250.000, 12-05-2024, pukul 10.30, 2563-2567, "
        "MyKad-shaped 851301-14-5123 (month 13), CCCD-shaped 003203012345 (no province 003), 〒100-0001"
    )
    assert mask_pii(text, ("ID", "MY", "VN", "JP")) == (text, {})


def test_thai_id_is_masked_only_with_a_valid_check_digit():
    assert mask_pii(f"เลขบัตร {VALID_THAI_ID}", ("TH",)) == ("เลขบัตร <NATIONAL_ID>", {"national_id": 1})
    assert mask_pii("เลขบัตร 1-1037-02071-81-1", ("TH",)) == ("เลขบัตร <NATIONAL_ID>", {"national_id": 1})
    assert mask_pii(f"เลขบัตร {INVALID_THAI_ID}", ("TH",)) == (f"เลขบัตร {INVALID_THAI_ID}", {})


@pytest.mark.parametrize("index", [9, 58])
def test_real_thai_news_keeps_its_dates_prices_and_times(index):
    # article 9: prices (60,000 / 10,629.600 / 800,000 baht); article 58: 09.30, 1/2565, 3,787.34, ranges 2-3
    text = thai_news(index)
    assert mask_pii(text, ("TH",)) == (text, {})


def test_config_default_is_mangosteens_five_hits():
    assert PiiConfig().max_hits == 5


def test_masks_are_written_counted_and_a_directory_page_is_dropped(tmp_path):
    news = thai_news(29)
    contact = (
        f"ติดต่อ somchai@example.co.th โทร 081-234-5678 เลขบัตร {VALID_THAI_ID} และ {INVALID_THAI_ID} IP 203.150.10.4"
    )
    directory = "\n".join(f"สาขา {i} โทร 02-123-456{i}" for i in range(6))
    warc = tmp_path / "pii.warc.gz"
    warc.write_bytes(
        warc_response("https://example.go.th/news/1", html_page("ข่าว", f"{news}\n{contact}", lang="th").encode())
        + warc_response(
            "https://example.go.th/news/2", html_page("ข่าวสาขา", f"{thai_news(3)}\n{directory}", lang="th").encode()
        )
    )
    accounting, out = run_job(tmp_path, warc)
    thai = accounting["languages"]["tha_Thai"]
    assert thai["kept"] == 1 and thai["dropped"] == {"pii.hits>max": 1}
    assert thai["masked"] == {"email": 1, "ip": 1, "national_id": 1, "phone": 1}
    assert identity_holds(accounting["total"]) and accounting["total"]["read"] == 2
    rows = pq.read_table(out / "tha_Thai").to_pylist()
    text = rows[0]["text"]
    assert "ติดต่อ <EMAIL> โทร <PHONE> เลขบัตร <NATIONAL_ID> และ 1103702071812 IP <IP>" in text
    assert rows[0]["token_count"] == load_token_counter("llama3").count(text)
    assert dict(rows[0]["quality_signals"])["pii.phone"] == 1.0
    write_report(out, tmp_path / "audit")
    markdown = (tmp_path / "audit" / "report.md").read_text()
    assert "## Personal-data masks" in markdown
    assert "| tha_Thai | 1 | 1 | 1 | 1 |" in markdown


def test_an_unknown_pii_key_is_an_error_naming_it():
    from monsoon.config import ConfigError, RunConfig, build

    with pytest.raises(ConfigError, match="unknown key 'pii.max_hit'"):
        build(RunConfig, {"input": "in", "output": "out", "pii": {"max_hit": 3}}, "run.yaml")
