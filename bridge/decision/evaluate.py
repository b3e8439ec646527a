"""Metrics and error analysis as small pure functions of (truth, prediction).

Every number here is computed by scikit-learn's own metric functions, so the
two sides are always scored the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

PRIMARY = {"classification": "balanced_accuracy", "regression": "r2"}
ERROR_ROWS = 200  # error-table rows kept in the report
ERROR_FEATURES = 20  # original feature columns shown beside each error


# What people read on the screens; the report and the code keep the short keys (shown beside these as a tooltip).
METRIC_LABELS = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "f1_macro": "F1 (macro)",
    "roc_auc": "ROC AUC",
    "r2": "R²",
    "mae": "Mean absolute error (MAE)",
    "rmse": "Root mean squared error (RMSE)",
}


def metric_label(key: str) -> str:
    """A metric's readable name; a key without one shows as itself rather than failing."""
    return METRIC_LABELS.get(key, key)


def primary_metric(task: str) -> str:
    """The one score both sides are ranked by: robust to class imbalance, 0-1 scaled, higher is better."""
    return PRIMARY[task]


def as_codes(y_true, y_pred, classes=None) -> tuple[np.ndarray, np.ndarray, list]:
    """Labels as their integer position in ``classes`` (default: every label seen, sorted).

    scikit-learn's metrics sort the labels on every call; on a million text labels that costs
    seconds a call, while integer codes cost milliseconds, and the scores are the same.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if classes is None:
        classes = sorted(pd.unique(np.concatenate([y_true.astype(object), y_pred.astype(object)])))
    return (pd.Categorical(y_true, categories=classes).codes.astype(np.int64),
            pd.Categorical(y_pred, categories=classes).codes.astype(np.int64), list(classes))


def classification_metrics(y_true, y_pred, proba: np.ndarray | None = None, classes=None) -> dict:
    y_true, y_pred, _ = as_codes(y_true, y_pred, classes)
    classes = None if classes is None else list(range(len(classes)))
    result = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, y_pred)),
        "f1_macro": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }
    if proba is not None and classes is not None and len(np.unique(y_true)) == len(classes):
        if len(classes) == 2:
            result["roc_auc"] = float(skm.roc_auc_score(np.asarray(y_true) == classes[1], proba[:, 1]))
        else:
            result["roc_auc"] = float(skm.roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=classes))
    return result


def regression_metrics(y_true, y_pred) -> dict:
    return {
        "rmse": float(skm.root_mean_squared_error(y_true, y_pred)),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "r2": float(skm.r2_score(y_true, y_pred)),
    }


def score(task: str, y_true, y_pred) -> float:
    """The primary metric alone (used for learning curves and baseline selection)."""
    if task == "classification":
        return float(skm.balanced_accuracy_score(*as_codes(y_true, y_pred)[:2]))
    return float(skm.r2_score(y_true, y_pred))


def task_metrics(task: str, y_true, y_pred, proba=None, classes=None) -> dict:
    if task == "classification":
        return classification_metrics(y_true, y_pred, proba, classes)
    return regression_metrics(y_true, y_pred)


def per_class_metrics(y_true, y_pred, classes) -> list[dict]:
    codes_true, codes_pred, _ = as_codes(y_true, y_pred, classes)
    precision, recall, f1, support = skm.precision_recall_fscore_support(codes_true, codes_pred, labels=range(len(classes)), zero_division=0)
    return [
        {"class": str(c), "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for c, p, r, f, s in zip(classes, precision, recall, f1, support)
    ]


def confusion(y_true, y_pred, classes) -> list[list[int]]:
    """Rows are the true class, columns the predicted class, in ``classes`` order."""
    codes_true, codes_pred, _ = as_codes(y_true, y_pred, classes)
    return skm.confusion_matrix(codes_true, codes_pred, labels=range(len(classes))).astype(int).tolist()


def _plain(value):
    """A JSON-friendly scalar."""
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value if isinstance(value, (int, str, bool)) or value is None else str(value)


def prediction_frame(task: str, rows, y_true, sk_pred, pt_pred, sk_conf=None, pt_conf=None, features: pd.DataFrame | None = None,
                     feature_prefix: str = "feature: ", first: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Every test row with both sides' answers, the rows most worth a look first.

    ``rows`` are the dataset row numbers; confidence is the probability each side gave its own answer;
    ``features`` (indexed by row) adds the user's own values, or an image's file name, to each row: the ``first``
    columns (the text a row's answer rests on), then the others, up to ``ERROR_FEATURES`` in all.
    Classification rows come most confident mistakes first; regression rows largest miss first.
    """
    y_true, sk_pred, pt_pred = map(np.asarray, (y_true, sk_pred, pt_pred))
    table = pd.DataFrame({"row": np.asarray(rows), "true": y_true, "sklearn": sk_pred, "pytorch": pt_pred})
    if task == "classification":
        table["sklearn_confidence"] = sk_conf
        table["pytorch_confidence"] = pt_conf
        table["sklearn_correct"] = sk_pred == y_true
        table["pytorch_correct"] = pt_pred == y_true
        table["agree"] = sk_pred == pt_pred
        wrong_sk = table.sklearn_confidence.fillna(1.0) * ~table.sklearn_correct
        wrong_pt = table.pytorch_confidence.fillna(1.0) * ~table.pytorch_correct
        order = np.maximum(wrong_sk, wrong_pt)
    else:
        table["sklearn_error"] = sk_pred - y_true
        table["pytorch_error"] = pt_pred - y_true
        order = np.maximum(table.sklearn_error.abs(), table.pytorch_error.abs())
    table = table.assign(_order=order).sort_values("_order", ascending=False, kind="stable").drop(columns="_order")
    if features is not None:
        shown = features[[*first, *(c for c in features.columns if c not in first)]].iloc[:, :ERROR_FEATURES]
        extra = shown.loc[table["row"].to_numpy()].reset_index(drop=True).add_prefix(feature_prefix)
        table = pd.concat([table.reset_index(drop=True), extra], axis=1)
    return table.reset_index(drop=True)


def records(table: pd.DataFrame) -> list[dict]:
    """A frame as JSON-friendly row dicts."""
    return [{key: _plain(value) for key, value in record.items()} for record in table.to_dict(orient="records")]


def wrong_rows(table: pd.DataFrame, task: str) -> pd.DataFrame:
    """Rows some side got wrong; for regression every row has an error, so all stay (largest first)."""
    if task != "classification":
        return table
    return table[~(table.sklearn_correct & table.pytorch_correct)].reset_index(drop=True)


def error_table(task: str, *args, limit: int = ERROR_ROWS, **kwargs) -> list[dict]:
    """The report's error rows: any side wrong (classification) or the largest residuals (regression)."""
    return records(wrong_rows(prediction_frame(task, *args, **kwargs), task).head(limit))
