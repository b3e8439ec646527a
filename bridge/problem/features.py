"""One preprocessing pipeline and one split, shared by both sides.

Fairness is the point: scikit-learn and PyTorch see the same rows and the
same numeric matrix, built by a pipeline fitted on the training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from bridge.problem.text import tfidf_branch

MAX_CATEGORIES = 30  # per column; rarer values share one "infrequent" column


def build_preprocessor(numeric: list[str], categorical: list[str], train_rows: int, text: list[str] | None = None,
                       vocabulary: int = 20_000) -> ColumnTransformer:
    """Impute, scale numbers and one-hot categories; unseen or rare categories never break predict.

    Each text column adds a TF-IDF branch (``bridge.problem.text.tfidf_branch``); the output is then a sparse matrix,
    as tens of thousands of word and n-gram columns, nearly all zero in any row, would not fit in memory dense.
    """
    min_frequency = max(2, int(0.005 * train_rows))
    numeric_steps = make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), StandardScaler())
    categorical_steps = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="(missing)", keep_empty_features=True),
        OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=min_frequency,
            max_categories=MAX_CATEGORIES,
            sparse_output=False,
            dtype=np.float32,
        ),
    )
    texts = [(f"text {i}", tfidf_branch(column, vocabulary), column) for i, column in enumerate(text or [])]
    return ColumnTransformer(
        [("numeric", numeric_steps, numeric), ("categorical", categorical_steps, categorical), *texts],
        sparse_threshold=1.0 if texts else 0.0,
        verbose_feature_names_out=False,
    )


def tabular_columns(transform: ColumnTransformer) -> np.ndarray:
    """Positions, in the fitted transform's output, of the numeric and categorical features (the text branches' left out)."""
    parts = [transform.output_indices_[name] for name in ("numeric", "categorical")]
    return np.concatenate([np.arange(part.start, part.stop) for part in parts]).astype(np.int64)


def feature_names(transform: ColumnTransformer) -> tuple[list[str], list[tuple[str, str]]]:
    """The fitted transform's output names, each unique; (names, [(derived name, its new name), ...]).

    A name made by the preprocessing (one-hot 'color_red', 'missingindicator_x') can equal a column the
    table already has; scikit-learn then refuses to name its output at all. The table's own columns keep
    their names and the derived one becomes 'color_red_2' (then _3, ...), the same on every run.
    """
    try:
        return [str(name) for name in transform.get_feature_names_out()], []
    except ValueError:  # a repeated name
        pass
    original = {str(name) for name in transform.feature_names_in_}
    taken, names, renamed = set(original), [], []
    for part, step, columns in transform.transformers_:
        if step == "drop" or len(columns) == 0:
            continue
        outputs = [str(name) for name in (step.get_feature_names_out() if isinstance(columns, str) else step.get_feature_names_out(columns))]
        # The numeric pipeline's first outputs are its input columns themselves; every other name is derived.
        own = len(columns) if part == "numeric" else 0
        names.extend(outputs[:own])
        for name in outputs[own:]:
            new, k = name, 2
            while new in taken:
                new, k = f"{name}_{k}", k + 1
            taken.add(new)
            names.append(new)
            if new != name:
                renamed.append((name, new))
    return names, renamed


@dataclass(frozen=True)
class Split:
    """Row positions of each part; both sides use exactly these rows."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    stratified: bool = True

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


def _strata(y: np.ndarray) -> np.ndarray | None:
    """Labels to stratify on: a class with a single row joins the largest class, so the others stay stratified.

    One row cannot be spread over two parts, and scikit-learn refuses to stratify it at all;
    None when fewer than two classes have two rows (stratifying would then be a plain random split).
    """
    values, counts = np.unique(y, return_counts=True)
    if (counts >= 2).sum() < 2:
        return None
    lone = values[counts < 2]
    return np.where(np.isin(y, lone), values[np.argmax(counts)], y) if len(lone) else y


def split_rows(y: np.ndarray, task: str, seed: int, test_size: float = 0.2, val_size: float = 0.2) -> Split:
    """Train / validation / test, stratified by class for classification, with a fixed seed."""
    positions = np.arange(len(y))
    first = _strata(y) if task == "classification" else None
    stratified = first is not None
    try:
        rest, test = train_test_split(positions, test_size=test_size, random_state=seed, stratify=first)
        second = _strata(y[rest]) if stratified else None
        stratified = second is not None
        train, val = train_test_split(rest, test_size=val_size, random_state=seed, stratify=second)
    except ValueError:  # too few rows per class for every part to hold each class
        stratified = False
        rest, test = train_test_split(positions, test_size=test_size, random_state=seed)
        train, val = train_test_split(rest, test_size=val_size, random_state=seed)
    return Split(train=np.sort(train), val=np.sort(val), test=np.sort(test), stratified=stratified)
