"""Scale benchmark: load + compare a wide numeric CSV at 10k, 100k and 1M rows.

``python -m benchmarks.bench --scale`` (or ``python -m benchmarks.bench_scale``). Each size runs the real
command line (``python -m bridge compare FILE``) in a child process, so its peak memory is that
child's own, read from the operating system (``os.wait4``) rather than sampled. The work per row
is held fixed (5 epochs, no early stopping, one seed) so that time can only grow with the rows;
what is capped on purpose (learning-curve refits at 50k rows, the forest skipped above 50k) makes
large runs cheaper, never dearer.

Printed for each size: wall seconds, seconds per 1k rows, the ratio of time to the previous size
against the ratio of rows, peak RSS over the loaded table's size, and the same with the fixed cost of
the imports (Python, torch, scikit-learn: about 370 MiB before any data) taken off (target <= 3x).
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

import numpy as np

COLUMNS = 50  # 49 numeric features and a 3-class target, the "1,000,000 x 50" table
CHUNK = 100_000


def write_table(path: Path, rows: int, seed: int = 0) -> None:
    """A CSV whose class depends on a few oblique directions plus noise, written in chunks."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(COLUMNS - 1, 2))
    with open(path, "w") as handle:
        handle.write(",".join([f"x{i}" for i in range(COLUMNS - 1)] + ["label"]) + "\n")
        for start in range(0, rows, CHUNK):
            X = rng.normal(size=(min(CHUNK, rows - start), COLUMNS - 1)).astype(np.float32)
            z = X @ directions + rng.normal(scale=1.0, size=(len(X), 2))
            label = np.where(z[:, 0] > 0.5, "high", np.where(z[:, 1] > 0, "mid", "low"))
            lines = [",".join(f"{v:.4g}" for v in row) + "," + lab for row, lab in zip(X.tolist(), label)]
            handle.write("\n".join(lines) + "\n")


def run_child(args: list[str]) -> tuple[float, int, int]:
    """Run a command; return its wall seconds, exit code and peak RSS in bytes (Linux reports KiB)."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.stderr.write(child.stderr.read().decode(errors="replace")[-2000:])
    child.stderr.close()
    return seconds, child.returncode, usage.ru_maxrss * 1024


def measure(path: Path, rows: int, epochs: int, out_dir: Path, floor: int) -> dict:
    report_path = out_dir / f"report_{rows}.json"
    command = [sys.executable, "-m", "bridge", "compare", str(path), "--epochs", str(epochs), "--patience", "0",
               "--repeats", "1", "--quiet", "--json", str(report_path)]
    seconds, code, peak = run_child(command)
    if code != 0:
        raise SystemExit(f"compare failed at {rows} rows (exit {code})")
    report = json.loads(report_path.read_text())
    table_bytes = rows * COLUMNS * 8  # the loaded frame: float64 cells (the text target is counted as one cell a row)
    return {
        "rows": rows, "seconds": seconds, "peak_rss_bytes": peak, "table_bytes": table_bytes, "memory_ratio": peak / table_bytes,
        "data_memory_ratio": (peak - floor) / table_bytes,
        "file_bytes": path.stat().st_size, "pytorch_fit_seconds": report["models"]["pytorch"]["fit_seconds"],
        "sklearn_fit_seconds": report["models"]["sklearn"]["fit_seconds"], "train_rows": report["split"]["train"],
        "sklearn": report["models"]["sklearn"]["name"], "notes": [n for n in report["notes"] if "sampl" in n or "curve" in n],
    }


def baseline_rss() -> int:
    """Peak RSS of a child that only imports what a compare imports: the floor under every figure."""
    return run_child([sys.executable, "-c", "import bridge.experiment, bridge.cli"])[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated row counts, smallest first")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--keep", metavar="DIR", help="write the CSVs here and keep them (default: a temporary folder)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        floor = baseline_rss()
        print(f"imports alone: peak RSS {floor / 2**20:.0f} MiB", flush=True)
        results, previous = [], None
        for rows in sizes:
            path = folder / f"scale_{rows}.csv"
            if not path.exists():
                write_table(path, rows)
            result = measure(path, rows, args.epochs, Path(scratch), floor)
            growth = "" if previous is None else (f"  time x{result['seconds'] / previous['seconds']:.1f} "
                                                  f"for rows x{rows / previous['rows']:.0f}")
            print(f"{rows:>9,} rows  {result['seconds']:7.1f} s  {1000 * result['seconds'] / rows:6.2f} s/1k rows  "
                  f"peak {result['peak_rss_bytes'] / 2**20:6.0f} MiB = {result['memory_ratio']:.2f}x the table "
                  f"({result['table_bytes'] / 2**20:.0f} MiB), {result['data_memory_ratio']:.2f}x above the imports "
                  f"(target <= 3x){growth}", flush=True)
            results.append(result)
            previous = result
    if args.json:
        Path(args.json).write_text(json.dumps({"imports_peak_rss_bytes": floor, "sizes": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
