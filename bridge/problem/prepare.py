"""Turn a Dataset into the arrays both sides train on, split once.

``Prepared`` holds two views of the same rows: ``X_*`` for the network
(a feature matrix for tables, image tensors for images) and ``X_*_flat``
for scikit-learn (the same matrix for tables; flattened, scaled pixels for
images). With text columns the two differ: scikit-learn gets a sparse matrix
of the table's features beside TF-IDF counts, the network gets word ids
(``text_layout`` says how many columns of them) beside the same table features.
The split and every fitted transform come from the training rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.preprocessing import StandardScaler

from bridge.config import CompareConfig
from bridge.errors import BridgeError
from bridge.io.data import Dataset
from bridge.problem.features import Split, build_preprocessor, feature_names, split_rows, tabular_columns
from bridge.problem.table import TableProblem, make_problem
from bridge.problem.text import WordTokenizer, has_words, text_traits


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
    text_layout: dict | None = None  # text only: {"columns", "max_tokens", "vocabulary", "tabular"} of the network's input
    tokenizer: object | None = None  # text only: the fitted WordTokenizer behind the word ids

    @property
    def rows(self) -> int:
        return len(self.y_train) + len(self.y_val) + len(self.y_test)

    @property
    def n_features(self) -> int:
        return int(self.X_train_flat.shape[1])

    @property
    def input_width(self) -> int:
        """Numbers per row the network reads: what its refits and the seed repeats cost. The features for a table; with
        text, the word ids and table features (the TF-IDF columns scikit-learn gets are far more, and nearly all zero)."""
        return int(np.prod(self.X_train.shape[1:]))

    def describe(self, dataset: Dataset) -> dict:
        """The JSON report's dataset part; a table whose only features are text is of kind "text"."""
        kind = dataset.kind
        text_columns = self.traits.get("text_columns", [])
        if text_columns and self.text_layout is not None and self.text_layout["tabular"] == 0:
            kind = "text"
        described = {"name": dataset.name, "kind": kind, "rows": self.rows, "features": self.n_features,
                     "task": self.task, "target": self.target, "classes": self.classes}
        return {**described, "text_columns": text_columns} if text_columns else described


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


def _transform_in_chunks(transform, features: pd.DataFrame, rows: np.ndarray):
    """The fitted transform, applied a chunk of rows at a time into one float32 matrix (bounded extra memory).

    A transform with text branches gives sparse chunks, stacked into one float32 CSR matrix."""
    if getattr(transform, "sparse_output_", False):
        chunks = [transform.transform(features.iloc[rows[start : start + TRANSFORM_CHUNK_ROWS]])
                  for start in range(0, max(len(rows), 1), TRANSFORM_CHUNK_ROWS)]
        return sparse.vstack(chunks, format="csr", dtype=np.float32)
    first = transform.transform(features.iloc[rows[:TRANSFORM_CHUNK_ROWS]])
    out = np.empty((len(rows), first.shape[1]), dtype=np.float32)
    out[: len(first)] = first
    for start in range(TRANSFORM_CHUNK_ROWS, len(rows), TRANSFORM_CHUNK_ROWS):
        out[start : start + TRANSFORM_CHUNK_ROWS] = transform.transform(features.iloc[rows[start : start + TRANSFORM_CHUNK_ROWS]])
    return out


def prepare_table(dataset: Dataset, config: CompareConfig) -> Prepared:
    problem = make_problem(dataset.frame, config.target, config.task, dataset.default_target, config.text_columns)
    split = split_rows(problem.y, problem.task, config.seed, config.test_size, config.val_size)
    notes = [*dataset.notes, *problem.notes]
    _check_split(split, problem.task, problem.y, notes)
    features = problem.features
    fit_rows = _fit_rows(split.train, config.seed, notes)
    text = _text_with_words(problem, fit_rows, notes)
    features = features.drop(columns=[column for column in problem.text if column not in text])
    transform = build_preprocessor(problem.numeric, problem.categorical, len(fit_rows), text, config.text.vocabulary)
    transform.fit(features.iloc[fit_rows])
    flat = [_transform_in_chunks(transform, features, rows) for rows in (split.train, split.val, split.test)]
    y = problem.y
    names, renamed = feature_names(transform)
    for old, new in renamed:
        notes.append(f"the derived feature '{old}' is named '{new}', as a column '{old}' already exists")
    traits = _traits(y, problem.task, len(problem.plan.categorical), len(problem.plan.used) + len(problem.plan.dates) + len(text),
                     float(features.drop(columns=text).isna().to_numpy().mean()) if len(features.columns) > len(text) else 0.0)
    network, layout, tokenizer = flat, None, None
    if text:
        tokenizer = WordTokenizer(config.text.max_tokens, config.text.vocabulary).fit(features[text].iloc[fit_rows])
        tabular = tabular_columns(transform)
        network = [np.hstack([tokenizer.transform(features[text].iloc[rows]).astype(np.float32),
                              part[:, tabular].toarray().astype(np.float32)]) for rows, part in zip((split.train, split.val, split.test), flat)]
        layout = {"columns": len(text), "max_tokens": config.text.max_tokens, "vocabulary": tokenizer.vocabulary_size, "tabular": len(tabular)}
        traits.update(text_traits(tokenizer, features[text].iloc[split.train]))
        _text_notes(traits, config.text.max_tokens, notes)
    return Prepared(
        task=problem.task, target=problem.target, classes=problem.classes, split=split,
        X_train=network[0], X_val=network[1], X_test=network[2], X_train_flat=flat[0], X_val_flat=flat[1], X_test_flat=flat[2],
        y_train=y[split.train], y_val=y[split.val], y_test=y[split.test],
        test_rows=features.index.to_numpy()[split.test], original=problem.original,
        feature_names=names, notes=notes, transform=transform, traits=traits, text_layout=layout, tokenizer=tokenizer,
    )


def _text_with_words(problem: TableProblem, fit_rows: np.ndarray, notes: list[str]) -> list[str]:
    """The text columns whose training rows hold a word TF-IDF can count; the others are left out, with a note.

    Such a column (blanks, punctuation or single characters, say one the user marked as text) would stop the TF-IDF fit;
    leaving it out of both sides keeps the comparison fair. If it was the only feature, that is one clear error.
    """
    kept = [column for column in problem.text if has_words(problem.features[column].iloc[fit_rows])]
    for column in problem.text:
        if column not in kept:
            notes.append(f"column '{column}' left out as text: its training rows hold no word of two or more letters or digits "
                         "(only blanks, punctuation or single characters), so TF-IDF has nothing to count")
    if len(kept) < len(problem.text) and not (kept or problem.numeric or problem.categorical):
        dropped = ", ".join(f"'{column}'" for column in problem.text if column not in kept)
        raise BridgeError(f"no usable feature columns are left: the text column(s) {dropped} hold no words in the training rows; "
                          "choose columns with words as text, or add feature columns")
    return kept


def _text_notes(traits: dict, max_tokens: int, notes: list[str]) -> None:
    notes.append(f"text: the training rows give a vocabulary of {traits['vocabulary']:,} words (a word met only in validation or "
                 f"test rows reads as unknown) and {traits['mean_tokens']:.1f} tokens per row on average")
    if traits["texts_cut"] > 0:
        notes.append(f"text: {traits['texts_cut']:.0%} of the training texts are longer than {max_tokens} tokens; the network reads "
                     f"the first {max_tokens} of each (TF-IDF counts them all); raise max tokens to read more")


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
