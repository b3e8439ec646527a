"""Which column is the question? A guess at the target of a table, with its reason and how sure it is.

A CSV says nothing about what to predict. ``suggest_target`` reads every column's name and content:
label-like names (``species``, ``label``, ``churn``) and quantity-like ones (``price``) point at a target;
few classes in a text or yes/no column point at one too; an ID, a date or a date part (``year``) or free
text never is one, nor is a constant column unless its name says it is the target. Without a name, the
last column is preferred, as many files put the target there. The guess is ``weak`` when nothing but
position and content speaks for it, so the app asks before Run and the CLI says which column it chose
and why on its first line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bridge.io import limits
from bridge.problem.table import resolve_target
from bridge.problem.task import ID_NAME, is_text, looks_like_date, target_looks_like_id

if TYPE_CHECKING:  # bridge.io.data imports this module, so Dataset is named for the type checker only
    from bridge.io.data import Dataset

GUESS_SAMPLE_ROWS = 5_000  # rows each column is judged on: enough to see its classes, cheap on a million-row file
FEW_CLASSES = 20  # a text column with at most this many values reads as classes; more is a weaker label
FEW_WHOLE_NUMBERS = 10  # whole numbers with at most this many values may be coded classes (0/1, 1-5)
# Columns read closely, at most. Names and the last column are read first, so past this only unnamed columns of the
# middle are left, and any guess among them is weak (asked about) anyway: a 10,000-column file costs no more than this.
MAX_COLUMNS_READ = 200
FREE_TEXT_WORDS = 4  # words per value from which text is prose, not a label (as task.py leaves such columns out)

# Names that say "predict me" for classes or values alike; matched against the words of a name (is_fraud -> is, fraud).
LABEL_WORDS = {"target", "label", "labels", "class", "classes", "species", "outcome", "churn", "churned", "survived", "survival",
               "diagnosis", "category", "response", "fraud", "spam", "sentiment", "verdict", "result", "grade", "genre",
               "defaulted", "disease", "cultivar", "variety", "quality"}
LABEL_NAMES = {"y"}  # whole names only: a 'y' inside another name means nothing
# Names of a quantity to predict; a target only when the values are numbers (a 'price_band' of text is a label anyway).
AMOUNT_WORDS = {"price", "prices", "cost", "costs", "charges", "sales", "revenue", "salary", "income", "demand", "quantity", "amount",
                "rent", "yield", "mpg", "progression"}
# A date part by name, with the range its whole-number values must fall in (a 'day' of 0-31, not 'days' in hospital).
DATE_PARTS = {"year": (1000, 3000), "yr": (1000, 3000), "month": (1, 12), "day": (0, 31), "weekday": (0, 7), "dow": (0, 7),
              "hour": (0, 24), "minute": (0, 60), "week": (0, 53), "quarter": (1, 4)}
DATE_NAMES = {"date", "datetime", "timestamp"}  # whatever their values hold
_MONTHS_AND_DAYS = ("january february march april may june july august september october november december "
                    "monday tuesday wednesday thursday friday saturday sunday").split()
CALENDAR_WORDS = {*_MONTHS_AND_DAYS, *(word[:3] for word in _MONTHS_AND_DAYS)}  # a column of only these is a date part
YEARS = (1800, 2100)  # whole numbers all in here, with few values, read as years whatever the column is called
SCORE_LABEL_NAME, SCORE_AMOUNT_NAME = 100, 90  # a name outweighs everything else: the person who wrote the file said so
SCORE_LAST = 10  # then position: many files put the target last
SCORE_CONTENT = {"classes": 5, "whole numbers": 3, "numbers": 2, "many classes": 1}  # then what the values look like


@dataclass(frozen=True)
class TargetGuess:
    """The guessed target, what speaks for it (``evidence``: "a label-like name, 3 classes") and whether it is only a guess."""

    column: str
    evidence: str
    weak: bool = False

    @property
    def reason(self) -> str:
        """One plain sentence for the Data page."""
        return f"'{self.column}' {'is only a guess' if self.weak else 'looks like the target'}: {self.evidence}."


@dataclass
class _Candidate:
    column: object
    position: int
    last: bool  # the table's last column
    named: str | None  # "label", "amount" or None
    kind: str  # a key of SCORE_CONTENT

    @property
    def score(self) -> float:
        name_scores: dict[str | None, int] = {"label": SCORE_LABEL_NAME, "amount": SCORE_AMOUNT_NAME}  # None: a name that says nothing
        name = name_scores.get(self.named, 0)
        return name + SCORE_CONTENT[self.kind] + SCORE_LAST * self.last + self.position * 1e-6  # the later column wins a tie


def name_words(name: str) -> list[str]:
    """The words of a column name, lower case: 'isFraud' -> is, fraud; 'Miles_per_Gallon' -> miles, per, gallon."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]


def _name_kind(name: str) -> str | None:
    words = name_words(name)
    if name.strip().lower() in LABEL_NAMES or LABEL_WORDS.intersection(words):
        return "label"
    return "amount" if AMOUNT_WORDS.intersection(words) else None


def _whole_numbers(present: pd.Series) -> np.ndarray | None:
    """The values as floats when every one is a finite whole number, else None."""
    if is_text(present) or pd.api.types.is_bool_dtype(present) or not pd.api.types.is_numeric_dtype(present):
        return None
    values = present.to_numpy(dtype="float64")
    return values if np.all(np.isfinite(values)) and np.all(values == np.round(values)) else None


def _text_like(dtype) -> bool:
    """Labels by type (text, booleans, categories), judged from the dtype alone."""
    return (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype))


def why_not_a_target(name: str, series: pd.Series) -> str | None:
    """Why a column can never be the target ("a date part", "an ID", ...), or None when it can."""
    present = series.dropna()
    return _why_not(str(name), present, int(present.nunique()))


def _why_not(name: str, present: pd.Series, distinct: int) -> str | None:
    if present.empty:
        return "empty"
    # A label-named column of one value or hundreds of classes stays the target: the file says it is the question, and
    # make_problem then says what is wrong with it, where predicting some other column instead would only puzzle.
    named_label = _name_kind(name) == "label"
    if distinct <= 1 and not named_label:
        return "a single value"
    words, text = name_words(name), is_text(present)
    if DATE_NAMES.intersection(words) or pd.api.types.is_datetime64_any_dtype(present) or looks_like_date(present):
        return "a date"
    if text and distinct >= 0.5 * len(present):  # prose: mostly different values of several words (500 read: plenty to tell)
        if float(present.head(500).astype(str).str.split().str.len().mean()) >= FREE_TEXT_WORDS:
            return "free text"
    # target_looks_like_id reads values only when nearly every one is unique: skip the call for the other columns
    if ID_NAME.search(name) or (distinct >= 0.9 * len(present) and target_looks_like_id(present.rename(name))):
        return "an ID"
    whole = _whole_numbers(present)
    for word in DATE_PARTS.keys() & set(words):
        low, high = DATE_PARTS[word]
        if whole is not None and low <= whole.min() and whole.max() <= high:
            return "a date part"
    if whole is not None and YEARS[0] <= whole.min() and whole.max() <= YEARS[1] and distinct <= limits.MAX_TARGET_CLASSES:
        return "a date part"  # 2007, 2008, 2009: years, whatever the column is called
    if text and distinct > limits.MAX_TARGET_CLASSES and not named_label:  # more than Bridge would ever classify
        return "too many different values"
    if text and set(pd.Series(present.unique()).astype(str).str.strip().str.lower()) <= CALENDAR_WORDS:
        return "a date part"  # Mon, Tue, ... or January, February, ...
    return None


def _candidate(column, position: int, last: bool, series: pd.Series) -> _Candidate | None:
    """The column as a possible target, or None when it can never be one."""
    present = series.dropna()
    distinct = int(present.nunique())
    if _why_not(str(column), present, distinct) is not None:
        return None
    named = _name_kind(str(column))
    if _text_like(present.dtype):
        kind = "classes" if distinct <= FEW_CLASSES else "many classes"
    else:
        kind = "whole numbers" if distinct <= FEW_WHOLE_NUMBERS and _whole_numbers(present) is not None else "numbers"
    if named == "amount" and kind not in ("numbers", "whole numbers"):
        named = None
    return _Candidate(column, position, last, named, kind)


def _best_possible(column, position: int, last: bool, dtype) -> float:
    """The highest score the column could get, from its name and dtype alone: one that cannot win is never read.

    On a 10,000-column file of numbers this keeps the guess to a few columns instead of seconds of reading.
    """
    named, text_like = _name_kind(str(column)), _text_like(dtype)
    name = SCORE_LABEL_NAME if named == "label" else SCORE_AMOUNT_NAME if named == "amount" and not text_like else 0
    content = SCORE_CONTENT["classes"] if text_like else SCORE_CONTENT["whole numbers"]
    return name + content + SCORE_LAST * last + position * 1e-6


def _content_words(candidate: _Candidate, full: pd.Series) -> str:
    count = int(full.nunique())
    if candidate.kind in ("classes", "many classes"):
        return f"{count} class{'es' * (count != 1)}"
    if candidate.kind == "whole numbers":
        return f"{count} whole-number value{'s' * (count != 1)}"
    return "numeric values"


def suggest_target(frame: pd.DataFrame) -> TargetGuess:
    """The column most likely meant as the target, why, and whether it is only a guess (see ``_is_weak``)."""
    columns = list(frame.columns)
    if len(columns) == 1:
        return TargetGuess(str(columns[0]), "the only column")
    # Random rows, not the first ones: a file sorted by its label would show one class at its top.
    rows = None if len(frame) <= GUESS_SAMPLE_ROWS else np.sort(np.random.default_rng(0).choice(len(frame), GUESS_SAMPLE_ROWS, replace=False))
    last = len(columns) - 1
    bounds = [_best_possible(column, i, i == last, dtype) for i, (column, dtype) in enumerate(zip(columns, frame.dtypes))]
    best = None
    for i in sorted(range(len(columns)), key=bounds.__getitem__, reverse=True)[:MAX_COLUMNS_READ]:
        if best is not None and best.score >= bounds[i]:
            break  # this column and every one after it in this order cannot beat the best
        candidate = _candidate(columns[i], i, i == last, _sampled(frame, i, rows))
        if candidate is not None and (best is None or candidate.score > best.score):
            best = candidate
    if best is None:
        return TargetGuess(str(columns[-1]), "the last column, as no column looks like a target (IDs, dates, free text, "
                                             "constant values)", weak=True)
    evidence = [{"label": "a label-like name", "amount": "a name like a quantity to predict"}[best.named]] if best.named else []
    evidence += ["the last column"] * best.last + [_content_words(best, frame.iloc[:, best.position])]
    weak = _is_weak(best, frame, rows)
    if weak:
        evidence.append("and no column has a label-like name")
    return TargetGuess(str(best.column), ", ".join(evidence), weak)


def _sampled(frame: pd.DataFrame, position: int, rows: np.ndarray | None) -> pd.Series:
    column = frame.iloc[:, position]
    return column if rows is None else column.iloc[rows]


def _is_weak(best: _Candidate, frame: pd.DataFrame, rows: np.ndarray | None) -> bool:
    """Weak unless a name speaks for the column, or it is the last column and the only one with few classes.

    Why those two: a name is the file's author saying what the column is. Without one, position and content
    are clear only together: a last column of few classes with no other such column (Seattle's 'weather') is
    hard to mistake, while a numeric last column could as well be one more measurement (every file of numbers
    looks like that), and a file with two class-like columns could be asking about either.
    """
    if best.named:
        return False
    if not (best.last and best.kind == "classes"):
        return True
    others = [i for i, dtype in enumerate(frame.dtypes) if i != best.position and _text_like(dtype)]
    if len(others) > MAX_COLUMNS_READ:
        return True  # too many to read them all: as good as another class-like column
    return any(getattr(_candidate(frame.columns[i], i, False, _sampled(frame, i, rows)), "kind", None) == "classes" for i in others)


def target_line(dataset: Dataset, chosen: str | None) -> str:
    """The CLI's first line: which column is predicted, and why; raises BridgeError for a ``chosen`` column the table lacks."""
    if dataset.kind == "images":
        return "target: class (each image's folder name)"
    column = resolve_target(dataset.frame, chosen, dataset.default_target)
    if chosen:
        return f"target: {column} (chosen with --target)"
    guess = dataset.target_guess
    if guess is None or guess.column != column:
        return f"target: {column} (the dataset's own target); pass --target to choose another"
    return f"target: {column} ({'a guess: ' if guess.weak else ''}{guess.evidence}); pass --target to choose another"
