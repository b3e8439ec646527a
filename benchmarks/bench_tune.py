"""Tune mode's benchmark: trials per minute on the local pool by worker count, and a tuned compare against a default one.

``python -m benchmarks.bench --tune`` (or ``python -m benchmarks.bench_tune``), on breast_cancer:

- **Scaling**: the same tuned run (``--trials`` per side, default 16; one seed; default settings otherwise) on a
  local pool of 1, 2 and 4 worker processes of one thread each, one after another in this process. Timed: each
  side's search (``tuning.seconds``: from the first batch asked to the last told, so it includes the pool's
  processes starting, importing and preparing the data once each). Trials per minute = trials of both sides over
  the two searches' seconds, and its ratio to 1 worker. The study asks for the same batches whatever the pool,
  so every row runs the same trials and finds the same best ones (printed as a check).
- **Compare**: ``python -m bridge compare breast_cancer`` with default settings and with ``--tune 20``, each the
  whole command in a child process, wall clock of both and their ratio (target: the tuned run within 10x).

The load average is printed before and after: on a shared machine the figures mean little when it is high.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASET = "breast_cancer"
COMPARE_TARGET = 10.0  # a tuned compare within this many times a default one (issue #12)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def tuned_run(trials: int, workers: int) -> dict:
    """One tuned comparison on the local pool: the search's seconds per side, the trials' states and the best trials."""
    from bridge.config import CompareConfig, TuneConfig
    from bridge.experiment import run_comparison
    from bridge.io.data import load_dataset

    config = CompareConfig(repeats=1, tune=TuneConfig(trials=trials, executor="local", workers=workers))
    start = time.perf_counter()
    tuning = run_comparison(load_dataset(DATASET), config).tuning
    run_seconds = time.perf_counter() - start
    search = sum(tuning["seconds"].values())
    return {"workers": workers, "trials_per_side": trials, "run_seconds": round(run_seconds, 2), "search_seconds": tuning["seconds"],
            "trials_per_minute": round(2 * trials / search * 60, 1),
            "per_side_trials_per_minute": {side: round(trials / seconds * 60, 1) for side, seconds in tuning["seconds"].items()},
            # the trials' own fit seconds, summed: the work, against which the search's wall clock shows start-up and idle slots
            "trial_seconds": {side: round(sum(t["seconds"] for t in tuning["trials"] if t["side"] == side), 2) for side in tuning["seconds"]},
            "pruned": {side: sum(t["side"] == side and t["state"] == "pruned" for t in tuning["trials"]) for side in tuning["seconds"]},
            "best": {side: [best["number"], round(best["value"], 6)] for side, best in tuning["best"].items()}}


def scaling(trials: int, workers: list[int], say) -> list[dict]:
    rows = []
    for count in workers:
        rows.append(tuned_run(trials, count))
        say(f"  {count} worker(s): {rows[-1]['trials_per_minute']} trials/min  ({load()})")
    return rows


def timed_compare(extra: list[str], scratch: Path) -> dict:
    """The whole ``python -m bridge compare`` in a child process: wall clock, and the report it wrote."""
    out = scratch / f"report{len(extra)}.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bridge", "compare", DATASET, "--quiet", "--json", str(out), *extra],
                   cwd=scratch, env=env, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    report = json.loads(out.read_text())
    return {"seconds": round(seconds, 2), "verdict": report["recommendation"]["verdict"],
            **({"tuning_seconds": report["tuning"]["seconds"]} if "tuning" in report else {})}


def compare_pair(trials: int, say) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        default = timed_compare([], Path(scratch))
        say(f"  default compare: {default['seconds']:.1f} s  ({load()})")
        tuned = timed_compare(["--tune", str(trials)], Path(scratch))
        say(f"  --tune {trials}: {tuned['seconds']:.1f} s  ({load()})")
    return {"trials_per_side": trials, "default": default, "tuned": tuned, "ratio": round(tuned["seconds"] / default["seconds"], 2)}


def report(results: dict) -> None:
    rows = results.get("scaling", [])
    if rows:
        base = rows[0]["trials_per_minute"]
        print(f"tune: {DATASET}, {rows[0]['trials_per_side']} trials per side, local pool, one thread per worker")
        print("  (the scikit-learn search comes first and includes the pool's start: spawn, imports, the data prepared once a worker)")
        print(f"  {'workers':>7}  {'sklearn s':>9}  {'pytorch s':>9}  {'fits s':>6}  {'trials/min':>10}  {'vs 1':>5}  {'sklearn/min':>11}  "
              f"{'pytorch/min':>11}  {'pruned':>6}  best trials (sklearn, pytorch)")
        for row in rows:
            s, side, fits = row["search_seconds"], row["per_side_trials_per_minute"], sum(row["trial_seconds"].values())
            print(f"  {row['workers']:>7}  {s['sklearn']:>9.1f}  {s['pytorch']:>9.1f}  {fits:>6.1f}  {row['trials_per_minute']:>10.1f}  "
                  f"{row['trials_per_minute'] / base:>4.2f}x  {side['sklearn']:>11.1f}  {side['pytorch']:>11.1f}  "
                  f"{row['pruned']['pytorch']:>6}  {row['best']['sklearn'][0]}, {row['best']['pytorch'][0]}")
        print("  (fits s: the trials' own fit seconds, both sides summed, timed inside the workers)")
        same = all(row["best"] == rows[0]["best"] for row in rows)
        print(f"  the same best trials and scores with every pool: {'yes' if same else 'NO'}")
    pair = results.get("compare")
    if pair:
        met = "met" if pair["ratio"] <= COMPARE_TARGET else "NOT met"
        print(f"compare {DATASET}: default {pair['default']['seconds']:.1f} s, --tune {pair['trials_per_side']} "
              f"{pair['tuned']['seconds']:.1f} s: {pair['ratio']:.2f}x  (target <= {COMPARE_TARGET:g}x)  {met}")
    before, after = results["load_before"], results["load_after"]
    print(f"  load average {before[0]:.2f} before, {after[0]:.2f} after, on {results['cpus']} CPUs")


def measure(trials: int = 16, workers: tuple[int, ...] = (1, 2, 4), compare_trials: int = 20, with_scaling: bool = True,
            with_compare: bool = True, say=lambda line: None) -> dict:
    """Both parts (or either), with the load average before and after."""
    results: dict = {"cpus": os.cpu_count(), "load_before": os.getloadavg()}
    say(f"tune benchmark, {load()}")
    if with_scaling:
        results["scaling"] = scaling(trials, list(workers), say)
    if with_compare:
        results["compare"] = compare_pair(compare_trials, say)
    results["load_after"] = os.getloadavg()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_tune", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16, help="trials per side for the scaling runs (default 16)")
    parser.add_argument("--workers", default="1,2,4", help="local pool sizes, comma-separated (default 1,2,4)")
    parser.add_argument("--compare-trials", type=int, default=20, help="trials per side of the tuned compare (default 20)")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--skip-compare", action="store_true")
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    results = measure(args.trials, tuple(int(n) for n in args.workers.split(",")), args.compare_trials, not args.skip_scaling,
                      not args.skip_compare, say=lambda line: print(line, file=sys.stderr, flush=True))
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":  # the local pool spawns processes, which re-import the main module: nothing may run on import
    sys.exit(main())
