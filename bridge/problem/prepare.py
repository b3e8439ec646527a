"""Turn a Dataset into the arrays both sides train on, split once.

``Prepared`` holds two views of the same rows: ``X_*`` for the network
(a feature matrix for tables, image tensors for images) and ``X_*_flat``
for scikit-learn (the same matrix for tables; flattened, scaled pixels for
images). The split and every fitted transform come from the training rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from bridge.config import CompareConfig
from bridge.errors import BridgeError
from bridge.io.data import Dataset
from bridge.problem.features import Split, build_preprocessor, feature_names, split_rows
from bridge.problem.table import make_problem


@dataclass
class Prepared:
    task: str
    target: str
    classes: list[str]
    split: Split
    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    X_train_flat: np.ndarray
    X_val_flat: np.ndarray
    X_test_flat: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray
    test_rows: np.ndarray  # dataset row labels of the test rows (CSV row numbers, 0-based)
    original: pd.DataFrame  # the user's feature values (or file names), indexed by row label
    feature_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    transform: object | None = None  # the fitted preprocessing, for exports
    traits: dict = field(default_factory=dict)  # data traits the recommendation weighs

    @property
    def rows(self) -> int:
        return len(self.y_train) + len(self.y_val) + len(self.y_test)

    @property
    def n_features(self) -> int:
        return int(self.X_train_flat.shape[1])

    def describe(self, dataset: Dataset) -> dict:
        return {"name": dataset.name, "kind": dataset.kind, "rows": self.rows, "features": self.n_features,
                "task": self.task, "target": self.target, "classes": self.classes}


def _traits(y: np.ndarray, task: str, categorical: int = 0, columns: int = 0, missing_share: float = 0.0) -> dict:
    traits = {"categorical_share": categorical / columns if columns else 0.0, "missing_share": float(missing_share)}
    if columns:  # the raw input columns: the share above is of these, not of the encoded features
        traits["columns"], traits["categorical_columns"] = int(columns), int(categorical)
    if task == "classification":
        _, counts = np.unique(y, return_counts=True)
        traits["imbalance"] = float(counts.max() / counts.min())
    return traits


def _check_split(split: Split, task: str, y: np.ndarray, notes: list[str]) -> None:
    if task == "classification" and not split.stratified:
        notes.append("some classes are too small to appear in every part, so the split is not stratified")
    if task == "classification" and len(np.unique(y[split.train])) < 2:
        raise BridgeError("the training rows hold a single class; add rows of the other classes")
    if task == "classification":
        unseen = sorted(set(np.unique(y)) - set(np.unique(y[split.train])))
        if unseen:
            notes.append(f"class(es) {', '.join(map(str, unseen[:5]))} have no training rows in this split, so neither side can learn them")


FIT_MAX_ROWS = 200_000  # medians, means, scales and category counts are settled long before this
TRANSFORM_CHUNK_ROWS = 50_000


def _fit_rows(train: np.ndarray, seed: int, notes: list[str]) -> np.ndarray:
    """The training rows the preprocessing learns from: all of them, or a seeded sample on big data.

    Fitting holds several full copies of the rows it sees; a sample of 200,000 gives the same
    statistics to three decimals and keeps a million-row table within a few times its own size.
    """
    if len(train) <= FIT_MAX_ROWS:
        return train
    notes.append(f"the preprocessing (medians, scales, categories) was fitted on a random {FIT_MAX_ROWS:,} "
                 f"of the {len(train):,} training rows")
    return np.sort(np.random.default_rng(seed).choice(train, size=FIT_MAX_ROWS, replace=False))


def _transform_in_chunks(transform, features: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The fitted transform, applied a chunk of rows at a time into one float32 matrix (bounded extra memory)."""
    first = transform.transform(features.iloc[rows[:TRANSFORM_CHUNK_ROWS]])
    out = np.empty((len(rows), first.shape[1]), dtype=np.float32)
    out[: len(first)] = first
    for start in range(TRANSFORM_CHUNK_ROWS, len(rows), TRANSFORM_CHUNK_ROWS):
        out[start : start + TRANSFORM_CHUNK_ROWS] = transform.transform(features.iloc[rows[start : start + TRANSFORM_CHUNK_ROWS]])
    return out


def prepare_table(dataset: Dataset, config: CompareConfig) -> Prepared:
    problem = make_problem(dataset.frame, config.target, config.task, dataset.default_target)
    split = split_rows(problem.y, problem.task, config.seed, config.test_size, config.val_size)
    notes = [*dataset.notes, *problem.notes]
    _check_split(split, problem.task, problem.y, notes)
    features = problem.features
    fit_rows = _fit_rows(split.train, config.seed, notes)
    transform = build_preprocessor(problem.numeric, problem.categorical, len(fit_rows)).fit(features.iloc[fit_rows])
    X_train, X_val, X_test = (_transform_in_chunks(transform, features, rows) for rows in (split.train, split.val, split.test))
    y = problem.y
    names, renamed = feature_names(transform)
    for old, new in renamed:
        notes.append(f"the derived feature '{old}' is named '{new}', as a column '{old}' already exists")
    return Prepared(
        task=problem.task, target=problem.target, classes=problem.classes, split=split,
        X_train=X_train, X_val=X_val, X_test=X_test, X_train_flat=X_train, X_val_flat=X_val, X_test_flat=X_test,
        y_train=y[split.train], y_val=y[split.val], y_test=y[split.test],
        test_rows=features.index.to_numpy()[split.test], original=problem.original,
        feature_names=names, notes=notes, transform=transform,
        traits=_traits(y, problem.task, len(problem.plan.categorical), len(problem.plan.used) + len(problem.plan.dates),
                       float(features.isna().to_numpy().mean())),
    )


def prepare_images(dataset: Dataset, config: CompareConfig) -> Prepared:
    images = dataset.images
    if images is None:  # a table handed straight to this function; prepare() routes by kind and never does this
        raise BridgeError(f"'{dataset.name}' is a table, not images; prepare it with bridge.problem.prepare.prepare")
    if config.task == "regression":
        raise BridgeError("image folders are classification data (one folder per class); use --task classification or auto")
    y = np.asarray(images.labels, dtype=object)
    split = split_rows(y, "classification", config.seed, config.test_size, config.val_size)
    notes = list(dataset.notes)
    _check_split(split, "classification", y, notes)
    # Images are stored as uint8; only here, where training needs them, do they become float32 in [0, 1], one part at a time.
    X_train, X_val, X_test = (images.floats(rows) for rows in (split.train, split.val, split.test))
    # The classical route: every pixel is a feature, scaled on the training images only. Fitted in chunks of
    # ~4M values: one fit on all of them makes float64 temporaries twice the size of the training pixels.
    scaler, flat = StandardScaler(), X_train.reshape(len(X_train), -1)
    step = max(1, 4_000_000 // max(flat.shape[1], 1))
    for start in range(0, len(flat), step):
        scaler.partial_fit(flat[start : start + step])
    flat_train, flat_val, flat_test = (scaler.transform(X.reshape(len(X), -1)).astype(np.float32, copy=False) for X in (X_train, X_val, X_test))
    return Prepared(
        task="classification", target="class", classes=list(images.classes), split=split,
        X_train=X_train, X_val=X_val, X_test=X_test,
        X_train_flat=flat_train, X_val_flat=flat_val, X_test_flat=flat_test,
        y_train=y[split.train], y_val=y[split.val], y_test=y[split.test],
        test_rows=split.test, original=pd.DataFrame({"file": list(images.files)}),
        feature_names=[f"pixel_{i}" for i in range(flat_train.shape[1])], notes=notes, transform=scaler,
        traits=_traits(y, "classification"),
    )


def prepare(dataset: Dataset, config: CompareConfig) -> Prepared:
    return prepare_images(dataset, config) if dataset.kind == "images" else prepare_table(dataset, config)
