"""experiment.run_comparison end to end on small CSVs: the report's contract and its numbers."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from bridge.io.data import load_builtin, load_csv
from bridge.models import classical

TOP_KEYS = {"dataset", "split", "models", "curves", "errors", "recommendation", "per_class", "confusion", "training",
            "baseline_scores", "primary_metric", "notes", "config"}
DATASET_KEYS = {"name", "kind", "rows", "features", "task", "target", "classes"}
MODEL_KEYS = {"name", "metrics", "fit_seconds", "predict_seconds", "parameters"}
PYTORCH_CURVE_KEYS = {"epoch", "train_loss", "val_loss", "val_score"}
SKLEARN_CURVE_KEYS = {"train_size", "train_score", "val_score", "fits"}  # plus val_sd where a size was fitted over seeds
BY_SIZE_KEYS = {"train_size", "val_score", "fits"}


@pytest.fixture(params=["classification", "regression"])
def run(request, classification_run, regression_run):
    return classification_run if request.param == "classification" else regression_run


# -- code: the report's contract ----------------------------------------------------------------


def test_report_keys_follow_the_contract(run):
    report = run.comparison.to_dict()
    assert set(report) == TOP_KEYS
    assert set(report["dataset"]) == DATASET_KEYS
    assert set(report["split"]) == {"train", "val", "test"}
    assert set(report["models"]) == {"dummy", "sklearn", "pytorch"}
    assert all(set(model) == MODEL_KEYS for model in report["models"].values())
    assert set(report["curves"]) == {"pytorch", "sklearn", "pytorch_by_size", "crossing"}
    assert report["curves"]["pytorch"] and all(set(p) == PYTORCH_CURVE_KEYS for p in report["curves"]["pytorch"])
    assert report["curves"]["sklearn"] and all(set(p) - {"val_sd"} == SKLEARN_CURVE_KEYS for p in report["curves"]["sklearn"])
    assert report["curves"]["pytorch_by_size"] and all(set(p) - {"val_sd"} == BY_SIZE_KEYS for p in report["curves"]["pytorch_by_size"])
    assert report["errors"] and all({"row", "true", "sklearn", "pytorch"} <= set(e) for e in report["errors"])
    assert {"choice", "verdict", "confidence", "reasons", "next_action", "evidence"} <= set(report["recommendation"])


def test_dataset_description(classification_run, regression_run):
    cls, reg = classification_run.comparison.dataset, regression_run.comparison.dataset
    assert cls == {"name": "labels.csv", "kind": "table", "rows": 147, "features": cls["features"], "task": "classification",
                   "target": "label", "classes": ["neg", "pos"]}
    assert reg["name"] == "prices.csv" and reg["task"] == "regression" and reg["target"] == "price" and reg["classes"] == []
    # x0, x1, x2 and one column per color: the network and the baseline see the same matrix
    assert cls["features"] == reg["features"] == 6


def test_split_adds_up_to_the_rows_with_a_target(run):
    c = run.comparison
    dropped = 3 if c.dataset["task"] == "classification" else 0
    assert sum(c.split.values()) == c.dataset["rows"] == run.csv_rows - dropped
    data = c.prepared
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (c.split["train"], c.split["val"], c.split["test"])
    assert c.split["test"] == pytest.approx(0.2 * c.dataset["rows"], abs=1)


def test_missing_targets_are_noted(classification_run):
    assert "dropped 3 row(s) with no value for the target 'label'" in classification_run.comparison.notes


def test_model_names_and_parameters(run):
    models = run.comparison.models
    task = run.comparison.dataset["task"]
    assert models["dummy"].name == ("DummyClassifier" if task == "classification" else "DummyRegressor")
    assert models["pytorch"].name == "PyTorch MLP"
    assert models["pytorch"].parameters == 6 * 32 + 32 + 32 * (2 if task == "classification" else 1) + (2 if task == "classification" else 1)
    assert all(m.parameters > 0 and m.fit_seconds >= 0 and m.predict_seconds >= 0 for m in models.values())
    assert models["sklearn"].name == classical.estimator_name(models["sklearn"].artifact)


# -- model behaviour: the numbers are scikit-learn's, on the test rows ------------------------------------


def test_classification_metrics_equal_sklearn_on_the_test_rows(classification_run):
    c = classification_run.comparison
    data = c.prepared
    for key, result in c.models.items():
        pred = result.predictions
        X = data.X_test if key == "pytorch" else data.X_test_flat
        assert np.array_equal(pred, result.artifact.predict(X)), key
        _, proba = classical.predict_with_proba(result.artifact, X, data.classes)
        assert result.metrics["accuracy"] == pytest.approx(skm.accuracy_score(data.y_test, pred))
        assert result.metrics["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(data.y_test, pred))
        assert result.metrics["f1_macro"] == pytest.approx(skm.f1_score(data.y_test, pred, average="macro", zero_division=0))
        assert result.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(data.y_test == "pos", proba[:, 1]))
        np.testing.assert_allclose(result.confidence, proba.max(axis=1))
    assert c.models["dummy"].metrics["balanced_accuracy"] == 0.5
    assert c.models["sklearn"].metrics["balanced_accuracy"] > 0.8


def test_regression_metrics_equal_sklearn_on_the_test_rows(regression_run):
    c = regression_run.comparison
    y = c.prepared.y_test
    for result in c.models.values():
        pred = result.predictions
        assert result.metrics["r2"] == pytest.approx(skm.r2_score(y, pred))
        assert result.metrics["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
        assert result.metrics["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)))
    assert c.models["sklearn"].metrics["r2"] > 0.8
    assert c.models["dummy"].metrics["r2"] < 0.05


def test_test_rows_are_the_csv_rows(classification_run):
    """y_test holds the CSV's own labels at test_rows, which skip the rows without a label."""
    c, frame = classification_run.comparison, classification_run.frame
    rows = c.prepared.test_rows
    assert not set(rows) & {3, 40, 77}
    assert frame.loc[rows, "label"].tolist() == list(c.prepared.y_test)


def test_per_class_and_confusion(classification_run):
    c = classification_run.comparison
    y = c.prepared.y_test
    assert c.confusion["labels"] == ["neg", "pos"]
    for side in ("sklearn", "pytorch"):
        assert c.confusion[side] == skm.confusion_matrix(y, c.models[side].predictions, labels=["neg", "pos"]).tolist()
        assert [row["support"] for row in c.per_class[side]] == [int(np.sum(y == "neg")), int(np.sum(y == "pos"))]


def test_curves(run):
    c = run.comparison
    pytorch, sklearn = c.curves["pytorch"], c.curves["sklearn"]
    assert [p["epoch"] for p in pytorch] == list(range(1, c.training["epochs_run"] + 1))
    assert c.training["epochs_run"] == c.config["train"]["epochs"]  # patience 0: every epoch runs
    sizes = [p["train_size"] for p in sklearn]
    assert sizes == sorted(sizes) and sizes[-1] == c.split["train"]
    assert pytorch[-1]["train_loss"] < pytorch[0]["train_loss"]
    # the network's curve by size is refitted on the same subsets as the baseline's, and ends at the run's own fit
    assert [p["train_size"] for p in c.curves["pytorch_by_size"]] == sizes
    assert c.curves["pytorch_by_size"][-1]["val_score"] == pytest.approx(pytorch[c.training["best_epoch"] - 1]["val_score"])
    assert set(c.curves["crossing"]) >= {"rows", "gap", "sklearn_slope", "pytorch_slope", "converging"}


def test_baseline_scores(run):
    scores = run.comparison.baseline_scores
    assert set(scores["validation"]) == {"linear", "random_forest", "gradient_boosting"}
    assert scores["validation"][scores["chosen"]] == max(scores["validation"].values())


def test_error_rows_are_wrong_rows_with_their_own_values(classification_run):
    c, frame = classification_run.comparison, classification_run.frame
    assert c.errors
    for error in c.errors:
        assert error["true"] != error["sklearn"] or error["true"] != error["pytorch"]
        assert error["true"] == frame.loc[error["row"], "label"]
        assert error["feature: x0"] == pytest.approx(frame.loc[error["row"], "x0"])
        assert error["feature: color"] == frame.loc[error["row"], "color"]
    wrong = np.sum((c.prepared.y_test != c.models["sklearn"].predictions) | (c.prepared.y_test != c.models["pytorch"].predictions))
    assert len(c.errors) == wrong


def test_regression_errors_are_sorted_by_largest_residual(regression_run):
    errors = regression_run.comparison.errors
    worst = [max(abs(e["sklearn_error"]), abs(e["pytorch_error"])) for e in errors]
    assert worst == sorted(worst, reverse=True)
    assert len(errors) == regression_run.comparison.split["test"]
    for e in errors:
        assert e["sklearn_error"] == pytest.approx(e["sklearn"] - e["true"])
        assert e["true"] == pytest.approx(regression_run.frame.loc[e["row"], "price"])


# -- code: progress and the recommendation ---------------------------------------------------------------


def test_progress_fractions_rise_to_one(run):
    fractions = [p.fraction for p in run.progress]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0 and run.progress[-1].stage == "done"
    assert all(0.0 <= f <= 1.0 for f in fractions)
    epochs = [p.epoch.epoch for p in run.progress if p.epoch is not None]
    assert epochs == list(range(1, run.comparison.training["epochs_run"] + 1))


def test_progress_covers_the_seed_reruns(classification_run):
    stages = [p.stage for p in classification_run.progress]
    assert stages.index("prepare") < stages.index("sklearn") < stages.index("pytorch") < stages.index("evaluate")
    assert "seeds" in stages
    spread = classification_run.comparison.recommendation["evidence"]["seeds"]
    assert spread["seeds"] == [0, 1] and len(spread["sklearn"]) == len(spread["pytorch"]) == 2
    assert spread["sklearn"][0] == pytest.approx(classification_run.comparison.models["sklearn"].metrics["balanced_accuracy"], abs=1e-4)


def test_recommendation(run):
    rec = run.comparison.recommendation
    assert rec["choice"] in {"sklearn", "pytorch"}
    assert rec["verdict"] in {"sklearn", "pytorch", "no-signal"}
    assert 0.0 <= rec["confidence"] <= 1.0
    assert rec["reasons"]
    assert all(re.search(r"\d", reason) for reason in rec["reasons"])
    evidence = rec["evidence"]
    models = run.comparison.models
    metric = run.comparison.metric
    assert evidence["gap"] == pytest.approx(models["pytorch"].metrics[metric] - models["sklearn"].metrics[metric], abs=1e-4)
    assert evidence["gap_low"] <= evidence["gap"] <= evidence["gap_high"]


def test_predictions_frame_lists_every_test_row(run):
    c = run.comparison
    frame = c.predictions_frame()
    assert len(frame) == c.split["test"]
    assert sorted(frame["row"]) == sorted(c.prepared.test_rows)
    assert len(c.predictions_frame(errors_only=True)) == len(c.errors)


# -- model behaviour: other inputs -------------------------------------------------------------------------


def test_iris_with_a_few_epochs(fast_config):
    c = run_comparison(load_builtin("iris"), fast_config)
    assert c.dataset["rows"] == 150 and c.dataset["classes"] == ["setosa", "versicolor", "virginica"]
    assert c.split == {"train": 96, "val": 24, "test": 30}
    assert c.models["sklearn"].metrics["balanced_accuracy"] > 0.9
    assert "roc_auc" in c.models["pytorch"].metrics
    assert c.recommendation["evidence"]["seeds"] is None  # one repeat: no rerun


def test_same_config_gives_the_same_numbers(classification_frame, fast_config):
    dataset = load_csv(classification_frame.to_csv(index=False).encode())
    first, again = run_comparison(dataset, fast_config), run_comparison(dataset, fast_config)
    for key in ("dummy", "sklearn", "pytorch"):
        assert first.models[key].metrics == again.models[key].metrics
    assert first.curves["pytorch"] == again.curves["pytorch"]


def test_bad_target_is_a_bridge_error(classification_frame, fast_config):
    from dataclasses import replace

    dataset = load_csv(classification_frame.to_csv(index=False).encode())
    with pytest.raises(BridgeError, match="no column 'Label'"):
        run_comparison(dataset, replace(fast_config, target="Label"))


def test_missing_share_counts_numeric_and_category_cells(rng):
    from bridge.config import CompareConfig
    from bridge.problem.prepare import prepare

    frame = pd.DataFrame({"x": rng.normal(size=40), "color": ["red", "blue", None, "green"] * 10, "y": ["a", "b"] * 20})
    frame.loc[:3, "x"] = np.nan
    data = prepare(load_csv(frame.to_csv(index=False).encode()), CompareConfig())
    assert data.traits["missing_share"] == pytest.approx((10 + 4) / 80)
    assert not np.isnan(data.X_train).any()
    assert "color_(missing)" in data.feature_names


def test_a_csv_with_messy_columns_runs(rng, fast_config):
    n = 80
    x = rng.normal(size=n)
    frame = pd.DataFrame({
        "id": [f"r{i}" for i in range(n)],
        "when": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%d/%m/%Y"),
        "member": rng.choice(["yes", "no"], n),
        "x": np.where(rng.random(n) < 0.1, np.nan, x),
        "y": np.where(x > 0, "up", "down"),
    })
    c = run_comparison(load_csv(frame.to_csv(index=False, sep=";").encode()), fast_config)
    assert any("left out" in note and "'id'" in note for note in c.notes)
    assert any("dates turned into numbers" in note for note in c.notes)
    assert "detected the semicolon separator" in c.notes
    assert "id" not in c.prepared.feature_names
    assert not np.isnan(c.prepared.X_train).any()


class _SlowFirstPass:
    """A regressor whose first predict is slow, as on a machine busy for a moment."""

    def __init__(self):
        self.calls = 0

    def predict(self, X):
        self.calls += 1
        if self.calls == 1:
            time.sleep(0.05)  # simulates the busy moment; nothing here asserts how long anything took
        return np.zeros(len(X))


def test_predict_time_is_the_best_of_a_few_passes_and_a_disagreement_is_noted():
    from types import SimpleNamespace

    from bridge.experiment import PREDICT_REPEATS, _test_result

    data = SimpleNamespace(task="regression", classes=[], y_test=np.arange(5.0), notes=[])
    model = _SlowFirstPass()
    result = _test_result("Slow", model, 0.0, 0, data, np.zeros((5, 2)))
    assert model.calls == PREDICT_REPEATS and result.predict_seconds < 0.05
    assert len(data.notes) == 1 and data.notes[0].startswith("Slow: prediction took") and "the fastest is reported" in data.notes[0]
