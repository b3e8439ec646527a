"""Where representation learning happens: projections, hidden activations, CNN filters and feature maps, text's pooled vectors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from text_data import reviews

from bridge.config import CNNConfig, CompareConfig, MLPConfig, TextConfig, TrainConfig
from bridge.experiment import run_comparison
from bridge.io.data import load_builtin, table_dataset
from bridge.outputs import representation
from bridge.outputs.thumbnails import to_pil

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


def _text_run(layers: int):
    config = CompareConfig(baseline="linear", network="text", mlp=MLPConfig(hidden_layers=1, width=8, dropout=0.0), train=TRAIN,
                           text=TextConfig(embedding_dim=8, layers=layers, max_tokens=16), repeats=1)
    return run_comparison(table_dataset(reviews(rows=80), name="reviews"), config)


def test_projection_of_both_views_on_the_same_test_rows(wine):
    projection = representation.projections(wine)
    frame, test_rows = projection.frame, wine.prepared.test_rows
    assert list(frame.columns) == ["view", "pc1", "pc2", "label", "row", "outside"]
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
    model = representation.network_of(wine)
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


def _plotted_spread(values: np.ndarray, window: tuple[float, float]) -> float:
    """The middle half of the drawn points as a share of the axis: near 0 means squashed into a dot."""
    drawn = np.clip(values, *window)  # the chart clamps a row beyond the window to its edge
    q1, q3 = np.percentile(drawn, [25, 75])
    return (q3 - q1) / (window[1] - window[0])


def test_an_ordinary_cloud_is_drawn_whole():
    values = np.random.default_rng(0).normal(size=1000)
    low, high = representation.axis_window(values)
    assert low < values.min() and values.max() < high


def test_one_far_out_value_does_not_set_the_axis():
    values = np.append(np.random.default_rng(0).normal(size=500), 1e4)
    window = representation.axis_window(values)
    assert window[1] < 100
    assert _plotted_spread(values, window) > 0.1


def test_a_flat_axis_still_gets_a_window():
    low, high = representation.axis_window(np.zeros(20))
    assert low < 0 < high


def test_one_extreme_test_row_no_longer_squashes_the_raw_view(wine):
    X = wine.prepared.X_test.copy()
    X[0, 0] = 1e4  # a typo-sized value in one feature of one row
    broken = dataclasses.replace(wine, prepared=dataclasses.replace(wine.prepared, X_test=X))
    projection = representation.projections(broken)
    raw = projection.frame[projection.frame["view"] == "raw inputs"]
    (x_window, y_window) = projection.window["raw inputs"]
    unclipped = np.percentile(raw["pc1"], [25, 75])
    assert (unclipped[1] - unclipped[0]) / np.ptp(raw["pc1"]) < 0.01  # the squash this guards against
    assert _plotted_spread(raw["pc1"].to_numpy(), x_window) > 0.05
    assert _plotted_spread(raw["pc2"].to_numpy(), y_window) > 0.05
    assert raw["outside"].tolist()[0] and raw["outside"].sum() <= 3  # the far row is marked, the rest drawn as they are
    assert raw["pc1"].abs().max() > max(map(abs, x_window))  # the frame keeps the far row's true coordinate for the tooltip


def test_filters_are_drawn_with_a_transparent_gap(digits_cnn):
    single = representation.first_layer_filters(digits_cnn)[0]
    assert to_pil(single, 48).size == (48, 48)
    framed = to_pil(single, 48, gap=3)
    assert framed.size == (54, 54) and framed.mode == "RGBA"
    assert framed.getpixel((0, 0))[3] == 0 and framed.getpixel((53, 27))[3] == 0  # the border is see-through
    assert framed.getpixel((27, 27))[3] == 255  # the filter itself is opaque


def test_text_is_drawn_from_its_pooled_word_vectors_not_from_word_ids():
    run = _text_run(layers=1)
    projection = representation.projections(run)
    assert projection.titles == {"raw inputs": representation.TEXT_INPUT_VIEW, "last hidden layer": "last hidden layer"}
    assert projection.hidden_units == 8
    model, X = representation.network_of(run), run.prepared.X_test
    pooled = representation.pooled_text_vectors(model, X)
    vectors, ids = model.embedding.weight.detach().numpy(), X[:, :16].astype(int)  # the bag encoder: the mean of a text's word vectors
    np.testing.assert_allclose(pooled, np.stack([vectors[row[row > 0]].mean(axis=0) for row in ids]), rtol=1e-5, atol=1e-6)
    drawn = projection.frame[projection.frame["view"] == "raw inputs"]
    expected, _ = representation._project(pooled, run.config["seed"])
    np.testing.assert_allclose(np.abs(drawn[["pc1", "pc2"]].to_numpy()), np.abs(expected), rtol=1e-4, atol=1e-6)


def test_a_text_network_without_hidden_layers_has_no_representation_beyond_its_word_vectors():
    assert representation.projections(_text_run(layers=0)).hidden_units == 0
