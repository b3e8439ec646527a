"""One run, in a process of its own: ``python -m bridge.jobs.worker RUN_ID --home DIR --threads N``.

A run trains outside the app's process so that the page never blocks, a cancel can end it for
sure (the scheduler may kill the process) and everything it held goes back to the system when it
exits. Threads are pinned once, here, before any work: BLAS and OpenMP through threadpoolctl,
joblib's worker count through LOKY_MAX_CPU_COUNT (set by the scheduler before this process
starts) and torch through ``torch.set_num_threads``. Progress, epochs and the result go to the
store; the cancel flag is read back from it between epochs and fits.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from typing import TYPE_CHECKING

from bridge.jobs.store import CANCELLED, DONE, FAILED, RunStore

if TYPE_CHECKING:  # imported inside execute and standby, after the threads are pinned; named here for annotations only
    from bridge.experiment import Comparison, Progress

STUDY_FILE = "studies.db"  # a tuned run's Optuna studies, in its run folder: kept and pruned with the run
FLUSH_SECONDS = 0.25  # progress is written (and the cancel flag read) at most this often, plus at every new stage


class Cancelled(Exception):
    """The user pressed Cancel; raised from the progress callback, so it unwinds through any loop."""


def pin_threads(threads: int) -> dict:
    """Limit every thread pool this process can start to ``threads``; returns what each pool reports now."""
    import joblib
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(limits=threads)
    torch.set_num_threads(threads)
    pools = {f"{p['user_api']}:{p['internal_api']}": p["num_threads"] for p in threadpool_info()}
    return {"share": threads, "torch": torch.get_num_threads(), "joblib": joblib.cpu_count(), "pools": pools}


class Reporter:
    """The progress callback: buffers epochs, writes to the store at most every FLUSH_SECONDS, and raises Cancelled."""

    def __init__(self, store: RunStore, run_id: int) -> None:
        self.store, self.run_id = store, run_id
        self.epochs: list[dict] = []
        self.last_flush = 0.0
        self.last_message: str | None = None

    def __call__(self, step: Progress) -> None:
        if step.epoch is not None:
            e = step.epoch
            self.epochs.append({"epoch": e.epoch, "epochs": e.epochs, "train_loss": e.train_loss, "val_loss": e.val_loss,
                                "val_score": e.val_score, "seconds": e.seconds, "best_epoch": e.best_epoch})
        now = time.monotonic()
        new_line = step.epoch is None and step.message != self.last_message  # which model is fitting shows at once
        if new_line or now - self.last_flush >= FLUSH_SECONDS or step.stage == "done":
            self.flush(step)
            if self.store.cancel_requested(self.run_id):
                raise Cancelled

    def flush(self, step: Progress) -> None:
        message = step.message
        if step.epoch is not None:
            e = step.epoch
            message = f"PyTorch epoch {e.epoch} of at most {e.epochs}"
        self.store.progress(self.run_id, step.stage, min(float(step.fraction), 1.0), message, self.epochs)
        self.epochs, self.last_flush, self.last_message = [], time.monotonic(), step.message


def summary(comparison: Comparison) -> dict:
    """What the run history shows without opening the result file."""
    metric, models = comparison.metric, comparison.models
    return {"metric": metric, "dummy": models["dummy"].metrics[metric], "sklearn": models["sklearn"].metrics[metric],
            "pytorch": models["pytorch"].metrics[metric], "sklearn_name": models["sklearn"].name,
            "pytorch_name": models["pytorch"].name, "verdict": comparison.recommendation["verdict"],
            "confidence": comparison.recommendation.get("confidence"), "task": comparison.dataset.get("task"),
            "epochs_run": comparison.training.get("epochs_run"), "best_epoch": comparison.training.get("best_epoch"),
            **_tuned_summary(comparison)}


def _tuned_summary(comparison: Comparison) -> dict:
    """A tuned run's scores beside the defaults: each side's best trial, refitted and scored once on the test rows."""
    if not comparison.tuning:
        return {}
    tested = comparison.tuning["test"]
    return {"tuned": {side: tested[side]["metrics"][comparison.metric] for side in ("sklearn", "pytorch")},
            "tuned_names": {side: tested[side]["name"] for side in ("sklearn", "pytorch")}}


def execute(store: RunStore, run_id: int, threads: int) -> str:
    """Run one stored run to its end; returns the state it ended in. Never raises for the run's own failures."""
    from bridge.errors import BridgeError
    from bridge.experiment import run_comparison
    from bridge.outputs.report import to_json

    store.set_threads(run_id, pin_threads(threads))
    run = store.get(run_id)
    try:
        if run is None:  # an id the store never issued, or a run deleted before its worker started
            raise BridgeError(f"run {run_id} is not in the store at {store.home}; submit it again")
        dataset = store.load_dataset(run.dataset_key)
        if dataset is None:
            raise BridgeError(f"the data of this run ({run.dataset_name}) is no longer stored; upload it again")
        folder = store.run_folder(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        studies = f"sqlite:///{folder / STUDY_FILE}"
        comparison = run_comparison(dataset, run.config, on_progress=Reporter(store, run_id), study_storage=studies)
        store.save_result(run_id, comparison)
        store.finish(run_id, DONE, "Done", summary=summary(comparison), report=to_json(comparison))
        return DONE
    except Cancelled:
        store.finish(run_id, CANCELLED, "Cancelled")
        return CANCELLED
    except BridgeError as exc:
        store.finish(run_id, FAILED, "Failed", error=f"{exc}")
        return FAILED
    except Exception as exc:  # a bug in the core: one line for the page, the traceback for worker.log
        traceback.print_exc()
        store.finish(run_id, FAILED, "Failed", error=f"internal error ({type(exc).__name__}); the server log has the details")
        return FAILED


def standby(home: str) -> int | None:
    """Import the heavy libraries now, then wait for a run id on stdin; returns it (None: stand down).

    The scheduler keeps one such process ready, so a run starts at once instead of after the
    seconds that importing torch, scikit-learn and pandas take. Its output goes to the run's log.
    """
    import bridge.experiment  # noqa: F401  (torch, scikit-learn, pandas and Bridge's own modules)
    import bridge.outputs.report  # noqa: F401

    line = sys.stdin.readline().strip()
    if not line.isdigit():
        return None
    run_id = int(line)
    log = RunStore(home).run_folder(run_id) / "worker.log"
    with open(log, "ab") as handle:  # from here on, what this process prints belongs to that run
        os.dup2(handle.fileno(), sys.stdout.fileno())
        os.dup2(handle.fileno(), sys.stderr.fileno())
    return run_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge.jobs.worker")
    parser.add_argument("run_id", type=int, nargs="?", help="the run to train; without it, wait for one on stdin (--standby)")
    parser.add_argument("--home", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--standby", action="store_true", help="import first, then read the run id from stdin")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    run_id = standby(args.home) if args.standby else args.run_id
    if run_id is None:
        return 0
    state = execute(RunStore(args.home), run_id, args.threads)
    return 0 if state in (DONE, CANCELLED) else 1


if __name__ == "__main__":
    sys.exit(main())
