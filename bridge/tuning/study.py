"""The tuning driver: both sides searched with the same budget by Optuna, trials run by an executor.

Each side has its own Optuna study (TPE sampler, seeded): the driver asks it for a batch of ``BATCH`` trials,
hands their settings to the executor, and tells the study the validation scores in trial order. The first
trial of each study is the default run's own settings, so a tuned side is never worse on validation than
its default. The batch size does not depend on the number of workers: a study asks, and is told, the same
things in the same order on one process or on a cluster, so a fixed seed gives the same best trial anywhere.

Budget: ``trials`` per side, or ``minutes`` of wall clock split equally between the two sides. Trials are
scored on the validation rows only; the test rows stay with the orchestrator, which scores each side's best
trial on them once (``bridge.experiment``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bridge.config import CompareConfig
from bridge.errors import BridgeError
from bridge.io.data import Dataset
from bridge.tuning import spaces
from bridge.tuning.spaces import Space
from bridge.tuning.trial import TrialJob, TrialResult, run_trial

BATCH = 4  # trials asked at once: the most that run side by side, and the same on every executor
SIDES = ("sklearn", "pytorch")


@dataclass
class Tuning:
    """What a tuned run searched: every trial of both sides, the best settings, and each knob's importance."""

    trials: list[dict] = field(default_factory=list)  # {side, number, value, state, seconds, params, note}
    best: dict = field(default_factory=dict)  # side -> {"number", "value", "params"}
    importance: dict = field(default_factory=dict)  # side -> {param: share}
    budget: dict = field(default_factory=dict)  # {"trials" or "minutes", "batch", "executor"}
    seconds: dict = field(default_factory=dict)  # side -> wall clock of its search
    studies: dict = field(default_factory=dict)  # side -> the Optuna study's name in its storage
    storage: str | None = None  # where the studies are kept, password hidden; None: they lived in memory only

    def to_dict(self) -> dict:
        return {"trials": self.trials, "best": self.best, "importance": self.importance, "budget": self.budget,
                "seconds": self.seconds, "studies": self.studies, "storage": self.storage}


def _study(side: str, seed: int, trials: int, storage: str | None, name: str):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    startup = max(2, min(10, trials // 2 if trials else 8))  # random draws before TPE models the scores
    sampler = optuna.samplers.TPESampler(seed=seed + SIDES.index(side), n_startup_trials=startup)
    # A name of its own: a storage kept between runs already holds the last run's "bridge-sklearn", and picking up its
    # trials would make this study depend on what ran before it.
    return optuna.create_study(study_name=f"{name}-{uuid.uuid4().hex[:12]}-{side}", storage=storage, direction="maximize",
                               sampler=sampler, load_if_exists=False)


def tune(dataset: Dataset, config: CompareConfig, space: Space, first: dict[str, dict], executor,
         on_progress: Callable[[str, int, int], object] | None = None, name: str = "bridge", storage: str | None = None) -> Tuning:
    """Search both sides; ``first`` holds each side's default settings (``spaces.defaults``), tried first.

    The studies go to ``config.tune.storage`` when it names one, else to ``storage`` (a job's SQLite file in its run
    folder), else they live in memory: ``Tuning`` holds every trial either way.
    """
    budget, result = config.tune, Tuning()
    storage = budget.storage or storage
    result.storage = _shown(storage)
    space = spaces.with_defaults(space, first)  # the default run's own settings are drawable, whatever the standard choices
    result.budget = {"trials": budget.trials, "minutes": budget.minutes, "batch": BATCH, "executor": executor.where}
    for side in SIDES:
        study = _study(side, config.seed, budget.trials, storage, name)
        result.studies[side] = study.study_name
        study.enqueue_trial(first[side])
        deadline = time.monotonic() + budget.minutes * 60 / 2 if budget.minutes else None
        start, done, curves = time.monotonic(), 0, list[dict]()
        while (budget.trials and done < budget.trials) or (deadline is not None and time.monotonic() < deadline and not budget.trials):
            size = min(BATCH, budget.trials - done) if budget.trials else BATCH
            asked = [study.ask() for _ in range(size)]
            jobs = [TrialJob(side, t.number, spaces.suggest(t, side, space), config, space.network, tuple(curves)) for t in asked]
            results: Iterable[TrialResult] = executor.map(run_trial, jobs)  # in the order asked: told in that order
            for finished, (trial, job, outcome) in enumerate(zip(asked, jobs, results), 1):
                _tell(study, trial, outcome)
                if outcome.curve and outcome.state == "complete":
                    curves.append(outcome.curve)
                result.trials.append({"side": side, "number": job.number, "value": outcome.value, "state": outcome.state,
                                      "seconds": round(outcome.seconds, 3), "params": job.params, "note": outcome.note,
                                      "epochs": len(outcome.curve)})
                if on_progress is not None:  # each trial, not each batch: a batch of long trials would hold the bar still
                    on_progress(side, done + finished, budget.trials)
            done += size
        result.seconds[side] = round(time.monotonic() - start, 2)
        _check_finished(side, [row for row in result.trials if row["side"] == side], budget.minutes)
        best = study.best_trial
        result.best[side] = {"number": best.number, "value": best.value, "params": _params_of(result.trials, side, best.number)}
        result.importance[side] = _importance(study, config.seed)
    return result


def _shown(storage: str | None) -> str | None:
    """The storage URL as a report may show it: a database password never reaches a page, a JSON file or a link."""
    if storage is None:
        return None
    from sqlalchemy.engine import make_url

    url = make_url(storage)  # rendered only to hide a password: rendering also percent-encodes a path, which a reader can't paste back
    return storage if url.password is None else url.render_as_string(hide_password=True)


def _check_finished(side: str, rows: list[dict], minutes: float) -> None:
    """A side needs one finished trial to have a best one: say what to do, rather than fail inside Optuna."""
    if any(row["state"] == "complete" for row in rows):
        return
    label = "scikit-learn" if side == "sklearn" else "PyTorch"
    if not rows:
        raise BridgeError(f"no {label} trial ran within {minutes:g} minute(s) of tuning; give tuning more minutes, or a number of trials")
    note = " ".join(next((row["note"] for row in rows if row["note"]), "no reason given").split())  # one line, whatever the error said
    advice = "tune with more trials" + (", or start from settings that train (a lower learning rate)" if side == "pytorch" else "")
    raise BridgeError(f"every {label} trial was pruned (the first: {note}); {advice}")


def _tell(study, trial, outcome: TrialResult) -> None:
    from optuna.trial import TrialState

    for epoch, loss in sorted(outcome.curve.items()):
        trial.report(loss, epoch)  # the epoch-wise validation loss stays in the study (and its storage)
    if outcome.state == "complete":
        study.tell(trial, outcome.value)
    else:
        study.tell(trial, state=TrialState.PRUNED)


def _params_of(trials: list[dict], side: str, number: int) -> dict:
    return next(t["params"] for t in trials if t["side"] == side and t["number"] == number)


def _importance(study, seed: int) -> dict:
    """Each knob's share of the score's variance over the finished trials (Optuna's fANOVA), {} with too few to say."""
    import optuna

    try:
        shares = optuna.importance.get_param_importances(study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed))
    except (ValueError, RuntimeError):  # fewer than two finished trials, or no knob that varied
        return {}
    return {name: round(float(share), 4) for name, share in shares.items()}

