"""task: which problem is this (detect_task), and which columns can a model use (plan_columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bridge.problem.task import MAX_CLASSES, detect_task, looks_boolean, looks_like_date, parse_dates, plan_columns, target_looks_like_id

# -- code: detect_task ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["cat", "dog", "cat", "bird"], "classification"),
        (pd.Series(["yes", "no"] * 10, dtype="str"), "classification"),
        ([True, False, True, True], "classification"),
        ([0, 1, 2] * 20, "classification"),
        ([1.0, 2.0, 1.0] * 10, "classification"),  # integer-valued floats are labels too
        (pd.Series(["a", "b", "c"] * 5, dtype="category"), "classification"),
        (np.linspace(0.0, 1.0, 50), "regression"),
        (np.arange(100), "regression"),  # more distinct integers than MAX_CLASSES: a quantity
        ([1.5, 2.5, 1.5, 2.5] * 10, "regression"),
    ],
    ids=["strings", "str-dtype", "bools", "few-ints", "int-floats", "category", "floats", "many-ints", "half-values"],
)
def test_detect_task(values, task):
    assert detect_task(pd.Series(values)) == task


def test_detect_task_ignores_missing_values():
    y = pd.Series(pd.array([0, 1, None] * 10, dtype="Int64"))
    assert detect_task(y) == "classification"
    assert detect_task(pd.Series([0.5, np.nan, 1.7, 2.2] * 10)) == "regression"


def test_integer_class_limit_is_max_classes():
    at_limit = pd.Series(np.tile(np.arange(MAX_CLASSES), 4))
    above = pd.Series(np.tile(np.arange(MAX_CLASSES + 1), 4))
    assert detect_task(at_limit) == "classification"
    assert detect_task(above) == "regression"


def test_integers_that_are_mostly_unique_are_a_quantity():
    assert detect_task(pd.Series([3, 7, 9, 12, 15, 18, 21, 22])) == "regression"  # 8 of 8 distinct, under MAX_CLASSES


# -- code: column roles ------------------------------------------------------------------


@pytest.fixture
def mixed_frame(rng) -> pd.DataFrame:
    n = 40
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(n)],
            "Unnamed: 0": np.arange(n),
            "seq": np.arange(7, 7 + n),
            "comment": [f"the customer wrote note number {i} today" for i in range(n)],
            "code": [f"X{i}" for i in range(n)],
            "const": ["same"] * n,
            "empty": [np.nan] * n,
            "flag": rng.choice(["yes", "no"], n),
            "active": rng.choice([True, False], n),
            "when": [f"2015-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)],
            "color": rng.choice(["red", "green", "blue"], n),
            "x": rng.normal(size=n),
            "k": rng.integers(0, 5, n),
            "target": rng.choice(["a", "b"], n),
        }
    )


def test_plan_columns_gives_every_column_one_role(mixed_frame):
    plan = plan_columns(mixed_frame, "target")
    assert plan.numeric == ["x", "k"]
    assert plan.categorical == ["color"]
    assert plan.boolean == ["flag", "active"]
    assert plan.dates == ["when"]
    assert plan.text == ["comment"]
    assert set(plan.dropped) == {"customer_id", "Unnamed: 0", "seq", "code", "const", "empty"}
    roles = plan.numeric + plan.categorical + plan.boolean + plan.dates + plan.text + list(plan.dropped)
    assert sorted(roles) == sorted(c for c in mixed_frame.columns if c != "target")
    assert plan.used == ["x", "k", "flag", "active", "color"]


@pytest.mark.parametrize(
    ("column", "reason"),
    [
        ("customer_id", "looks like an ID (its name"),
        ("Unnamed: 0", "looks like an ID (its name"),
        ("seq", "row number"),
        ("code", "almost every value is unique"),
        ("const", "single value"),
        ("empty", "every value is missing"),
    ],
)
def test_plan_columns_says_why_a_column_is_left_out(mixed_frame, column, reason):
    assert reason in plan_columns(mixed_frame, "target").dropped[column]


def test_free_text_is_a_text_feature_unless_switched_off(mixed_frame):
    assert plan_columns(mixed_frame, "target").text == ["comment"]
    off = plan_columns(mixed_frame, "target", text_columns=())
    assert off.text == [] and off.dropped["comment"] == "it is free text (7 words per value on average), switched off as a text feature"
    marked = plan_columns(mixed_frame, "target", text_columns=("color",))  # the user's choice: a short-text column read as text
    assert marked.text == ["color"] and "color" not in marked.categorical and "comment" in marked.dropped


def test_high_cardinality_text_is_left_out(rng):
    n = 300
    frame = pd.DataFrame({"city": [f"c{i}" for i in rng.integers(0, 220, n)], "x": rng.normal(size=n), "t": rng.choice(["a", "b"], n)})
    distinct = frame["city"].nunique()
    assert 100 < distinct < 0.9 * n  # many categories, but not an ID
    plan = plan_columns(frame, "t")
    assert plan.dropped["city"] == f"it has {distinct} distinct text values, too many to use as categories"


def test_id_name_with_repeated_values_is_kept(rng):
    """The ID rule needs unique values too: a 'store_id' with 4 stores is a category."""
    frame = pd.DataFrame({"store_id": rng.choice(["s1", "s2", "s3", "s4"], 40), "t": rng.choice(["a", "b"], 40)})
    assert plan_columns(frame, "t").categorical == ["store_id"]


def test_target_is_never_planned(mixed_frame):
    plan = plan_columns(mixed_frame, "x")
    assert "x" not in plan.used and "x" not in plan.dropped
    assert "target" in plan.categorical


@pytest.mark.parametrize(
    ("values", "expected"),
    [(["yes", "no", "Yes"], True), (["T", "F"], True), ([True, False], True), (["yes", "maybe"], False), ([1, 0], False)],
)
def test_looks_boolean(values, expected):
    assert looks_boolean(pd.Series(values)) is expected


def test_looks_like_date():
    assert looks_like_date(pd.Series(["2015-01-02", "2016-03-04 10:30"]))
    assert looks_like_date(pd.Series(["31/12/2015", "01.02.2016"]))
    assert looks_like_date(pd.Series(pd.to_datetime(["2015-01-02"])))
    assert not looks_like_date(pd.Series(["red", "green"]))
    assert not looks_like_date(pd.Series([20150102, 20160304]))


# -- code: dates ------------------------------------------------------------------------


def test_parse_dates_detects_day_first():
    parsed = parse_dates(pd.Series(["31/12/2015", "01/02/2015"]))
    assert parsed.tolist() == [pd.Timestamp(2015, 12, 31), pd.Timestamp(2015, 2, 1)]


def test_parse_dates_month_first_when_nothing_says_otherwise():
    parsed = parse_dates(pd.Series(["12/01/2015", "01/02/2015"]))
    assert parsed.tolist() == [pd.Timestamp(2015, 12, 1), pd.Timestamp(2015, 1, 2)]


def test_parse_dates_iso_and_bad_values():
    parsed = parse_dates(pd.Series(["2015-12-31", "2016-01-02", "not a date"]))
    assert parsed.iloc[:2].tolist() == [pd.Timestamp(2015, 12, 31), pd.Timestamp(2016, 1, 2)]
    assert pd.isna(parsed.iloc[2])


def test_target_looks_like_id():
    assert target_looks_like_id(pd.Series([f"user{i}" for i in range(25)]))
    assert not target_looks_like_id(pd.Series(["a", "b"] * 20))
    assert not target_looks_like_id(pd.Series(np.arange(25.0)))  # numbers are a regression target, not an ID
