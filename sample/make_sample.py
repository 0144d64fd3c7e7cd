"""Build the bundled sample crawl: `python sample/make_sample.py` (from the repo root).

Reads the text written for this project (`sample/articles/<code>.yaml`: whole articles, or
`sample/pools/<code>.yaml`: a pool of sentences articles are drawn from) and writes
`sample/warc/monsoon-sample-0000N.warc.gz` plus `sample/manifest.jsonl`, which says what every response record
is. Output is byte-identical across runs: fixed seed, record ids and dates derived from the URL, gzip mtime 0.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HERE = Path(__file__).resolve().parent
LANGUAGES = {  # code -> (html lang, top-level domain, minimum article characters)
    "tha_Thai": ("th", "co.th", 900),
    "jpn_Jpan": ("ja", "jp", 560),
    "vie_Latn": ("vi", "vn", 900),
    "ind_Latn": ("id", "co.id", 900),
    "zsm_Latn": ("ms", "com.my", 900),
    "tam_Taml": ("ta", "lk", 900),
    "eng_Latn": ("en", "com", 900),
}
ARTICLES_PER_LANGUAGE = 20
NEAR_DUPLICATES, EXACT_DUPLICATES = 3, 1
FILES = 4
BASE_DATE = datetime(2024, 5, 18, tzinfo=UTC)
# Pages in languages the sample job does not target (written for this project).
WRONG_LANGUAGE = {
    "deu_Latn": (
        "de",
        "de",
        [
            "Der Stadtrat hat am Dienstag beschlossen, die alte Brücke über den Fluss im kommenden Jahr zu erneuern.",
            "Viele Anwohner klagen seit Jahren über den dichten Verkehr in der Innenstadt und fordern mehr Busse.",
            "Die Bauarbeiten sollen im Frühjahr beginnen und nach Angaben der Verwaltung etwa zwei Jahre dauern.",
            "Für Radfahrer wird während dieser Zeit eine Umleitung über die Hafenstraße eingerichtet.",
        ],
    ),
    "kor_Hang": (
        "ko",
        "kr",
        [
            "시의회는 화요일에 강을 가로지르는 오래된 다리를 내년에 새로 짓기로 결정했다.",
            "많은 주민들은 몇 년 동안 도심의 교통 체증에 대해 불평해 왔으며 버스를 늘려 달라고 요구했다.",
            "공사는 봄에 시작될 예정이며 시청에 따르면 약 이 년 동안 계속될 것이라고 한다.",
            "그 기간 동안 자전거 이용자를 위해 항구 거리를 지나는 우회로가 마련된다.",
        ],
    ),
    "zho_Hans": (
        "zh",
        "cn",
        [
            "市议会星期二决定明年重建横跨河流的旧桥，预计工程将持续大约两年。",
            "许多居民多年来一直抱怨市中心交通拥堵，并要求增加公共汽车的班次。",
            "施工将在春季开始，在此期间骑自行车的人可以走港口路的临时绕行路线。",
            "市政府表示，新桥建成后将设有宽阔的人行道和专用的自行车道。",
        ],
    ),
}


def record_id(url: str, kind: str) -> str:
    return f"<urn:uuid:{uuid.UUID(bytes=hashlib.sha256(f'{kind}|{url}'.encode()).digest()[:16])}>"


def load_text(code: str) -> dict:
    """Articles of one language as [{title, paragraphs}], with the site's boilerplate."""
    articles_file, pool_file = HERE / "articles" / f"{code}.yaml", HERE / "pools" / f"{code}.yaml"
    if articles_file.exists():
        data = yaml.safe_load(articles_file.read_text(encoding="utf-8"))
        data.update(data.pop("boilerplate"))
        data["spam"] = [line for page in data["spam"] for line in page["lines"]]
        data["articles"] = data["articles"][:ARTICLES_PER_LANGUAGE]
        return data
    data = yaml.safe_load(pool_file.read_text(encoding="utf-8"))
    rng = random.Random(f"articles-{code}")
    sentences, min_chars = data["sentences"], LANGUAGES[code][2]
    articles = []
    for _ in range(ARTICLES_PER_LANGUAGE):
        chosen, length = [], 0
        for sentence in rng.sample(sentences, len(sentences)):
            chosen.append(sentence)
            length += len(sentence)
            if length >= min_chars:
                break
        paragraphs = [" ".join(chosen[i : i + 3]) for i in range(0, len(chosen), 3)]
        title = chosen[0].split("。")[0][:30] if code == "jpn_Jpan" else " ".join(chosen[0].split()[:7])
        articles.append({"title": title, "paragraphs": paragraphs})
    data["articles"] = articles
    data.setdefault("related_title", "…")
    return data


def page(lang: str | None, title: str, site: dict, body: str, charset: str | None = "utf-8") -> str:
    nav = " ".join(f'<a href="/{i}">{label}</a>' for i, label in enumerate(site["nav"]))
    lang_attr = f' lang="{lang}"' if lang else ""
    meta = f'<meta charset="{charset}">' if charset else ""
    return (
        f"<!DOCTYPE html>\n<html{lang_attr}><head>{meta}<title>{title} | {site['site_name']}</title>"
        "<style>body{font-family:sans-serif}.nav a{margin:0 4px}</style>"
        "<script>window.dataLayer=window.dataLayer||[];</script></head>\n<body>"
        f'<header class="nav">{nav}</header><div class="cookie">{site["cookie"]}</div>\n'
        f"{body}\n<footer>{site['footer']}</footer></body></html>\n"
    )


def article_body(article: dict, related: list[str], related_title: str, date: str) -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in article["paragraphs"])
    links = "".join(f'<li><a href="/r/{i}">{t}</a></li>' for i, t in enumerate(related))
    return (
        f'<main><article><h1>{article["title"]}</h1>\n{paragraphs}\n<p class="date">{date}</p></article></main>'
        f"<aside><h3>{related_title}</h3><ul>{links}</ul></aside>"
    )


def build_pages() -> list[dict]:
    pages: list[dict] = []

    def add(
        url,
        kind,
        language,
        html=None,
        payload=None,
        content_type="text/html; charset=utf-8",
        charset="utf-8",
        article=None,
        dup_of=None,
    ):
        body = payload if payload is not None else html.encode(charset)
        pages.append(
            {
                "url": url,
                "kind": kind,
                "language": language,
                "payload": body,
                "content_type": content_type,
                "charset": charset if payload is None else None,
                "article": article,
                "dup_of": dup_of,
            }
        )

    for code, (lang, tld, _) in LANGUAGES.items():
        if not any((HERE / folder / f"{code}.yaml").exists() for folder in ("articles", "pools")):
            raise SystemExit(f"no text for {code}: write sample/articles/{code}.yaml or sample/pools/{code}.yaml")
        site = load_text(code)
        slug = "".join(ch for ch in site["site_name"].lower() if ch.isascii() and ch.isalnum()) or code.lower()
        articles = site["articles"]
        titles = [a["title"] for a in articles]
        for i, article in enumerate(articles):
            url = f"https://www.{slug}.{tld}/news/2024/{i + 1:03d}.html"
            body = article_body(article, titles[i + 1 : i + 6], site.get("related_title", ""), "2024-05-18")
            lang_attr = None if i % 7 == 3 else lang  # some sites omit the lang attribute
            charset, content_type = "utf-8", "text/html; charset=utf-8"
            if code == "tha_Thai" and i in (1, 2):
                charset, content_type = "cp874", "text/html; charset=TIS-620"  # declared in the HTTP header only
            if code == "jpn_Jpan" and i in (1, 2):
                charset, content_type = "shift_jis", "text/html"  # declared in <meta> only
            if code == "jpn_Jpan" and i == 4:
                charset, content_type = "euc_jp", "text/html; charset=EUC-JP"
            if i == 5 and code in ("vie_Latn", "eng_Latn"):
                charset, content_type = "utf-8", "text/html"  # declared nowhere
            meta = (
                None
                if content_type == "text/html" and charset == "utf-8"
                else {"cp874": None, "shift_jis": "Shift_JIS", "euc_jp": "EUC-JP"}.get(charset, "utf-8")
            )
            try:
                html = page(lang_attr, article["title"], site, body, meta)
                html.encode(charset)
            except UnicodeEncodeError:
                charset, content_type, html = (
                    "utf-8",
                    "text/html; charset=utf-8",
                    page(lang_attr, article["title"], site, body),
                )
            add(url, "article", code, html, content_type=content_type, charset=charset, article=f"{code}/{i}")
            if i < NEAR_DUPLICATES + EXACT_DUPLICATES:
                copy = dict(article, paragraphs=list(article["paragraphs"]))
                kind = "exact_duplicate" if i >= NEAR_DUPLICATES else "near_duplicate"
                if kind == "near_duplicate":  # syndicated copy, lightly edited: one sentence shortened
                    copy["paragraphs"][0] = copy["paragraphs"][0][: max(20, len(copy["paragraphs"][0]) - 25)]
                body = article_body(copy, titles[:3], site.get("related_title", ""), "2024-05-19")
                add(
                    f"https://mirror-{slug}.{tld}/{i + 1}.html",
                    kind,
                    code,
                    page(lang, article["title"], site, body),
                    article=f"{code}/{i}",
                    dup_of=url,
                )
        spam = "\n".join(f"<p>{line}</p>" for line in site["spam"] * 6)
        add(f"https://promo-{slug}.{tld}/win.html", "spam", code, page(lang, site["spam"][0], site, spam))
        for j, text in enumerate(site["short"]):
            add(
                f"https://www.{slug}.{tld}/p/{j}.html",
                "short",
                code,
                page(lang, text, site, f"<main><p>{text}</p></main>"),
            )
        links = "".join(f'<li><a href="/n/{k}">{t}</a></li>' for k, t in enumerate(titles))
        add(
            f"https://www.{slug}.{tld}/",
            "boilerplate_only",
            code,
            page(lang, site["site_name"], site, f"<ul>{links}</ul>"),
        )
        if code == "jpn_Jpan":
            for j in range(2):
                lines = site["katakana_lines"][j:] + site["katakana_lines"][:j]
                items = "\n".join(f"<li>{line} 型番{j}{k:02d}</li>" for k, line in enumerate(lines * 2))
                add(
                    f"https://shop-{slug}.{tld}/catalog/{j}.html",
                    "low_hiragana",
                    code,
                    page(lang, "商品一覧", site, f"<main><h1>商品一覧</h1><ul>\n{items}\n</ul></main>"),
                )
    for code, (lang, tld, sentences) in WRONG_LANGUAGE.items():
        site = {"nav": ["Home"], "site_name": code, "cookie": "", "footer": ""}
        for j in range(2):
            paragraphs = "\n".join(f"<p>{s}</p>" for s in sentences[j:] + sentences[:j])
            add(
                f"https://news.example.{tld}/{j}.html",
                "wrong_language",
                code,
                page(lang, sentences[j][:20], site, f"<main><article>{paragraphs}</article></main>"),
            )
    rng = random.Random(7)
    add(
        "https://img.example.com/logo.png",
        "non_html",
        None,
        payload=b"\x89PNG\r\n\x1a\n" + bytes(64),
        content_type="image/png",
    )
    add(
        "https://docs.example.com/report.pdf",
        "non_html",
        None,
        payload=b"%PDF-1.4\n" + bytes(rng.randbytes(300)),
        content_type="application/pdf",
    )
    add(
        "https://api.example.com/v1/items",
        "non_html",
        None,
        payload=b'{"items": [1, 2, 3]}',
        content_type="application/json",
    )
    add(
        "https://cdn.example.com/blob",
        "non_html",
        None,
        payload=bytes(rng.randbytes(2000)) + bytes(100),
        content_type="text/html",
    )  # binary served as HTML
    return pages


def warc_bytes(writer_records: list) -> bytes:
    return b"".join(gzip.compress(record, mtime=0) for record in writer_records)


def serialize(record) -> bytes:
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False).write_record(record)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(HERE / "warc"), help="folder for the WARC files")
    parser.add_argument("--manifest", default=str(HERE / "manifest.jsonl"), help="manifest path")
    args = parser.parse_args()
    pages = build_pages()
    random.Random(20241122).shuffle(pages)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    writer = WARCWriter(io.BytesIO(), gzip=False)
    for n in range(FILES):
        name = f"monsoon-sample-{n:05d}.warc.gz"
        date = BASE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
        info = writer.create_warcinfo_record(name, {"software": "monsoon sample/make_sample.py"})
        info.rec_headers.replace_header("WARC-Record-ID", record_id(name, "warcinfo"))
        info.rec_headers.replace_header("WARC-Date", date)
        records = [serialize(info)]
        for index, item in enumerate(pages[n::FILES]):
            date = (BASE_DATE + timedelta(seconds=len(manifest))).strftime("%Y-%m-%dT%H:%M:%SZ")
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", item["content_type"]), ("Content-Length", str(len(item["payload"])))],
                protocol="HTTP/1.1",
            )
            request = writer.create_warc_record(
                item["url"],
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders("GET / HTTP/1.1", [], is_http_request=True),
            )
            response = writer.create_warc_record(
                item["url"], "response", payload=io.BytesIO(item["payload"]), http_headers=headers
            )
            for kind, record in (("request", request), ("response", response)):
                record.rec_headers.replace_header("WARC-Record-ID", record_id(item["url"], kind))
                record.rec_headers.replace_header("WARC-Date", date)
                records.append(serialize(record))
            manifest.append(
                {
                    "file": name,
                    "record_index": 2 + 2 * index,
                    "url": item["url"],
                    "kind": item["kind"],
                    "language": item["language"],
                    "article": item["article"],
                    "dup_of": item["dup_of"],
                    "content_type": item["content_type"],
                    "charset": item["charset"],
                }
            )
        (out / name).write_bytes(warc_bytes(records))
    Path(args.manifest).write_text(
        "".join(json.dumps(m, sort_keys=True, ensure_ascii=False) + "\n" for m in manifest), encoding="utf-8"
    )
    counts: dict[str, int] = {}
    for m in manifest:
        counts[m["kind"]] = counts.get(m["kind"], 0) + 1
    print(f"{len(manifest)} pages in {FILES} files: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
