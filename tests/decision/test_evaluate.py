"""evaluate and evidence: every number checked against scikit-learn's own functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from bridge.decision import evaluate
from bridge.decision.evaluate import (
    classification_metrics,
    confusion,
    error_table,
    per_class_metrics,
    prediction_frame,
    primary_metric,
    regression_metrics,
    score,
    task_metrics,
)
from bridge.decision.evidence import bootstrap_p, mcnemar_p, paired_gap, paired_p

CLASSES = ["ant", "bee", "cat"]


@pytest.fixture
def labels(rng):
    y_true = rng.choice(CLASSES, size=200).astype(object)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.choice(CLASSES, size=200)).astype(object)
    proba = rng.dirichlet(np.ones(3), size=200)
    return y_true, y_pred, proba


# -- code: metrics against scikit-learn (reference checks) ------------------------------------


def test_classification_metrics_match_sklearn(labels):
    y_true, y_pred, proba = labels
    result = classification_metrics(y_true, y_pred, proba, CLASSES)
    assert result["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert result["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))
    assert result["f1_macro"] == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert result["roc_auc"] == pytest.approx(skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=CLASSES))
    assert 0.6 < result["accuracy"] < 0.9  # the fixture is neither trivial nor random


def test_binary_roc_auc_uses_the_second_class_as_positive(rng):
    y_true = rng.choice(["no", "yes"], size=100).astype(object)
    p_yes = np.clip((y_true == "yes") * 0.3 + rng.random(100) * 0.7, 0, 1)
    proba = np.column_stack([1 - p_yes, p_yes])
    y_pred = np.where(p_yes > 0.5, "yes", "no")
    result = classification_metrics(y_true, y_pred, proba, ["no", "yes"])
    assert result["roc_auc"] == pytest.approx(skm.roc_auc_score(y_true == "yes", p_yes))
    assert result["roc_auc"] > 0.7


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_roc_auc_is_left_out_without_probabilities_or_when_a_class_is_absent(labels):
    y_true, y_pred, proba = labels
    assert "roc_auc" not in classification_metrics(y_true, y_pred)
    only_two = y_true != "cat"
    assert "roc_auc" not in classification_metrics(y_true[only_two], y_pred[only_two], proba[only_two], CLASSES)


def test_regression_metrics_match_sklearn(rng):
    y_true = rng.normal(10, 3, size=150)
    y_pred = y_true + rng.normal(0, 1, size=150)
    result = regression_metrics(y_true, y_pred)
    assert result["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y_true, y_pred)))
    assert result["mae"] == pytest.approx(skm.mean_absolute_error(y_true, y_pred))
    assert result["r2"] == pytest.approx(skm.r2_score(y_true, y_pred))
    assert set(result) == {"rmse", "mae", "r2"}


def test_score_and_task_metrics_dispatch_on_the_task(labels, rng):
    y_true, y_pred, proba = labels
    assert primary_metric("classification") == "balanced_accuracy" and primary_metric("regression") == "r2"
    assert score("classification", y_true, y_pred) == pytest.approx(skm.balanced_accuracy_score(y_true, y_pred))
    assert task_metrics("classification", y_true, y_pred, proba, CLASSES) == classification_metrics(y_true, y_pred, proba, CLASSES)
    y, p = rng.normal(size=50), rng.normal(size=50)
    assert score("regression", y, p) == pytest.approx(skm.r2_score(y, p))
    assert task_metrics("regression", y, p) == regression_metrics(y, p)


def test_metrics_are_plain_floats(labels):
    y_true, y_pred, proba = labels
    assert all(type(v) is float for v in classification_metrics(y_true, y_pred, proba, CLASSES).values())


def test_per_class_metrics_match_sklearn(labels):
    y_true, y_pred, _ = labels
    rows = per_class_metrics(y_true, y_pred, CLASSES)
    precision, recall, f1, support = skm.precision_recall_fscore_support(y_true, y_pred, labels=CLASSES)
    assert [row["class"] for row in rows] == CLASSES
    assert [row["precision"] for row in rows] == pytest.approx(precision)
    assert [row["recall"] for row in rows] == pytest.approx(recall)
    assert [row["f1"] for row in rows] == pytest.approx(f1)
    assert [row["support"] for row in rows] == support.tolist()
    assert sum(row["support"] for row in rows) == len(y_true)


def test_confusion_rows_are_the_truth():
    y_true = ["ant", "ant", "ant", "bee", "cat"]
    y_pred = ["bee", "bee", "ant", "bee", "ant"]
    matrix = confusion(y_true, y_pred, CLASSES)
    assert matrix == [[1, 2, 0], [0, 1, 0], [1, 0, 0]]
    assert [sum(row) for row in matrix] == [3, 1, 1]  # row sums are the true class counts


# -- code: error table ---------------------------------------------------------------------


@pytest.fixture
def answers():
    rows = np.array([10, 11, 12, 13, 14])
    y_true = np.array(["a", "a", "b", "b", "a"], dtype=object)
    sk = np.array(["a", "b", "b", "a", "a"], dtype=object)
    pt = np.array(["a", "a", "a", "b", "a"], dtype=object)
    sk_conf = np.array([0.9, 0.6, 0.8, 0.95, 0.7])
    pt_conf = np.array([0.7, 0.5, 0.99, 0.6, 0.8])
    features = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0, 5.0], "color": ["r", "g", "b", "r", "g"]}, index=rows)
    return rows, y_true, sk, pt, sk_conf, pt_conf, features


def test_error_table_keeps_only_wrong_rows_most_confident_first(answers):
    table = error_table("classification", *answers)
    assert [r["row"] for r in table] == [12, 13, 11]  # pytorch wrong at 0.99, sklearn at 0.95, sklearn at 0.6
    assert all(not (r["sklearn_correct"] and r["pytorch_correct"]) for r in table)
    assert (table[0]["true"], table[0]["sklearn"], table[0]["pytorch"]) == ("b", "b", "a")
    assert [r["agree"] for r in table] == [False, False, False]


def test_error_table_attaches_the_row_own_feature_values(answers):
    features = answers[-1]
    records = error_table("classification", *answers)
    assert len(records) == 3  # the three rows some side got wrong: the loop below checks something
    for record in records:
        assert record["feature: size"] == features.loc[record["row"], "size"]
        assert record["feature: color"] == features.loc[record["row"], "color"]


def test_error_table_limit(answers):
    assert [r["row"] for r in error_table("classification", *answers, limit=2)] == [12, 13]


def test_error_table_without_confidence_still_lists_wrong_rows(answers):
    rows, y_true, sk, pt, _, _, features = answers
    table = error_table("classification", rows, y_true, sk, pt, None, None, features)
    assert sorted(r["row"] for r in table) == [11, 12, 13]


def test_regression_error_table_is_sorted_by_largest_residual(answers):
    rows, features = answers[0], answers[-1]
    y_true = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    sk = np.array([1.0, 5.0, 3.0, 4.5, 5.1])
    pt = np.array([0.0, 2.0, 3.0, 4.0, 2.0])
    table = error_table("regression", rows, y_true, sk, pt, features=features)
    assert [r["row"] for r in table] == [11, 14, 10, 13, 12]  # every row stays: 3.0, 3.0 (stable), 1.0, 0.5, 0.0
    assert table[0]["sklearn_error"] == 3.0 and table[1]["pytorch_error"] == -3.0
    assert table[0]["feature: size"] == 2.0


def test_prediction_frame_keeps_every_row(answers):
    frame = prediction_frame("classification", *answers)
    assert len(frame) == 5 and set(frame["row"]) == {10, 11, 12, 13, 14}
    assert frame["sklearn_correct"].sum() == 3 and frame["pytorch_correct"].sum() == 4


def test_error_records_are_json_plain(answers):
    import json

    rows, y_true, sk, pt, sk_conf, pt_conf, features = answers
    features = features.assign(size=[1.0, np.nan, 3.0, 4.0, 5.0])
    table = error_table("classification", rows, y_true, sk, pt, sk_conf, pt_conf, features)
    text = json.dumps(table, allow_nan=False)
    assert [r["feature: size"] for r in json.loads(text)] == [3.0, 4.0, None]


# -- model behaviour: the paired gap --------------------------------------------------------


def test_classification_gap_is_the_balanced_accuracy_difference(labels, rng):
    y_true, sk_pred, _ = labels
    pt_pred = np.where(rng.random(200) < 0.85, y_true, rng.choice(CLASSES, size=200)).astype(object)
    estimate = paired_gap("classification", y_true, sk_pred, pt_pred, samples=300)
    expected = skm.balanced_accuracy_score(y_true, pt_pred) - skm.balanced_accuracy_score(y_true, sk_pred)
    assert estimate.gap == pytest.approx(expected)
    assert estimate.low <= estimate.gap <= estimate.high
    assert len(estimate.draws) == 300


def test_regression_gap_is_the_r2_difference(rng):
    y_true = rng.normal(size=120)
    sk_pred, pt_pred = y_true + rng.normal(0, 0.8, 120), y_true + rng.normal(0, 0.5, 120)
    estimate = paired_gap("regression", y_true, sk_pred, pt_pred, samples=300)
    assert estimate.gap == pytest.approx(skm.r2_score(y_true, pt_pred) - skm.r2_score(y_true, sk_pred))


def test_identical_predictions_give_no_gap(labels):
    y_true, y_pred, _ = labels
    estimate = paired_gap("classification", y_true, y_pred, y_pred.copy(), samples=200)
    assert (estimate.gap, estimate.low, estimate.high) == (0.0, 0.0, 0.0)
    assert estimate.share_above(0.0) == 0.0
    assert mcnemar_p(y_true, y_pred, y_pred) == 1.0


def test_a_clearly_better_side_has_an_interval_that_excludes_zero(labels):
    y_true, sk_pred, _ = labels
    estimate = paired_gap("classification", y_true, sk_pred, y_true.copy(), samples=500)  # pytorch perfect
    assert estimate.gap > 0.2
    assert estimate.low > 0
    assert estimate.share_above(0.0) == 1.0
    p, name = paired_p("classification", y_true, sk_pred, y_true, estimate)
    assert name == "McNemar" and p < 1e-6


def test_a_clearly_worse_regressor_has_an_interval_below_zero(rng):
    y_true = rng.normal(size=100)
    estimate = paired_gap("regression", y_true, y_true + rng.normal(0, 0.1, 100), y_true + rng.normal(0, 1.0, 100), samples=500)
    assert estimate.high < 0
    p, name = paired_p("regression", y_true, None, None, estimate)
    assert name == "paired bootstrap" and p == bootstrap_p(estimate) == 0.0


def test_gap_is_deterministic_for_a_seed(labels):
    y_true, sk_pred, _ = labels
    first = paired_gap("classification", y_true, sk_pred, y_true, seed=3, samples=200)
    again = paired_gap("classification", y_true, sk_pred, y_true, seed=3, samples=200)
    assert np.array_equal(first.draws, again.draws)


def test_mcnemar_counts_only_discordant_rows():
    y = np.array(["a"] * 10)
    a = np.array(["a"] * 5 + ["b"] * 5)  # a right on 5
    b = np.array(["a"] * 10)  # b right on all: 5 discordant rows, all for b
    assert mcnemar_p(y, a, b) == pytest.approx(2 * 0.5**5)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true", "ignore:A single label was found")
@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(5, 60))
def test_gap_matches_sklearn_for_any_labels(data, n):
    labels = st.sampled_from(["a", "b", "c"])
    y_true = np.array(data.draw(st.lists(labels, min_size=n, max_size=n)), dtype=object)
    sk = np.array(data.draw(st.lists(labels, min_size=n, max_size=n)), dtype=object)
    pt = np.array(data.draw(st.lists(labels, min_size=n, max_size=n)), dtype=object)
    estimate = paired_gap("classification", y_true, sk, pt, samples=50)
    expected = skm.balanced_accuracy_score(y_true, pt) - skm.balanced_accuracy_score(y_true, sk)
    assert estimate.gap == pytest.approx(expected, abs=1e-12)
    assert np.all(np.abs(estimate.draws) <= 1.0)


def test_text_columns_come_first_among_the_features_shown_even_past_the_limit(answers, monkeypatch):
    rows, y_true, sk, pt, sk_conf, pt_conf, features = answers
    monkeypatch.setattr(evaluate, "ERROR_FEATURES", 2)
    wide = features.assign(extra=0.0, note=["x y z w"] * len(rows))  # the text column is the last of four
    table = evaluate.prediction_frame("classification", rows, y_true, sk, pt, sk_conf, pt_conf, wide, first=["note"])
    assert [c for c in table.columns if c.startswith("feature: ")] == ["feature: note", "feature: size"]
