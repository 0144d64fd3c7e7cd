"""Mix tables: what a continued-pre-training team asks for, one row per data source.

A row names a source (a monsoon output language, optionally one `source` dataset in it, or external parquet
files), the unique tokens wanted from it (or all it has), a multiplier (repeats; fractions allowed) and,
optionally, the published total and percentage. Tables are YAML (strict, like every monsoon config) or a
Markdown / CSV table in SEA-LION's column layout:

    | Data Source | Unique Tokens (B) | Multiplier | Total Tokens (B) | Percentage (%) |

Numbers keep the precision they were printed with, so `check` can tell a rounding difference from a mistake.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from monsoon.yamlconfig import ConfigError, build, read_yaml

UNITS = {"tokens": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
ALL = "all"  # `unique: all` takes every token the source has


class Printed(NamedTuple):
    """A number as printed in a table: its value and the number of decimals it was printed with."""

    value: Decimal
    decimals: int

    @classmethod
    def parse(cls, raw: object) -> Printed:
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a number")
        text = str(raw).strip().replace(",", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{raw!r} is not a number") from None
        if not value.is_finite() or value < 0:
            raise ValueError(f"{raw!r} is not a non-negative number")
        return cls(value, max(0, -value.as_tuple().exponent))

    @property
    def half_unit(self) -> Decimal:
        """Half a unit of the last printed digit: the rounding the printed number may hide."""
        return Decimal(5).scaleb(-self.decimals - 1)

    def __str__(self) -> str:
        return f"{self.value:.{self.decimals}f}"


def _printed(value: object, name: str) -> Printed:
    try:
        return value if isinstance(value, Printed) else Printed.parse(value)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


@dataclass
class MixRow:
    source: str  # the row's name, as printed in the table
    unique: Printed | None  # unique tokens wanted, in the table's unit; None (`all`) takes the whole source
    multiplier: Printed = Printed(Decimal(1), 0)
    total: Printed | None = None  # published unique x multiplier
    percentage: Printed | None = None  # published share of the sum of totals
    language: str | None = None  # a monsoon output language: OUT_DIR/<language>/*.parquet
    dataset: str | None = None  # only the rows of that language whose `source` column is this
    parquet: str | None = None  # or external parquet files (path or glob, relative to the table file)
    # only the documents of these quality buckets: "A-B" percent of the language's ranking by quality score, best
    # first ("0-20": the top 20%, "20-100": the rest); A and B are bucket edges of the run (quality_buckets)
    quality: str | list | None = None

    def __post_init__(self) -> None:
        if self.quality is not None:
            self.quality = quality_range(self.quality)
        if not str(self.source).strip():
            raise ValueError("source: a row needs a name")
        self.source = str(self.source).strip()
        self.unique = None if str(self.unique).strip().lower() == ALL else _printed(self.unique, "unique")
        self.multiplier = _printed(self.multiplier, "multiplier")
        if self.multiplier.value == 0:
            raise ValueError("multiplier: must be > 0 (leave a source out instead)")
        self.total = None if self.total is None else _printed(self.total, "total")
        self.percentage = None if self.percentage is None else _printed(self.percentage, "percentage")
        if self.language and self.parquet:
            raise ValueError(f"{self.source}: give either language or parquet, not both")
        if self.dataset and not self.language:
            raise ValueError(f"{self.source}: dataset selects rows of a monsoon language; give language too")

    @property
    def origin(self) -> str:
        """Where the row's documents come from, for reports ('-' when the row is not mapped yet)."""
        where = self.parquet or "-"
        if self.language:
            where = f"{self.language}/{self.dataset}" if self.dataset else self.language
        return f"{where} quality {self.quality[0]}-{self.quality[1]}%" if self.quality else where


def quality_range(raw: object) -> tuple[int, int]:
    """A row's `quality`, "A-B" or [A, B] (percent of the ranking, best first), as (A, B) with 0 <= A < B <= 100."""
    parts = raw if isinstance(raw, list | tuple) else str(raw).replace("%", "").split("-")
    try:
        low, high = (int(str(part).strip()) for part in parts)
    except ValueError:
        raise ValueError(f"quality: {raw!r} is not a range A-B of percents, e.g. 0-20") from None
    if not 0 <= low < high <= 100:
        raise ValueError(f"quality: {raw!r} must have 0 <= A < B <= 100")
    return low, high


def overlap(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    """Whether two rows' quality ranges share documents (no range: every document)."""
    return a is None or b is None or (a[0] < b[1] and b[0] < a[1])


@dataclass
class MixTable:
    name: str = ""
    unit: str = "B"  # unit of the unique and total columns: tokens, K, M, B or T
    tokenizer: str | None = None  # the tokenizer the numbers count with; sources counted otherwise are refused
    tokens_per_shard: int = 100_000_000
    seed: int = 0
    # mix build: FineWeb-2's rehydration, each taken document's copies times its cluster size's weight
    rehydrate: bool = False
    rows: list[MixRow] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.rehydrate, bool):
            raise ValueError(f"rehydrate: must be true or false, not {self.rehydrate!r}")
        if self.unit not in UNITS:
            raise ValueError(f"unit: {self.unit!r} is not one of {', '.join(UNITS)}")
        if self.tokens_per_shard < 1:
            raise ValueError("tokens_per_shard: must be >= 1")

    def tokens(self, printed: Printed) -> int:
        """A number of the table (in its unit) as a token count."""
        return int(printed.value * UNITS[self.unit])


def human(tokens: float) -> str:
    """A token count for people: 3 significant digits and K/M/B/T."""
    for unit in ("T", "B", "M", "K"):
        if abs(tokens) >= 0.9995 * UNITS[unit]:  # so 999,999 reads "1 M", not "1e+03 K"
            return f"{tokens / UNITS[unit]:.3g} {unit}"
    return f"{tokens:,.0f}"


class MixError(ValueError):
    """A mix table cannot be planned or built as asked."""


def load_table(path: str | Path) -> MixTable:
    """Load a mix table: YAML (.yaml/.yml), Markdown (.md) or CSV (.csv), chosen by the file suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        table = _load_yaml(path)
    elif suffix in (".md", ".markdown"):
        table = _from_cells(path, _markdown_cells(path))
    elif suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as f:
            table = _from_cells(path, [row for row in csv.reader(f) if any(cell.strip() for cell in row)])
    else:
        raise ConfigError(f"{path}: a mix table is .yaml, .md or .csv, not {suffix or 'a file without suffix'}")
    for row in table.rows:
        if row.parquet and "://" not in row.parquet:  # local files are named relative to the table, as in run configs
            row.parquet = os.path.normpath(path.parent / row.parquet)
    _check_sources(table, str(path))
    return table


def _load_yaml(path: Path) -> MixTable:
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    raw_rows = data.pop("rows", None) or []
    if not isinstance(raw_rows, list):
        raise ConfigError(f"{path}: rows must be a list of mappings")
    table = build(MixTable, data, str(path))
    table.rows = [build(MixRow, raw, str(path), f"rows[{i}]") for i, raw in enumerate(raw_rows)]
    if not table.name:
        table.name = path.stem
    return table


# Column header (lower case, without its "(unit)") -> MixRow field
_COLUMNS = {
    "data source": "source",
    "source": "source",
    "unique tokens": "unique",
    "multiplier": "multiplier",
    "total tokens": "total",
    "percentage": "percentage",
    "language": "language",
    "dataset": "dataset",
    "parquet": "parquet",
    "quality": "quality",
}
_HEADER = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<unit>[^)]*)\))?$")


def _markdown_cells(path: Path) -> list[list[str]]:
    """The cells of the first pipe table in the file with a data-source and a multiplier column."""
    tables: list[list[str]] = []
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip().startswith("|"):
            current.append(line.strip())
        elif current:
            tables.append(current)
            current = []
    for lines in tables:
        rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
        header = [_HEADER.match(cell).group("name").lower() for cell in rows[0]]
        if {"multiplier", "unique tokens"} <= set(header):
            # the second line is the |---|:---:| alignment row
            return [rows[0]] + [row for row in rows[1:] if not all(re.fullmatch(r":?-+:?", c) for c in row if c)]
    raise ConfigError(f"{path}: no table with 'Unique Tokens' and 'Multiplier' columns")


def _from_cells(path: Path, cells: list[list[str]]) -> MixTable:
    """A table from its header and rows of text cells (Markdown or CSV)."""
    if not cells:
        raise ConfigError(f"{path}: empty table")
    fields, units = [], set()
    for title in cells[0]:
        match = _HEADER.match(title.strip())
        name = match.group("name").lower()
        if name not in _COLUMNS:
            raise ConfigError(f"{path}: unknown column {title.strip()!r} (known: {', '.join(sorted(_COLUMNS))})")
        fields.append(_COLUMNS[name])
        if fields[-1] in ("unique", "total"):
            units.add(match.group("unit") or "tokens")
    if len(units) > 1:
        raise ConfigError(f"{path}: the unique and total columns use different units: {', '.join(sorted(units))}")
    rows = []
    for n, values in enumerate(cells[1:], start=2):
        if len(values) != len(fields):
            raise ConfigError(f"{path}: table row {n} has {len(values)} cells, the header {len(fields)}")
        data = {name: value for name, value in zip(fields, values, strict=True) if value.strip()}
        try:
            rows.append(MixRow(**data))
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{path}: table row {n}: {error}") from error
    try:
        return MixTable(name=path.stem, unit=units.pop() if units else "B", rows=rows)
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from error


def _check_sources(table: MixTable, where: str) -> None:
    """Row names are unique, and no two rows draw on the same documents."""
    seen: dict[str, MixRow] = {}
    for row in table.rows:
        if row.source in seen:
            raise ConfigError(f"{where}: two rows are named {row.source!r}")
        for other in seen.values():
            same_language = row.language and row.language == other.language and overlap(row.quality, other.quality)
            if (same_language and (not row.dataset or not other.dataset or row.dataset == other.dataset)) or (
                row.parquet and row.parquet == other.parquet
            ):
                raise ConfigError(f"{where}: rows {other.source!r} and {row.source!r} draw on the same documents")
        seen[row.source] = row


@dataclass
class RowCheck:
    row: MixRow
    problems: list[str]  # one "field: printed X, expected Y (= how)" per inconsistent number
    checked: list[str]  # the fields that could be checked


def check_table(table: MixTable) -> tuple[list[RowCheck], Decimal | None]:
    """Check each row: unique x multiplier = total, and percentage = 100 x total / sum of totals.

    A number passes when it is within the rounding of its printed precision plus the rounding its inputs
    carry (unique's, times the multiplier; the row's own total's, over the sum). The sum of totals is taken
    as exact: adding every row's rounding to every percentage would let any hand-typed error through.
    Returns the checks and the sum of totals (None when a row has neither total nor unique)."""
    totals: list[tuple[Decimal, Decimal] | None] = []  # per row: (total, its rounding)
    for row in table.rows:
        if row.total is not None:
            totals.append((row.total.value, row.total.half_unit))
        elif row.unique is not None:
            totals.append((row.unique.value * row.multiplier.value, row.unique.half_unit * row.multiplier.value))
        else:
            totals.append(None)
    grand = sum(t[0] for t in totals) if all(totals) else None  # type: ignore[index]
    shares = [100 * t[0] / grand if grand and t else None for t in totals]

    checks = []
    for row, total in zip(table.rows, totals, strict=True):
        problems, checked = [], []
        if row.unique is not None and row.total is not None:
            checked.append("total")
            expected = row.unique.value * row.multiplier.value
            tolerance = row.total.half_unit + row.unique.half_unit * row.multiplier.value
            if abs(expected - row.total.value) > tolerance:
                problems.append(
                    f"total: printed {row.total}, expected {expected:.{row.total.decimals}f}"
                    f" (= {row.unique} x {row.multiplier})"
                )
        if row.percentage is not None and grand and total is not None:
            checked.append("percentage")
            expected = 100 * total[0] / grand
            tolerance = row.percentage.half_unit + 100 * total[1] / grand
            if abs(expected - row.percentage.value) > tolerance:
                shown = row.total or _plain(total[0])
                problems.append(
                    f"percentage: printed {row.percentage}, expected {expected:.{row.percentage.decimals}f}"
                    f" (= 100 x {shown} / {_plain(grand)}{_belongs_to(row.percentage, shares)})"
                )
        checks.append(RowCheck(row, problems, checked))
    return checks, grand


def _belongs_to(printed: Printed, shares: list[Decimal | None]) -> str:
    """A hint when a wrong percentage is another row's share (a value typed on the wrong line)."""
    rows = [
        n
        for n, share in enumerate(shares, start=1)
        if share is not None and str(printed) == f"{share:.{printed.decimals}f}"
    ]
    return f"; {printed} is row {rows[0]}'s share" if len(rows) == 1 else ""


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def format_check(table: MixTable, checks: list[RowCheck], grand: Decimal | None, verbose: bool) -> list[str]:
    """One line per inconsistent row (every row with `verbose`), then a summary line."""
    width = max((len(check.row.source) for check in checks), default=0)
    lines = []
    for number, check in enumerate(checks, start=1):
        if check.problems:
            lines.append(f"row {number:>2}  {check.row.source:<{width}}  " + "; ".join(check.problems))
        elif verbose:
            what = " and ".join(check.checked) or "nothing to check"
            lines.append(f"row {number:>2}  {check.row.source:<{width}}  ok ({what})")
    flagged = [check for check in checks if check.problems]
    by_field = {
        name: sum(any(p.startswith(name) for p in check.problems) for check in flagged)
        for name in ("total", "percentage")
    }
    verdict = (
        f"{len(flagged)} of {len(checks)} rows inconsistent ({by_field['total']} totals, "
        f"{by_field['percentage']} percentages)"
        if flagged
        else f"all {len(checks)} rows consistent"
    )
    sums = []
    if grand is not None:
        sums.append(f"totals sum to {_plain(grand)} {table.unit}")
    percentages = [row.percentage for row in table.rows if row.percentage is not None]
    if percentages:
        sums.append(f"printed percentages to {_plain(sum(p.value for p in percentages))}")
        if grand is None:
            sums.append("percentages not checked: a row has neither unique tokens nor a total")
    lines.append(f"{table.name}: {verdict}" + (f"; {', '.join(sums)}" if sums else ""))
    return lines
