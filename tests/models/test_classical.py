"""classical: the Dummy floor, baseline choice on validation, learning curves and parameter counts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from bridge.decision.evaluate import score
from bridge.errors import BridgeError
from bridge.models.classical import (
    BASELINE_CHOICES,
    BASELINES,
    LEARNING_CURVE_FRACTIONS,
    baseline_choices,
    choose_baseline,
    estimator_name,
    learned_values,
    learning_curve,
    make_baseline,
    make_dummy,
    predict_with_proba,
    timed_fit,
)


@pytest.fixture(scope="module")
def regression_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 3))
    y = 3 * X[:, 0] - 2 * X[:, 1] + rng.normal(scale=0.3, size=160)
    return X[:120], y[:120], X[120:], y[120:]


# -- code ---------------------------------------------------------------------------------


def test_baseline_choices_cover_both_tasks():
    assert BASELINE_CHOICES == ["auto", "linear", "random_forest", "gradient_boosting", "hog"]
    assert list(BASELINES["classification"]) == list(BASELINES["regression"]) == BASELINE_CHOICES[1:-1]
    assert baseline_choices(images=False) == BASELINE_CHOICES[:-1] and baseline_choices(images=True) == BASELINE_CHOICES  # HOG reads images


def test_auto_picks_the_best_on_validation(separable):
    X, y, X_val, y_val = separable
    chosen = choose_baseline("classification", "auto", X, y, X_val, y_val, seed=0)
    assert set(chosen.val_scores) == {"linear", "random_forest", "gradient_boosting"}
    assert all(0.0 <= s <= 1.0 for s in chosen.val_scores.values())
    assert chosen.val_scores[chosen.name] == max(chosen.val_scores.values())
    assert chosen.val_scores[chosen.name] == pytest.approx(score("classification", y_val, chosen.model.predict(X_val)))
    assert chosen.fit_seconds > 0
    assert chosen.name == "linear"  # a linear boundary: logistic regression is best on validation


def test_auto_picks_the_best_for_regression(regression_arrays):
    chosen = choose_baseline("regression", "auto", *regression_arrays, seed=0)
    assert chosen.val_scores[chosen.name] == max(chosen.val_scores.values())
    assert chosen.name == "linear" and chosen.val_scores["linear"] > 0.95


def test_a_named_baseline_is_fitted_alone(separable):
    chosen = choose_baseline("classification", "gradient_boosting", *separable, seed=0)
    assert chosen.name == "gradient_boosting"
    assert list(chosen.val_scores) == ["gradient_boosting"]
    assert estimator_name(chosen.model) == "HistGradientBoostingClassifier"


def test_unknown_baseline_is_an_error(separable):
    with pytest.raises(BridgeError, match="unknown baseline 'svm'; use one of: auto, linear, random_forest, gradient_boosting"):
        choose_baseline("classification", "svm", *separable, seed=0)


def test_dummy_is_the_floor(separable):
    X, y, X_val, y_val = separable
    dummy, seconds = timed_fit(make_dummy("classification"), X, y)
    assert estimator_name(dummy) == "DummyClassifier" and seconds >= 0
    assert score("classification", y_val, dummy.predict(X_val)) == 0.5
    assert estimator_name(make_dummy("regression")) == "DummyRegressor"


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_learned_values_are_counted_for_every_model(task, separable, regression_arrays):
    X, y = (separable[0], separable[1]) if task == "classification" else regression_arrays[:2]
    counts = {}
    for name, factory in BASELINES[task].items():
        model = factory(0)
        if name == "random_forest":
            model.set_params(n_estimators=10)
        counts[name] = learned_values(model.fit(X, y))
    counts["dummy"] = learned_values(make_dummy(task).fit(X, y))
    assert all(isinstance(c, int) and c > 0 for c in counts.values()), counts
    assert counts["linear"] == X.shape[1] + 1  # one weight per feature and an intercept (two classes: one row)


def test_learned_values_of_a_multiclass_linear_model(three_classes):
    X, y = three_classes[:2]
    model = LogisticRegression(max_iter=1000).fit(X, y)
    assert learned_values(model) == 3 * X.shape[1] + 3
    assert learned_values(make_dummy("classification").fit(X, y)) == 3


def test_learning_curve_sizes_grow_to_the_full_training_set(separable):
    X, y, X_val, y_val = separable
    points = learning_curve(LogisticRegression(max_iter=1000), "classification", X, y, X_val, y_val, seed=0)
    sizes = [p["train_size"] for p in points]
    assert len(points) == len(LEARNING_CURVE_FRACTIONS)
    assert sizes == sorted(set(sizes)) and sizes[-1] == len(y)
    assert sizes[0] == pytest.approx(0.1 * len(y), abs=1)
    assert all(set(p) == {"train_size", "train_score", "val_score"} for p in points)
    full = LogisticRegression(max_iter=1000).fit(X, y)
    assert points[-1]["val_score"] == pytest.approx(score("classification", y_val, full.predict(X_val)))


def test_learning_curve_skips_sizes_too_small_for_every_class(rng):
    X, X_val = rng.normal(size=(40, 2)), rng.normal(size=(10, 2))
    y_val = np.array(["a"] * 8 + ["b"] * 2, dtype=object)
    four_b = np.array(["a"] * 36 + ["b"] * 4, dtype=object)
    one_b = np.array(["a"] * 39 + ["b"], dtype=object)
    sizes = [p["train_size"] for p in learning_curve(LogisticRegression(), "classification", X, four_b, X_val, y_val, seed=0)]
    assert sizes == [10, 20, 30, 40]  # 10% (4 rows) cannot hold both classes: skipped, not an error
    only = learning_curve(LogisticRegression(), "classification", X, one_b, X_val, y_val, seed=0)
    assert [p["train_size"] for p in only] == [40]


def test_learning_curve_for_regression(regression_arrays):
    from sklearn.linear_model import Ridge

    points = learning_curve(Ridge(), "regression", *regression_arrays, seed=0)
    assert [p["train_size"] for p in points] == [12, 30, 60, 90, 120]
    assert points[-1]["val_score"] > 0.95


def test_predict_with_proba_follows_the_classes_order(three_classes):
    X, y, X_val, _ = three_classes
    model = LogisticRegression(max_iter=1000).fit(X, y)
    order = ["virginica", "setosa", "versicolor"]
    pred, proba = predict_with_proba(model, X_val, order)
    raw = model.predict_proba(X_val)
    assert np.array_equal(pred, model.predict(X_val))
    for column, name in enumerate(order):
        np.testing.assert_allclose(proba[:, column], raw[:, list(model.classes_).index(name)])
    assert np.array(order, dtype=object)[proba.argmax(1)].tolist() == pred.tolist()


def test_predict_with_proba_gives_zero_to_a_class_the_model_never_saw(separable):
    X, y, X_val, _ = separable
    model = LogisticRegression().fit(X, y)
    _, proba = predict_with_proba(model, X_val, ["neg", "other", "pos"])
    assert proba.shape == (len(X_val), 3)
    assert np.all(proba[:, 1] == 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_predict_with_proba_for_regression_has_no_proba(regression_arrays):
    from sklearn.linear_model import Ridge

    X, y, X_val, _ = regression_arrays
    pred, proba = predict_with_proba(Ridge().fit(X, y), X_val, None)
    assert proba is None and pred.shape == (len(X_val),)


def test_a_balanced_forest_fits_labels_that_look_like_numbers():
    """scikit-learn 1.9.1's forest fails on "balanced" with labels "0"/"1"; Bridge's balanced forest reads them."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.array(["0"] * 45 + ["1"] * 15, dtype=object)
    model = make_baseline("classification", "random_forest", 0, "balanced").fit(X, y)
    assert model.class_weight == "balanced_subsample" and set(model.predict(X)) <= {"0", "1"}
