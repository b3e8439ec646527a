"""features: one split and one preprocessing pipeline, fitted on the training rows only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.problem.features import build_preprocessor, split_rows

# -- code: split ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [20, 57, 150, 1000])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_split_sizes_add_up_and_parts_are_disjoint(n, task):
    y = np.array(["a", "b", "c"] * n, dtype=object)[:n] if task == "classification" else np.arange(n, dtype=float)
    split = split_rows(y, task, seed=0)
    parts = [set(split.train), set(split.val), set(split.test)]
    assert sum(split.sizes().values()) == n
    assert parts[0].isdisjoint(parts[1]) and parts[0].isdisjoint(parts[2]) and parts[1].isdisjoint(parts[2])
    assert set().union(*parts) == set(range(n))
    assert all(np.all(np.diff(part) > 0) for part in (split.train, split.val, split.test))  # sorted positions


def test_split_sizes_follow_the_fractions():
    split = split_rows(np.arange(1000, dtype=float), "regression", seed=0, test_size=0.2, val_size=0.25)
    assert split.sizes() == {"train": 600, "val": 200, "test": 200}


def test_split_is_deterministic_for_a_seed_and_changes_with_it():
    y = np.array(["a", "b"] * 100, dtype=object)
    first, again, other = split_rows(y, "classification", 7), split_rows(y, "classification", 7), split_rows(y, "classification", 8)
    assert all(np.array_equal(getattr(first, p), getattr(again, p)) for p in ("train", "val", "test"))
    assert not np.array_equal(first.test, other.test)


def test_split_is_stratified_for_classification(rng):
    y = np.array(["rare"] * 60 + ["common"] * 240, dtype=object)
    rng.shuffle(y)
    split = split_rows(y, "classification", seed=0)
    assert split.stratified
    for part in (split.train, split.val, split.test):
        assert np.mean(y[part] == "rare") == pytest.approx(0.2, abs=0.02)


def test_split_falls_back_to_random_when_a_class_is_too_small():
    y = np.array(["a"] * 30 + ["b"], dtype=object)  # one 'b' cannot be in every part
    split = split_rows(y, "classification", seed=0)
    assert not split.stratified
    assert sum(split.sizes().values()) == 31


def test_regression_split_is_not_stratified():
    assert not split_rows(np.linspace(0, 1, 50), "regression", seed=0).stratified


# -- code: preprocessing ---------------------------------------------------------------


@pytest.fixture
def table(rng) -> pd.DataFrame:
    n = 60
    frame = pd.DataFrame({"a": rng.normal(5, 2, n), "b": rng.normal(size=n), "c": rng.choice(["r", "g", "b"], n).astype(object)})
    frame.loc[[1, 2], "b"] = np.nan
    frame.loc[[3], "c"] = np.nan
    frame.loc[45:, "a"] += 100.0  # rows outside the training part look very different
    return frame


def test_scaler_is_fitted_on_the_training_rows_only(table):
    train = table.iloc[:40]
    transform = build_preprocessor(["a", "b"], ["c"], len(train))
    out = transform.fit_transform(train)
    scaler = transform.named_transformers_["numeric"][-1]
    imputed_b = train["b"].fillna(train["b"].median())
    assert scaler.mean_[0] == pytest.approx(train["a"].mean())
    assert scaler.mean_[1] == pytest.approx(imputed_b.mean())
    assert scaler.mean_[0] != pytest.approx(table["a"].mean())  # not the mean of all rows
    assert out[:, 0].mean() == pytest.approx(0.0, abs=1e-9) and out[:, 0].std() == pytest.approx(1.0)


def test_missing_values_are_imputed_with_an_indicator(table):
    transform = build_preprocessor(["a", "b"], ["c"], 40)
    out = transform.fit_transform(table.iloc[:40])
    names = list(transform.get_feature_names_out())
    assert not np.isnan(out).any()
    assert "missingindicator_b" in names
    indicator = out[:, names.index("missingindicator_b")]
    assert (indicator > 0).tolist() == table.iloc[:40]["b"].isna().tolist()
    test = transform.transform(pd.DataFrame({"a": [np.nan], "b": [np.nan], "c": [np.nan]}).astype({"c": object}))
    assert not np.isnan(test).any()


def test_unseen_categories_do_not_raise(table):
    transform = build_preprocessor(["a", "b"], ["c"], 40)
    transform.fit(table.iloc[:40])
    names = list(transform.get_feature_names_out())
    new = pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 1.0], "c": ["purple", "r"]}).astype({"c": object})
    out = transform.transform(new)
    assert out.shape == (2, len(names))
    one_hot = [i for i, name in enumerate(names) if name.startswith("c_")]
    assert out[0, [names.index("c_r"), names.index("c_g"), names.index("c_b")]].tolist() == [0.0, 0.0, 0.0]
    assert out[1, names.index("c_r")] == 1.0 and out[1, one_hot].sum() == 1.0


def test_numeric_only_and_categorical_only(table):
    numeric = build_preprocessor(["a"], [], 40).fit_transform(table.iloc[:40])
    categorical = build_preprocessor([], ["c"], 40).fit_transform(table.iloc[:40])
    assert numeric.shape == (40, 1)
    assert categorical.shape[0] == 40 and set(np.unique(categorical)) <= {0.0, 1.0}


def test_rare_categories_share_one_column(rng):
    n = 200
    values = np.array([f"v{i}" for i in range(n)], dtype=object)
    values[:150] = rng.choice(["x", "y"], 150)  # two common values, 50 values seen once
    frame = pd.DataFrame({"c": values})
    transform = build_preprocessor([], ["c"], n)
    out = transform.fit_transform(frame)
    assert list(transform.get_feature_names_out()) == ["c_x", "c_y", "c_infrequent_sklearn"]
    assert out.sum(axis=1).tolist() == [1.0] * n


# -- code: properties over many sizes and seeds ------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(n=st.integers(20, 400), seed=st.integers(0, 2**31 - 1), classes=st.integers(2, 5), task=st.sampled_from(["classification", "regression"]))
def test_split_properties(n, seed, classes, task):
    y = np.array([f"c{i % classes}" for i in range(n)], dtype=object) if task == "classification" else np.arange(n, dtype=float)
    split = split_rows(y, task, seed)
    everything = np.concatenate([split.train, split.val, split.test])
    assert len(everything) == n and len(np.unique(everything)) == n
    assert np.array_equal(split_rows(y, task, seed).test, split.test)
    assert len(split.train) > len(split.val) and len(split.test) >= 1
    if task == "classification" and split.stratified:
        assert set(y[split.train]) == set(y)  # every class is in the training part


def test_feature_names_are_unique_when_a_derived_name_equals_a_column():
    """One-hot 'c_x' and the indicator 'missingindicator_a' already exist as columns: the derived ones get _2, the columns keep theirs."""
    from bridge.problem.features import feature_names

    table = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0] * 5, "c_x": np.arange(20.0), "missingindicator_a": np.arange(20.0) % 3,
                          "c": ["x", "y"] * 10})
    transform = build_preprocessor(["a", "c_x", "missingindicator_a"], ["c"], 20).fit(table)
    names, renamed = feature_names(transform)
    assert names == ["a", "c_x", "missingindicator_a", "missingindicator_a_2", "c_x_2", "c_y"]
    assert renamed == [("missingindicator_a", "missingindicator_a_2"), ("c_x", "c_x_2")]
    assert len(names) == transform.transform(table).shape[1]
    plain = build_preprocessor(["a"], ["c"], 20).fit(table)
    assert feature_names(plain) == (list(plain.get_feature_names_out()), [])
