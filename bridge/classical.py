"""The scikit-learn side: the Dummy floor and real baselines.

Every baseline is an unfitted estimator built from a seed; ``auto`` fits
each on the training rows and keeps the best on the validation rows, so
the test rows stay untouched until the final comparison.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, clone, is_regressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from bridge.errors import BridgeError
from bridge.evaluate import score

Factory = Callable[[int], BaseEstimator]

BASELINES: dict[str, dict[str, Factory]] = {
    "classification": {
        "linear": lambda seed: LogisticRegression(max_iter=2000),
        "random_forest": lambda seed: RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=seed),
        "gradient_boosting": lambda seed: HistGradientBoostingClassifier(random_state=seed),
    },
    "regression": {
        "linear": lambda seed: RidgeCV(alphas=np.logspace(-3, 3, 13)),
        "random_forest": lambda seed: RandomForestRegressor(n_estimators=100, n_jobs=-1, random_state=seed),
        "gradient_boosting": lambda seed: HistGradientBoostingRegressor(random_state=seed),
    },
}
BASELINE_CHOICES = ["auto", *BASELINES["classification"]]
LEARNING_CURVE_FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)
LEARNING_CURVE_MAX_ROWS = 50_000  # refits on more rows than this cost minutes and add little to the curve's shape
FOREST_MAX_ROWS = 50_000  # above this, auto skips the random forest: its deep trees take minutes on 2 cores


def make_dummy(task: str) -> BaseEstimator:
    """The floor: predicts the class priors, or the mean, whatever the inputs."""
    return DummyClassifier(strategy="prior") if task == "classification" else DummyRegressor(strategy="mean")


def estimator_name(model: BaseEstimator) -> str:
    return type(model).__name__


def count_parameters(model: BaseEstimator) -> int:
    """Learned numbers: coefficients for linear models, tree nodes for ensembles."""
    if hasattr(model, "coef_"):
        return int(np.size(model.coef_) + np.size(getattr(model, "intercept_", 0)))
    if hasattr(model, "estimators_"):
        return int(sum(tree.tree_.node_count for tree in np.ravel(model.estimators_)))
    if hasattr(model, "_predictors"):  # HistGradientBoosting keeps its trees here
        return int(sum(len(p.nodes) for stage in model._predictors for p in stage))
    if hasattr(model, "class_prior_"):
        return int(np.size(model.class_prior_))
    return int(np.size(getattr(model, "constant_", 0)))


HGB_EARLY_STOPPING_ROWS = 10_000  # scikit-learn's own threshold for early_stopping="auto"


def timed_fit(model: BaseEstimator, X, y, X_val=None, y_val=None) -> tuple[BaseEstimator, float]:
    """Fit and time; gradient boosting on big data early-stops on Bridge's validation rows.

    Left alone, it carves its own validation set out of a float64 copy of the training rows
    (hundreds of MB on a million rows); given ours, it copies nothing more, and it stops on the
    same rows that stop the network's training.
    """
    extra = {}
    uses_val = isinstance(model, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)) and len(y) > HGB_EARLY_STOPPING_ROWS
    if uses_val and X_val is not None and (is_regressor(model) or set(np.unique(y_val)) <= set(np.unique(y))):
        extra = {"X_val": X_val, "y_val": y_val}
    start = time.perf_counter()
    model.fit(X, y, **extra)
    return model, time.perf_counter() - start


@dataclass
class BaselineChoice:
    """The chosen scikit-learn model and how every candidate did on validation."""

    name: str
    model: BaseEstimator
    fit_seconds: float
    val_scores: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def choose_baseline(task: str, choice: str, X_train, y_train, X_val, y_val, seed: int,
                    on_model: Callable[[str, int, int], object] | None = None) -> BaselineChoice:
    """Fit the named baseline, or every baseline for ``auto`` and keep the best on validation.

    ``on_model(name, i, n)`` is called before each fit: on a million rows one fit takes a minute,
    and a progress bar should say which.
    """
    candidates = BASELINES[task]
    if choice != "auto" and choice not in candidates:
        raise BridgeError(f"unknown baseline '{choice}'; use one of: {', '.join(BASELINE_CHOICES)}")
    names = list(candidates) if choice == "auto" else [choice]
    notes = []
    if choice == "auto" and len(y_train) > FOREST_MAX_ROWS:
        names.remove("random_forest")
        notes.append(f"auto skipped the random forest on {len(y_train):,} training rows (minutes to fit); "
                     f"gradient boosting stands for the tree models")
    best = None
    scores = {}
    for i, name in enumerate(names):
        if on_model is not None:
            on_model(name, i, len(names))
        model, seconds = timed_fit(candidates[name](seed), X_train, y_train, X_val, y_val)
        scores[name] = score(task, y_val, model.predict(X_val))
        if best is None or scores[name] > scores[best.name]:
            best = BaselineChoice(name, model, seconds)
    best.val_scores, best.notes = scores, notes
    return best


def learning_curve_note(train_rows: int) -> str | None:
    if train_rows <= LEARNING_CURVE_MAX_ROWS:
        return None
    return f"the baseline's learning curve refits on subsamples of at most {LEARNING_CURVE_MAX_ROWS:,} of the {train_rows:,} training rows"


def learning_curve(model: BaseEstimator, task: str, X_train, y_train, X_val, y_val, seed: int) -> list[dict]:
    """Score against training-set size: fresh copies refit on growing stratified subsets.

    A ``model`` already fitted on every training row gives the last point without a refit. On large
    data the refits use at most LEARNING_CURVE_MAX_ROWS rows (see ``learning_curve_note``).
    """
    n = len(y_train)
    largest = min(n, LEARNING_CURVE_MAX_ROWS)
    points = []
    for fraction in LEARNING_CURVE_FRACTIONS[:-1]:
        size = int(fraction * largest)
        stratify = y_train if task == "classification" else None
        try:
            rows, _ = train_test_split(np.arange(n), train_size=size, random_state=seed, stratify=stratify)
        except ValueError:  # a subset too small to hold every class
            continue
        if task == "classification" and len(np.unique(y_train[rows])) < 2:
            continue
        fitted = clone(model).fit(X_train[rows], y_train[rows])
        points.append(_curve_point(fitted, task, X_train[rows], y_train[rows], X_val, y_val))
    try:
        check_is_fitted(model)
    except NotFittedError:
        model = clone(model).fit(X_train, y_train)
    check = np.random.default_rng(seed).choice(n, size=largest, replace=False)  # train score on a sample: same estimate, less time
    points.append({**_curve_point(model, task, X_train[check], y_train[check], X_val, y_val), "train_size": n})
    return points


def _curve_point(fitted: BaseEstimator, task: str, X_fit, y_fit, X_val, y_val) -> dict:
    return {"train_size": int(len(y_fit)), "train_score": score(task, y_fit, fitted.predict(X_fit)),
            "val_score": score(task, y_val, fitted.predict(X_val))}


def predict_with_proba(model: BaseEstimator, X, classes: list[str] | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictions, and for classifiers probabilities with columns in ``classes`` order."""
    pred = model.predict(X)
    if not classes or not hasattr(model, "predict_proba"):
        return pred, None
    proba = model.predict_proba(X)
    order = [list(model.classes_).index(c) if c in model.classes_ else None for c in classes]
    aligned = np.zeros((len(X), len(classes)))
    for column, source in enumerate(order):
        if source is not None:
            aligned[:, column] = proba[:, source]
    return pred, aligned
