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
from monsoon.yamlconfig import ConfigError, build, read_yaml

RECIPES = ("monsoon", "fineweb2")  # monsoon: FineWeb-2 (FineWeb for English) plus the file's `deviations`
FIRST_TIER = ("tha_Thai", "jpn_Jpan", "vie_Latn", "ind_Latn", "zsm_Latn", "tam_Taml", "eng_Latn")
SECOND_TIER = ("tgl_Latn", "khm_Khmr", "lao_Laoo", "mya_Mymr")  # FineWeb-2 thresholds, not tuned here
# LID model families, told apart by label format (monsoon.stages.lid.model_family); each language file gives its
# minimum score for each: GlotLID's are FineWeb-2's published ones; lid.176's follow FineWeb-2's rule
# max(0.3, min(0.9, median - sigma)) of lid.176's scores of the language's documents (bench/lid_minimums.py),
# one per recipe where the recipe changes the scores (the Malay/Indonesian pair score)
LID_FAMILIES = ("lid176", "glotlid")
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
class FooterSpec:
    """Footer trimming (Swallow): among the last `last_lines` lines, the text is cut from the first line whose
    characters are more than `min_keyword_frac` footer keywords (`keywords`: a word file in this folder)."""

    keywords: str
    last_lines: int = 10
    min_keyword_frac: float = 0.3


@dataclass(frozen=True)
class NgHostSpec:
    """Hosts whose pages are dropped (Swallow's URL rule): a host listed under one of `ut1_categories` in a local
    copy of the UT1 blocklists (`ut1`: a folder of <category>/domains files; none when unset), or ending in one of
    `suffixes`."""

    ut1: str | None = None
    ut1_categories: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UrlFilterSpec:
    """FineWeb's URL filter (stages/url_filter.py: datatrove's URLFilter, its blocklists and word lists): a URL with
    at least `soft_word_threshold` soft-banned words is dropped."""

    soft_word_threshold: int = 2


@dataclass(frozen=True)
class PiiSpec:
    countries: list[str] = field(default_factory=list)  # whose phone and ID formats apply (languages/pii.yaml)


@dataclass(frozen=True)
class JunkSpec:
    """The SEA web's own junk (issue 12), applied after LID and before the quality filters (stages/junk.py).

    `lexicons`: category (gambling, adult, spam) -> word file in this folder; `join_spaced_max_chars`: tokens of at
    most this many letters, three or more in a row, are matched as one word ("s l o t"); `unspaced`: a regex
    character class of a script written without spaces between words (Thai), whose spaces are ignored;
    `host_words`: word file of `<category> <word>` lines, a host one of whose labels contains the word is dropped
    as `junk_url.<category>`;
    `blocklist_categories`: UT1 categories of the run's blocklist (`junk_blocklist` in the config, else the bundled
    sample in `blocklist/`) whose hosts, and their subdomains, are dropped as `junk_blocklist.<category>`;
    `filters`: bounds of the junk signal families (junk_lexicon, broken_text), as a language's `filters`."""

    lexicons: dict[str, str] = field(default_factory=dict)
    join_spaced_max_chars: int = 1
    unspaced: str | None = None
    host_words: str | None = None
    blocklist_categories: list[str] = field(default_factory=list)
    filters: dict[str, Bounds] = field(default_factory=dict)


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    # LID model family (LID_FAMILIES) -> minimum score, or -> {recipe: minimum score}
    min_language_score: dict[str, float | dict[str, float]]
    segmenter: str
    # the language's code in Common Crawl's columnar index (`content_languages`: CLD2's ISO 639-3 codes); the
    # index-first input selects on it (monsoon/crawl/select.py)
    cc_index_code: str | None = None
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
    ng_words: str | None = None  # word file (in this folder) of expressions whose share of the text is bounded
    footer: FooterSpec | None = None  # trim the text's footer before the quality filters
    ng_hosts: NgHostSpec | None = None  # drop pages of these hosts before the quality filters
    url_filter: UrlFilterSpec | None = None  # FineWeb's URL filter, first of the language's filters
    pii: PiiSpec = field(default_factory=PiiSpec)
    junk: JunkSpec | None = None  # gambling/adult/spam lexicons, URL rules and broken text, before the filters
    deviations: list[Deviation] = field(default_factory=list)

    def __post_init__(self) -> None:
        minimums = self.min_language_score
        if not isinstance(minimums, dict) or sorted(minimums) != sorted(LID_FAMILIES):
            raise ValueError(f"min_language_score must give a minimum for each of {', '.join(LID_FAMILIES)}")
        if any(isinstance(value, dict) and sorted(value) != sorted(RECIPES) for value in minimums.values()):
            raise ValueError(f"a min_language_score given per recipe must give one for each of {', '.join(RECIPES)}")
        if self.lid_confusable and not self.lid_wordfreq:
            raise ValueError("lid_confusable needs lid_wordfreq, the word list that tells the languages apart")
        segmenter_class(self.segmenter)  # an unknown segmenter is an error here, not mid-run
        if self.dedup.shingle == "lemma" and not hasattr(segmenter_class(self.dedup_segmenter), "lemma_tokenize"):
            raise ValueError(
                f"dedup.shingle 'lemma' needs a segmenter with dictionary forms, not {self.dedup_segmenter!r}"
            )
        junk_files = [*self.junk.lexicons.values(), self.junk.host_words] if self.junk else []
        for word_file in (self.ng_words, self.footer and self.footer.keywords, *junk_files):
            if word_file and not (LANGUAGES_DIR / word_file).is_file():
                raise ValueError(f"word file {word_file!r} not found in {LANGUAGES_DIR}")
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
        return next((d for d in self.deviations if d.family == family or d.bound == f"{family}.{side}.{signal}"), None)

    def minimum_score(self, family: str, recipe: str = "monsoon") -> float:
        """The minimum LID score for a model family (LID_FAMILIES) under a recipe (RECIPES)."""
        minimum = self.min_language_score[family]
        return minimum[recipe] if isinstance(minimum, dict) else minimum

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


@cache
def read_word_file(name: str) -> tuple[str, ...]:
    """The entries of a word file in this folder, one a line; lines starting with '#' are comments."""
    with open(LANGUAGES_DIR / name, encoding="utf-8") as f:
        return tuple(line.rstrip("\r\n") for line in f if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=4)
def _segment(segmenter: str, text: str) -> tuple[str, ...]:
    return tuple(get_segmenter(segmenter).word_tokenize(text))


def load_language_file(path: Path) -> Language:
    data = read_yaml(path) or {}
    filters = data.pop("filters", {}) or {}
    junk_data = data.pop("junk", None)
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
    junk = None
    if junk_data is not None:
        junk_filters = junk_data.pop("filters", {}) or {}
        junk = build(JunkSpec, junk_data, str(path), "junk")
        junk_bounds = {f: build(Bounds, b, str(path), f"junk.filters.{f}") for f, b in junk_filters.items()}
        junk = JunkSpec(**{**junk.__dict__, "filters": junk_bounds})
    try:
        return Language(**{**language.__dict__, "filters": bounds, "junk": junk, "deviations": departures})
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
