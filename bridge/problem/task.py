"""What kind of problem is this, and which columns can a model use?

Pure functions over a pandas frame: task detection from the target, and the
role of every other column (numeric, categorical, boolean, date, or left
out with a reason the user can read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_CLASSES = 30  # an integer target with more distinct values is a quantity, not a label
ID_NAME = re.compile(r"(^id$|_id$|^id_|\bid\b|uuid|guid|^index$|^unnamed: ?\d+$|^row ?(id|num|number)$)", re.I)
_DATE = re.compile(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2})?)?")
_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
TRUE_WORDS = {"true", "yes", "y", "t"}


@dataclass
class ColumnPlan:
    """The role of every feature column; ``dropped`` maps a column to why it was left out."""

    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    boolean: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # free text: TF-IDF for scikit-learn, learned word vectors for PyTorch
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def used(self) -> list[str]:
        return self.numeric + self.boolean + self.categorical


def is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def detect_task(y: pd.Series) -> str:
    """Classification for labels (text, booleans, few integer values), else regression."""
    y = y.dropna()
    if is_text(y) or pd.api.types.is_bool_dtype(y) or isinstance(y.dtype, pd.CategoricalDtype):
        return "classification"
    values = y.to_numpy(dtype=float)
    integer_valued = bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
    if integer_valued and y.nunique() <= MAX_CLASSES and y.nunique() <= max(2, 0.5 * len(y)):
        return "classification"
    return "regression"


def looks_boolean(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series):
        return True
    if not is_text(series):
        return False
    words = set(series.dropna().astype(str).str.strip().str.lower().unique())
    return 0 < len(words) <= 2 and words <= _BOOL_WORDS


def looks_like_date(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if not is_text(series):
        return False
    sample = series.dropna().astype(str).str.strip().head(500)
    return len(sample) > 0 and float(sample.str.match(_DATE).mean()) >= 0.9


def parse_dates(series: pd.Series) -> pd.Series:
    """Parse date text; day-first when a first field above 12 shows it (31/12/2015)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    text = series.astype("string").str.strip()
    first = text.str.extract(r"^(\d{1,2})[-/.]\d{1,2}[-/.]\d{2,4}", expand=False)
    dayfirst = bool(pd.to_numeric(first, errors="coerce").gt(12).any())
    return pd.to_datetime(text, errors="coerce", dayfirst=dayfirst, format="mixed")


def _why_left_out(name: str, series: pd.Series) -> str | None:
    """A reason to leave a column out of the features, or None to keep it."""
    present = series.dropna()
    if present.empty:
        return "every value is missing"
    distinct = present.nunique()
    if distinct <= 1:
        return "it has a single value"
    unique_share = distinct / len(present)
    if ID_NAME.search(name) and unique_share >= 0.9:
        return "it looks like an ID (its name and unique values)"
    if pd.api.types.is_integer_dtype(series) and distinct == len(present) and len(present) >= 20:
        ordered = np.sort(present.to_numpy())
        if np.all(np.diff(ordered) == 1):
            return "it looks like a row number (consecutive unique integers)"
    if is_text(series) and not looks_like_date(series):
        words = free_text_words(series)
        if words is not None:
            return f"it looks like free text ({words:.0f} words per value on average)"
        if unique_share >= 0.9 and len(present) >= 20:
            return "it looks like an ID (almost every value is unique)"
        if distinct > 100 and unique_share > 0.5:
            return f"it has {distinct} distinct text values, too many to use as categories"
    return None


def free_text_words(series: pd.Series) -> float | None:
    """Mean words per value where a column reads as free text (4 or more words a value, most values distinct), else None."""
    present = series.dropna()
    if present.empty or not is_text(series):
        return None
    text = present.astype(str)
    words = float(text.str.split().str.len().mean())
    return words if words >= 4 and present.nunique() / len(present) >= 0.5 else None


def plan_columns(frame: pd.DataFrame, target: str, text_columns: tuple[str, ...] | None = None) -> ColumnPlan:
    """Give each column except the target a role, or a reason to leave it out.

    Free text becomes a text feature. ``text_columns`` None takes every column that looks like free text; a
    tuple takes exactly those columns as text (the user's choice, which can mark a short-text column as text
    too) and leaves out any other free text, saying so.
    """
    plan = ColumnPlan()
    chosen = None if text_columns is None else {str(c) for c in text_columns}
    for name in frame.columns:
        if name == target:
            continue
        series = frame[name]
        reason = _why_left_out(str(name), series)
        if chosen is not None and str(name) in chosen and series.notna().any():
            plan.text.append(name)
        elif reason and reason.startswith("it looks like free text"):
            if chosen is None:
                plan.text.append(name)
            else:
                plan.dropped[name] = reason.replace("it looks like", "it is") + ", switched off as a text feature"
        elif reason:
            plan.dropped[name] = reason
        elif looks_boolean(series):
            plan.boolean.append(name)
        elif looks_like_date(series):
            plan.dates.append(name)
        elif pd.api.types.is_numeric_dtype(series):
            plan.numeric.append(name)
        else:
            plan.categorical.append(name)
    return plan


def target_looks_like_id(y: pd.Series) -> bool:
    """Text unique in almost every row, an ID-named column of unique values, or a row number (unique consecutive integers).

    Unique numbers in general are a fine regression target (prices), so numbers need the name or the 1, 2, 3... pattern.
    """
    present = y.dropna()
    if len(present) < 20 or present.nunique() < 0.9 * len(present):
        return False
    if is_text(present) or ID_NAME.search(str(y.name)):
        return True
    if pd.api.types.is_integer_dtype(present) and present.nunique() == len(present):
        return bool(np.all(np.diff(np.sort(present.to_numpy())) == 1))
    return False
