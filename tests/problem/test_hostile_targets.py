"""Hostile targets and columns in a loaded table: ID-like targets, lone classes, columns that leak the answer.

Each is refused with one clear line or noted in the report; the frames are built in the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from files import one_line

from bridge.errors import BridgeError
from bridge.problem.features import split_rows
from bridge.problem.table import make_problem

# -- targets and rows -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["id", "row", "customer"])
def test_an_id_as_target_is_refused(target):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "id": rng.permutation(10_000)[:40], "row": np.arange(1, 41),
                          "customer": [f"c{i:03d}" for i in range(40)]})
    with pytest.raises(BridgeError, match=f"target '{target}' has a different value in almost every row, like an ID") as info:
        make_problem(frame, target=target)
    one_line(info)


def test_unique_numbers_are_still_a_regression_target():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "price": rng.permutation(10_000)[:40]})
    assert make_problem(frame, target="price").task == "regression"


def test_a_class_with_a_single_row():
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 50 + ["b"] * 50 + ["c"], dtype=object)
    split = split_rows(y, "classification", seed=0)
    assert split.stratified  # the lone 'c' does not cost 'a' and 'b' their stratification
    assert sorted(np.concatenate([split.train, split.val, split.test]).tolist()) == list(range(101))
    for part in (split.train, split.val, split.test):
        assert abs(np.mean(y[part] == "a") - np.mean(y[part] == "b")) <= 0.1
    three = pd.DataFrame({"x": rng.normal(size=101), "y": y})
    problem = make_problem(three)
    assert problem.classes == ["a", "b"] and "dropped 1 row(s) of 1 class(es) with fewer than 3 rows" in problem.notes
    two = pd.DataFrame({"x": rng.normal(size=51), "y": y[50:]})
    with pytest.raises(BridgeError, match="class 'c' of target 'y' has only 1 row\\(s\\); each class needs at least 3") as info:
        make_problem(two)
    one_line(info)


# -- leakage ----------------------------------------------------------------------------------------------------


def test_a_column_that_gives_the_answer_away_is_flagged():
    rng = np.random.default_rng(0)
    n = 300
    label = rng.choice(["cat", "dog", "owl"], size=n)
    frame = pd.DataFrame({"x": rng.normal(size=n), "code": pd.Series(label).map({"cat": "C-1", "dog": "D-2", "owl": "O-3"}),
                          "score": pd.Series(label).map({"cat": 0, "dog": 1, "owl": 2}) + rng.uniform(0, 0.5, n), "label": label})
    notes = make_problem(frame).notes
    assert any(note.startswith("column 'code' alone predicts the target almost perfectly (accuracy 1.00") for note in notes)
    assert any(note.startswith("column 'score' alone predicts") for note in notes)
    assert not any("'x' alone" in note for note in notes)
    height = rng.normal(170, 10, n)
    regression = pd.DataFrame({"x": rng.normal(size=n), "inches": height / 2.54, "height": height})
    assert any(note.startswith("column 'inches' alone predicts the target almost perfectly (R² 1.00") for note in make_problem(regression).notes)


def test_honest_columns_are_not_flagged(classification_frame, regression_frame):
    for frame in (classification_frame, regression_frame):
        assert not any("leakage" in note for note in make_problem(frame).notes)
