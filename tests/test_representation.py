"""Where representation learning happens: projections, hidden activations, CNN filters and feature maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bridge import representation
from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.data import load_builtin
from bridge.experiment import run_comparison

TRAIN = TrainConfig(epochs=4, lr=0.01, batch_size=32, patience=0, device="cpu")


def _run(name: str, **overrides):
    settings = {"baseline": "linear", "mlp": MLPConfig(hidden_layers=1, width=12, dropout=0.0), "train": TRAIN, "repeats": 1}
    return run_comparison(load_builtin(name), CompareConfig(**{**settings, **overrides}))


@pytest.fixture(scope="module")
def wine():
    return _run("wine", train=TrainConfig(epochs=30, lr=0.01, batch_size=32, patience=0, device="cpu"))


@pytest.fixture(scope="module")
def digits_cnn():
    return _run("digits_images", network="cnn", cnn=CNNConfig(blocks=1, channels=4, dropout=0.0),
                train=TrainConfig(epochs=1, lr=0.01, batch_size=64, patience=0, device="cpu"))


def test_projection_of_both_views_on_the_same_test_rows(wine):
    projection = representation.projections(wine)
    frame, test_rows = projection.frame, wine.prepared.test_rows
    assert list(frame.columns) == ["view", "pc1", "pc2", "label", "row"]
    for view in representation.VIEWS:
        part = frame[frame["view"] == view]
        np.testing.assert_array_equal(part["row"], test_rows)
        np.testing.assert_array_equal(part["label"], wine.prepared.y_test.astype(str))
        assert 0 < projection.explained[view] <= 1 + 1e-9
        assert -1 <= projection.separation[view] <= 1
    assert projection.hidden_units == 12


def test_the_learned_layer_separates_wine_cultivars_better_than_the_inputs(wine):
    separation = representation.projections(wine).separation
    assert separation["last hidden layer"] > separation["raw inputs"]


def test_hidden_activations_are_the_last_hidden_layer(wine):
    model = wine.models["pytorch"].artifact.model_
    X = wine.prepared.X_test[:5]
    with torch.inference_mode():
        expected = model.body(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(representation.hidden_activations(model, X), expected, rtol=1e-6)


def test_regression_colours_by_the_target():
    projection = representation.projections(_run("diabetes"))
    assert projection.frame["label"].dtype.kind == "f"
    assert projection.separation == {view: None for view in representation.VIEWS}


def test_a_network_without_hidden_layers_has_no_representation():
    projection = representation.projections(_run("iris", mlp=MLPConfig(hidden_layers=0, width=8, dropout=0.0)))
    assert projection.hidden_units == 0


def test_many_test_rows_are_sampled_the_same_way_every_time(digits_cnn):
    first = representation.projections(digits_cnn, max_points=50)
    assert len(first.frame) == 2 * 50
    assert first.frame.equals(representation.projections(digits_cnn, max_points=50).frame)


def test_cnn_filters_and_feature_maps(digits_cnn):
    filters = representation.first_layer_filters(digits_cnn)
    assert filters.shape == (4, 1, 3, 3) and filters.min() >= 0 and filters.max() <= 1
    image, maps = representation.feature_maps(digits_cnn, index=2)
    np.testing.assert_array_equal(image, digits_cnn.prepared.X_test[2])
    assert maps.shape == (4, 8, 8) and maps.min() >= 0 and maps.max() <= 1
    assert representation.projections(digits_cnn).hidden_units == 64


def test_an_mlp_on_images_has_a_projection_but_no_filters():
    run = _run("digits_images", network="mlp", train=TrainConfig(epochs=1, lr=0.01, batch_size=64, patience=0, device="cpu"))
    assert representation.projections(run).hidden_units == 12
    assert representation.first_layer_filters(run) is None and representation.feature_maps(run) is None
