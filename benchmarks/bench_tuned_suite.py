"""The tuned verdict beside the default one on the built-in suite of known answers (issue #12).

``python -m benchmarks.bench_tuned_suite [--trials 8] [--skip NAME ...] [--budget-minutes M]``

Runs every case of ``tests/decision/test_recommend_suite.py`` (the same datasets and per-case configs) once, in tune mode:
``--trials`` trials per side on the local process pool (as many workers as torch has threads), one seed (``repeats=1``, to
keep it affordable; the suite's own test runs three where the data is small enough, so a default verdict here can differ
from the suite's on a case the seeds decide). Each run gives both verdicts, since a tuned run keeps the default one beside
it (``recommendation["default"]``), and both gaps, PyTorch minus scikit-learn on the test rows with their 95% intervals.

Prints one line per case to stderr as it finishes, then the table as plain text and as Markdown (for BENCHMARKS.md) on
stdout. Image cases run last; once ``--budget-minutes`` have passed, the cases left are listed as not run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LAST = ("moved_digits",)  # the image case: a CNN per trial, the slowest, so it runs last
COLUMNS = ("case", "expected", "default verdict", "tuned verdict", "default gap", "tuned gap", "seconds")


def _gap(evidence: dict) -> str:
    return f"{evidence['gap']:+.3f} [{evidence['gap_low']:+.3f}, {evidence['gap_high']:+.3f}]"


def run_case(name: str, case: tuple, trials: int) -> dict:
    """One tuned run of a suite case: its verdicts, gaps and wall seconds."""
    from bridge.config import CompareConfig, TuneConfig
    from bridge.experiment import run_comparison

    expected, _, make = case[:3]
    config = case[3] if len(case) > 3 else CompareConfig()
    config = replace(config, repeats=1, tune=TuneConfig(trials=trials))
    start = time.perf_counter()
    comparison = run_comparison(make(), config)
    seconds = time.perf_counter() - start
    recommendation, tuning = comparison.recommendation, comparison.tuning
    return {"case": name, "expected": expected, "default verdict": recommendation["default"]["verdict"],
            "tuned verdict": recommendation["verdict"], "default gap": _gap(tuning["default_evidence"]),
            "tuned gap": _gap(recommendation["evidence"]), "seconds": f"{seconds:.0f}",
            "best": {side: tuning["best"][side]["params"] for side in ("sklearn", "pytorch")}}


def plain(rows: list[dict]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in COLUMNS) for r in rows]
    return "\n".join(lines)


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "| " + " | ".join("---" for _ in COLUMNS) + " |"]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8, help="trials per side (default 8)")
    parser.add_argument("--skip", nargs="*", default=[], help="case names to leave out")
    parser.add_argument("--budget-minutes", type=float, default=0.0, help="stop starting cases after this long (0: run all)")
    args = parser.parse_args(argv)

    from tests.decision.test_recommend_suite import CASES

    unknown = set(args.skip) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}; the suite has {', '.join(CASES)}")
    order = [name for name in CASES if name not in args.skip and name not in LAST] + [name for name in LAST if name not in args.skip]
    load_before, start, rows = os.getloadavg()[0], time.perf_counter(), []
    for name in order:
        if args.budget_minutes and time.perf_counter() - start > args.budget_minutes * 60:
            rows.append({"case": name, "expected": CASES[name][0], "default verdict": "not run (over the time budget)"})
            continue
        row = run_case(name, CASES[name], args.trials)
        rows.append(row)
        print(f"{name}: default {row['default verdict']}, tuned {row['tuned verdict']} in {row['seconds']} s; best {row['best']}",
              file=sys.stderr, flush=True)
    minutes = (time.perf_counter() - start) / 60
    header = (f"{args.trials} trials per side, one seed, on the local pool; {minutes:.1f} min in all; load average "
              f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; skipped: {', '.join(args.skip) or 'none'}")
    print(header)
    print(plain(rows))
    print()
    print(header)
    print()
    print(markdown(rows))
    return 0


if __name__ == "__main__":  # the local pool spawns workers, which import this module again: only the main process runs the suite
    raise SystemExit(main())
