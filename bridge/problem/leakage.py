"""A cheap check for target leakage: one column that predicts the target almost perfectly on its own.

Such a column is usually the answer in disguise (a code derived from the label, the target in
other units, a status filled in after the fact) and makes any comparison meaningless. It is
flagged in the notes, never dropped: the user knows whether it is real. Each column is judged
alone by a tiny model fitted on half of a small sample and scored on the other half, so the
check takes milliseconds and a unique value per row (which a lookup would 'learn') scores nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from bridge.io import limits


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - pred) ** 2)) / total if total > 0 else 0.0


def _lookup(x_fit: pd.Series, y_fit: np.ndarray, x_hold: pd.Series, task: str) -> np.ndarray:
    """Predict each held-out row from the rows that share its value (a one-to-one mapping scores 1.0)."""
    fit = pd.DataFrame({"x": x_fit.astype(str).to_numpy(), "y": y_fit})
    if task == "classification":  # the most common class of each value, without a Python call per value
        counts = fit.groupby(["x", "y"]).size().reset_index(name="n").sort_values("n", ascending=False, kind="stable")
        table = counts.drop_duplicates("x").set_index("x")["y"]
        default = pd.Series(y_fit).value_counts().index[0]
    else:
        table, default = fit.groupby("x")["y"].mean(), float(np.mean(y_fit))
    return x_hold.astype(str).map(table).fillna(default).to_numpy()


def _tree(x_fit: pd.Series, y_fit: np.ndarray, x_hold: pd.Series, task: str) -> np.ndarray:
    """A shallow one-column tree: thresholds and one-to-one numeric codes of the target are found exactly."""
    model = (DecisionTreeClassifier if task == "classification" else DecisionTreeRegressor)(max_depth=4, min_samples_leaf=3, random_state=0)
    model.fit(x_fit.to_numpy(dtype=float).reshape(-1, 1), y_fit)
    return model.predict(x_hold.to_numpy(dtype=float).reshape(-1, 1))


def _line(x_fit: pd.Series, y_fit: np.ndarray, x_hold: pd.Series) -> np.ndarray | None:
    """A straight line, which finds 'the target in other units' better than a tree's 16 steps; None if it cannot be fitted."""
    x_fit, x_hold = x_fit.to_numpy(dtype=float), x_hold.to_numpy(dtype=float)
    known = np.isfinite(x_fit)
    if known.sum() < 3 or np.ptp(x_fit[known]) == 0 or not np.all(np.isfinite(x_hold)):
        return None
    return np.polyval(np.polyfit(x_fit[known], y_fit[known], 1), x_hold)


def _score(y_hold: np.ndarray, pred: np.ndarray | None, task: str) -> float:
    if pred is None:
        return 0.0
    return float(np.mean(pred == y_hold)) if task == "classification" else _r2(y_hold, pred.astype(float))


def leaky_columns(features: pd.DataFrame, y: np.ndarray, task: str, numeric: list[str]) -> list[tuple[str, float]]:
    """(column, held-out accuracy or R²) for each column that alone scores at least ``limits.LEAK_SCORE``."""
    order = np.random.default_rng(0).permutation(len(y))[: limits.LEAK_SAMPLE_ROWS]
    fit, hold = order[: len(order) // 2], order[len(order) // 2 :]
    if len(hold) < 20:
        return []
    y_fit, y_hold = y[fit], y[hold]
    if task == "classification":
        if pd.Series(y_hold).value_counts(normalize=True).iloc[0] >= limits.LEAK_SCORE:
            return []  # one class is almost every row: any column 'predicts' it
        y_fit, y_hold = y_fit.astype(str), y_hold.astype(str)
    else:
        y_fit, y_hold = y_fit.astype(float), y_hold.astype(float)
    flagged = []
    for column in list(features.columns)[: limits.LEAK_MAX_COLUMNS]:
        x = features[column]
        x_fit, x_hold = x.iloc[fit], x.iloc[hold]
        if x_fit.isna().mean() > 0.5:
            continue
        if column in numeric:
            score = _score(y_hold, _tree(x_fit, y_fit, x_hold, task), task)
            if task == "regression":
                score = max(score, _score(y_hold, _line(x_fit, y_fit, x_hold), task))
        else:
            score = _score(y_hold, _lookup(x_fit, y_fit, x_hold, task), task)
        if score >= limits.LEAK_SCORE:
            flagged.append((str(column), score))
    return flagged
