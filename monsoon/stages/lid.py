"""Language identification with a fastText model; labels normalised to ISO 639-3 + script ('tha_Thai').

The embedded default is fastText's lid.176.ftz, shipped in the package (monsoon/models/, CC BY-SA 3.0);
any other fastText LID model (lid.176.bin, GlotLID model_v3.bin), local or remote, is a config value. Each
language's minimum score is chosen by the model's family (`model_family`), told by its label format.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import math
import os
import tempfile
from functools import cache

import regex
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from monsoon import fetch
from monsoon.accounting import count_dropped
from monsoon.languages import RECIPES, Language, get_language, normalise_label

EMBEDDED = "embedded"


def embedded_model_path() -> str:
    """lid.176.ftz as installed with monsoon (package data; fastText loads it from a file path)."""
    return str(importlib.resources.files("monsoon") / "models" / "lid.176.ftz")


def local_model_path(model: str) -> str:
    if model == EMBEDDED:
        return embedded_model_path()
    if "://" not in model:
        return model
    name = model.rsplit("/", 1)[1]
    # a remote model the user named: copied once per machine, under a folder named after its whole URI (two
    # buckets' model.bin stay apart); each process copies to its own part file, so concurrent workers never mix
    uri_key = hashlib.sha256(model.encode()).hexdigest()[:16]
    target = os.path.join(tempfile.gettempdir(), "monsoon-models", uri_key, name)
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        part = f"{target}.{os.getpid()}.part"
        fetch.copy_to_local(model, part, magic=fetch.FASTTEXT_MAGIC)
        os.replace(part, target)
    return target


@cache
def load_model(model: str):
    import fasttext

    fasttext.FastText.eprint = lambda *args, **kwargs: None  # silence the load-time deprecation warning
    return fasttext.load_model(local_model_path(model))


_SCRIPT_LABEL = regex.compile(r"[a-z]{3}_[A-Z][a-z]{3}")


@cache
def model_family(model: str) -> str:
    """The key of `min_language_score` that applies: "glotlid" when most of the model's labels are ISO 639-3 +
    script ('__label__tha_Thai', GlotLID's format), else "lid176" (two- or three-letter codes, '__label__th')."""
    labels = [label.removeprefix("__label__") for label in load_model(model).get_labels()]
    return "glotlid" if sum(bool(_SCRIPT_LABEL.fullmatch(label)) for label in labels) > len(labels) / 2 else "lid176"


_TOP_K = 3  # labels read from the model: enough to sum a confusable group's probability


def predict(model: str, text: str, max_chars: int = 2000, recipe: str = "monsoon") -> tuple[str, float]:
    """(language code, score) for `text`. With the "monsoon" recipe: the model's top label among those whose
    language's `lid_requires` pattern the text matches, unless that language is confusable with others (its YAML's
    `lid_confusable`), in which case the group's summed probability is the score and the label is the member whose
    word frequencies (`lid_wordfreq`) make the text likeliest (the model's choice when no word is in any list).
    With "fineweb2": the model's top label and its score."""
    sample = " ".join(text[:max_chars].split())
    if recipe == "fineweb2":
        labels, scores = load_model(model).predict(sample, k=1)
        return normalise_label(labels[0]), float(scores[0])
    labels, scores = load_model(model).predict(sample, k=_TOP_K)
    ranked = [(normalise_label(label), float(score)) for label, score in zip(labels, scores, strict=True)]
    ranked = [(label, score) for label, score in ranked if _script_allows(label, sample)]
    if not ranked:
        return "und", 0.0
    code, score = ranked[0]
    language = _language_or_none(code)
    if language is None or not language.lid_confusable:
        return code, score
    group = [code, *language.lid_confusable]
    probability = dict(ranked)
    return _likeliest(group, sample), sum(probability.get(member, 0.0) for member in group)


# A word one list lacks but another has counts as a tenth as frequent as the rarest listed words (~1e-6).
_UNLISTED_FREQUENCY = 1e-7
_LETTERS = regex.compile(r"\p{L}+")


def _likeliest(group: list[str], text: str) -> str:
    """The member of `group` under whose word frequencies the text's words are likeliest (naive Bayes with equal
    priors); words in none of the lists are left out, and on a tie the first member wins."""
    tables = {member: _word_frequencies(get_language(member).lid_wordfreq) for member in group}
    words = [word for word in _LETTERS.findall(text.lower()) if any(word in table for table in tables.values())]
    return max(group, key=lambda member: sum(math.log(tables[member].get(word, _UNLISTED_FREQUENCY)) for word in words))


@cache
def _word_frequencies(wordlist: str) -> dict[str, float]:
    import wordfreq

    return wordfreq.get_frequency_dict(wordlist, wordlist="small")


def _script_allows(code: str, text: str) -> bool:
    language = _language_or_none(code)
    return (
        language is None or language.lid_requires is None or _required(language.lid_requires).search(text) is not None
    )


@cache
def _required(pattern: str) -> regex.Pattern:
    return regex.compile(pattern)


@cache
def _language_or_none(code: str) -> Language | None:
    try:
        return get_language(code)
    except ValueError:  # a language monsoon has no file for
        return None


class LanguageId(PipelineStep):
    """Labels each document; drops those not in a target language or below that language's minimum score for the
    model's family and the recipe. Recipe "monsoon" applies the language files' pair score (`lid_confusable`) and
    `lid_requires`; "fineweb2" takes the model's own top label and score, as FineWeb-2 does."""

    name = "🌐 fastText LID"

    def __init__(self, targets: list[str], model: str = EMBEDDED, max_chars: int = 2000, recipe: str = "monsoon"):
        super().__init__()
        if recipe not in RECIPES:
            raise ValueError(f"unknown recipe {recipe!r}; known: {', '.join(RECIPES)}")
        self.model = model
        self.max_chars = max_chars
        self.recipe = recipe
        self.languages = {code: get_language(code) for code in targets}
        self.aliases = {alias: code for code, language in self.languages.items() for alias in language.lid_aliases}

    def label(self, text: str) -> tuple[str, float]:
        """(language code, score) of a document's text, a target's other LID labels (`lid_aliases`) mapped to it."""
        code, score = predict(self.model, text, self.max_chars, self.recipe)
        return self.aliases.get(code, code), score

    def minimum(self, code: str) -> float:
        """The minimum score of target `code` for this step's model and recipe."""
        return self.languages[code].minimum_score(model_family(self.model), self.recipe)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                code, score = self.label(doc.text)
            doc.metadata["language"], doc.metadata["language_score"] = code, round(score, 4)
            if code not in self.languages:
                count_dropped(self, doc, "not_target_language")
            elif score < self.minimum(code):
                count_dropped(self, doc, "low_language_score")
            else:
                yield doc
