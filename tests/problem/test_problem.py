"""problem.make_problem: from a loaded table to a target, a task and model-ready feature columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bridge.errors import BridgeError
from bridge.problem.table import MIN_ROWS, describe_target, make_problem


def _one_line(info) -> str:
    message = str(info.value)
    assert "\n" not in message
    return message


# -- code: target ---------------------------------------------------------------------


def test_default_target_is_the_last_column(classification_frame):
    problem = make_problem(classification_frame)
    assert problem.target == "label"
    assert problem.task == "classification"
    assert problem.classes == ["neg", "pos"]
    assert list(problem.y) == classification_frame["label"].tolist()
    assert "label" not in problem.features.columns and "label" not in problem.original.columns


def test_default_target_argument_wins_over_the_last_column(classification_frame):
    problem = make_problem(classification_frame, default_target="x2")
    assert (problem.target, problem.task) == ("x2", "regression")


def test_explicit_target(classification_frame):
    problem = make_problem(classification_frame, target="color", default_target="label")
    assert problem.target == "color"
    assert problem.classes == ["blue", "green", "red"]
    assert "label" in problem.categorical


def test_unknown_target_names_the_column_and_suggests_a_case_insensitive_match(classification_frame):
    with pytest.raises(BridgeError) as info:
        make_problem(classification_frame, target="LABEL")
    message = _one_line(info)
    assert "no column 'LABEL'" in message
    assert "did you mean 'label'?" in message
    assert "x0, x1, x2, color, label" in message


def test_unknown_target_without_a_near_match_lists_the_columns(classification_frame):
    with pytest.raises(BridgeError) as info:
        make_problem(classification_frame, target="price")
    message = _one_line(info)
    assert "no column 'price'" in message and "did you mean" not in message


def test_rows_with_missing_target_are_dropped_and_counted(classification_frame):
    frame = classification_frame.astype({"label": object})
    frame.loc[[0, 5, 9], "label"] = np.nan
    problem = make_problem(frame)
    assert problem.rows_dropped == 3
    assert len(problem.y) == len(frame) - 3
    assert list(problem.features.index) == [i for i in range(len(frame)) if i not in (0, 5, 9)]
    assert "dropped 3 row(s) with no value for the target 'label'" in problem.notes


def test_one_class_is_an_error(rng):
    frame = pd.DataFrame({"x": rng.normal(size=30), "y": ["a"] * 30})
    with pytest.raises(BridgeError, match="single class") as info:
        make_problem(frame)
    _one_line(info)


def test_too_few_rows_is_an_error(rng):
    frame = pd.DataFrame({"x": rng.normal(size=MIN_ROWS - 1), "y": ["a", "b"] * 9 + ["a"]})
    with pytest.raises(BridgeError, match=f"only {MIN_ROWS - 1} usable rows") as info:
        make_problem(frame)
    _one_line(info)


def test_missing_targets_count_against_the_minimum(rng):
    frame = pd.DataFrame({"x": rng.normal(size=24), "y": ["a", "b"] * 12}).astype({"y": object})
    frame.loc[:5, "y"] = np.nan
    with pytest.raises(BridgeError, match="only 18 usable rows"):
        make_problem(frame)


def test_id_like_text_target_is_an_error(rng):
    frame = pd.DataFrame({"x": rng.normal(size=30), "user": [f"u{i}" for i in range(30)]})
    with pytest.raises(BridgeError, match="like an ID") as info:
        make_problem(frame)
    _one_line(info)


def test_single_column_is_an_error():
    with pytest.raises(BridgeError, match="single column"):
        make_problem(pd.DataFrame({"y": ["a", "b"] * 15}))


def test_rare_classes_are_dropped_with_a_note(rng):
    frame = pd.DataFrame({"x": rng.normal(size=32), "y": ["a"] * 15 + ["b"] * 15 + ["c", "c"]})
    problem = make_problem(frame)
    assert problem.classes == ["a", "b"]
    assert problem.rows_dropped == 2
    assert len(problem.y) == 30
    assert "dropped 2 row(s) of 1 class(es) with fewer than 3 rows" in problem.notes


def test_unknown_task_is_an_error(classification_frame):
    with pytest.raises(BridgeError, match="unknown task 'clustering'"):
        make_problem(classification_frame, task="clustering")


# -- code: task -----------------------------------------------------------------------


def test_task_override(rng):
    frame = pd.DataFrame({"x": rng.normal(size=30), "y": [0, 1, 2] * 10})
    auto = make_problem(frame)
    assert (auto.task, auto.classes) == ("classification", ["0", "1", "2"])
    regression = make_problem(frame, task="regression")
    assert regression.task == "regression" and regression.classes == []
    assert regression.y.dtype.kind == "f" and regression.y[:3].tolist() == [0.0, 1.0, 2.0]


def test_classification_of_a_float_target_shows_integer_labels(rng):
    frame = pd.DataFrame({"x": rng.normal(size=30), "y": [0.0, 1.0] * 15})
    assert make_problem(frame).classes == ["0", "1"]


def test_regression_target_with_text_is_an_error(rng):
    frame = pd.DataFrame({"x": rng.normal(size=30), "y": [str(i * 1.5) for i in range(29)] + ["lots"]})
    with pytest.raises(BridgeError, match="holds text, so it cannot be regressed") as info:
        make_problem(frame, task="regression")
    _one_line(info)


def test_describe_target(classification_frame, regression_frame):
    assert describe_target(make_problem(classification_frame)) == "2 classes"
    problem = make_problem(regression_frame)
    assert describe_target(problem) == f"numeric, {problem.y.min():.3g} to {problem.y.max():.3g}"


# -- code: feature columns ----------------------------------------------------------------


def test_booleans_become_zero_and_one(rng):
    n = 30
    frame = pd.DataFrame({"flag": ["Yes", "no", " yes", "NO", None] * 6, "x": rng.normal(size=n), "y": ["a", "b"] * 15})
    problem = make_problem(frame)
    assert problem.plan.boolean == ["flag"]
    assert "flag" in problem.numeric
    assert problem.features["flag"].iloc[:5].tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    assert np.isnan(problem.features["flag"].iloc[4])  # missing stays missing, for the imputer


def test_dates_are_expanded_to_the_parts_that_vary(rng):
    n = 40
    days = pd.date_range("2015-12-20", periods=n, freq="D")  # crosses a year: year, month, day and weekday vary
    frame = pd.DataFrame({"when": days.strftime("%d/%m/%Y"), "x": rng.normal(size=n), "y": ["a", "b"] * 20})
    problem = make_problem(frame)
    assert problem.plan.dates == ["when"]
    assert [c for c in problem.numeric if c.startswith("when_")] == ["when_year", "when_month", "when_day", "when_weekday"]
    assert "when" not in problem.features.columns
    assert problem.features["when_day"].iloc[:2].tolist() == [20.0, 21.0]  # day-first: 20/12/2015
    assert problem.features["when_year"].iloc[[0, -1]].tolist() == [2015.0, 2016.0]
    assert problem.features["when_weekday"].iloc[0] == days[0].day_of_week
    assert "column 'when': dates turned into numbers (year, month, day, weekday)" in problem.notes


def test_dates_in_one_month_keep_only_day_and_weekday(rng):
    frame = pd.DataFrame({"when": [f"2020-03-{d:02d}" for d in range(1, 31)], "x": rng.normal(size=30), "y": ["a", "b"] * 15})
    problem = make_problem(frame)
    assert [c for c in problem.numeric if c.startswith("when_")] == ["when_day", "when_weekday"]


def test_left_out_columns_get_a_note(classification_frame):
    frame = classification_frame.assign(row_id=[f"r{i}" for i in range(len(classification_frame))])
    problem = make_problem(frame, target="label")
    assert "row_id" not in problem.features.columns
    assert any(note.startswith("column 'row_id' left out: it looks like an ID") for note in problem.notes)
    assert "row_id" in problem.original.columns  # still shown beside errors


def test_categorical_columns_are_stripped_text(rng):
    frame = pd.DataFrame({"color": [" red", "blue ", "green"] * 10, "x": rng.normal(size=30), "y": ["a", "b"] * 15})
    problem = make_problem(frame)
    assert problem.categorical == ["color"]
    assert problem.features["color"].iloc[:3].tolist() == ["red", "blue", "green"]


def test_missing_categorical_cells_stay_missing(rng):
    frame = pd.DataFrame({"color": [" red", "blue ", None] * 10, "x": rng.normal(size=30), "y": ["a", "b"] * 15})
    values = make_problem(frame).features["color"]  # the imputer, fitted on training rows, fills them
    assert "nan" not in set(values.dropna())
    assert int(values.isna().sum()) == 10


def test_features_and_original_share_the_row_index(classification_frame):
    problem = make_problem(classification_frame)
    assert problem.features.index.equals(problem.original.index)
    assert len(problem.y) == len(problem.features)


def test_no_usable_feature_is_an_error():
    frame = pd.DataFrame({"user_id": [f"u{i}" for i in range(30)], "y": ["a", "b"] * 15})
    with pytest.raises(BridgeError, match="no usable feature columns"):
        make_problem(frame)


# -- data: a CSV through the reader -------------------------------------------------------


def test_csv_with_coerced_and_decimal_comma_columns_gives_plain_float_features():
    from bridge.io.csv_reader import parse_csv

    rows = "".join(f"{i},{5 if i % 2 else 0};{'oops' if i == 3 else i % 7};{'xy'[i % 2]}\n" for i in range(30))
    frame, _, _ = parse_csv(("a;b;t\n" + rows).encode())
    problem = make_problem(frame)
    assert list(problem.features.columns) == ["a", "b"]
    assert all(pd.api.types.is_float_dtype(dtype) for dtype in problem.features.dtypes)  # plain floats, not nullable Float64
    assert not any(isinstance(dtype, pd.api.extensions.ExtensionDtype) for dtype in problem.features.dtypes)
    assert problem.features["a"].iloc[:3].tolist() == [0.0, 1.5, 2.0]
    assert int(problem.features["b"].isna().sum()) == 1
