"""Fair scikit-learn baselines: class weighting chosen on validation on both sides, and HOG features for images."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.class_weight import compute_class_weight
from threadpoolctl import threadpool_limits

from bridge import experiment
from bridge.cli import build_parser, config_from_args
from bridge.config import CompareConfig, MLPConfig, TrainConfig
from bridge.decision import seeds
from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from bridge.io.data import Dataset
from bridge.io.images import ImageData
from bridge.models import classical, image_features, weighting
from bridge.models.image_features import HOGFeatures, cell_size_for, pixel_layout
from bridge.models.training import NeuralEstimator
from bridge.outputs.scripts import TEMPLATES
from bridge.problem.prepare import prepare

SMALL = {"mlp": MLPConfig(hidden_layers=1, width=16, dropout=0.0), "repeats": 1,
         "train": TrainConfig(epochs=15, lr=0.01, batch_size=64, patience=0, device="cpu")}


def imbalanced_table(common: int = 840, rare: int = 30, seed: int = 0) -> Dataset:
    """28:1 classes; the rare one sits a little apart on two of three features, so a weighted model can find it."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(size=(common, 3)), rng.normal(loc=(1.5, 1.5, 0.0), size=(rare, 3))])
    y = np.array(["common"] * common + ["rare"] * rare, dtype=object)
    order = rng.permutation(len(y))
    frame = pd.DataFrame({"a": X[order, 0], "b": X[order, 1], "c": X[order, 2], "label": y[order]})
    return Dataset("imbalanced", "table", frame=frame, default_target="label")


def stroke_images(per_class: int = 40, side: int = 12, length: int = 5, seed: int = 0) -> Dataset:
    """Three classes of tiny uint8 images: a short stroke across, down or on the diagonal, anywhere, on noise.

    Where the stroke sits changes from image to image, so no pixel means "across": a linear model on raw pixels
    scores about 0.5 on validation, HOG, which counts edge directions, about 0.85.
    """
    rng = np.random.default_rng(seed)
    images, labels, steps = [], [], np.arange(length)
    for label in ("across", "down", "diagonal"):
        for _ in range(per_class):
            image = rng.integers(0, 60, size=(1, side, side))
            row, column = rng.integers(0, side - length, size=2)
            rows = row + (0 * steps if label == "across" else steps)
            columns = column + (0 * steps if label == "down" else steps)
            image[0, rows, columns] = 255
            images.append(image)
            labels.append(label)
    data = ImageData(images=np.asarray(images, dtype=np.uint8), labels=np.asarray(labels, dtype=object), classes=["across", "diagonal", "down"],
                     files=[f"stroke_{i}" for i in range(len(labels))], notes=[], scale=255.0)
    return Dataset("strokes", "images", images=data)


@pytest.fixture(scope="module")
def imbalanced_runs():
    """The same 28:1 table under each class weighting, with the linear baseline (the cheapest) and a small MLP."""
    dataset = imbalanced_table()
    return {choice: run_comparison(dataset, CompareConfig(baseline="linear", class_weight=choice, **SMALL))
            for choice in ("auto", "none", "balanced")}


# -- class weighting ------------------------------------------------------------------------------------------


def test_auto_keeps_balanced_weights_where_validation_says_so_and_balanced_accuracy_rises(imbalanced_runs):
    auto, none = imbalanced_runs["auto"], imbalanced_runs["none"]
    scores = auto.baseline_scores
    assert set(scores["validation"]) == {"linear", "linear (balanced)"}  # both weightings were candidates
    assert scores["chosen"] == "linear (balanced)" and scores["family"] == "linear" and scores["class_weight"] == "balanced"
    assert scores["validation"]["linear (balanced)"] > scores["validation"]["linear"]
    assert auto.training["class_weight"] == "balanced"
    assert set(auto.training["class_weight_validation"]) == {"none", "balanced"}
    for side in ("sklearn", "pytorch"):  # on the test rows too, each side does better on the score that decides
        assert auto.models[side].metrics["balanced_accuracy"] > none.models[side].metrics["balanced_accuracy"] + 0.1, side
    note = [n for n in auto.notes if n.startswith("class weighting (auto")]
    assert len(note) == 1 and "28:1" in note[0] and "scikit-learn kept balanced" in note[0] and "PyTorch kept balanced" in note[0]


def test_forced_weightings_are_respected(imbalanced_runs):
    for choice, label in (("none", "linear"), ("balanced", "linear (balanced)")):
        run = imbalanced_runs[choice]
        assert list(run.baseline_scores["validation"]) == [label] and run.baseline_scores["class_weight"] == choice
        assert run.training["class_weight"] == choice and list(run.training["class_weight_validation"]) == [choice]
        assert run.config["class_weight"] == choice
        assert not [n for n in run.notes if "class weighting" in n]
    balanced = imbalanced_runs["balanced"].models["sklearn"].artifact
    assert balanced.get_params()["class_weight"] == "balanced"


def test_auto_fits_once_per_family_on_balanced_classes(separable):
    chosen = classical.choose_baseline("classification", "auto", *separable, seed=0, class_weight="auto")
    assert set(chosen.val_scores) == {"linear", "random_forest", "gradient_boosting"} and chosen.class_weight == "none"
    assert weighting.to_try("classification", "auto", np.array(["a"] * 19 + ["b"] * 10)) == ["none"]  # 1.9:1: below the ratio
    assert weighting.to_try("classification", "auto", np.array(["a"] * 20 + ["b"] * 10)) == ["none", "balanced"]


def test_regression_ignores_class_weighting(regression_frame):
    X = regression_frame[["x0", "x1", "x2"]].to_numpy()
    y = regression_frame["price"].to_numpy()
    chosen = classical.choose_baseline("regression", "linear", X[:100], y[:100], X[100:], y[100:], seed=0, class_weight="balanced")
    assert list(chosen.val_scores) == ["linear"] and chosen.class_weight == "none"
    network = NeuralEstimator("regression", train=TrainConfig(epochs=2, device="cpu"), class_weight="balanced")
    network.fit(X[:100], y[:100], X[100:], y[100:])
    assert np.isfinite(network.predict(X[100:])).all()
    assert "ignored --class-weight balanced" in weighting.note("balanced", "regression", y, ("none", {}), ("none", {}))
    assert weighting.note("auto", "regression", y, ("none", {}), ("none", {})) is None


def test_balanced_weights_are_scikit_learns():
    y = np.array(["a"] * 28 + ["b"] * 3 + ["c"] * 1, dtype=object)
    expected = compute_class_weight("balanced", classes=np.array(["a", "b", "c"]), y=y)
    np.testing.assert_allclose(weighting.balanced_weights(["a", "b", "c"], y), expected)
    assert weighting.balanced_weights(["a", "z"], y)[1] == 1.0  # a class without training rows: never a target, weight unused


def test_unknown_weighting_is_refused_before_any_data_is_read():
    with pytest.raises(BridgeError, match="class weighting 'sometimes' is unknown; use one of auto, none, balanced"):
        CompareConfig(class_weight="sometimes").validate()
    args = build_parser().parse_args(["compare", "digits_images", "--class-weight", "balanced", "--baseline", "hog"])
    config = config_from_args(args)
    assert config.class_weight == "balanced" and config.baseline == "hog"
    with pytest.raises(BridgeError, match="invalid choice"):
        build_parser().parse_args(["compare", "iris", "--class-weight", "sometimes"])


def test_seed_repeats_reuse_each_sides_weighting(monkeypatch):
    built = {"sklearn": [], "pytorch": []}
    make_baseline = classical.make_baseline

    def recording_baseline(task, name, seed, class_weight="none", pixels=None):
        built["sklearn"].append(class_weight)
        return make_baseline(task, name, seed, class_weight, pixels)

    for_run = experiment.estimators.for_run

    def recording_network(task, network, config, seed, class_weight, text_layout=None):
        built["pytorch"].append(class_weight)
        return for_run(task, network, config, seed, class_weight, text_layout)

    monkeypatch.setattr(experiment.classical, "make_baseline", recording_baseline)
    monkeypatch.setattr(experiment.estimators, "for_run", recording_network)
    config = CompareConfig(**{**SMALL, "repeats": 3, "train": TrainConfig(epochs=2, device="cpu")})
    table = imbalanced_table()
    spread = seeds.seed_spread(config, (0.8, 0.7), lambda seed: experiment.rerun_with_seed(table, config, seed, "linear", "mlp", "balanced", "none"))
    assert built == {"sklearn": ["balanced", "balanced"], "pytorch": ["none", "none"]} and len(spread["sklearn"]) == 3


# -- HOG features for images ----------------------------------------------------------------------------------


def test_hog_descriptors_have_the_expected_shape_and_are_deterministic(monkeypatch):
    rng = np.random.default_rng(0)
    gray, colour = rng.random((5, 64)), rng.random((4, 3 * 16 * 16))
    hog8 = HOGFeatures(image_shape=(1, 8, 8)).fit(gray)
    assert hog8.cell_size_ == 2 and hog8.transform(gray).shape == (5, 3 * 3 * 2 * 2 * 9)  # 4x4 cells, 3x3 blocks of 2x2 cells
    assert HOGFeatures(image_shape=(3, 16, 16)).fit(colour).transform(colour).shape == (4, 3 * 3 * 2 * 2 * 9)
    np.testing.assert_array_equal(hog8.transform(gray), clone(hog8).fit(gray).transform(gray))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(hog8)).transform(gray), hog8.transform(gray))
    whole = hog8.transform(gray)
    monkeypatch.setattr(image_features, "CHUNK_VALUES", 100)  # two images a chunk: the same descriptors, in order
    np.testing.assert_array_equal(hog8.transform(gray), whole)
    assert [cell_size_for(s, s) for s in (8, 20, 24, 64)] == [2, 5, 6, 8]  # a few cells a side, at most 8-pixel cells
    with pytest.raises(ValueError, match="expects 64 values a row"):
        HOGFeatures(image_shape=(1, 8, 8)).fit(colour)


def test_hog_sees_the_images_through_bridges_pixel_scaling():
    """The scikit-learn matrix holds standardised pixels; with the scaler's mean and scale HOG gets the very images back."""
    dataset = stroke_images()
    data = prepare(dataset, CompareConfig())
    pixels = pixel_layout(data, dataset.images)
    on_scaled = HOGFeatures(pixels.shape, pixels.mean, pixels.scale, pixels.levels).fit(data.X_train_flat).transform(data.X_train_flat)
    raw = data.X_train.reshape(len(data.X_train), -1)
    np.testing.assert_array_equal(on_scaled, HOGFeatures(pixels.shape).fit(raw).transform(raw))
    assert not np.allclose(HOGFeatures(pixels.shape).fit(raw).transform(data.X_train_flat), on_scaled)  # scaled pixels are not an image


def test_the_exported_hog_class_computes_bridges_descriptors():
    rng = np.random.default_rng(1)
    X = rng.random((6, 3 * 12 * 12)).astype(np.float32)
    namespace = {}
    exec("import numpy as np\nfrom skimage.feature import hog\nfrom sklearn.base import BaseEstimator, TransformerMixin\n"
         + (TEMPLATES / "hog_features.py.txt").read_text(encoding="utf-8"), namespace)
    script = namespace["HOGFeatures"](image_shape=(3, 12, 12), cell_size=cell_size_for(12, 12)).fit(X)
    np.testing.assert_array_equal(script.transform(X), HOGFeatures(image_shape=(3, 12, 12)).fit(X).transform(X))


def test_image_candidates_include_hog_and_boosting_on_small_images():
    dataset = stroke_images(per_class=10, side=8, length=4)  # 3 x 10 images of 64 pixels: boosting is cheap here
    data = prepare(dataset, CompareConfig())
    parts = (data.X_train_flat, data.y_train, data.X_val_flat, data.y_val)
    with threadpool_limits(limits=1):  # boosting's OpenMP threads crawl on a busy machine; one thread is how the app's jobs run
        small = classical.choose_baseline("classification", "auto", *parts, seed=0, pixels=pixel_layout(data, dataset.images))
        table = classical.choose_baseline("classification", "auto", *parts, seed=0)  # the same numbers as a table: no HOG
    assert set(small.val_scores) == {"linear", "random_forest", "gradient_boosting", "hog"} and not small.notes
    assert set(table.val_scores) == {"linear", "random_forest", "gradient_boosting"}


def test_hog_wins_where_strokes_move_and_is_a_named_choice_for_images_only():
    """Strokes at random places: a raw-pixel linear model cannot tell the classes apart by position, gradients can."""
    dataset = stroke_images()
    data = prepare(dataset, CompareConfig())
    parts = (data.X_train_flat, data.y_train, data.X_val_flat, data.y_val)
    chosen = classical.choose_baseline("classification", "hog", *parts, seed=0, pixels=pixel_layout(data, dataset.images))
    linear = classical.choose_baseline("classification", "linear", *parts, seed=0)
    assert classical.estimator_name(chosen.model) == "HOG + LogisticRegression"
    assert chosen.val_scores["hog"] > linear.val_scores["linear"] + 0.2
    assert classical.learned_values(chosen.model) == chosen.model[-1].coef_.size + chosen.model[-1].intercept_.size
    with pytest.raises(BridgeError, match="the hog baseline reads images; for a table use one of: auto, linear"):
        classical.choose_baseline("classification", "hog", *parts, seed=0)


def test_an_image_compare_picks_among_hog_and_pixels_and_says_when_boosting_is_skipped(monkeypatch):
    monkeypatch.setattr(classical, "BOOSTING_MAX_PIXEL_WORK", 1_000)  # these tiny images as if they were large
    comparison = run_comparison(stroke_images(), CompareConfig(network="mlp", **SMALL))
    validation = comparison.baseline_scores["validation"]
    assert set(validation) == {"linear", "random_forest", "hog"}
    assert comparison.baseline_scores["chosen"] == "hog" and validation["hog"] == max(validation.values())
    expected = f"auto skipped gradient boosting on raw pixels: {comparison.split['train']} images x 144 pixel values x 3 classes is past 1,000"
    skipped = [n for n in comparison.notes if n.startswith(expected)]
    assert len(skipped) == 1 and "--baseline gradient_boosting fits it anyway" in skipped[0]
