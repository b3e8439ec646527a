"""The one orchestrator: dataset + config -> Comparison.

load -> problem -> split (same rows for both sides) -> preprocess (fitted on
train only) -> scikit-learn and PyTorch -> metrics, curves, errors ->
recommendation. The CLI and every page call ``run_comparison`` and nothing else
to train. The network side, its seed repeats and its learning-curve refits are
all ``bridge.models.estimators`` (scikit-learn estimators over the explicit loop).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import issparse
from sklearn.base import clone

from bridge.comparison import Comparison, ModelResult  # re-exported: stored runs name bridge.experiment.Comparison
from bridge.config import CompareConfig
from bridge.decision import evaluate, seeds, size_curves
from bridge.decision.evidence import constant_parts, paired_gap, paired_p
from bridge.decision.recommend import Facts, recommend
from bridge.io.data import Dataset
from bridge.memory import release_unused_memory
from bridge.models import classical, estimators, weighting
from bridge.models.image_features import pixel_layout
from bridge.models.text_estimators import check_network
from bridge.models.training import EpochLog
from bridge.problem.prepare import Prepared, prepare
from bridge.tuning import spaces, study
from bridge.tuning import verdict as tuning_verdict
from bridge.tuning.executors import RunExecutor
from bridge.warning_notes import WarningTally


@dataclass(frozen=True)
class Progress:
    """A step of the run, for progress bars: ``fraction`` goes from 0 to 1."""

    stage: str  # "prepare", "sklearn", "pytorch", "evaluate", "done"
    fraction: float
    message: str
    epoch: EpochLog | None = None


PREDICT_REPEATS = 3  # predict time is the best of this many passes over the test rows...
PREDICT_REPEAT_BUDGET = 1.0  # ...while the passes so far took less than this many seconds in all
PREDICT_DISAGREE = 2.0  # slowest / fastest pass above this: the timing gets a caveat in the notes


def _test_result(name: str, model, fit_seconds: float, parameters: int, data: Prepared, X_test) -> ModelResult:
    """Test-split predictions and metrics; predict time as the best of a few passes, since one pass on a busy machine can be any length."""
    timings: list[float] = []
    while not timings or (len(timings) < PREDICT_REPEATS and sum(timings) < PREDICT_REPEAT_BUDGET):
        start = time.perf_counter()
        pred, proba = classical.predict_with_proba(model, X_test, data.classes or None)
        timings.append(time.perf_counter() - start)
    if len(timings) > 1 and max(timings) > PREDICT_DISAGREE * max(min(timings), 1e-4):
        data.notes.append(f"{name}: prediction took {min(timings) * 1000:.1f} to {max(timings) * 1000:.1f} ms over {len(timings)} passes "
                          "(a busy machine?); the fastest is reported")
    metrics = evaluate.task_metrics(data.task, data.y_test, pred, proba, data.classes or None)
    confidence = proba.max(axis=1) if proba is not None else None
    return ModelResult(name, metrics, fit_seconds, min(timings), parameters, np.asarray(pred), confidence, model)


def _size_curves(data: Prepared, config: CompareConfig, kind: str, baseline, network_fit, network: str, class_weight: str,
                 report: Callable[[Progress], object]) -> tuple[list[dict], list[dict]]:
    """Both sides refitted on the same growing subsets of the training rows (``bridge.decision.size_curves``)."""
    def refit_baseline(rows, seed):
        model = clone(baseline)
        if "random_state" in model.get_params(deep=False):
            model.set_params(random_state=seed)
        return model.fit(data.X_train_flat[rows], data.y_train[rows])

    refits = replace(config, train=size_curves.early_stopping(config.train))

    def make_network(seed):  # the weighting the run chose, so the curve is of the same network
        return estimators.for_run(data.task, network, refits, seed, class_weight, data.text_layout)

    def on_fit(side, size, i, n):
        name = "scikit-learn" if side == "sklearn" else "PyTorch"
        per_size = f" ({len(seeds_used)} seeds)" if len(seeds_used) > 1 else ""
        report(Progress("curves", 0.8 + 0.15 * i / n, f"Learning curves: refitting {name} on {size:,} rows{per_size}"))

    largest = min(len(data.y_train), classical.LEARNING_CURVE_MAX_ROWS)
    seeds_used = size_curves.curve_seeds(config.seed, config.repeats, kind, data.rows, data.input_width)
    sk_curve, pt_curve, notes = size_curves.both_sides(data, refit_baseline, make_network, baseline, network_fit, largest, seeds_used, kind,
                                                         on_fit)
    data.notes.extend(notes)
    return sk_curve, pt_curve


def network_for(dataset: Dataset, data: Prepared) -> str:
    """What "auto" trains: the CNN on images, the text network where text columns are used, else the MLP."""
    return "cnn" if dataset.kind == "images" else "text" if data.text_layout is not None else "mlp"


def rerun_with_seed(dataset: Dataset, config: CompareConfig, seed: int, baseline: str, network: str, sklearn_weight: str,
                    pytorch_weight: str) -> tuple[float, float]:
    """Both sides' test scores on another seed's split, each keeping the family and weighting the first run chose.

    The seed repeats' training lives here with the rest of the run's (``decision.seeds`` only sums them up): the
    repeats measure the luck of the split, not a new choice.
    """
    data = prepare(dataset, replace(config, seed=seed))
    pixels = pixel_layout(data, dataset.images) if dataset.kind == "images" else None  # this split's scaling, for HOG
    model = classical.make_baseline(data.task, baseline, seed, sklearn_weight, pixels).fit(data.X_train_flat, data.y_train)
    estimator = estimators.for_run(data.task, network, config, seed, pytorch_weight, data.text_layout)
    estimator.fit(data.X_train, data.y_train, eval_set=(data.X_val, data.y_val), classes=data.classes or None)
    return (evaluate.score(data.task, data.y_test, model.predict(data.X_test_flat)),
            evaluate.score(data.task, data.y_test, estimator.predict(data.X_test)))


def _evidence(f: Facts, traits: dict) -> dict:
    return {"metric": f.metric, "gap": round(f.gap.gap, 4), "gap_low": round(f.gap.low, 4), "gap_high": round(f.gap.high, 4),
            "p_value": round(f.p_value, 6), "test": f.test_name, "lift_over_dummy": round(f.lift.gap, 4), "lift_low": round(f.lift.low, 4),
            "traits": traits, "seeds": f.seeds}


def _tune(dataset: Dataset, config: CompareConfig, data: Prepared, network: str, chosen, pt_weight: str, facts: Facts,
          dummy: ModelResult, pools: RunExecutor, report: Callable[[Progress], object],
          storage: str | None) -> tuple[study.Tuning, dict[str, ModelResult], Facts]:
    """Tune mode: both sides searched with the same budget on the validation rows (``bridge.tuning``); each side's best
    trial is refitted here and scored on the test rows once, as the default models were."""
    task, seed = data.task, config.seed
    families = ("linear", "random_forest", *(() if issparse(data.X_train_flat) else ("gradient_boosting",)),
                *(("hog",) if dataset.kind == "images" else ()))
    space = spaces.Space(task, families, network)
    first = {"sklearn": spaces.defaults("sklearn", space, config, chosen.name, chosen.class_weight),
             "pytorch": spaces.defaults("pytorch", space, config, chosen.name, pt_weight)}

    def on_trials(side: str, done: int, total: int) -> None:
        of = f" of {total}" if total else ""
        report(Progress("tuning", 0.99, f"Tuning {'scikit-learn' if side == 'sklearn' else 'PyTorch'}: {done}{of} trials"))

    budget = f"{config.tune.trials} trials per side" if config.tune.trials else f"{config.tune.minutes:g} minutes"
    report(Progress("tuning", 0.97, f"Tuning both sides, {budget}: starting workers"))  # a spawn pool takes seconds to start
    found = study.tune(dataset, config, space, first, pools.get(), on_trials, storage=storage)
    sk_params, pt_params = found.best["sklearn"]["params"], found.best["pytorch"]["params"]
    pixels = pixel_layout(data, dataset.images) if dataset.kind == "images" else None
    model, sk_seconds = classical.timed_fit(spaces.sklearn_model(task, sk_params, seed, pixels), data.X_train_flat, data.y_train)
    net = estimators.for_run(task, network, spaces.network_config(config, pt_params), seed, pt_params.get("class_weight", "none"),
                             data.text_layout)
    start = time.perf_counter()
    net.fit(data.X_train, data.y_train, eval_set=(data.X_val, data.y_val), classes=data.classes or None)
    pt_seconds = time.perf_counter() - start
    tuned = {"sklearn": _test_result(f"tuned {classical.estimator_name(model)}", model, sk_seconds, classical.learned_values(model), data,
                                     data.X_test_flat),
             "pytorch": _test_result(f"tuned PyTorch {network.upper()}", net, pt_seconds, net.neural_estimator_.parameters_, data, data.X_test)}
    sk, pt = tuned["sklearn"], tuned["pytorch"]
    gap = paired_gap(task, data.y_test, sk.predictions, pt.predictions, seed)
    better = pt if pt.metrics[facts.metric] > sk.metrics[facts.metric] else sk
    lift = paired_gap(task, data.y_test, dummy.predictions, better.predictions, seed)  # over the same floor as the default run's
    p_value, test_name = paired_p(task, data.y_test, sk.predictions, pt.predictions, gap)
    tuned_facts = replace(facts, sklearn=sk.metrics[facts.metric], pytorch=pt.metrics[facts.metric], gap=gap, p_value=p_value,
                          test_name=test_name, sklearn_name=sk.name.removeprefix("tuned "), sklearn_fit_seconds=sk_seconds,
                          pytorch_fit_seconds=pt_seconds, sklearn_predict_seconds=sk.predict_seconds,
                          pytorch_predict_seconds=pt.predict_seconds, sklearn_parameters=sk.parameters, pytorch_parameters=pt.parameters,
                          seeds=None, lift=lift)
    return found, tuned, tuned_facts


def _rerun_job(dataset: Dataset, job: tuple) -> tuple[float, float]:
    """A seed repeat as an executor's job (``bridge.tuning.executors``): ``job`` is rerun_with_seed's arguments after the dataset."""
    return rerun_with_seed(dataset, *job)


def run_comparison(dataset: Dataset, config: CompareConfig = CompareConfig(),
                   on_progress: Callable[[Progress], object] | None = None, study_storage: str | None = None) -> Comparison:
    """Run both sides on the same split of ``dataset`` and weigh the results.

    ``study_storage``: where tune mode keeps its Optuna studies when ``config.tune.storage`` names no place (a job
    passes an SQLite file in its run folder); it is not part of the config, so a rerun of these settings never
    writes into another run's folder.

    Warnings from numpy, pandas, scikit-learn and PyTorch become notes of the comparison instead of lines
    on stderr: the CLI promises one error line at most there, and a note is where the user reads about the data.
    """
    tally = WarningTally()
    with warnings.catch_warnings(), RunExecutor(dataset, config.tune) as pools:  # filters restored, processes stopped, whatever happens
        warnings.simplefilter("always")  # every occurrence, so a note can say how many times
        warnings.showwarning = tally
        comparison = _run_comparison(dataset, config, on_progress, pools, study_storage)
    comparison.notes.extend(tally.notes())
    return comparison


def _run_comparison(dataset: Dataset, config: CompareConfig, on_progress: Callable[[Progress], object] | None,
                    pools: RunExecutor, study_storage: str | None) -> Comparison:
    report = on_progress or (lambda progress: None)
    report(Progress("prepare", 0.02, "Preparing data and the split"))
    data = prepare(dataset, config)
    release_unused_memory()  # the preprocessing's intermediate copies: the models' own copies should not stack on them
    task, seed = data.task, config.seed

    network = config.network if config.network != "auto" else network_for(dataset, data)
    if dataset.kind != "images":  # a network that cannot read this data is refused before anything trains
        check_network(network, data.text_layout)
    dummy, dummy_seconds = classical.timed_fit(classical.make_dummy(task), data.X_train_flat, data.y_train)
    def on_model(name: str, i: int, n: int):
        message = f"Fitting scikit-learn {name.replace('_', ' ')} ({i + 1} of {n}) on {len(data.y_train):,} rows"
        report(Progress("sklearn", 0.05 + 0.15 * i / n, message))

    pixels = pixel_layout(data, dataset.images) if dataset.kind == "images" else None  # adds the HOG family
    chosen = classical.choose_baseline(task, config.baseline, data.X_train_flat, data.y_train, data.X_val_flat, data.y_val, seed, on_model,
                                       class_weight=config.class_weight, pixels=pixels)
    release_unused_memory()
    curve_note = classical.learning_curve_note(len(data.y_train))
    data.notes.extend(chosen.notes + ([curve_note] if curve_note else []))


    def on_epoch(log: EpochLog):
        fraction = 0.25 + 0.55 * log.epoch / log.epochs
        return report(Progress("pytorch", fraction, f"PyTorch epoch {log.epoch}/{log.epochs}", log))

    report(Progress("pytorch", 0.25, "Training the PyTorch network"))
    fits = {}  # class weighting -> (network, fit seconds, validation score): auto on imbalanced classes tries both, as the baseline does
    for class_weight in weighting.to_try(task, config.class_weight, data.y_train):
        candidate, start = estimators.for_run(task, network, config, seed, class_weight, data.text_layout), time.perf_counter()
        candidate.fit(data.X_train, data.y_train, eval_set=(data.X_val, data.y_val), on_epoch=on_epoch, classes=data.classes or None)
        fits[class_weight] = (candidate, time.perf_counter() - start, evaluate.score(task, data.y_val, candidate.predict(data.X_val)))
    pt_weight_scores = {w: fit[2] for w, fit in fits.items()}
    pt_weight = weighting.best(pt_weight_scores)
    estimator, pt_seconds, _ = fits.pop(pt_weight)
    loop = estimator.neural_estimator_  # the explicit loop behind the estimator: its history, device and best epoch
    fits.clear()  # the network auto did not keep
    weight_note = weighting.note(config.class_weight, task, data.y_train, (chosen.class_weight, chosen.weight_scores),
                                 (pt_weight, pt_weight_scores))
    data.notes.extend([weight_note] if weight_note else [])
    sk_curve, pt_curve = _size_curves(data, config, dataset.kind, chosen.model, estimator, network, pt_weight, report)

    report(Progress("evaluate", 0.96, "Scoring both sides on the test split"))
    models = {
        "dummy": _test_result(classical.estimator_name(dummy), dummy, dummy_seconds, classical.learned_values(dummy), data, data.X_test_flat),
        "sklearn": _test_result(classical.estimator_name(chosen.model), chosen.model, chosen.fit_seconds,
                                classical.learned_values(chosen.model), data, data.X_test_flat),
        "pytorch": _test_result(f"PyTorch {network.upper()}", estimator, pt_seconds, loop.parameters_, data, data.X_test),
    }
    metric = evaluate.primary_metric(task)
    scores = {key: result.metrics[metric] for key, result in models.items()}
    best = "pytorch" if scores["pytorch"] > scores["sklearn"] else "sklearn"
    gap = paired_gap(task, data.y_test, models["sklearn"].predictions, models["pytorch"].predictions, seed)
    lift = paired_gap(task, data.y_test, models["dummy"].predictions, models[best].predictions, seed)
    p_value, test_name = paired_p(task, data.y_test, models["sklearn"].predictions, models["pytorch"].predictions, gap)
    spread = None
    if config.repeats > 1 and seeds.affordable(dataset, data.rows, data.input_width):
        def on_repeat(i, n):
            report(Progress("seeds", 0.96 + 0.03 * (i - 1) / n, f"Rerunning both sides with seed {seed + i} ({i} of {n})"))

        jobs = [(config, config.seed + i, chosen.name, network, chosen.class_weight, pt_weight) for i in range(1, config.repeats)]
        done: dict[int, tuple[float, float]] = {}
        if config.tune.on:  # the repeats are independent jobs: on the tuning's executor, side by side
            report(Progress("seeds", 0.96, f"Rerunning both sides with {len(jobs)} more seeds on {pools.get().where}"))
            done = dict(zip((job[1] for job in jobs), pools.get().map(_rerun_job, jobs)))

        def rerun(other_seed: int) -> tuple[float, float]:
            if other_seed in done:
                return done[other_seed]
            return rerun_with_seed(dataset, config, other_seed, chosen.name, network, chosen.class_weight, pt_weight)

        spread = seeds.seed_spread(config, (scores["sklearn"], scores["pytorch"]), rerun, on_repeat)
    facts = Facts(
        task=task, kind=data.describe(dataset)["kind"], metric=metric, dummy=scores["dummy"], sklearn=scores["sklearn"], pytorch=scores["pytorch"],
        gap=gap, lift=lift, p_value=p_value, test_name=test_name, sklearn_name=models["sklearn"].name, network=network,
        sklearn_fit_seconds=chosen.fit_seconds, pytorch_fit_seconds=pt_seconds,
        sklearn_predict_seconds=models["sklearn"].predict_seconds, pytorch_predict_seconds=models["pytorch"].predict_seconds,
        sklearn_parameters=models["sklearn"].parameters, pytorch_parameters=models["pytorch"].parameters,
        rows=data.rows, features=data.n_features, traits=data.traits, sklearn_curve=sk_curve, pytorch_curve=pt_curve, seeds=spread,
        on_gpu=loop.device_.type == "cuda", test_rows=len(data.y_test),
        constant_target=constant_parts(data.y_train, data.y_test),
    )
    recommendation = recommend(facts).to_dict()
    recommendation["evidence"] = _evidence(facts, data.traits)
    tuning: dict = {}
    if config.tune.on:
        found, tuned, tuned_facts = _tune(dataset, config, data, network, chosen, pt_weight, facts, models["dummy"], pools, report,
                                           study_storage)
        tuned_rec = recommend(tuned_facts).to_dict()
        trials = {side: sum(t["side"] == side for t in found.trials) for side in ("sklearn", "pytorch")}
        reason = tuning_verdict.tuning_reason(facts, tuned_facts, recommendation["verdict"], tuned_rec["verdict"], trials)
        recommendation = {**tuning_verdict.combine(recommendation, tuned_rec, reason), "evidence": _evidence(tuned_facts, data.traits)}
        tuning = {**found.to_dict(), "test": {side: result.to_dict() for side, result in tuned.items()},
                  "default_evidence": _evidence(facts, data.traits)}

    per_class, confusion = {}, {}
    if task == "classification":
        for side in ("sklearn", "pytorch"):
            per_class[side] = evaluate.per_class_metrics(data.y_test, models[side].predictions, data.classes)
        confusion = {"labels": data.classes, **{side: evaluate.confusion(data.y_test, models[side].predictions, data.classes)
                                                for side in ("sklearn", "pytorch")}}
    report(Progress("done", 1.0, "Done"))
    comparison = Comparison(
        dataset=data.describe(dataset),
        split=data.split.sizes(),
        models=models,
        curves={"pytorch": [{"epoch": h.epoch, "train_loss": h.train_loss, "val_loss": h.val_loss, "val_score": h.val_score}
                            for h in loop.history_],
                "sklearn": sk_curve, "pytorch_by_size": pt_curve,
                "crossing": size_curves.crossing(sk_curve, pt_curve)},
        errors=[],
        recommendation=recommendation,
        per_class=per_class,
        confusion=confusion,
        training={"device": loop.device_.type, "network": network, "epochs_run": len(loop.history_),
                  "best_epoch": loop.best_epoch_, "stopped_early": loop.stopped_early_,
                  "class_weight": pt_weight, "class_weight_validation": pt_weight_scores},
        baseline_scores={"chosen": chosen.label, "family": chosen.name, "class_weight": chosen.class_weight, "validation": chosen.val_scores},
        notes=data.notes,
        config=config.to_dict(),
        tuning=tuning,
        prepared=data,
        source=dataset,
    )
    comparison.errors = evaluate.records(comparison.predictions_frame(errors_only=True).head(evaluate.ERROR_ROWS))
    return comparison
