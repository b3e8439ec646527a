"""From a loaded table to a learning problem: target, task, usable features.

Everything here is row-wise and fitted on nothing, so it can run before the
split without leaking test rows into training (imputation and scaling, which
do learn from data, live in ``features.py`` and see the training rows only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bridge.errors import BridgeError
from bridge.io import limits
from bridge.problem.leakage import leaky_columns
from bridge.problem.task import TRUE_WORDS, ColumnPlan, detect_task, is_text, parse_dates, plan_columns, target_looks_like_id
from bridge.problem.text import clean_text_column, has_words

MIN_ROWS = 20
MIN_PER_CLASS = 3  # one row each for train, validation and test
# Features train as float32: a larger number (or inf) would become inf there, which no imputer or model accepts.
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class TableProblem:
    """Model-ready inputs (before imputation), the target, and what was done to get there."""

    features: pd.DataFrame  # numeric columns (incl. date parts and booleans) and categorical text
    y: np.ndarray  # class labels as strings, or floats for regression
    original: pd.DataFrame  # the user's columns for the same rows, for the error table
    task: str
    target: str
    plan: ColumnPlan
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # free-text columns, as str with "" for a missing value
    classes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_dropped: int = 0


def resolve_target(frame: pd.DataFrame, target: str | None, default: str | None) -> str:
    """The column asked for, else the dataset's default (a loaded CSV's guess, see bridge.problem.target_guess), else the last column."""
    target = target or default or str(frame.columns[-1])
    if target in frame.columns:
        return target
    folded = {str(c).lower(): c for c in frame.columns}
    hint = f" (did you mean '{folded[target.lower()]}'?)" if target.lower() in folded else ""
    shown = ", ".join(map(str, frame.columns[:8])) + (", ..." if len(frame.columns) > 8 else "")
    raise BridgeError(f"no column '{target}'{hint}; pass --target with one of: {shown}")


def _unique_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``, ... : the first that no column has; it is then taken."""
    name, k = wanted, 2
    while name in taken:
        name, k = f"{wanted}_{k}", k + 1
    taken.add(name)
    return name


def _date_parts(series: pd.Series, name: str, notes: list[str], taken: set[str]) -> pd.DataFrame:
    """Dates become the parts that vary in this data (year, month, weekday, ...).

    A part is renamed (``date_month_2``) when a column of the table already has its name (``date_month``):
    two features with one name would be ambiguous everywhere they are shown, and break the preprocessing.
    """
    dates = parse_dates(series)
    parts = pd.DataFrame(
        {
            f"{name}_year": dates.dt.year,
            f"{name}_month": dates.dt.month,
            f"{name}_day": dates.dt.day,
            f"{name}_weekday": dates.dt.day_of_week,
            f"{name}_hour": dates.dt.hour,
        },
        index=series.index,
    ).astype("float32")
    if f"{name}_day" in parts and parts[f"{name}_day"].nunique() <= 1:
        parts = parts.drop(columns=f"{name}_weekday")  # yearly or monthly dates: the weekday is an accident of the calendar
    parts = parts.loc[:, parts.nunique() > 1]
    if parts.empty:
        notes.append(f"column '{name}': dates that never change were left out")
        return parts
    kept = ", ".join(c.removeprefix(f"{name}_") for c in parts.columns)
    notes.append(f"column '{name}': dates turned into numbers ({kept})")
    renamed = {c: _unique_name(c, taken) for c in parts.columns}
    for old, new in renamed.items():
        if new != old:
            notes.append(f"column '{name}': its date part '{old}' is named '{new}', as a column '{old}' already exists")
    return parts.rename(columns=renamed)


def _target_values(y: pd.Series, task: str) -> np.ndarray:
    if task == "regression":
        values = pd.to_numeric(y, errors="coerce")
        if values.isna().any():
            raise BridgeError(f"target '{y.name}' holds text, so it cannot be regressed; use --task classification")
        values = values.to_numpy(dtype="float64")
        too_big = ~(np.abs(values) <= limits.MAX_TARGET_MAGNITUDE)  # inf too: text such as 'inf' reaches here unconverted
        if too_big.any():
            raise BridgeError(f"target '{y.name}' has {int(too_big.sum())} value(s) beyond ±{limits.MAX_TARGET_MAGNITUDE:.0e} "
                              f"(such as {y[too_big].iloc[0]}), too large to score: their squared errors overflow; fix those rows, "
                              "or rescale the column (divide it, or take a log) and try again")
        return values
    if pd.api.types.is_float_dtype(y) and np.all(y == np.round(y)) and np.all(np.abs(y) < 2**63):
        y = y.astype("int64")  # 1.0 and 1 are the same class; show it as "1" (outside int64 it would wrap around)
    # One string object per class, shared by every row: a million labels cost 8 MB, not 60.
    codes, labels = pd.factorize(y.astype(str))
    return np.asarray(labels, dtype=object)[codes]


def _numeric_features(frame: pd.DataFrame, columns: list, notes: list[str]) -> pd.DataFrame:
    """The numeric columns as float32; inf and numbers float32 cannot hold become missing values, with a note."""
    out = {}
    for column in columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values):
            bad = values.abs() > FLOAT32_MAX  # inf included; NaN compares False and stays missing
            if bad.any():
                values = values.where(~bad)
                notes.append(f"column '{column}': {int(bad.sum())} infinite or too large value(s) (beyond ±3.4e38) "
                             "treated as missing")
        out[column] = values.astype("float32")
    return pd.DataFrame(out, index=frame.index, columns=columns)


def make_problem(frame: pd.DataFrame, target: str | None = None, task: str = "auto", default_target: str | None = None,
                 text_columns: tuple[str, ...] | None = None) -> TableProblem:
    """Pick the target, detect the task, and give every other column a role (``text_columns``: see ``plan_columns``)."""
    if frame.shape[1] < 2:
        raise BridgeError(f"the table has a single column ('{frame.columns[0]}'); a model needs at least one feature column besides "
                          "the target, so separate the columns with a comma, semicolon, tab or pipe")
    target = resolve_target(frame, target, default_target)
    notes: list[str] = []
    missing_target = frame[target].isna()
    if missing_target.all():
        raise BridgeError(f"target '{target}' is empty in every row; choose a column with values as --target")
    rows_dropped = int(missing_target.sum())
    if rows_dropped:
        notes.append(f"dropped {rows_dropped} row(s) with no value for the target '{target}'")
    # inf or -inf in a numeric target is no more a value than a blank is: those rows go the same way, with a note.
    infinite = np.isinf(frame[target]) if pd.api.types.is_float_dtype(frame[target]) else pd.Series(False, index=frame.index)
    if infinite.sum():
        if (missing_target | infinite).all():
            raise BridgeError(f"target '{target}' has no finite value in any row (only inf, -inf or blanks); choose another --target")
        rows_dropped += int(infinite.sum())
        notes.append(f"dropped {int(infinite.sum())} row(s) whose target '{target}' is infinite (inf or -inf)")
    frame = frame.loc[~(missing_target | infinite)]
    if task == "auto":
        task = detect_task(frame[target]) if len(frame) else "classification"
    elif task not in ("classification", "regression"):
        raise BridgeError(f"unknown task '{task}'; use auto, classification or regression")
    if (task == "classification" or not is_text(frame[target])) and target_looks_like_id(frame[target]):  # text is refused below
        raise BridgeError(f"target '{target}' has a different value in almost every row, like an ID; choose another --target")
    if task == "classification":
        counts = frame[target].astype(str).value_counts()
        rare = counts[counts < MIN_PER_CLASS]
        if len(rare) and len(counts) - len(rare) >= 2:
            frame = frame.loc[~frame[target].astype(str).isin(rare.index)]
            rows_dropped += int(rare.sum())
            notes.append(f"dropped {int(rare.sum())} row(s) of {len(rare)} class(es) with fewer than {MIN_PER_CLASS} rows")
        elif len(rare) and len(counts) > 1:  # dropping it would leave one class: say so rather than split it at random
            raise BridgeError(f"class '{rare.index[0]}' of target '{target}' has only {int(rare.iloc[0])} row(s); each class needs at least "
                              f"{MIN_PER_CLASS} (one each for training, validation and test); add rows or choose another target")
        if len(counts) - len(rare) > limits.MAX_TARGET_CLASSES:  # refused before any fit: each class would hold a handful of rows
            raise BridgeError(f"target '{target}' has {len(counts) - len(rare):,} classes of at least {MIN_PER_CLASS} rows; Bridge compares "
                              f"at most {limits.MAX_TARGET_CLASSES}; group the classes into fewer (e.g. an 'other' class) or choose another --target")
    if len(frame) < MIN_ROWS:
        raise BridgeError(f"only {len(frame)} usable rows; Bridge needs at least {MIN_ROWS} rows with a target value")
    y = _target_values(frame[target], task)
    classes = sorted(set(y)) if task == "classification" else []
    if task == "classification" and len(classes) < 2:
        raise BridgeError(f"target '{target}' has a single class ({classes[0]}); choose a target with at least two classes")

    _check_text_columns(frame, target, text_columns)
    plan = plan_columns(frame, target, text_columns)
    for column in list(plan.text):  # a column with no word at all (blanks, say, marked as text): TF-IDF could not be fitted on it
        if not has_words(str(value)[: limits.MAX_TEXT_CHARS] for value in frame[column].dropna()):
            plan.text.remove(column)
            plan.dropped[column] = "it holds no word of two or more letters or digits to read as text (only blanks, punctuation or single characters)"
    for column, reason in plan.dropped.items():
        notes.append(f"column '{column}' left out: {reason}")
    parts = [_numeric_features(frame, plan.numeric, notes)]
    for column in plan.boolean:
        words = frame[column].astype("string").str.strip().str.lower()
        parts.append(words.isin(TRUE_WORDS).astype("float32").where(frame[column].notna()).rename(column).to_frame())
    taken = {str(c) for c in frame.columns}
    for column in plan.dates:
        parts.append(_date_parts(frame[column], str(column), notes, taken))
    numeric = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    categorical = frame[plan.categorical].astype(object).where(frame[plan.categorical].notna(), np.nan)
    categorical = categorical.apply(lambda col: col.map(lambda v: np.nan if pd.isna(v) else str(v).strip()))
    text = pd.DataFrame({column: clean_text_column(frame[column], notes) for column in plan.text}, index=frame.index)
    for column in plan.text:  # words of the values as read (a cell over the length limit counts its first part only)
        words = text[column][frame[column].notna()].str.split().str.len().mean()
        notes.append(f"column '{column}' is free text ({words:.0f} words per value on average): scikit-learn reads it as TF-IDF "
                     "word and character counts, PyTorch learns a vector for each word")
    features = pd.concat([numeric, categorical, text], axis=1)
    if features.shape[1] == 0:
        raise BridgeError("no usable feature columns are left (all were IDs, switched-off text or empty); add feature columns")
    metric = "accuracy" if task == "classification" else "R²"
    for column, score in leaky_columns(features.drop(columns=plan.text), y, task, list(numeric.columns)):
        notes.append(f"column '{column}' alone predicts the target almost perfectly ({metric} {score:.2f} on held-out rows): "
                     "likely leakage; check it is not derived from the target")
    return TableProblem(
        features=features,
        y=y,
        original=frame.drop(columns=[target]),
        task=task,
        target=target,
        plan=plan,
        numeric=list(numeric.columns),
        categorical=list(categorical.columns),
        text=list(plan.text),
        classes=classes,
        notes=notes,
        rows_dropped=rows_dropped,
    )


def _check_text_columns(frame: pd.DataFrame, target: str, text_columns: tuple[str, ...] | None) -> None:
    """The text columns asked for exist and are not the target."""
    for column in text_columns or ():
        if str(column) == str(target):
            raise BridgeError(f"'{column}' is the target, so it cannot also be a text feature; choose another target or text column")
        if str(column) not in {str(c) for c in frame.columns}:
            shown = ", ".join(map(str, frame.columns[:8])) + (", ..." if len(frame.columns) > 8 else "")
            raise BridgeError(f"no column '{column}' to read as text; use one of: {shown}")


def describe_target(problem: TableProblem) -> str:
    if problem.task == "classification":
        return f"{len(problem.classes)} classes"
    return f"numeric, {float(np.min(problem.y)):.3g} to {float(np.max(problem.y)):.3g}"
