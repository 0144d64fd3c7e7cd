"""Word segmentation quality and speed of the Thai and Japanese segmenters monsoon uses (the `words` of
languages/tha_Thai.yaml and jpn_Jpan.yaml), on the dev parts of ../shared/data:

- thai_segmentation_gold: UD Thai-PUD and Thai-TUD (news, Wikipedia, essays) and wisesight (social media);
- japanese_segmentation_gold: UD Japanese-GSD (short unit words, as UniDic).

Word-boundary precision / recall / F1 over the text without whitespace (a boundary is the offset after a word),
and characters per second. `python bench/segmentation_eval.py`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from metrics import prf

from monsoon.languages import get_language

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def conllu_sentences(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(raw text, gold word forms) per sentence; multi-word token ranges are skipped for their parts."""
    text, words = None, []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("# text = "):
            text = line[len("# text = ") :]
        elif line and not line.startswith("#"):
            columns = line.split("\t")
            if columns[0].isdigit():
                words.append(columns[1])
        elif not line and text is not None:
            yield text, words
            text, words = None, []


def wisesight_sentences(folder: Path) -> Iterator[tuple[str, list[str]]]:
    for label in sorted(folder.glob("*.label")):
        for line in label.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                yield line.replace("|", ""), line.split("|")


def boundaries(words: list[str]) -> set[int]:
    """Offsets after each word in the text without whitespace."""
    found, offset = set(), 0
    for word in words:
        word = "".join(word.split())
        if word:
            offset += len(word)
            found.add(offset)
    return found


def evaluate(code: str, sentences: list[tuple[str, list[str]]]) -> dict:
    words = get_language(code).words
    words.word_tokenize("warm up")  # dictionaries load once per process: not part of the rate
    hits = predicted_total = gold_total = chars = 0
    skipped = 0
    seconds = 0.0
    for text, gold in sentences:
        if "".join("".join(gold).split()) != "".join(text.split()):
            skipped += 1  # gold forms that do not spell the text (normalised forms): not comparable
            continue
        started = time.perf_counter()
        predicted = words.word_tokenize(text)
        seconds += time.perf_counter() - started
        chars += len(text)
        gold_b, predicted_b = boundaries(gold), boundaries(predicted)
        hits += len(gold_b & predicted_b)
        predicted_total += len(predicted_b)
        gold_total += len(gold_b)
    precision, recall, f1 = prf(hits, predicted_total, gold_total)
    return {
        "sentences": len(sentences) - skipped,
        "skipped": skipped,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "chars_per_s": chars / seconds,
    }


def main() -> None:
    thai = SHARED / "thai_segmentation_gold" / "dev"
    japanese = SHARED / "japanese_segmentation_gold" / "dev"
    sets = {
        ("tha_Thai", "UD Thai PUD+TUD"): [
            s for p in sorted((thai / "ud").glob("*.conllu")) for s in conllu_sentences(p)
        ],
        ("tha_Thai", "wisesight"): list(wisesight_sentences(thai / "wisesight")),
        ("jpn_Jpan", "UD Japanese-GSD"): [
            s for p in sorted((japanese / "ud").glob("*.conllu")) for s in conllu_sentences(p)
        ],
    }
    for (code, name), sentences in sets.items():
        r = evaluate(code, sentences)
        print(
            f"{code} {name}: {r['sentences']} sentences ({r['skipped']} skipped), boundary precision "
            f"{r['precision']:.3f}, recall {r['recall']:.3f}, F1 {r['f1']:.3f}, {r['chars_per_s']:,.0f} chars/s"
        )


if __name__ == "__main__":
    main()
