"""Tables the screens show, computed from a Dataset or a Comparison.

Pure pandas, no streamlit: the pages only lay these out, and tests check
them directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bridge.comparison import Comparison
from bridge.decision.evaluate import metric_label
from bridge.errors import BridgeError
from bridge.io.data import Dataset
from bridge.problem.features import split_rows
from bridge.problem.table import make_problem
from bridge.problem.task import is_text, plan_columns

SIDE_LABELS = {"dummy": "Dummy floor", "sklearn": "scikit-learn", "pytorch": "PyTorch"}
TEXT_ROLE = "text: TF-IDF for scikit-learn, learned word vectors for PyTorch"
TEXT_SHOWN_CHARS = 160  # a text cell in the error table is cut here for display ("…"); the download keeps it whole


def column_summary(dataset: Dataset, target: str, text_columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per column: its type as read, the role Bridge gives it (with ``text_columns`` as on Data), and missing values."""
    frame = dataset.frame
    plan = plan_columns(frame, target, text_columns)
    roles = {**{c: "numeric" for c in plan.numeric}, **{c: "category" for c in plan.categorical},
             **{c: "yes/no" for c in plan.boolean}, **{c: "date" for c in plan.dates}, **{c: TEXT_ROLE for c in plan.text},
             **{c: f"left out: {why}" for c, why in plan.dropped.items()}, target: "target"}
    return pd.DataFrame({
        "column": [str(c) for c in frame.columns],
        "type": [str(frame[c].dtype) for c in frame.columns],
        "role": [roles[c] for c in frame.columns],
        "missing": [int(frame[c].isna().sum()) for c in frame.columns],
        "distinct": [int(frame[c].nunique()) for c in frame.columns],
    })


def text_candidates(dataset: Dataset, target: str) -> list[str]:
    """Columns a person may mark as text: those read as text (not numbers), the target aside."""
    frame = dataset.frame
    return [str(c) for c in frame.columns if c != target and is_text(frame[c])]


def text_columns_used(dataset: Dataset, target: str | None, text_columns: tuple[str, ...] | None = None) -> list[str]:
    """The columns a run with this choice reads as text: the detected ones for None (images have none)."""
    if dataset.kind != "table":
        return []
    target = target or dataset.default_target
    return [str(c) for c in plan_columns(dataset.frame, target, text_columns).text]


def text_choice_error(dataset: Dataset, target: str, task: str, text_columns: tuple[str, ...] | None) -> str | None:
    """Why a run with these text columns cannot start (one line, e.g. no feature left once the text is off), or None."""
    try:
        make_problem(dataset.frame, target, task, dataset.default_target, text_columns)
    except BridgeError as exc:
        return str(exc)
    return None


def text_choice(picked: list[str], detected: list[str], columns: list[str]) -> tuple[str, ...] | None:
    """The multiselect's answer as ``CompareConfig.text_columns``: None while it holds the detected columns, else a tuple.

    None keeps auto detection the default, so an untouched choice leaves a run's settings (and its link) as they were;
    the tuple follows the table's column order, so picking the same columns in another order is the same run.
    """
    if set(picked) == set(detected):
        return None
    return tuple(c for c in columns if c in set(picked))


def target_balance(dataset: Dataset, target: str | None = None, task: str = "auto") -> tuple[str, pd.DataFrame]:
    """The detected task and the class counts (classification) or the target values (regression).

    Class counts sit in a "rows" column for tables and an "images" column for image folders.
    """
    if dataset.kind == "images":
        labels, counts = np.unique(dataset.images.labels, return_counts=True)
        # Counted in images, not rows: the chart titles itself from this column's name.
        return "classification", pd.DataFrame({"class": labels.astype(str), "images": counts})
    problem = make_problem(dataset.frame, target, task, dataset.default_target)
    if problem.task == "classification":
        labels, counts = np.unique(problem.y, return_counts=True)
        return problem.task, pd.DataFrame({"class": labels.astype(str), "rows": counts})
    return problem.task, pd.DataFrame({"value": problem.y})


COST_ROWS = ("fit seconds", "predict seconds", "parameters")
TABLE_PARTS = ("all", "quality", "cost")


def metrics_table(comparison: Comparison, part: str = "all") -> pd.DataFrame:
    """Metrics and costs, one numeric column per model (named with its estimator), plus PyTorch's lead.

    ``part`` picks the rows: "quality" the test metrics alone, "cost" the time and size rows alone,
    so a page can show each once in its own table instead of repeating the costs.
    """
    if part not in TABLE_PARTS:
        raise ValueError(f"part must be one of {TABLE_PARTS}, not {part!r}")
    columns = {}
    for key, model in comparison.models.items():
        costs = dict(zip(COST_ROWS, (model.fit_seconds, model.predict_seconds, float(model.parameters))))
        columns[f"{SIDE_LABELS[key]}: {model.name}"] = {**model.metrics, **costs}
    table = pd.DataFrame(columns)
    table["PyTorch - scikit-learn"] = table.iloc[:, 2] - table.iloc[:, 1]
    if part == "quality":
        return table.drop(index=list(COST_ROWS))
    if part == "cost":
        return table.loc[list(COST_ROWS)]
    return table


def labelled(table: pd.DataFrame) -> pd.DataFrame:
    """The same table with readable metric names as its row labels (the keys stay in the report)."""
    return table.rename(index=metric_label)


def loss_curve(comparison: Comparison) -> pd.DataFrame:
    """PyTorch's per-epoch losses in long form: epoch, split, loss."""
    frame = pd.DataFrame(comparison.curves["pytorch"])
    if frame.empty:
        return pd.DataFrame(columns=["epoch", "split", "loss"])
    long = frame.melt(id_vars="epoch", value_vars=["train_loss", "val_loss"], var_name="split", value_name="loss")
    long["split"] = long["split"].map({"train_loss": "train", "val_loss": "validation"})
    return long


def size_curve(comparison: Comparison) -> pd.DataFrame:
    """Both sides' validation score against training-set size, in long form: train_size, side, score, low, high.

    ``low``/``high`` are one standard deviation over seeds where the sizes were refitted with several (else the score).
    A run stored before the network had a curve by size shows the scikit-learn line alone.
    """
    parts = []
    for key, side in (("sklearn", SIDE_LABELS["sklearn"]), ("pytorch_by_size", SIDE_LABELS["pytorch"])):
        frame = pd.DataFrame(comparison.curves.get(key) or [])
        if frame.empty or "val_score" not in frame:
            continue
        spread = frame["val_sd"].fillna(0.0) if "val_sd" in frame else 0.0
        parts.append(pd.DataFrame({"train_size": frame["train_size"], "side": side, "score": frame["val_score"],
                                   "low": frame["val_score"] - spread, "high": frame["val_score"] + spread}))
    if not parts:
        return pd.DataFrame(columns=["train_size", "side", "score", "low", "high"])
    return pd.concat(parts, ignore_index=True)


def confusion_frame(comparison: Comparison, side: str) -> pd.DataFrame:
    """Long form of one side's confusion matrix: true, predicted, rows."""
    labels = comparison.confusion.get("labels", [])
    matrix = comparison.confusion.get(side, [])
    return pd.DataFrame([{"true": t, "predicted": p, "rows": matrix[i][j]}
                         for i, t in enumerate(labels) for j, p in enumerate(labels)])


ERROR_FILTERS = ("any side wrong", "the two sides disagree", "scikit-learn wrong", "PyTorch wrong", "both wrong", "every test row")


def filter_predictions(comparison: Comparison, which: str = "any side wrong", true_class: str | None = None,
                       cell: tuple[str, str, str] | None = None) -> pd.DataFrame:
    """Test rows for the error table, most confident mistakes first.

    ``cell`` = (side, true, predicted) opens exactly the rows of one confusion-matrix cell
    (then ``which`` is ignored, since a diagonal cell holds rows that side got right).
    """
    table = comparison.predictions_frame()
    if comparison.dataset["task"] != "classification":
        return table
    if cell:
        side, truth, predicted = cell
        table = table[(table["true"].astype(str) == str(truth)) & (table[side].astype(str) == str(predicted))]
    else:
        masks = {
            "any side wrong": ~(table["sklearn_correct"] & table["pytorch_correct"]),
            "the two sides disagree": ~table["agree"],
            "scikit-learn wrong": ~table["sklearn_correct"],
            "PyTorch wrong": ~table["pytorch_correct"],
            "both wrong": ~table["sklearn_correct"] & ~table["pytorch_correct"],
        }
        if which in masks:
            table = table[masks[which]]
    if true_class:
        table = table[table["true"].astype(str) == str(true_class)]
    return table.reset_index(drop=True)


def per_class_table(comparison: Comparison) -> pd.DataFrame:
    """Per-class precision, recall and F1 of both sides, side by side."""
    if not comparison.per_class:
        return pd.DataFrame()
    parts = []
    for side in ("sklearn", "pytorch"):
        frame = pd.DataFrame(comparison.per_class[side]).set_index("class")
        parts.append(frame.add_prefix(f"{SIDE_LABELS[side]} ").drop(columns=f"{SIDE_LABELS[side]} support"))
    support = pd.DataFrame(comparison.per_class["sklearn"]).set_index("class")["support"]
    return pd.concat([support, *parts], axis=1).reset_index()


def split_preview(dataset: Dataset, config) -> dict[str, int]:
    """The row counts a run with ``config`` will use, before anything trains."""
    if dataset.kind == "images":
        y, task = np.asarray(dataset.images.labels, dtype=object), "classification"
    else:
        problem = make_problem(dataset.frame, config.target, config.task, dataset.default_target, config.text_columns)
        y, task = problem.y, problem.task
    return split_rows(y, task, config.seed, config.test_size, config.val_size).sizes()


def text_for_display(table: pd.DataFrame, text_columns: list[str], limit: int = TEXT_SHOWN_CHARS) -> pd.DataFrame:
    """The error table as the page shows it: each text column ("feature: <name>") cut to ``limit`` characters with "…",
    and moved beside the labels, so a wrong row reads as its text, its true label and both answers.

    A copy: the rows downloaded as CSV keep every character.
    """
    names = [f"feature: {c}" for c in text_columns if f"feature: {c}" in table.columns]
    if not names:
        return table
    shown = table.copy()
    for name in names:
        shown[name] = shown[name].map(lambda v: v if not isinstance(v, str) or len(v) <= limit else v[: limit - 1].rstrip() + "…")
    labels = [c for c in ("row", "true", "sklearn", "pytorch") if c in shown.columns]
    rest = [c for c in shown.columns if c not in labels and c not in names]
    return shown[[*labels, *names, *rest]]
