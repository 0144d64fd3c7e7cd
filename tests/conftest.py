"""Shared test helpers: real data from ../shared/data, WARC files built by the test, and a pipeline runner."""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

import pytest
from s3 import s3_bucket, s3_endpoint  # noqa: F401  (the moto S3 server, tests/s3.py)
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monsoon.config import RunConfig, load_run_config
from monsoon.pipelines.local import run_local

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE_CONFIG = REPO / "configs" / "sample.yaml"


def shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not found: {path}")
    return path


def thai_news(index: int = 0) -> str:
    """A real Thai government news article (public domain) from ../shared/data/thai_prose."""
    with open(shared("thai_prose", "thaigov_news_sample.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i == index:
                return json.loads(line)["text"]
    raise IndexError(index)


def junk_case(repo: str, path: str) -> dict[str, str]:
    """A real spam text of bench/data/junk_cases.tsv (repository, path and commit recorded there)."""
    with open(REPO / "bench" / "data" / "junk_cases.tsv", encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return next(r for r in rows if r["repo"] == repo and r["path"] == path)


def html_page(title: str, text: str, lang: str | None = None, charset: str | None = "utf-8") -> str:
    """A page with navigation boilerplate around one article whose paragraphs are the text's lines."""
    paragraphs = "\n".join(f"<p>{line}</p>" for line in text.split("\n") if line.strip())
    lang_attr = f' lang="{lang}"' if lang else ""
    meta = f'<meta charset="{charset}">' if charset else ""
    return (
        f"<!DOCTYPE html><html{lang_attr}><head>{meta}<title>{title}</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/contact">Contact</a></nav>'
        f"<main><article><h1>{title}</h1>\n{paragraphs}\n</article></main>"
        "<footer>Copyright 2024</footer></body></html>"
    )


def warc_response(url: str, payload: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
    """One response record as its own gzip member, as in Common Crawl."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=headers))
    return buffer.getvalue()


def gzip_member(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def run_job(tmp_path: Path, input_path: Path | str, **overrides) -> tuple[dict, Path]:
    """Run the local engine in-process (one worker) and return (accounting, output dir)."""
    output = tmp_path / "out"
    config = RunConfig(input=str(input_path), output=str(output), tasks=1, workers=1, **overrides)
    return run_local(config), output


def identity_holds(bucket: dict) -> bool:
    return bucket["read"] == bucket["kept"] + sum(bucket["dropped"].values()) + sum(bucket["errored"].values())


def aozora(name: str = "1108_ruby_4611.txt", chars: int = 3000) -> str:
    """Body text of a public-domain Aozora Bunko work, without its header and ruby markup."""
    import re

    raw = shared("japanese_prose", "utf8", name).read_text(encoding="utf-8")
    body = raw.split("-------------------------------------------------------")[-1]
    body = re.sub(r"《[^》]*》|｜|［＃[^］]*］", "", body)
    paragraphs = [line.strip() for line in body.split("\n") if line.strip()]
    text, out = 0, []
    for paragraph in paragraphs:
        out.append(paragraph)
        text += len(paragraph)
        if text >= chars:
            break
    return "\n".join(out)


@pytest.fixture(scope="session")
def sample_reference(tmp_path_factory) -> tuple[dict, Path]:
    """configs/sample.yaml through the local engine, keeping the dropped documents: (accounting, output folder), the
    uninterrupted run test_spark and test_faults compare theirs with (one run for both; tests only read it)."""
    output = tmp_path_factory.mktemp("sample-reference") / "out"
    return run_local(load_run_config(SAMPLE_CONFIG, output=str(output), keep_dropped=True)), output


@pytest.fixture(scope="session")
def mini_crawl(tmp_path_factory) -> dict:
    """bench/minicrawl.py's mini Common Crawl bucket of the sample's pages (4 WARC files, their columnar index), built
    once for test_crawl and test_crawl_spark: {"bucket": its folder, **what build returns}; tests only read it."""
    sys.path.insert(0, str(REPO / "bench"))
    import minicrawl

    bucket = tmp_path_factory.mktemp("minicrawl") / "bucket"
    pages = minicrawl.warc_pages(sorted((REPO / "sample" / "warc").glob("*.warc.gz")))
    return {"bucket": bucket, **minicrawl.build(bucket, pages, files=4)}


@pytest.fixture(scope="session")
def spark():
    """One local[2] SparkSession for every Spark test of the run: a JVM's start and its first jobs (Python workers
    importing monsoon, JIT) cost ~20 s, paid once; monsoon's own Spark code takes the running session."""
    from monsoon.spark_session import spark_session

    session = spark_session("monsoon tests", "local[2]", progress=False)
    yield session
    session.stop()


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`monsoon ARGV...` in-process: (exit code, stdout, stderr)."""
    from monsoon.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
