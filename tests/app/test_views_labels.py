"""What the screens call things: readable metric names, quality apart from cost, images counted as images, honest wording."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.config import CompareConfig, MLPConfig, TrainConfig
from bridge.decision.evaluate import METRIC_LABELS, classification_metrics, metric_label, regression_metrics
from bridge.experiment import run_comparison
from bridge.io.data import load_builtin
from bridge.outputs.note import bridge_note
from pages import charts, views

TINY = CompareConfig(baseline="linear", mlp=MLPConfig(hidden_layers=1, width=8, dropout=0.0), repeats=1,
                     train=TrainConfig(epochs=2, lr=0.01, batch_size=32, patience=0, device="cpu"))


@pytest.fixture(scope="module")
def iris():
    return run_comparison(load_builtin("iris"), TINY)


def test_metric_labels_are_readable_and_fall_back_to_the_key():
    assert metric_label("balanced_accuracy") == "Balanced accuracy"
    assert metric_label("f1_macro") == "F1 (macro)"
    assert metric_label("roc_auc") == "ROC AUC"
    assert metric_label("r2") == "R²"
    assert metric_label("something_new") == "something_new"


def test_every_metric_bridge_computes_has_a_label():
    scored = {**classification_metrics(["a", "b", "b", "a"], ["a", "b", "a", "a"], np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]),
                                    ["a", "b"]),
              **regression_metrics([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])}
    assert set(scored) <= set(METRIC_LABELS)
    assert len(set(METRIC_LABELS.values())) == len(METRIC_LABELS)  # no two keys read the same


def test_quality_and_cost_rows_split_the_table_without_repeating_a_row(iris):
    whole = views.metrics_table(iris)
    quality, cost = views.metrics_table(iris, "quality"), views.metrics_table(iris, "cost")
    assert list(cost.index) == list(views.COST_ROWS)
    assert set(quality.index) == set(iris.models["sklearn"].metrics)
    assert not set(quality.index) & set(cost.index)
    assert sorted([*quality.index, *cost.index]) == sorted(whole.index)
    assert list(quality.columns) == list(cost.columns) == list(whole.columns)
    with pytest.raises(ValueError):
        views.metrics_table(iris, "everything")


def test_the_shown_quality_table_reads_labels(iris):
    shown = views.labelled(views.metrics_table(iris, "quality"))
    assert "Balanced accuracy" in shown.index and "balanced_accuracy" not in shown.index


def test_images_are_counted_as_images_and_table_rows_as_rows():
    _, images = views.target_balance(load_builtin("digits_images"))
    assert "images" in images and "rows" not in images
    assert charts.balance_chart(images).to_dict()["title"] == "Images per class"
    _, rows = views.target_balance(load_builtin("iris"))
    assert charts.balance_chart(rows).to_dict()["title"] == "Rows per class"


def test_the_note_says_bridge_wrote_the_loop_not_the_user(iris):
    note = dict(bridge_note(iris))
    assert note["New control"].startswith("Bridge wrote out what fit() hides")
    assert "You wrote" not in " ".join(note.values())
    assert "Balanced accuracy" in note["Old skill"] and "balanced_accuracy" not in note["Old skill"]
