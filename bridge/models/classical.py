"""The scikit-learn side: the Dummy floor and real baselines.

Every baseline is an unfitted estimator built from a seed; ``auto`` fits
each on the training rows and keeps the best on the validation rows, so
the test rows stay untouched until the final comparison. Class weighting
(``bridge.models.weighting``) is chosen the same way: each weighting tried is one
more candidate, named "linear (balanced)" beside "linear". Image sets add
a hand-made-feature family, HOG then a linear model (``bridge.models.image_features``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
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
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from bridge.decision.evaluate import score
from bridge.errors import BridgeError
from bridge.models import weighting
from bridge.models.image_features import HOGFeatures, PixelLayout

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
IMAGE_BASELINES = ("hog",)  # families that read each row as an image: offered for image sets only
BASELINE_CHOICES = ["auto", *BASELINES["classification"], *IMAGE_BASELINES]
LEARNING_CURVE_FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)
LEARNING_CURVE_MAX_ROWS = 50_000  # refits on more rows than this cost minutes and add little to the curve's shape
FOREST_MAX_ROWS = 50_000  # above this, auto skips the random forest: its deep trees take minutes on 2 cores
# Training images x pixel values x classes above which auto skips gradient boosting on raw pixels: it grows a tree per class
# per round over every pixel, about 3 microseconds of one core per unit. Measured on one thread (1,149 training digits,
# 10 classes): 8x8 (0.7 million) 3 s; 12x12 (1.7 million) 6 s; 20x20 (4.6 million) 16 s, for 0.965 on validation against
# the linear model's 0.972 and HOG's 0.983 in a second or two each; 24x24 digits_moved: more, for less than the forest.
BOOSTING_MAX_PIXEL_WORK = 1_000_000


def baseline_choices(images: bool) -> list[str]:
    """The --baseline values that apply to this kind of data: HOG only where rows are images."""
    return BASELINE_CHOICES if images else [c for c in BASELINE_CHOICES if c not in IMAGE_BASELINES]


def hog_baseline(pixels: PixelLayout) -> Pipeline:
    """HOG descriptors, scaled, then a logistic regression: the classical route to images, features first.

    A linear model on scaled HOG beat the raw-pixel families on digits at 20x20 (0.983 against 0.972 on validation)
    in about a second; unscaled, the solver needs many more iterations for a worse score.
    """
    return Pipeline([("hog", HOGFeatures(pixels.shape, pixels.mean, pixels.scale, pixels.levels)), ("scale", StandardScaler()),
                     ("model", LogisticRegression(max_iter=2000))])


def make_baseline(task: str, name: str, seed: int, class_weight: str = "none", pixels: PixelLayout | None = None) -> BaseEstimator:
    """The named family, unfitted; ``class_weight="balanced"`` weights classes inversely to their training counts."""
    if name == "hog":
        if pixels is None:  # choose_baseline refuses this before any fit; a direct call gets the same line
            raise BridgeError(f"the {name} baseline reads images; for a table use one of: {', '.join(baseline_choices(False))}")
        model = hog_baseline(pixels)
    else:
        model = BASELINES[task][name](seed)
    if class_weight == "balanced" and task == "classification":
        model.set_params(**{_final_step_param(model, "class_weight"): forest_balanced(model)})
    return model


def forest_balanced(model: BaseEstimator) -> str:
    """"balanced", or for a random forest "balanced_subsample": scikit-learn 1.9.1's forest turns labels such as "0" and "1"
    into integers when it looks "balanced" weights up, and fails ("The classes, [0, 1], are not in class_weight"); the
    subsample variant weighs each tree's bootstrap rows inversely to their class counts, the same aim, and reads any label."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    return "balanced_subsample" if isinstance(final, RandomForestClassifier) else "balanced"


def _final_step_param(model: BaseEstimator, param: str) -> str:
    return f"{model.steps[-1][0]}__{param}" if isinstance(model, Pipeline) else param


def make_dummy(task: str) -> BaseEstimator:
    """The floor: predicts the class priors, or the mean, whatever the inputs."""
    return DummyClassifier(strategy="prior") if task == "classification" else DummyRegressor(strategy="mean")


def estimator_name(model: BaseEstimator) -> str:
    """The class name; a HOG pipeline says what it feeds its classifier: "HOG + LogisticRegression"."""
    if isinstance(model, Pipeline):
        return " + ".join("HOG" if isinstance(step, HOGFeatures) else type(step).__name__ for _, step in model.steps
                          if not isinstance(step, StandardScaler))
    return type(model).__name__


def learned_values(model: BaseEstimator) -> int:
    """Learned numbers: coefficients for linear models, tree nodes for ensembles (a pipeline's: its final model's)."""
    if isinstance(model, Pipeline):
        model = model.steps[-1][1]
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

    name: str  # the family: "linear", "random_forest", "gradient_boosting" or "hog"
    model: BaseEstimator
    fit_seconds: float
    val_scores: dict[str, float] = field(default_factory=dict)  # by candidate: "linear", "linear (balanced)", ...
    notes: list[str] = field(default_factory=list)
    class_weight: str = "none"  # the weighting kept: "none" or "balanced"
    weight_scores: dict[str, float] = field(default_factory=dict)  # the kept family's validation score by weighting tried

    @property
    def label(self) -> str:
        """The kept candidate's name in ``val_scores``."""
        return weighting.label(self.name, self.class_weight)


def _families(task: str, choice: str, y_train, n_features: int, pixels: PixelLayout | None, notes: list[str],
              text: bool = False) -> list[str]:
    """The families a choice fits; auto leaves out the ones whose cost is out of all proportion on this data.

    With text (a sparse matrix of TF-IDF counts) gradient boosting is left out: scikit-learn's histogram trees take
    dense input only, and tens of thousands of n-gram columns made dense would not fit in memory."""
    if choice in IMAGE_BASELINES and pixels is None:
        raise BridgeError(f"the {choice} baseline reads images; for a table use one of: {', '.join(baseline_choices(False))}")
    if choice != "auto" and choice not in BASELINES[task] and choice not in IMAGE_BASELINES:
        raise BridgeError(f"unknown baseline '{choice}'; use one of: {', '.join(baseline_choices(pixels is not None))}")
    if text and choice == "gradient_boosting":
        raise BridgeError("gradient boosting reads dense tables only, and text columns give tens of thousands of sparse TF-IDF "
                          "columns; use --baseline linear, random_forest or auto, or switch the text columns off")
    if choice != "auto":
        return [choice]
    names = [*BASELINES[task], *(IMAGE_BASELINES if pixels is not None else ())]
    if text:
        names.remove("gradient_boosting")
        notes.append("auto left out gradient boosting: its trees read dense tables only, and the text's TF-IDF columns are sparse")
    rows = len(y_train)
    if rows > FOREST_MAX_ROWS:
        names.remove("random_forest")
        notes.append(f"auto skipped the random forest on {rows:,} training rows (minutes to fit); "
                     f"gradient boosting stands for the tree models")
    classes = len(np.unique(y_train)) if task == "classification" else 1
    if pixels is not None and rows * n_features * classes > BOOSTING_MAX_PIXEL_WORK:
        names.remove("gradient_boosting")
        notes.append(f"auto skipped gradient boosting on raw pixels: {rows:,} images x {n_features:,} pixel values x {classes} "
                     f"classes is past {BOOSTING_MAX_PIXEL_WORK:,}, where its trees (one per class per round, over every pixel) cost "
                     f"several times all the other families together, and on the image sets measured it scored no better than they "
                     f"did; the random forest stands for the tree models (--baseline gradient_boosting fits it anyway)")
    return names


def choose_baseline(task: str, choice: str, X_train, y_train, X_val, y_val, seed: int,
                    on_model: Callable[[str, int, int], object] | None = None, class_weight: str = "none",
                    pixels: PixelLayout | None = None) -> BaselineChoice:
    """Fit the named baseline, or every baseline for ``auto``, and keep the best on validation.

    ``class_weight`` ("none", "balanced" or "auto", see ``bridge.models.weighting``) multiplies the candidates:
    under auto on imbalanced classes each family is fitted with and without balanced weights. ``pixels``
    (image sets only) says how a row maps back to an image: it adds the HOG family. ``on_model(name, i, n)``
    is called before each fit: on a million rows one fit takes a minute, and a progress bar should say which.
    """
    notes: list[str] = []
    families = _families(task, choice, y_train, np.shape(X_train)[1], pixels, notes, text=sparse.issparse(X_train))
    weightings = weighting.to_try(task, class_weight, y_train)
    candidates = [(family, w) for family in families for w in weightings]
    best: BaselineChoice | None = None
    scores: dict[str, float] = {}
    for i, (family, w) in enumerate(candidates):
        name = weighting.label(family, w)
        if on_model is not None:
            on_model(name, i, len(candidates))
        model, seconds = timed_fit(make_baseline(task, family, seed, w, pixels), X_train, y_train, X_val, y_val)
        scores[name] = score(task, y_val, model.predict(X_val))
        if best is None or scores[name] > scores[best.label]:  # strictly better: on a tie the earlier (unweighted) one stays
            best = BaselineChoice(family, model, seconds, class_weight=w)
    assert best is not None, "every choice fits at least one family with at least one weighting"
    best.val_scores, best.notes = scores, notes
    best.weight_scores = {w: scores[weighting.label(best.name, w)] for w in weightings}
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
    aligned = np.zeros((X.shape[0], len(classes)))  # X.shape: a sparse matrix (text) has no len()
    for column, source in enumerate(order):
        if source is not None:
            aligned[:, column] = proba[:, source]
    return pred, aligned
