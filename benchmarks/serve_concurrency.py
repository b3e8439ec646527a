"""The serving benchmark's concurrency part: four Runs pressed at once against the same four one after another.

Owns the measurement (sessions on Train with breast_cancer, early stopping off and a seed each,
timed from the first press to the last result shown; per-run queue wait and training time read
back from the run store; the load average around both halves) and its report lines with the
target: all at once <= 1.3x one after another, every run done as set and no training process left.
benchmarks/bench_serve.py runs it; benchmarks/serve_driver.py drives the server and the browser.
"""

from __future__ import annotations

import os
import statistics
import time

from benchmarks.serve_driver import Server, load_average, press_run, ready_to_run, result_shown, verdict

SESSIONS = 4  # concurrent Run presses (and as many sequential ones)
RATIO_TARGET = 1.3  # all at once / one after another


def measure_concurrency(browser, server: Server, say) -> dict:
    from bridge.jobs import RunStore, training_limit

    timeout = 600
    together = [ready_to_run(browser, server.url, seed) for seed in range(101, 101 + SESSIONS)]
    loads = [load_average()]
    start = time.perf_counter()
    for _, page in together:
        press_run(page)
    pressed = time.perf_counter() - start
    shown = []
    for _, page in together:
        result_shown(page, timeout)
        shown.append(time.perf_counter() - start)
    concurrent = time.perf_counter() - start
    say(f"  {SESSIONS} at once: {concurrent:.1f} s from the first press to the last result (presses took {pressed:.2f} s); "
        f"results shown at {', '.join(f'{s:.1f}' for s in shown)} s")
    loads.append(load_average())
    for context, _ in together:
        context.close()

    one_by_one = [ready_to_run(browser, server.url, seed) for seed in range(201, 201 + SESSIONS)]
    each = []
    for _, page in one_by_one:
        begin = time.perf_counter()
        press_run(page)
        result_shown(page, timeout)
        each.append(time.perf_counter() - begin)
    sequential = sum(each)
    loads.append(load_average())
    say(f"  {SESSIONS} one after another: {sequential:.1f} s in all ({', '.join(f'{s:.1f}' for s in each)} s each)")
    say(f"  load average (1 min) before, between and after: {', '.join(f'{v:.1f}' for v in loads)} on {os.cpu_count()} CPUs")
    for context, _ in one_by_one:
        context.close()

    runs = sorted(RunStore(server.home).all_runs(), key=lambda r: r.id)
    table = [{"seed": r.config.seed, "state": r.state, "patience": r.config.train.patience,
              "queued_s": (r.started or r.created) - r.created, "training_s": (r.finished or r.started or r.created) - (r.started or r.created),
              "threads": r.threads.get("share"), "epochs_run": r.summary.get("epochs_run")} for r in runs]
    for row in table:
        say(f"    run seed {row['seed']}: {row['state']}, queued {row['queued_s']:.1f} s, training process {row['training_s']:.1f} s, "
            f"{row['threads']} thread(s), epochs {row['epochs_run']}")
    return {"concurrent_s": concurrent, "sequential_s": sequential, "shown_at_s": shown, "each_s": each, "press_s": pressed, "load": loads,
            "runs": table, "max_trainings": training_limit()}


def report_concurrency(results: dict) -> bool:
    """The concurrency lines of the report (and whether any training process outlived its run); True when every target is met."""
    c = results["concurrency"]
    ratio = c["concurrent_s"] / c["sequential_s"]
    seeds = [r["seed"] for r in c["runs"]]
    expected = [*range(101, 101 + SESSIONS), *range(201, 201 + SESSIONS)]
    runs_ok = sorted(seeds) == expected and all(r["state"] == "done" and r["patience"] == 0 for r in c["runs"])
    ratio_ok = ratio <= RATIO_TARGET and runs_ok
    print(f"serve_runs_concurrent     {c['concurrent_s']:8.1f} s    ({SESSIONS} sessions press Run at once; first press to last result)")
    print(f"serve_runs_sequential     {c['sequential_s']:8.1f} s    ({SESSIONS} sessions, one after another)")
    print(f"serve_concurrent_ratio    {ratio:8.2f}x    (target <= {RATIO_TARGET}x; {len(c['runs'])} runs, "
          f"{'all done with the seeds and settings set' if runs_ok else 'NOT all done as set'})  {verdict(ratio_ok)}")
    waits = [r["queued_s"] for r in c["runs"][:SESSIONS]]
    at_once, alone = [r["training_s"] for r in c["runs"][:SESSIONS]], [r["training_s"] for r in c["runs"][SESSIONS:]]
    print(f"serve_queue_wait_at_once  {max(waits):8.1f} s    (the longest wait for a training slot; "
          f"{c['max_trainings']} training(s) at a time: BRIDGE_MAX_TRAININGS, else one per two cores)")
    print(f"serve_training_per_run    {statistics.median(at_once):8.1f} s    at once vs {statistics.median(alone):.1f} s one after another "
          f"(median training process, from the run store)")
    print(f"serve_concurrent_overhead {c['concurrent_s'] / sum(at_once):8.2f}x    (at once, first press to last result / the sum of "
          f"their training processes; 1.0 = the slot never idled. Load average {', '.join(f'{v:.1f}' for v in c['load'])} "
          f"on {results['cpus']} CPUs)")
    print(f"serve_workers_left        {results['workers_left']:8d}      (training processes still alive 20 s after the last result; target 0)  "
          f"{verdict(results['workers_left'] == 0)}")
    return ratio_ok and results["workers_left"] == 0
