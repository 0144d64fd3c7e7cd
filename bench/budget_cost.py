"""What the per-document budget (stages/budget.py: a timer armed and disarmed around each step's hold of each
document, one generator per step) costs: monsoon on bench/run.py's input with its steps under the budget and with
them bare, back to back in one command, each in its own process after a warm-up run, `--repeats` times.

Prints each pair, the ratio of the fastest runs of each, and last `budget_over_bare=<median of with-budget seconds /
bare seconds>`; the kept documents must be the same.

    python bench/budget_cost.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from run import _run_child, build_input, build_warmup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="back-to-back pairs of runs (3)")
    args = parser.parse_args()
    ratios, budgeted_seconds, bare_seconds = [], [], []
    with tempfile.TemporaryDirectory(prefix="monsoon-budget-") as tmp:
        counts = build_input(Path(tmp) / "input", 0.10)
        build_warmup(Path(tmp) / "warmup")
        print(f"input: bench/run.py's, {counts['documents']} documents")
        for k in range(args.repeats):
            runs = {
                name: _run_child(name, Path(tmp) / "input", Path(tmp) / f"{name}-{k}", Path(tmp) / "warmup")
                for name in ("monsoon", "monsoon-without-budget")
            }
            budgeted, bare = runs["monsoon"], runs["monsoon-without-budget"]
            assert budgeted["kept_before_dedup"] == bare["kept_before_dedup"], "the budget changed what is kept"
            ratios.append(budgeted["seconds"] / bare["seconds"])
            budgeted_seconds.append(budgeted["seconds"])
            bare_seconds.append(bare["seconds"])
            print(
                f"run {k + 1}: under the budget {budgeted['seconds']:.2f} s, bare {bare['seconds']:.2f} s,"
                f" ratio {ratios[-1]:.3f}; kept {budgeted['kept']} both"
            )
    # load on a shared machine only slows a run down: the fastest runs are the steadiest comparison
    fast_budgeted, fast_bare = min(budgeted_seconds), min(bare_seconds)
    ratio = fast_budgeted / fast_bare
    print(f"fastest runs: under the budget {fast_budgeted:.2f} s, bare {fast_bare:.2f} s ({ratio:.3f})")
    print(f"budget_over_bare={statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
