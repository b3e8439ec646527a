"""App rerun benchmark: ``python tests/bench_rerun.py`` (or ``python -m bridge.bench --app``).

Drives the real app.py through Streamlit's AppTest, as the UI tests do, on the default built-in
dataset with the Train page's default settings, and prints in one run:
- the first Run (it trains), and the same Run again (target < 0.5 s, nothing retrained);
- a display-only change (the Errors page's filters) and a slider moved without Run: the trainings
  each started (target 0).
It lives beside the tests because it needs streamlit, which the core package never imports.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_app_support import click_run, count_runs, go, navigation_as_served, new_app, widget  # noqa: E402


def timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main() -> int:
    with pytest.MonkeyPatch.context() as patch:
        navigation_as_served(patch)
        runs = count_runs(patch)
        at = new_app()
        go(at, "train")
        first = timed(lambda: click_run(at))
        trained = len(runs)
        again = timed(lambda: click_run(at))
        retrained = len(runs) - trained
        widget(at, "Epochs (at most)").set_value(5)
        moved = timed(lambda: at.run())
        go(at, "errors")
        for box in at.checkbox:
            box.set_value(not box.value)
        display = timed(lambda: at.run())
        extra = len(runs) - trained
    print(f"first Run (trains)           {first:7.3f} s  trainings started: {trained}")
    print(f"same Run again               {again:7.3f} s  trainings started: {retrained}  "
          f"(target < 0.5 s, 0)  {'met' if again < 0.5 and retrained == 0 else 'NOT met'}")
    print(f"rerun / first run            {again / first:7.3f}x")
    print(f"slider moved, no Run         {moved:7.3f} s")
    print(f"Errors filters changed       {display:7.3f} s  trainings started by both: {extra}  (target 0)  "
          f"{'met' if extra == 0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
