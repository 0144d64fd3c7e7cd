"""Mix tables as a user runs them: `mix check` on SEA-LION v2's table and on a hand-broken one, `mix plan`
against an output, and `mix build` into token-sized shards (multipliers 1, 2 and 0.5; byte-identical reruns;
the Spark engine giving the local engine's shards)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_cli

from monsoon.cli import build_parser
from monsoon.config import ConfigError
from monsoon.mix.table import load_table
from monsoon.schema import corpus_schema

REPO = Path(__file__).resolve().parents[1]
SEA_LION_FLAGGED = {
    # row: (printed, expected) percentage; the Dolma rows' percentages are shifted by one row in the model card
    1: ("15.90", "15.94"),
    2: ("9.21", "2.42"),
    3: ("2.42", "2.79"),
    4: ("2.79", "2.00"),
    5: ("1.99", "0.98"),
    6: ("0.98", "9.21"),
}
TOKENS_PER_SHARD = 3665  # the mix below makes ~73.3 K tokens: 20 shards of ~3.66 K


def monsoon(capsys, *argv: str) -> tuple[int, str, str]:
    return run_cli(capsys, *argv)


def tokens_of(i: int) -> int:
    """20..60 tokens; every 41 consecutive documents hold each count once (1,640 tokens)."""
    return 20 + (i * 7) % 41


def write_docs(
    path: Path,
    language: str,
    source: str,
    ids: list[str],
    schema: pa.Schema | None = None,
    cluster_sizes: list[int] | None = None,
) -> int:
    """A parquet file of documents in monsoon's output schema (cluster size 1 unless given); returns its tokens."""
    schema = schema or corpus_schema("llama3")
    cluster_sizes = cluster_sizes or [1] * len(ids)
    rows = [
        {
            "id": doc_id,
            "text": f"{language} {source} document {doc_id}",
            "url": f"https://{source}.example/{doc_id}",
            "language": language,
            "language_score": 0.99,
            "token_count": tokens_of(int(doc_id.rsplit("-", 1)[1])),
            "source": source,
            "dump": "CC-TEST",
            "cluster_size": size,
            "quality_signals": {"gopher_quality.words": 100.0},
        }
        for doc_id, size in zip(ids, cluster_sizes, strict=True)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
    return sum(row["token_count"] for row in rows)


@pytest.fixture(scope="module")
def mix_input(tmp_path_factory) -> dict:
    """An output with Indonesian (two files), Thai news and Thai web, external parquet, and a mix table over them."""
    root = tmp_path_factory.mktemp("mix")
    out = root / "out"
    write_docs(out / "ind_Latn" / "00000.parquet", "ind_Latn", "web", [f"id-{i}" for i in range(600)])
    write_docs(out / "ind_Latn" / "00001.parquet", "ind_Latn", "web", [f"id-{i}" for i in range(600, 1025)])
    thai = corpus_schema("llama3")
    news = [f"th-{i}" for i in range(410)]
    web = [f"thweb-{i}" for i in range(100)]
    news_tokens = sum(tokens_of(i) for i in range(410))
    write_docs(out / "tha_Thai" / "00000.parquet", "tha_Thai", "news", news, thai)
    write_docs(out / "tha_Thai" / "00001.parquet", "tha_Thai", "web", web, thai)
    # external parquet: only the columns a mix needs (the others come out as nulls)
    external = root / "external" / "wiki"
    external.mkdir(parents=True)
    wiki_ids = [f"wiki-{i}" for i in range(1025)]
    pq.write_table(
        pa.table({"id": wiki_ids, "text": ["wiki text"] * 1025, "token_count": [tokens_of(i) for i in range(1025)]}),
        external / "part-0.parquet",
    )
    read = 4000
    (out / "accounting.json").write_text(json.dumps({"total": {"read": read}, "languages": {}}))
    table = root / "mix.yaml"
    table.write_text(
        f"""name: three sources
unit: K
tokenizer: llama3
tokens_per_shard: {TOKENS_PER_SHARD}
seed: 7
rows:
  - source: Indonesian web
    language: ind_Latn
    unique: 20
    multiplier: 1
  - source: Thai news
    language: tha_Thai
    dataset: news
    unique: all
    multiplier: 2
  - source: Wiki
    parquet: external/wiki/*.parquet
    unique: all
    multiplier: 0.5
"""
    )
    return {"root": root, "out": out, "table": table, "news_tokens": news_tokens, "read": read}


def shard_rows(shards: Path) -> list[list[tuple[str, str, int, int]]]:
    """Per shard, its (mix_source, id, mix_copy, token_count) rows in file order."""
    manifest = json.loads((shards / "manifest.json").read_text())
    rows = []
    for shard in manifest["shards"]:
        table = pq.read_table(shards / shard["file"], columns=["mix_source", "id", "mix_copy", "token_count"])
        rows.append(list(zip(*(table[c].to_pylist() for c in table.column_names), strict=True)))
    return rows


@pytest.fixture(scope="module")
def local_build(mix_input, tmp_path_factory) -> Path:
    shards = tmp_path_factory.mktemp("shards") / "local"
    args = ("mix", "build", str(mix_input["table"]), "--from", str(mix_input["out"]), "--to", str(shards))
    parser = build_parser()
    parsed = parser.parse_args(args)
    assert parsed.handler(parsed) == 0
    return shards


def test_mix_check_flags_the_hand_typed_sea_lion_v2_percentages(capsys):
    for name in ("sea_lion_v2.md", "sea_lion_v2.yaml"):
        code, out, _ = monsoon(capsys, "mix", "check", str(REPO / "configs" / name), "--strict")
        lines = out.strip().splitlines()

        assert code == 1
        assert len(lines) == len(SEA_LION_FLAGGED) + 1  # one line per inconsistent row, then the summary
        for line, (row, (printed, expected)) in zip(lines, SEA_LION_FLAGGED.items(), strict=False):
            assert line.startswith(f"row {row:>2}")
            assert f"percentage: printed {printed}, expected {expected}" in line
        assert "Dolma RefinedWeb - English" in lines[0]
        assert "6 of 15 rows inconsistent (0 totals, 6 percentages)" in lines[-1]
        assert "totals sum to 47.999 B" in lines[-1] and "printed percentages to 99.96" in lines[-1]

    code, out, _ = monsoon(capsys, "mix", "check", str(REPO / "configs" / "sea_lion_v2.md"), "--verbose")
    assert code == 0  # without --strict, flagged rows are reported only
    assert "row 12  WangChanBERTa - Thai" in out and "ok (total and percentage)" in out


def test_markdown_and_yaml_copies_of_the_sea_lion_table_agree():
    markdown = load_table(REPO / "configs" / "sea_lion_v2.md")
    yaml = load_table(REPO / "configs" / "sea_lion_v2.yaml")
    fields = ("source", "unique", "multiplier", "total", "percentage")
    assert [[getattr(r, f) for f in fields] for r in markdown.rows] == [
        [getattr(r, f) for f in fields] for r in yaml.rows
    ]
    assert {r.language for r in yaml.rows} >= {"eng_Latn", "ind_Latn", "tam_Taml", "tha_Thai", "vie_Latn"}


def test_a_hand_broken_table_is_flagged_row_by_row(tmp_path, capsys):
    table = tmp_path / "broken.csv"
    table.write_text(
        "Data Source,Unique Tokens (B),Multiplier,Total Tokens (B),Percentage (%)\n"
        "Web,10,1,10,55.56\n"
        "News,2.5,2,4.0,22.22\n"  # 2.5 x 2 is 5.0
        "Books,3,1,3,20.00\n"  # 3 / 18 is 16.67 %
        "Wiki,0.333,3,1.0,5.56\n"  # 0.999 printed as 1.0: within rounding
    )

    code, out, _ = monsoon(capsys, "mix", "check", str(table), "--strict")

    lines = out.strip().splitlines()
    assert code == 1
    assert lines[0] == "row  2  News   total: printed 4.0, expected 5.0 (= 2.5 x 2)"
    assert lines[1] == "row  3  Books  percentage: printed 20.00, expected 16.67 (= 100 x 3 / 18)"
    assert lines[2].startswith("broken: 2 of 4 rows inconsistent (1 totals, 1 percentages)")
    assert len(lines) == 3


def test_table_keys_are_checked_like_every_config(tmp_path, capsys):
    table = tmp_path / "typo.yaml"
    table.write_text("rows:\n  - source: Web\n    language: tha_Thai\n    unique: all\n    multiplyer: 2\n")

    code, _, err = monsoon(capsys, "mix", "check", str(table))

    assert code == 1
    assert "unknown key 'rows[0].multiplyer'" in err and str(table) in err
    table.write_text(
        "rows:\n  - {source: A, language: tha_Thai, unique: 1}\n  - {source: B, language: tha_Thai, unique: 1}\n"
    )
    with pytest.raises(ConfigError, match="draw on the same documents"):
        load_table(table)


def test_sources_that_cannot_be_mixed_are_refused(tmp_path, capsys):
    out = tmp_path / "out"
    write_docs(out / "vie_Latn" / "00000.parquet", "vie_Latn", "web", ["id-1", "id-2"], corpus_schema("mistral"))
    write_docs(out / "tha_Thai" / "00000.parquet", "tha_Thai", "web", ["id-1", "id-1"])
    table = tmp_path / "mix.yaml"
    table.write_text("tokenizer: llama3\nrows:\n  - {source: Vietnamese, language: vie_Latn, unique: all}\n")

    code, _, err = monsoon(capsys, "mix", "plan", str(table), "--from", str(out))
    assert code == 1 and "different tokenizers (llama3, mistral)" in err

    table.write_text("rows:\n  - {source: Thai, language: tha_Thai, unique: all}\n")
    code, _, err = monsoon(capsys, "mix", "build", str(table), "--from", str(out), "--to", str(tmp_path / "shards"))
    assert code == 1 and "row 'Thai': document id 'id-1' occurs more than once" in err


def test_mix_plan_reports_short_rows_and_the_crawl_that_would_close_them(mix_input, tmp_path, capsys):
    table = tmp_path / "greedy.yaml"
    table.write_text(
        f"unit: K\nrows:\n"
        f"  - {{source: Indonesian web, language: ind_Latn, unique: 50, multiplier: 1}}\n"
        f"  - {{source: Wiki, parquet: {mix_input['root'] / 'external' / 'wiki' / '*.parquet'}, unique: 10,"
        f" multiplier: 4}}\n"
        f"  - {{source: Tamil web, language: tam_Taml, unique: 1, multiplier: 1}}\n"
    )

    code, out, _ = monsoon(capsys, "mix", "plan", str(table), "--from", str(mix_input["out"]))

    assert code == 0
    available = 25 * 1640  # 1,025 Indonesian documents
    per_record = available / mix_input["read"]
    more = -(-(50_000 - available) // per_record)
    assert (
        f"short: Indonesian web: has 41 K of 50 K unique tokens; at {per_record:,.1f} kept tokens per record read"
        in out
    )
    assert f"about {more:,.0f} more records ({more / mix_input['read']:.1f}x this run's input)" in out
    assert "short: Tamil web: has 0 of 1 K unique tokens; the run kept no tam_Taml documents" in out
    assert "2 of 3 rows short, 1 empty" in out
    wiki_line = next(line for line in out.splitlines() if line.lstrip().startswith("2 "))
    assert "41 K" in wiki_line and wiki_line.rstrip().endswith("ok")


def test_multipliers_1_2_and_half_give_the_expected_totals(mix_input, local_build):
    manifest = json.loads((local_build / "manifest.json").read_text())
    sources = {s["source"]: s for s in manifest["sources"]}
    rows = [row for shard in shard_rows(local_build) for row in shard]
    copies: dict[str, dict[str, list[int]]] = {}
    for source, doc_id, copy, _ in rows:
        copies.setdefault(source, {}).setdefault(doc_id, []).append(copy)

    # x1 of 20 K unique: the documents whose running total stays within 20,000 (at most one document short)
    assert 20_000 - 60 < sources["Indonesian web"]["tokens"] <= 20_000
    assert all(c == [0] for c in copies["Indonesian web"].values())
    # x2 of all the Thai news (the `dataset` filter leaves Thai web out): every document twice
    assert sources["Thai news"]["tokens"] == 2 * mix_input["news_tokens"]
    assert len(copies["Thai news"]) == 410 and all(sorted(c) == [0, 1] for c in copies["Thai news"].values())
    # x0.5 of all the external wiki (41,000 tokens): half, each document at most once
    assert 20_500 - 60 < sources["Wiki"]["tokens"] <= 20_500
    assert all(c == [0] for c in copies["Wiki"].values()) and len(copies["Wiki"]) < 1025
    assert sum(s["tokens"] for s in sources.values()) == manifest["tokens"] == sum(r[3] for r in rows)


def test_shards_are_token_sized_interleaved_and_described_by_the_manifest(local_build):
    manifest = json.loads((local_build / "manifest.json").read_text())
    shards = shard_rows(local_build)

    assert len(shards) == len(manifest["shards"]) == 20
    for entry, rows in zip(manifest["shards"], shards, strict=True):
        tokens = sum(r[3] for r in rows)
        assert abs(tokens - TOKENS_PER_SHARD) <= 0.02 * TOKENS_PER_SHARD
        assert entry["tokens"] == tokens and entry["docs"] == len(rows)
        by_source: dict[str, int] = {}
        for source, _, _, t in rows:
            by_source[source] = by_source.get(source, 0) + t
        assert entry["tokens_by_source"] == by_source
        assert set(by_source) == {"Indonesian web", "Thai news", "Wiki"}  # interleaved, not one source per shard
    first = pq.read_table(local_build / manifest["shards"][0]["file"])
    assert first.schema.metadata[b"monsoon.tokenizer"] == b"llama3"
    assert first.column("url").null_count == sum(r[0] == "Wiki" for r in shards[0])  # external: no url column


def test_rebuilding_gives_byte_identical_shards_and_manifest(mix_input, local_build, tmp_path, capsys):
    again = tmp_path / "again"
    code, out, _ = monsoon(
        capsys, "mix", "build", str(mix_input["table"]), "--from", str(mix_input["out"]), "--to", str(again)
    )

    assert code == 0 and "20 of 20 within ±2% of 3,665" in out
    names = sorted(p.name for p in local_build.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (local_build / name).read_bytes() == (again / name).read_bytes(), name

    other_seed = tmp_path / "seed8"
    args = ("mix", "build", str(mix_input["table"]), "--from", str(mix_input["out"]), "--to", str(other_seed))
    assert monsoon(capsys, *args, "--seed", "8")[0] == 0
    picked = {r[1] for shard in shard_rows(other_seed) for r in shard if r[0] == "Indonesian web"}
    assert picked != {r[1] for shard in shard_rows(local_build) for r in shard if r[0] == "Indonesian web"}


@pytest.mark.spark
@pytest.mark.usefixtures("spark")
def test_spark_build_writes_the_local_builds_shards(mix_input, local_build, tmp_path):
    from monsoon.mix.spark import build_spark

    shards = tmp_path / "spark"
    table = load_table(mix_input["table"])
    manifest = build_spark(table, mix_input["out"], shards, table.tokens_per_shard, table.seed)

    local = shard_rows(local_build)
    spark = shard_rows(shards)
    assert [{r[:3] for r in shard} for shard in spark] == [{r[:3] for r in shard} for shard in local]
    assert manifest == json.loads((local_build / "manifest.json").read_text())  # same sha256: same bytes


# cluster sizes at both ends of each of FineWeb-2's bands, and the copies its rehydration makes of them
BAND_EDGES = {1: 1, 2: 2, 3: 3, 4: 3, 5: 5, 99: 5, 100: 8, 999: 8, 1000: 1, 4000: 1}


@pytest.fixture(scope="module")
def rehydration_input(tmp_path_factory) -> dict:
    """Japanese (x1) and Thai (x0.5) documents kept for clusters of every band edge, external parquet (x2) with
    no cluster_size column, and the builds without and with --rehydrate."""
    root = tmp_path_factory.mktemp("rehydration")
    out = root / "out"
    sizes = list(BAND_EDGES) * 30
    languages = {}
    for code, prefix in (("jpn_Jpan", "ja"), ("tha_Thai", "th")):
        ids = [f"{prefix}-{i}" for i in range(300)]
        tokens = write_docs(out / code / "00000.parquet", code, "web", ids, None, sizes)
        languages[code] = {"read": 300, "kept": 300, "tokens": tokens, "dropped": {}, "errored": {}}
    external = root / "external"
    external.mkdir()
    ids = [f"wiki-{i}" for i in range(100)]
    pq.write_table(pa.table({"id": ids, "token_count": [tokens_of(i) for i in range(100)]}), external / "p.parquet")
    total = {"read": 600, "kept": 600, "tokens": sum(b["tokens"] for b in languages.values()), "dropped": {}}
    (out / "accounting.json").write_text(json.dumps({"total": {**total, "errored": {}}, "languages": languages}))
    table = root / "mix.yaml"
    table.write_text(
        "name: rehydrated\nunit: tokens\ntokens_per_shard: 20000\nseed: 3\nrows:\n"
        "  - {source: Japanese web, language: jpn_Jpan, unique: all, multiplier: 1}\n"
        "  - {source: Thai web, language: tha_Thai, unique: all, multiplier: 0.5}\n"
        "  - {source: Wiki, parquet: external/*.parquet, unique: all, multiplier: 2}\n"
    )
    builds = {}
    for name, flags in (("plain", ()), ("rehydrated", ("--rehydrate",))):
        builds[name] = root / name
        args = ("mix", "build", str(table), "--from", str(out), "--to", str(builds[name]), *flags)
        parsed = build_parser().parse_args(args)
        assert parsed.handler(parsed) == 0
    return {"out": out, "table": table, **builds}


def copies_per_document(shards: Path) -> dict[tuple[str, str], list[int]]:
    copies: dict[tuple[str, str], list[int]] = {}
    for source, doc_id, copy, _ in (row for shard in shard_rows(shards) for row in shard):
        copies.setdefault((source, doc_id), []).append(copy)
    return {key: sorted(value) for key, value in copies.items()}


def test_rehydration_repeats_each_document_by_fineweb2s_table_times_its_rows_multiplier(rehydration_input):
    plain, rehydrated = (copies_per_document(rehydration_input[name]) for name in ("plain", "rehydrated"))
    weight = {f"{p}-{i}": BAND_EDGES[list(BAND_EDGES)[i % 10]] for p in ("ja", "th") for i in range(300)}

    assert {k: len(v) for k, v in plain.items() if k[0] == "Japanese web"} == {
        ("Japanese web", doc_id): 1 for doc_id in weight if doc_id.startswith("ja")
    }
    assert set(rehydrated) == set(plain)  # the same documents taken; x0.5 leaves the same half of the Thai out
    for (source, doc_id), copies in rehydrated.items():
        times = 1 if source == "Wiki" else weight[doc_id]  # external parquet has no cluster sizes: weight 1
        assert copies == list(range(len(plain[(source, doc_id)]) * times)), (source, doc_id)
    assert {len(v) for k, v in rehydrated.items() if k[0] == "Wiki"} == {2}


def test_the_manifest_and_the_audit_report_the_rehydration(rehydration_input, capsys, tmp_path):
    plain = json.loads((rehydration_input["plain"] / "manifest.json").read_text())
    manifest = json.loads((rehydration_input["rehydrated"] / "manifest.json").read_text())
    assert plain["rehydration"] is None and "tokens_before_rehydration" not in plain["sources"][0]
    assert manifest["rehydration"] == {"1": 1, "2": 2, "3": 3, "5": 5, "100": 8, "1000": 1}
    japanese, thai, wiki = manifest["sources"]
    assert japanese["taken_docs_by_rehydration_weight"] == {"1": 90, "2": 30, "3": 60, "5": 60, "8": 60}
    assert wiki["taken_docs_by_rehydration_weight"] == {"1": 100}
    for before, after in zip(plain["sources"], manifest["sources"], strict=True):
        assert after["tokens_before_rehydration"] == before["tokens"]
        assert after["unique_tokens"] == before["unique_tokens"]
    assert japanese["tokens"] == sum(
        tokens_of(i) * BAND_EDGES[list(BAND_EDGES)[i % 10]] for i in range(300)
    )  # 300 documents of 20..60 tokens, each times its weight
    assert thai["taken_docs_by_rehydration_weight"] == japanese["taken_docs_by_rehydration_weight"]

    code, out, _ = monsoon(
        capsys,
        "mix",
        "build",
        str(rehydration_input["table"]),
        "--from",
        str(rehydration_input["out"]),
        "--to",
        str(tmp_path / "again"),
        "--rehydrate",
    )
    assert code == 0
    assert "rehydrated as FineWeb-2: copies x 1 for clusters of 1+, 2 for clusters of 2+, 3 for clusters of 3+" in out
    assert (
        f"Japanese web: {japanese['unique_tokens']:,} unique tokens x 1 = {japanese['unique_tokens']:,}, rehydrated:"
        f" taken documents x1 90, x2 30, x3 60, x5 60, x8 60; {japanese['tokens']:,} tokens in"
        f" {japanese['docs']:,} documents"
    ) in out

    code, printed, _ = monsoon(
        capsys,
        "audit",
        str(rehydration_input["out"]),
        "--shards",
        str(rehydration_input["rehydrated"]),
        "--to",
        str(tmp_path / "report"),
    )
    assert code == 0 and "4 shards in" in printed and "all match their manifest" in printed
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert (
        "Rehydrated as FineWeb-2: each taken document's copies times 1 for clusters of 1+, 2 for clusters of 2+, 3"
        " for clusters of 3+, 5 for clusters of 5+, 8 for clusters of 100+, 1 for clusters of 1000+ documents."
    ) in markdown
    assert (
        f"| {japanese['tokens']:,} | {japanese['docs']:,} | {japanese['unique_tokens']:,} tokens before; taken"
        " documents x1 90, x2 30, x3 60, x5 60, x8 60 |"
    ) in markdown


@pytest.mark.spark
@pytest.mark.usefixtures("spark")
def test_spark_rehydrates_as_the_local_build(rehydration_input, tmp_path):
    from monsoon.mix.spark import build_spark

    table = load_table(rehydration_input["table"])
    manifest = build_spark(
        table, rehydration_input["out"], tmp_path / "spark", table.tokens_per_shard, table.seed, rehydrate=True
    )

    assert manifest == json.loads((rehydration_input["rehydrated"] / "manifest.json").read_text())  # same bytes
    assert copies_per_document(tmp_path / "spark") == copies_per_document(rehydration_input["rehydrated"])
