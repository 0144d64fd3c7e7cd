"""The hostile-input corpus of tests/hostile.py, one case per run, each beside the same good pages: exit status,
wall time, peak RSS, good pages kept, and what the hostile input became (the reasons a clean run of the good
pages alone does not have). Prints a Markdown table.

    python bench/hostile.py [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pyarrow.parquet as pq  # noqa: E402
from hostile import (  # noqa: E402
    BAD_CONFIGS,
    GOOD_PAGES,
    RECORD_CASES,
    fresh,
    good_pages,
    good_warc,
    record_case_warc,
    run_monsoon,
    write_config,
    write_file_cases,
)


def _reasons(accounting: dict) -> dict[str, int]:
    total = accounting["total"]
    return {**total["dropped"], **{f"errored:{k}": v for k, v in total["errored"].items()}}


def _kept_urls(output: Path) -> set[str]:
    return {
        url for path in output.glob("*/*.parquet") for url in pq.read_table(path, columns=["url"])["url"].to_pylist()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=5.0, help="budget.seconds of the runs (default 5)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="monsoon-hostile-"))
    good_urls = {url for url, _ in good_pages()}

    clean = fresh(root / "clean")
    (clean / "in" / "good.warc.gz").write_bytes(record_case_warc(None))
    result = run_monsoon("run", str(write_config(clean, args.budget)))
    baseline = _reasons(json.loads((clean / "out" / "accounting.json").read_text()))
    print(
        f"clean run: exit {result.code}, {result.wall:.1f} s, {result.peak_rss_mib:.0f} MiB, "
        f"{len(good_urls & _kept_urls(clean / 'out'))}/{len(GOOD_PAGES)} good pages kept\n"
    )
    print("| case | exit | wall s | peak RSS MiB | good kept | what the hostile input became |")
    print("|---|---|---|---|---|---|")
    for case in RECORD_CASES:
        folder = fresh(root / case.name.replace(" ", "_").replace("/", "_"))
        (folder / "in" / "case.warc.gz").write_bytes(record_case_warc(case))
        result = run_monsoon("run", str(write_config(folder, args.budget)))
        accounting = folder / "out" / "accounting.json"
        if accounting.exists():
            reasons = _reasons(json.loads(accounting.read_text()))
            new = {k: v - baseline.get(k, 0) for k, v in reasons.items() if v != baseline.get(k, 0)}
            kept_hostile = _kept_urls(folder / "out") - good_urls
            became = ", ".join(f"{k}={v}" for k, v in sorted(new.items())) or ("kept" if kept_hostile else "?")
            good = len(good_urls & _kept_urls(folder / "out"))
        else:
            became, good = result.stderr.strip().splitlines()[-1][:80] if result.stderr.strip() else "-", 0
        _row(case.name, result, f"{good}/{len(GOOD_PAGES)}", became)

    files = fresh(root / "files")
    write_file_cases(files / "in")
    result = run_monsoon("run", str(write_config(files, args.budget, tasks=3)))
    total = json.loads((files / "out" / "accounting.json").read_text())["total"]
    rows = [
        row for path in (files / "out").glob("*/*.parquet") for row in pq.read_table(path, columns=["id"]).to_pylist()
    ]
    became = (
        f"read {total['read']}, kept {total['kept']}, exact_duplicate {total['dropped'].get('exact_duplicate', 0)},"
        f" errored {total['errored']}; duplicate ids in the corpus: {len(rows) - len({r['id'] for r in rows})}"
    )
    _row(
        "same WARC twice + plain WARC with a long Content-Length + text named .warc.gz + shared record ids",
        result,
        f"{len(good_urls & _kept_urls(files / 'out'))}/{len(GOOD_PAGES)}",
        became,
    )
    for text, _ in BAD_CONFIGS:
        config = root / "bad.yaml"
        config.write_text(text)
        result = run_monsoon("run", str(config))
        _row(f"config: {' '.join(text.split(chr(10))[2:]).strip()}", result, "-", result.stderr.strip()[-90:])
    refused = fresh(root / "refused")
    (refused / "in" / "a.warc.gz").write_bytes(good_warc())
    (refused / "out").mkdir()
    (refused / "out" / "notes.txt").write_text("mine")
    result = run_monsoon("run", str(write_config(refused, args.budget)))
    untouched = sorted(p.name for p in (refused / "out").rglob("*")) == ["notes.txt"]
    _row("--output holds files of no monsoon run", result, "-", f"untouched: {untouched}")


def _row(name: str, result, good: str, became: str) -> None:
    cells = (name, result.code, f"{result.wall:.1f}", f"{result.peak_rss_mib:.0f}", good, became.replace("|", "/"))
    print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
