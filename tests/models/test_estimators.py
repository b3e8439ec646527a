"""bridge.models.estimators: the PyTorch networks pass scikit-learn's own estimator checks and work in its tools.

Tiny networks and few epochs throughout: the checks fit hundreds of times, and the whole file stays well under a minute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from bridge.config import MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.models.estimators import TorchCNNClassifier, TorchMLPClassifier, TorchMLPRegressor
from bridge.models.training import NeuralEstimator

FAST = {"epochs": 20, "lr": 0.02, "batch_size": 32, "patience": 0, "device": "cpu"}
SMALL_MLP = {"hidden_layers": 1, "width": 16, "dropout": 0.0, **FAST}
SMALL_CNN = {"blocks": 1, "channels": 8, "dropout": 0.0, **FAST, "epochs": 10, "lr": 0.05, "batch_size": 64}

# Every check scikit-learn is expected to fail, with the reason; a check missing here passes.
CLASS_WEIGHT_DICT = ("class_weight takes None or 'balanced', as a comparison run does; a dict of per-class weights needs "
                     "NeuralEstimator to accept one")
CONVOLUTION_FLOAT32 = ("can fail: float32 convolutions (oneDNN) pick their algorithm by batch size, so one image alone and the same "
                       "image in a batch of 20 may give probabilities that differ by ~2e-7, over the check's 1e-7 (it depends on the weights)")
EXPECTED_FAILURES = {
    TorchMLPClassifier: {"check_class_weight_classifiers": CLASS_WEIGHT_DICT},
    TorchMLPRegressor: {},
    TorchCNNClassifier: {"check_class_weight_classifiers": CLASS_WEIGHT_DICT, "check_methods_subset_invariance": CONVOLUTION_FLOAT32},
}


def expected_failures(estimator) -> dict[str, str]:
    return EXPECTED_FAILURES[type(estimator)]


# The checks feed 2-D tables: image_shape=(1, 1) has the CNN read each column as a channel of a one-pixel image. Not
# xfail_strict: the convolution check passes or fails with the platform; test_a_bad_setting_... pins the dict refusal.
@parametrize_with_checks([TorchMLPClassifier(**SMALL_MLP), TorchMLPRegressor(**SMALL_MLP), TorchCNNClassifier(image_shape=(1, 1), **SMALL_CNN)],
                         expected_failed_checks=expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py: tiny networks train faster on one thread


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


@pytest.fixture(scope="module")
def split_iris(iris):
    """Iris with every fifth row as validation rows, both halves holding all three species."""
    X, y = iris
    val = np.arange(len(y)) % 5 == 0
    return X[~val], y[~val], X[val], y[val]


def test_scikit_learn_tools_take_the_estimators(iris):
    X, y = iris
    pipeline = make_pipeline(StandardScaler(), TorchMLPClassifier(**SMALL_MLP, random_state=0))
    assert cross_val_score(pipeline, X, y, cv=3).mean() > 0.8
    search = GridSearchCV(pipeline, {"torchmlpclassifier__width": [2, 16]}, cv=3).fit(X, y)
    assert search.best_params_ == {"torchmlpclassifier__width": 16}  # two units cannot separate three species as well
    assert search.best_estimator_[-1].neural_estimator_.mlp.width == 16  # the searched value reached the network


def test_clone_copies_the_settings_not_the_fit(iris):
    X, y = iris
    fitted = TorchMLPClassifier(**SMALL_MLP, random_state=0).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "neural_estimator_") and not hasattr(copy, "classes_")
    with pytest.raises(NotFittedError):
        copy.predict(X)


def test_same_random_state_same_predictions_and_the_global_torch_rng_is_untouched(iris):
    X, y = iris
    settings = {**SMALL_MLP, "dropout": 0.3}  # dropout draws from torch's global generator during fit
    before = torch.get_rng_state()
    first = TorchMLPClassifier(**settings, random_state=7).fit(X, y).predict_proba(X)
    assert torch.equal(torch.get_rng_state(), before)
    again = TorchMLPClassifier(**settings, random_state=7).fit(X, y).predict_proba(X)
    other = TorchMLPClassifier(**settings, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_random_state_trains_as_a_comparison_run_with_that_seed(split_iris):
    """random_state=s with eval_set is NeuralEstimator(seed=s) on the same rows: switching the app to these estimators keeps its numbers."""
    X, y, X_val, y_val = split_iris
    estimator = TorchMLPClassifier(**SMALL_MLP, random_state=3).fit(X, y, eval_set=(X_val, y_val))
    mlp = MLPConfig(hidden_layers=1, width=16, dropout=0.0)
    train = TrainConfig(epochs=20, lr=0.02, batch_size=32, patience=0, device="cpu")
    direct = NeuralEstimator("classification", mlp=mlp, train=train, seed=3).fit(X, y, X_val, y_val)
    np.testing.assert_array_equal(estimator.predict_proba(X_val), direct.predict_proba(X_val) / direct.predict_proba(X_val).sum(1, keepdims=True))


def test_eval_set_is_what_early_stopping_watches(split_iris):
    X, y, X_val, y_val = split_iris
    estimator = TorchMLPClassifier(**{**SMALL_MLP, "epochs": 40, "patience": 5}, random_state=0).fit(X, y, eval_set=(X_val, y_val))
    best = estimator.neural_estimator_.history_[estimator.best_epoch_ - 1]
    # The weights kept are the best epoch's, and its validation loss is the cross-entropy on eval_set's rows.
    assert best.val_loss == pytest.approx(log_loss(y_val, estimator.predict_proba(X_val), labels=estimator.classes_), rel=1e-4)
    assert best.val_loss != pytest.approx(log_loss(y, estimator.predict_proba(X), labels=estimator.classes_), rel=1e-4)


def test_without_held_out_rows_the_training_rows_are_watched(iris):
    X, y = iris
    estimator = TorchMLPClassifier(**SMALL_MLP, validation_fraction=0.0, random_state=0).fit(X, y)
    best = estimator.neural_estimator_.history_[estimator.best_epoch_ - 1]
    assert best.val_loss == pytest.approx(log_loss(y, estimator.predict_proba(X), labels=estimator.classes_), rel=1e-4)


def test_on_epoch_can_stop_training(iris):
    X, y = iris
    seen = []

    def stop_after_one(log):
        seen.append(log.epoch)
        return False

    estimator = TorchMLPClassifier(**SMALL_MLP, random_state=0).fit(X, y, on_epoch=stop_after_one)
    assert seen == [1] and estimator.n_iter_ == 1


def test_probabilities_sum_to_one_and_regressors_have_none(iris):
    X, y = iris
    proba = TorchMLPClassifier(**SMALL_MLP, random_state=0).fit(X, y).predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert not hasattr(TorchMLPRegressor(), "predict_proba")


@pytest.mark.parametrize("labels", [np.array(["setosa", "versicolor", "virginica"]), np.array([10, 20, 30]), np.array([True, False, True])],
                         ids=["strings", "integers", "booleans"])
def test_labels_come_back_in_their_own_type(iris, labels):
    X, species = iris
    y = labels[np.searchsorted(["setosa", "versicolor", "virginica"], species)]
    estimator = TorchMLPClassifier(**SMALL_MLP, random_state=0).fit(X, y)
    predictions = estimator.predict(X)
    assert predictions.dtype == y.dtype and estimator.classes_.dtype == y.dtype  # not object arrays
    np.testing.assert_array_equal(estimator.classes_, np.unique(y))
    assert np.mean(predictions == y) > 0.8


def test_a_class_seen_only_in_eval_set_gets_a_column(split_iris):
    X, y, X_val, y_val = split_iris
    keep = y != "virginica"
    estimator = TorchMLPClassifier(**SMALL_MLP, random_state=0).fit(X[keep], y[keep], eval_set=(X_val, y_val))
    assert estimator.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert estimator.predict_proba(X_val).shape == (len(X_val), 3)


def test_a_class_of_one_row_still_fits(iris):
    """Stratifying the held-out rows needs two rows a class: with one, the split is drawn unstratified."""
    X, y = iris
    y = y.copy()
    y[0] = "rare"
    estimator = TorchMLPClassifier(**SMALL_MLP, random_state=0).fit(X, y)
    assert "rare" in estimator.classes_


def test_regressor_learns_a_target_far_from_unit_scale():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = 1000 + 30 * X[:, 0] - 10 * X[:, 1] + rng.normal(size=200)
    regressor = TorchMLPRegressor(**SMALL_MLP, random_state=0).fit(X, y)
    assert regressor.predict(X).dtype == np.float64
    assert regressor.score(X, y) > 0.9


def test_feature_names_come_from_a_dataframe(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    estimator = TorchMLPClassifier(**SMALL_MLP, random_state=0).fit(frame, y)
    assert estimator.n_features_in_ == 4
    assert estimator.feature_names_in_.tolist() == ["sepal_l", "sepal_w", "petal_l", "petal_w"]


@pytest.fixture(scope="module")
def images():
    """40 grey 8x8 images: a bright left half or a bright right half, under noise."""
    rng = np.random.default_rng(0)
    y = np.repeat(["left", "right"], 20)
    X = rng.normal(scale=0.3, size=(40, 1, 8, 8)).astype(np.float32)
    X[y == "left", :, :, :4] += 1.0
    X[y == "right", :, :, 4:] += 1.0
    return X, y


def test_cnn_reads_images_in_every_layout_alike(images):
    X, y = images
    settings = {**SMALL_CNN, "channels": 4, "validation_fraction": 0.2, "random_state": 0}
    four_d = TorchCNNClassifier(**settings).fit(X, y)
    assert four_d.image_shape_ == (1, 8, 8)
    assert np.mean(four_d.predict(X) == y) > 0.9
    three_d = TorchCNNClassifier(**settings).fit(X[:, 0], y)  # (n, height, width): one channel
    flat = TorchCNNClassifier(**settings, image_shape=(8, 8)).fit(X.reshape(40, 64), y)  # rows of pixels, as a Pipeline passes them
    np.testing.assert_array_equal(three_d.predict_proba(X[:, 0]), four_d.predict_proba(X))
    np.testing.assert_array_equal(flat.predict_proba(X.reshape(40, 64)), four_d.predict_proba(X))


def test_cnn_refuses_what_it_cannot_read(images):
    X, y = images
    with pytest.raises(BridgeError, match="image_shape"):
        TorchCNNClassifier(**SMALL_CNN).fit(X.reshape(40, 64), y)
    with pytest.raises(BridgeError, match="square"):
        TorchCNNClassifier(**SMALL_CNN).fit(X[:, :, :, :6], y)
    fitted = TorchCNNClassifier(**SMALL_CNN, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="fitted on 1x8x8"):
        fitted.predict(X[:, :, :4, :4])


@pytest.mark.parametrize("setting", [{"width": 0}, {"epochs": "ten"}, {"validation_fraction": 1.0}, {"class_weight": {"a": 2.0}},
                                     {"device": "tpu"}, {"random_state": -1}, {"lr": float("nan")}])
def test_a_bad_setting_is_one_line_saying_what_to_use(iris, setting):
    X, y = iris
    with pytest.raises(BridgeError) as error:
        TorchMLPClassifier(**{**SMALL_MLP, **setting}).fit(X, y)
    assert "\n" not in str(error.value) and "use" in str(error.value)


def test_eval_set_labels_of_another_type_are_refused(split_iris):
    X, y, X_val, y_val = split_iris
    with pytest.raises(BridgeError, match="same type"):
        TorchMLPClassifier(**SMALL_MLP).fit(X, y, eval_set=(X_val, np.searchsorted(np.unique(y), y_val)))
    with pytest.raises(BridgeError, match="one pair"):
        TorchMLPClassifier(**SMALL_MLP).fit(X, y, eval_set=[(X_val, y_val)])
