"""App rerun benchmark: ``python benchmarks/bench_rerun.py`` (or ``python -m benchmarks.bench --app``).

Drives the real app.py through Streamlit's AppTest, as the UI tests do, on the default built-in
dataset with the Train page's default settings, and prints in one run:
- the first Run (queued, trained in a worker process, result shown), and the same Run again
  (target < 0.5 s, answered from the run store: no new run);
- a display-only change (the Errors page's filters) and a slider moved without Run: the runs
  each put in the store (target 0).
Runs are counted in the run store (``runs_made``): training happens in a child process, so
patching the training function in this process would count nothing. The store lives in a fresh
temporary BRIDGE_HOME, removed at the end, with the scheduler and its workers stopped.
It lives beside the tests because it needs streamlit, which the core package never imports.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOME = tempfile.mkdtemp(prefix="bridge-bench-rerun-")
os.environ["BRIDGE_HOME"] = HOME  # before any store is made: the bench never touches the user's runs

from tests.test_app_support import click_run, go, navigation_as_served, new_app, runs_made, widget  # noqa: E402


def timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main() -> int:
    from bridge.jobs import LocalExecutor

    try:
        with pytest.MonkeyPatch.context() as patch:
            navigation_as_served(patch)
            at = new_app()
            go(at, "train")
            first = timed(lambda: click_run(at))
            trained = len(runs_made(at))
            again = timed(lambda: click_run(at))
            retrained = len(runs_made(at)) - trained
            widget(at, "Epochs (at most)").set_value(5)
            moved = timed(lambda: at.run())
            go(at, "errors")
            for box in at.checkbox:
                box.set_value(not box.value)
            display = timed(lambda: at.run())
            extra = len(runs_made(at)) - trained
            made = runs_made(at)
            states = [run.state for run in made]
    finally:
        LocalExecutor.stop_all()
        shutil.rmtree(HOME, ignore_errors=True)
    print(f"first Run (trains)           {first:7.3f} s  trainings started: {trained}  ({', '.join(states)})")
    if made and made[0].finished:
        run = made[0]
        print(f"  of which queued              {run.started - run.created:7.3f} s, training process (start, imports, "
              f"fits, saving) {run.finished - run.started:.3f} s, threads {run.threads.get('share')}")
    print(f"same Run again               {again:7.3f} s  trainings started: {retrained}  "
          f"(target < 0.5 s, 0)  {'met' if again < 0.5 and retrained == 0 else 'NOT met'}")
    print(f"rerun / first run            {again / first:7.3f}x")
    print(f"slider moved, no Run         {moved:7.3f} s")
    print(f"Errors filters changed       {display:7.3f} s  trainings started by both: {extra}  (target 0)  "
          f"{'met' if extra == 0 else 'NOT met'}")
    return 0 if states == ["done"] else 1  # a target not met is printed, like the other benches; a failed run is an error


if __name__ == "__main__":
    sys.exit(main())
