"""Reading WARCs: real crawl files and deliberately broken ones; every record is accounted for."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from conftest import (
    gzip_member,
    html_page,
    identity_holds,
    run_job,
    shared,
    thai_news,
    warc_response,
)


def test_real_warc_samples_are_read_and_accounted(tmp_path):
    folder = shared("warc_samples")
    with open(folder / "manifest.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    documents = [r for r in rows if r["warc_type"] in ("response", "resource", "conversion")]

    accounting, _ = run_job(tmp_path, folder)

    total = accounting["total"]
    assert total["read"] >= len(documents)
    assert identity_holds(total)
    assert all(identity_holds(bucket) for bucket in accounting["languages"].values())
    assert total["kept"] > 0  # the English wget crawl has real articles


def test_broken_warc_is_read_to_the_end_and_every_record_counted(tmp_path):
    thai = thai_news(4)
    good = warc_response("https://news.example.th/1", html_page("ข่าว", thai, lang="th").encode("utf-8"))
    # legacy Thai encoding declared nowhere: must be detected, not lost
    undeclared = warc_response(
        "https://news.example.th/2",
        html_page("ข่าว", thai_news(5), lang="th", charset=None).encode("cp874"),
        content_type="text/html",
    )
    not_html = warc_response("https://img.example.th/a.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
    garbage = gzip_member(b"this is not a WARC record at all\r\n\r\n")
    binary_as_html = warc_response("https://x.example.com/", bytes(range(256)) * 20, "text/html")
    after = warc_response("https://news.example.th/3", html_page("ข่าว", thai_news(10), lang="th").encode("utf-8"))
    truncated = warc_response("https://news.example.th/4", html_page("ข่าว", thai_news(11)).encode("utf-8"))[:300]
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(good + undeclared + not_html + garbage + binary_as_html + after + truncated)

    accounting, output = run_job(tmp_path, path)

    total = accounting["total"]
    assert total["read"] == 7
    assert identity_holds(total)
    assert total["errored"] == {"malformed_record": 1, "truncated_or_corrupt_gzip": 1}
    assert total["dropped"].get("not_html") == 1
    assert total["dropped"].get("binary_payload") == 1
    kept = pq.read_table(output / "tha_Thai").to_pylist()
    assert sorted(row["url"] for row in kept) == [
        "https://news.example.th/1",
        "https://news.example.th/2",
        "https://news.example.th/3",
    ]
    assert next(row for row in kept if row["url"].endswith("/2"))["charset"] == "cp874"


def _peak_rss_mib_of_run(tmp_path: Path, name: str, warc: bytes) -> tuple[int, dict]:
    """Run `monsoon run` on one WARC file in its own process: (its peak RSS in MiB, accounting)."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "input.warc.gz").write_bytes(warc)
    config = folder / "run.yaml"
    config.write_text(f"input: {folder / 'input.warc.gz'}\noutput: {folder / 'out'}\ntasks: 1\nworkers: 1\n")
    code = (
        "import resource, sys; from monsoon.cli import main; main(sys.argv[1:]); "
        "print('PEAK', max(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "run", str(config)], capture_output=True, text=True, check=True
    )
    peak_kib = int(result.stdout.rsplit("PEAK ", 1)[1])
    return peak_kib // 1024, json.loads((folder / "out" / "accounting.json").read_text())


def test_a_50_mb_page_is_dropped_undecoded_and_the_job_goes_on(tmp_path):
    article = warc_response("https://news.example.th/1", html_page("ข่าว", thai_news(4), lang="th").encode())
    huge = html_page("big", "lorem ipsum dolor sit amet " * 1_900_000).encode()  # 51 MB
    assert len(huge) > 50_000_000

    baseline, _ = _peak_rss_mib_of_run(tmp_path, "baseline", article)
    peak, accounting = _peak_rss_mib_of_run(tmp_path, "huge", warc_response("https://big.example.com/", huge) + article)

    assert accounting["total"]["read"] == 2 and identity_holds(accounting["total"])
    assert accounting["total"]["dropped"] == {"html_too_large": 1}
    assert accounting["languages"]["tha_Thai"]["kept"] == 1
    assert peak - baseline < 20, f"peak RSS {peak} MiB with the 50 MB page vs {baseline} MiB without"


def test_gzip_bomb_and_deeply_nested_html_end_counted(tmp_path):
    import gzip
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    bomb = gzip.compress(b"<html><body>" + b"A" * 200_000_000, mtime=0)  # ~200 KB that inflates to 200 MB
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = StatusAndHeaders(
        "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], protocol="HTTP/1.1"
    )
    writer.write_record(
        writer.create_warc_record(
            "https://bomb.example.com/", "response", payload=io.BytesIO(bomb), http_headers=headers
        )
    )
    nested = "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>"  # 1.1 MB
    path = tmp_path / "hostile.warc.gz"
    path.write_bytes(buffer.getvalue() + warc_response("https://deep.example.com/", nested.encode()))

    accounting, _ = run_job(tmp_path, path)

    total = accounting["total"]
    assert total["read"] == 2
    assert identity_holds(total)
    assert total["dropped"].get("html_too_large") == 1  # the bomb is never inflated past the size limit
    assert total["kept"] == 0  # the nested page ends dropped or errored, without hanging the job
