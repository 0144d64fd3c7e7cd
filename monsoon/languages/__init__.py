"""Per-language knowledge: one YAML per language (ISO 639-3 + script), loaded into `Language` objects.

Everything that differs between languages lives here: which LID labels mean the language, its minimum LID
score, its word segmenter, its stop words, its dedup shingling and its quality-filter bounds. Code elsewhere
asks a `Language`; it never branches on a language code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from datatrove.utils.word_tokenizers import WordTokenizer

from monsoon.languages.segmenters import get_segmenter, segmenter_class

RECIPES = ("monsoon", "fineweb2")  # monsoon: FineWeb-2 (FineWeb for English) plus the file's `deviations`
FIRST_TIER = ("tha_Thai", "jpn_Jpan", "vie_Latn", "ind_Latn", "zsm_Latn", "tam_Taml", "eng_Latn")
SECOND_TIER = ("tgl_Latn", "khm_Khmr", "lao_Laoo", "mya_Mymr")  # FineWeb-2 thresholds, not tuned here
LANGUAGES_DIR = Path(str(resources.files("monsoon.languages")))


def breaks(side: str, bound: float, value: float, zero_is_off: bool = False) -> bool:
    """Whether a signal value is outside a `min` or `max` bound. With `zero_is_off` (the families whose datatrove
    filter reads 0 as "no check", as FineWeb-2's pipeline uses it) a bound of 0 checks nothing."""
    if zero_is_off and not bound:
        return False
    return value < bound if side == "min" else value > bound


@dataclass(frozen=True)
class Bounds:
    """Allowed range of each signal of one filter family; a document outside it is dropped."""

    min: dict[str, float] = field(default_factory=dict)
    max: dict[str, float] = field(default_factory=dict)

    def violation(self, family: str, signals: dict[str, float], zero_is_off: bool = False) -> str | None:
        """The drop reason for the first signal out of bounds (in signal order), or None."""
        for name, value in signals.items():
            if name in self.min and breaks("min", self.min[name], value, zero_is_off):
                return f"{family}.{name}<min"
            if name in self.max and breaks("max", self.max[name], value, zero_is_off):
                return f"{family}.{name}>max"
        return None


@dataclass(frozen=True)
class Deviation:
    """A departure from the published recipe on purpose, with the figure that justifies it (`why`). Either a
    whole `family` of `filters` that the recipe does not have, or one `bound` (FAMILY.min|max.SIGNAL) set to
    `value` instead of the published one."""

    why: str
    family: str | None = None
    bound: str | None = None
    value: float | None = None

    def __post_init__(self) -> None:
        if (self.family is None) == (self.bound is None):
            raise ValueError("a deviation names either a family or a bound")
        if self.bound is not None and (self.value is None or len(self.bound.split(".")) != 3):
            raise ValueError(f"deviation {self.bound!r}: a bound is FAMILY.min|max.SIGNAL with a value")
        if self.bound is not None and self.bound.split(".")[1] not in ("min", "max"):
            raise ValueError(f"deviation {self.bound!r}: the side must be min or max")
        if not self.why.strip():
            raise ValueError("a deviation needs its `why`")


@dataclass(frozen=True)
class DedupSpec:
    # "word": n-grams of the segmenter's words; "lemma": of their dictionary forms (segmenters that have them)
    shingle: str = "word"
    # whose words the shingles are made of (default: the language's `segmenter`); the filters may count words
    # with another segmenter (FineWeb-2's) than the one the dedup figures were measured with
    segmenter: str | None = None
    ngram: int = 5
    bands: int = 14  # MinHash LSH: bands x rows permutations; a pair is found with probability
    rows: int = 8  # 1 - (1 - J^rows)^bands (50% at J ~ (1/bands)^(1/rows))

    def __post_init__(self) -> None:
        if self.shingle not in ("word", "lemma"):
            raise ValueError(f"dedup.shingle must be 'word' or 'lemma', not {self.shingle!r}")


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    min_language_score: float
    segmenter: str
    lid_aliases: list[str] = field(default_factory=list)  # other LID labels meaning this language (e.g. zlm_Latn)
    # languages the LID model mixes this one up with; among them the one whose word frequencies (the `wordfreq`
    # package's list named by lid_wordfreq) make the text likeliest wins
    lid_confusable: list[str] = field(default_factory=list)
    lid_wordfreq: str | None = None
    # a regex the text must match to carry this label (kana for Japanese, function words for English); else the
    # model's next label is used
    lid_requires: str | None = None
    stop_words: list[str] = field(default_factory=list)
    dedup: DedupSpec = field(default_factory=DedupSpec)
    filters: dict[str, Bounds] = field(default_factory=dict)  # family -> bounds, applied in this order
    deviations: list[Deviation] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.lid_confusable and not self.lid_wordfreq:
            raise ValueError("lid_confusable needs lid_wordfreq, the word list that tells the languages apart")
        segmenter_class(self.segmenter)  # an unknown segmenter is an error here, not mid-run
        if self.dedup.shingle == "lemma" and not hasattr(segmenter_class(self.dedup_segmenter), "lemma_tokenize"):
            raise ValueError(
                f"dedup.shingle 'lemma' needs a segmenter with dictionary forms, not {self.dedup_segmenter!r}"
            )
        for deviation in self.deviations:
            family = deviation.family or deviation.bound.split(".")[0]
            if family not in self.filters:
                raise ValueError(f"deviation names the filter {family!r}, which is not in `filters`")

    def for_recipe(self, recipe: str) -> Language:
        """The language with the filters of a recipe: "fineweb2" drops every deviation (the published values
        under `filters`), "monsoon" applies them."""
        if recipe not in RECIPES:
            raise ValueError(f"unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
        own = {d.family for d in self.deviations if d.family}
        filters = {f: Bounds(dict(b.min), dict(b.max)) for f, b in self.filters.items()}
        if recipe == "fineweb2":
            return replace(self, filters={f: b for f, b in filters.items() if f not in own}, deviations=[])
        for deviation in self.deviations:
            if deviation.bound:
                family, side, signal = deviation.bound.split(".")
                getattr(filters[family], side)[signal] = deviation.value
        return replace(self, filters=filters)

    def deviation_of(self, family: str, side: str, signal: str) -> Deviation | None:
        """The deviation that makes this bound monsoon's own, if any."""
        return next(
            (d for d in self.deviations if d.family == family or d.bound == f"{family}.{side}.{signal}"), None
        )

    @property
    def words(self) -> WordTokenizer:
        return get_segmenter(self.segmenter)

    def word_list(self, text: str) -> list[str]:
        """The text's words; several filter families ask for the same document's words in a row."""
        return list(_segment(self.segmenter, text))

    @property
    def dedup_segmenter(self) -> str:
        return self.dedup.segmenter or self.segmenter

    def dedup_units(self, text: str) -> list[str]:
        """The words whose n-grams are the text's near-dedup shingles (`dedup.shingle`, `dedup.segmenter`)."""
        if self.dedup.shingle == "lemma":
            return get_segmenter(self.dedup_segmenter).lemma_tokenize(text)
        return list(_segment(self.dedup_segmenter, text))


@lru_cache(maxsize=4)
def _segment(segmenter: str, text: str) -> tuple[str, ...]:
    return tuple(get_segmenter(segmenter).word_tokenize(text))


def load_language_file(path: Path) -> Language:
    from monsoon.config import ConfigError, build, read_yaml

    data = read_yaml(path) or {}
    filters = data.pop("filters", {}) or {}
    deviations = data.pop("deviations", []) or []
    if not isinstance(filters, dict):
        raise ConfigError(f"{path}: filters must be a mapping of filter family -> bounds")
    if not isinstance(deviations, list):
        raise ConfigError(f"{path}: deviations must be a list")
    language = build(Language, data, str(path))
    bounds = {family: build(Bounds, spec, str(path), f"filters.{family}") for family, spec in filters.items()}
    departures = [build(Deviation, spec, str(path), f"deviations[{i}]") for i, spec in enumerate(deviations)]
    if language.code != path.stem:
        raise ConfigError(f"{path}: code {language.code!r} does not match the file name")
    try:
        return Language(**{**language.__dict__, "filters": bounds, "deviations": departures})
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from error


@cache
def get_language(code: str, directory: Path = LANGUAGES_DIR) -> Language:
    path = Path(directory) / f"{code}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in Path(directory).glob("*.yaml"))
        raise ValueError(f"no language file for {code!r} in {directory} (known: {', '.join(known)})")
    return load_language_file(path)


@cache
def lid176_codes() -> dict[str, str]:
    """fastText lid.176 label (e.g. 'th') -> ISO 639-3 + script code (e.g. 'tha_Thai')."""
    with open(LANGUAGES_DIR / "lid176_labels.tsv", encoding="utf-8") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return {row["label"]: row["code"] for row in rows}


def normalise_label(label: str) -> str:
    """A fastText label from lid.176 ('__label__th') or GlotLID ('__label__tha_Thai') as 'tha_Thai'."""
    label = label.removeprefix("__label__")
    return lid176_codes().get(label, label)
