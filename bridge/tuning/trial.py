"""One trial, where it trains: settings in, a validation score out. The test rows are never at hand here.

``run_trial`` is what an executor (``bridge.tuning.executors``) calls in a worker process, local or on a Dask
cluster. It prepares the data once per process (the same split as the run: the same dataset, seed and
settings give the same rows), drops the test rows from its copy, fits the trial's model on the training rows
and scores it on the validation rows.

Pruning: a network trial reports its validation loss after every epoch and is stopped early when Optuna's
``MedianPruner`` says its loss is worse than the median of the finished trials' at the same epoch, or at
once when the loss is no longer a finite number (a diverging trial). The finished trials it compares against
are the ones the driver hands over (those of earlier batches), not whatever happens to be in a shared store
at that moment: the decision, and so the whole study, is the same on any executor with any number of workers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from bridge.config import CompareConfig
from bridge.decision.evaluate import score
from bridge.io.data import Dataset
from bridge.models import estimators
from bridge.models.image_features import pixel_layout
from bridge.models.training import EpochLog
from bridge.problem.prepare import Prepared, prepare
from bridge.tuning import spaces

PRUNE_STARTUP_TRIALS = 4  # finished network trials before any is pruned
PRUNE_WARMUP_EPOCHS = 3  # epochs every trial runs before it can be pruned


@dataclass(frozen=True)
class TrialJob:
    """What a worker needs for one trial: plain, picklable values."""

    side: str  # "sklearn" or "pytorch"
    number: int
    params: dict
    config: CompareConfig  # the run's config (the data's split and the network's fixed settings)
    network: str
    finished_curves: tuple[dict, ...] = ()  # validation loss by epoch of the finished network trials, for pruning
    threads: int = 1


@dataclass
class TrialResult:
    side: str
    number: int
    value: float | None  # validation score; None when pruned
    state: str  # "complete" or "pruned"
    seconds: float
    curve: dict = field(default_factory=dict)  # epoch -> validation loss (network trials)
    note: str = ""


# Per worker process: the run's data, prepared once, beside the dataset object it came from. A name and a row count do
# not tell two datasets apart (a CSV edited and run again, on a Dask worker that outlives the run): the object does, and
# holding it here keeps its id from being reused by the next run's.
_PREPARED: dict[tuple, tuple[Dataset, Prepared]] = {}


def _data(dataset: Dataset, config: CompareConfig) -> Prepared:
    key = (dataset.name, dataset.rows, config.seed, config.target, config.task, config.test_size, config.val_size,
           config.text_columns, config.text.vocabulary, config.text.max_tokens)
    if key not in _PREPARED or _PREPARED[key][0] is not dataset:
        _PREPARED.clear()  # one run's data at a time per worker
        data = prepare(dataset, config)
        # A trial has no business with the test rows: this copy does not hold them.
        _PREPARED[key] = dataset, replace(data, X_test=data.X_test[:0], X_test_flat=data.X_test_flat[:0], y_test=data.y_test[:0])
    return _PREPARED[key][1]


def run_trial(dataset: Dataset, job: TrialJob) -> TrialResult:
    import torch

    torch.set_num_threads(job.threads)  # the same arithmetic on every executor: the study does not depend on where it ran
    data = _data(dataset, job.config)
    start = time.perf_counter()
    if job.side == "sklearn":
        pixels = pixel_layout(data, dataset.images) if dataset.kind == "images" else None
        try:
            model = spaces.sklearn_model(data.task, job.params, job.config.seed, pixels).fit(data.X_train_flat, data.y_train)
        except Exception as exc:  # settings this data cannot take: pruned with the reason, as a network trial is, and the study goes on
            # (scikit-learn 1.9's forests refuse balanced class weights on labels that read as numbers, "0" and "1")
            return TrialResult(job.side, job.number, None, "pruned", time.perf_counter() - start, note=_reason(exc))
        value = score(data.task, data.y_val, model.predict(data.X_val_flat))
        return TrialResult(job.side, job.number, value, "complete", time.perf_counter() - start)
    return _network_trial(data, job, start)


def _network_trial(data: Prepared, job: TrialJob, start: float) -> TrialResult:
    config = spaces.network_config(job.config, job.params)
    weight = job.params.get("class_weight", "none")
    estimator = estimators.for_run(data.task, job.network, config, job.config.seed, weight, data.text_layout)
    curve: dict[int, float] = {}
    pruner = _Pruner(job.finished_curves)

    def on_epoch(log: EpochLog) -> bool:
        curve[log.epoch] = log.val_loss if math.isfinite(log.val_loss) else float("inf")
        return not pruner.prune(curve)

    try:
        estimator.fit(data.X_train, data.y_train, eval_set=(data.X_val, data.y_val), on_epoch=on_epoch, classes=data.classes or None)
    except Exception as exc:  # a diverging trial (NaN loss) or settings this data cannot take: pruned, with the reason
        return TrialResult(job.side, job.number, None, "pruned", time.perf_counter() - start, curve, _reason(exc))
    if pruner.pruned:
        return TrialResult(job.side, job.number, None, "pruned", time.perf_counter() - start, curve, pruner.reason)
    value = score(data.task, data.y_val, estimator.predict(data.X_val))
    return TrialResult(job.side, job.number, value, "complete", time.perf_counter() - start, curve)


def _reason(exc: Exception) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]  # one line: it is shown as a trial's note


class _Pruner:
    """Optuna's MedianPruner over a snapshot of the finished trials' validation losses, plus a stop on divergence."""

    def __init__(self, finished: tuple[dict, ...]) -> None:
        import optuna
        from optuna.trial import TrialState, create_trial

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.pruned, self.reason = False, ""
        self.study = optuna.create_study(direction="minimize", pruner=optuna.pruners.MedianPruner(PRUNE_STARTUP_TRIALS, PRUNE_WARMUP_EPOCHS))
        for curve in finished:
            values = {int(k): float(v) for k, v in curve.items()}
            self.study.add_trial(create_trial(state=TrialState.COMPLETE, value=min(values.values()), intermediate_values=values))
        self._create = lambda values: create_trial(state=TrialState.COMPLETE, value=float(np.min(list(values.values()))),
                                                   intermediate_values=values)

    def prune(self, curve: dict[int, float]) -> bool:
        epoch, loss = max(curve), curve[max(curve)]
        if not math.isfinite(loss):
            self.pruned, self.reason = True, f"pruned at epoch {epoch}: the validation loss diverged"
        elif self.study.pruner.prune(self.study, self._create(dict(curve))):
            self.pruned, self.reason = True, f"pruned at epoch {epoch}: validation loss {loss:.4g} above the finished trials' median"
        return self.pruned
