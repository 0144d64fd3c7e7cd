"""`monsoon quality train`: a fastText classifier of a language's reference text (positives) against crawl text
(negatives), a held-out evaluation, and a model card (JSON) beside the model.

The defaults are DCLM's fastText quality classifier's (mlfoundations/dclm): `baselines/train_fasttext_classifier.py`
@69d84fe's defaults (lr 0.1, dim 100, ws 5, epoch 5, minCount 1), with `--wordNgrams 2` (unigrams and bigrams)
as `baselines/README.md` @c59dd58 trains its OH-2.5 + ELI5 classifier, "not deviating from the defaults" otherwise;
but for `bucket` (see TrainSettings).
One thread by default: fastText's lock-free threads make a model differ run to run."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import fsspec

from monsoon import __version__, storage
from monsoon.dedup.corpora import corpus_rows, text_files
from monsoon.languages import Language, get_language
from monsoon.quality.model import DEFAULT_LABEL, NEGATIVE_LABEL, auc, model_text, precision_at, score_of

INPUT_EXTENSIONS = ("parquet", "jsonl", "jsonl.gz", "txt", "txt.gz")
SETTINGS_SOURCE = (
    "mlfoundations/dclm baselines/train_fasttext_classifier.py @69d84fe (defaults), baselines/README.md @c59dd58"
    " (wordNgrams 2); bucket 200k is monsoon's (bench/quality_eval.py)"
)


@dataclass(frozen=True)
class TrainSettings:
    lr: float = 0.1
    dim: int = 100
    ws: int = 5
    epoch: int = 5
    min_count: int = 1
    word_ngrams: int = 2
    # hash buckets of the word n-grams (the model file is ~(bucket + words) x dim x 4 bytes, held by every worker):
    # 200k, not DCLM's (fastText's default) 2M, a deviation: the same held-out AUC on bench/quality_eval.py's Thai
    # (1.000) and Japanese (0.987) evaluations, a Thai model of 81 MiB instead of 768 MiB
    bucket: int = 200_000
    threads: int = 1
    seed: int = 1  # fastText's own seed, and the held-out split's and the negative sample's
    holdout: float = 0.1  # share of each class held out for the evaluation (chosen by a hash of the text); 0: none


@dataclass
class Example:
    line: str  # model_text of the document
    positive: bool
    heldout: bool


@dataclass
class InputFile:
    path: str
    role: str  # positive / negative
    sha256: str
    documents: int = 0
    skipped_empty: int = 0


def _stable_fraction(seed: int, key: str) -> float:
    """A number in [0, 1) fixed by seed and key: the split and the sample never depend on file order or machine."""
    return int.from_bytes(hashlib.sha256(f"{seed}|{key}".encode()).digest()[:8], "big") / 2**64


def reference_texts(paths: list[str], role: str, text_column: str) -> Iterator[tuple[InputFile, str]]:
    """(input file, text) of every document of `paths` (files, globs or folders; parquet, jsonl[.gz], txt[.gz])."""
    for path in paths:
        files = text_files(path, INPUT_EXTENSIONS)
        if not files:
            raise FileNotFoundError(f"no parquet, jsonl or txt files match {path}")
        for file_path in files:
            entry = InputFile(file_path, role, storage.sha256(file_path))
            for batch in corpus_rows(file_path, [text_column]):
                for row in batch:
                    yield entry, row.get(text_column) or ""


def run_sample(run_dir: str, language: str, count: int, seed: int) -> list[tuple[InputFile, str]]:
    """(input file, text) of a random sample (fixed by the seed) of `count` kept documents of a finished run: the
    DCLM/CCNet negatives. Ids are read first and only the chosen documents' text after."""
    files = storage.glob(storage.join(run_dir, language, "*.parquet"))
    if not files:
        raise FileNotFoundError(f"no {language} corpus files in {run_dir}")
    keyed = [
        (_stable_fraction(seed, doc_id), path, doc_id)
        for path in files
        for doc_id in storage.read_parquet(path, ["id"])["id"].to_pylist()
    ]
    by_file: dict[str, set[str]] = {}
    for _, path, doc_id in sorted(keyed)[:count]:
        by_file.setdefault(path, set()).add(doc_id)
    sample = []
    for path in files:
        if path in by_file:
            entry = InputFile(path, "negative", storage.sha256(path))
            table = storage.read_parquet(path, ["id", "text"])
            ids, texts = table["id"].to_pylist(), table["text"].to_pylist()
            sample += [(entry, text) for doc_id, text in zip(ids, texts, strict=True) if doc_id in by_file[path]]
    return sample


def _examples(texts: Iterator[tuple[InputFile, str]], positive: bool, language: Language, settings: TrainSettings):
    for entry, text in texts:
        line = model_text(text, language)
        if not line:
            entry.skipped_empty += 1
            continue
        entry.documents += 1
        yield Example(line, positive, _stable_fraction(settings.seed, line) < settings.holdout)


def _fasttext_file(examples: list[Example], path: str, label: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        for example in examples:
            file.write(f"__label__{label if example.positive else NEGATIVE_LABEL} {example.line}\n")


def evaluate(model, examples: list[Example], label: str) -> dict:
    """AUC and precision at the top 10% and 30% of the examples by score."""
    scores = [score_of(model, example.line, label) for example in examples]
    positive = [example.positive for example in examples]
    return {
        "documents": len(examples),
        "positive": sum(positive),
        "auc": round(auc(scores, positive), 4),
        "precision_top10": round(precision_at(scores, positive, 0.1), 4),
        "precision_top30": round(precision_at(scores, positive, 0.3), 4),
        "base_rate": round(sum(positive) / len(positive), 4),
    }


def _put(local: str, target: str) -> None:
    """Copy a local file to `target` (a path or a URI)."""
    if storage.is_uri(target):
        with open(local, "rb") as src, fsspec.open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    else:
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        shutil.copyfile(local, target)


def card_path(model: str) -> str:
    """The model card beside a model: MODEL.card.json."""
    return f"{model}.card.json"


def train(
    language_code: str,
    to: str,
    positives: list[str],
    negatives: list[str] | None = None,
    negative_from: str | None = None,
    negative_count: int | None = None,
    text_column: str = "text",
    label: str = DEFAULT_LABEL,
    settings: TrainSettings = TrainSettings(),  # noqa: B008 (frozen)
) -> dict:
    """Train the classifier, evaluate it on the held-out documents, write the model to `to` and its card beside it;
    returns the card."""
    import fasttext

    if label == NEGATIVE_LABEL:
        raise ValueError(f"the positive label cannot be the negatives' {NEGATIVE_LABEL!r}")
    language = get_language(language_code)
    inputs: dict[tuple[str, str], InputFile] = {}

    def noted(texts: Iterator[tuple[InputFile, str]]) -> Iterator[tuple[InputFile, str]]:
        for entry, text in texts:
            inputs.setdefault((entry.role, entry.path), entry)
            yield entry, text

    examples = list(_examples(noted(reference_texts(positives, "positive", text_column)), True, language, settings))
    if negative_from:
        count = negative_count or len(examples)
        negative_texts = iter(run_sample(negative_from, language_code, count, settings.seed))
    else:
        negative_texts = reference_texts(negatives or [], "negative", text_column)
    examples += _examples(noted(negative_texts), False, language, settings)
    train_set = [example for example in examples if not example.heldout]
    heldout = [example for example in examples if example.heldout]
    for name, part in {"training": train_set, **({"held-out": heldout} if settings.holdout else {})}.items():
        if not any(e.positive for e in part) or all(e.positive for e in part):
            raise ValueError(f"the {name} split needs positive and negative documents: give more of both")
    with tempfile.TemporaryDirectory(prefix="monsoon-quality-") as tmp:
        train_file, model_file = os.path.join(tmp, "train.txt"), os.path.join(tmp, "model.bin")
        _fasttext_file(train_set, train_file, label)
        fasttext.FastText.eprint = lambda *args, **kwargs: None  # silence the load-time deprecation warning
        model = fasttext.train_supervised(
            input=train_file,
            lr=settings.lr,
            dim=settings.dim,
            ws=settings.ws,
            epoch=settings.epoch,
            minCount=settings.min_count,
            wordNgrams=settings.word_ngrams,
            bucket=settings.bucket,
            thread=settings.threads,
            seed=settings.seed,
            verbose=0,
        )
        model.save_model(model_file)
        card = {
            "language": language_code,
            "label": label,
            "negative_label": NEGATIVE_LABEL,
            "model": to,
            "model_sha256": storage.sha256(model_file),
            "monsoon_version": __version__,
            "settings": {**asdict(settings), "source": SETTINGS_SOURCE},
            "text": {"segmenter": language.segmenter, "normalisation": "NFKC, case-folded, digits as 0"},
            "inputs": [asdict(entry) for entry in inputs.values()],
            "training": {
                "positive": sum(e.positive for e in train_set),
                "negative": sum(not e.positive for e in train_set),
            },
            "heldout": evaluate(model, heldout, label) if settings.holdout else None,
        }
        _put(model_file, to)
    card_file = card_path(to)
    with fsspec.open(card_file, "w", encoding="utf-8") as file:
        file.write(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    return card


def format_card(card: dict) -> str:
    """The card as the command prints it."""
    heldout, training = card["heldout"], card["training"]
    lines = [
        f"{card['language']} quality model -> {card['model']} (card: {card_path(card['model'])})",
        f"training: {training['positive']} positive, {training['negative']} negative documents",
        "held out: none (--holdout 0)"
        if heldout is None
        else f"held out: {heldout['positive']} positive of {heldout['documents']} documents: AUC {heldout['auc']:.3f},"
        f" precision at top 10% {heldout['precision_top10']:.3f}, top 30% {heldout['precision_top30']:.3f}"
        f" (base rate {heldout['base_rate']:.3f})",
        "inputs:",
    ]
    lines += [
        f"  {entry['role']:<8} {entry['documents']:>7} docs  {entry['sha256'][:12]}  {entry['path']}"
        for entry in card["inputs"]
    ]
    settings = {k: v for k, v in card["settings"].items() if k != "source"}
    lines.append("settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()) + f" ({card['settings']['source']})")
    return "\n".join(lines)
