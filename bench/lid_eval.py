"""Language-ID quality on the dev halves of ../shared/data/lid_ntrex128 and lid_udhr: per-language precision,
recall and F1 of `monsoon lid`'s code path for the first- and second-tier languages, and the macro F1 over the
first tier.

    python bench/lid_eval.py [--model embedded|PATH]
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from metrics import prf

from monsoon.languages import FIRST_TIER, SECOND_TIER
from monsoon.stages.lid import predict

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def evaluate(path: Path, model: str) -> tuple[dict[str, tuple[float, float, float]], float]:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))  # texts may start with a quote
    hits, predicted, gold = Counter(), Counter(), Counter()
    for row in rows:
        label = predict(model, row["text"])[0]
        gold[row["lang"]] += 1
        predicted[label] += 1
        hits[label] += label == row["lang"]
    scores = {code: prf(hits[code], predicted[code], gold[code]) for code in (*FIRST_TIER, *SECOND_TIER)}
    return scores, sum(scores[code][2] for code in FIRST_TIER) / len(FIRST_TIER)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="embedded")
    args = parser.parse_args()
    for name in ("lid_ntrex128", "lid_udhr"):
        scores, macro = evaluate(DATA / name / "dev" / "lid.tsv", args.model)
        print(f"{name} (dev), model {args.model}:")
        for code, (p, r, f1) in scores.items():
            print(f"  {code}  P={p:.3f} R={r:.3f} F1={f1:.3f}")
        print(f"  macro F1 (first tier) = {macro:.3f}")


if __name__ == "__main__":
    main()
