"""bridge.models.estimators as a comparison run trains them: ``for_run`` from a CompareConfig, ``classes``, an MLP on images, checkpoints.

The run's numbers must not move when it trains through the estimators: each network here is compared with the
explicit loop (``NeuralEstimator``) it wraps, fitted the way the run used to fit it. Tiny data, few epochs.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.models.estimators import TorchCNNClassifier, TorchMLPClassifier, TorchMLPRegressor, for_run
from bridge.models.training import NeuralEstimator

TRAIN = TrainConfig(epochs=6, lr=0.02, batch_size=16, patience=3, weight_decay=0.0, device="cpu")
CONFIG = CompareConfig(mlp=MLPConfig(hidden_layers=1, width=8, dropout=0.3), cnn=CNNConfig(blocks=1, channels=4, augment=True), train=TRAIN)
SMALL = {"hidden_layers": 1, "width": 8, "dropout": 0.0, "epochs": 4, "lr": 0.02, "batch_size": 16, "device": "cpu"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py: tiny networks train faster on one thread


@pytest.fixture(scope="module")
def rows():
    """60 rows, two classes that the first two columns separate, as object labels like a run's; the last 15 for validation."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = np.where(X[:, 0] + X[:, 1] > 0, "pos", "neg").astype(object)
    return X[:45], y[:45], X[45:], y[45:]


@pytest.fixture(scope="module")
def images():
    """24 grey 8x8 images, bright on the left or on the right half."""
    rng = np.random.default_rng(1)
    y = np.repeat(["left", "right"], 12).astype(object)
    X = rng.normal(scale=0.3, size=(24, 1, 8, 8)).astype(np.float32)
    X[y == "left", :, :, :4] += 1.0
    X[y == "right", :, :, 4:] += 1.0
    return X, y


def test_for_run_builds_the_runs_network_with_its_settings():
    mlp = for_run("classification", "mlp", CONFIG, 5, "balanced")
    expected = {"hidden_layers": 1, "width": 8, "dropout": 0.3, "epochs": 6, "lr": 0.02, "batch_size": 16, "patience": 3,
                "weight_decay": 0.0, "device": "cpu", "class_weight": "balanced", "random_state": 5}
    assert type(mlp) is TorchMLPClassifier and {key: mlp.get_params()[key] for key in expected} == expected
    assert for_run("classification", "mlp", CONFIG, 5, "none").class_weight is None  # the run's "none" is scikit-learn's None
    regressor = for_run("regression", "mlp", CONFIG, 7, "none")
    assert type(regressor) is TorchMLPRegressor and (regressor.width, regressor.random_state) == (8, 7)
    cnn = for_run("classification", "cnn", CONFIG, 0, "none")
    assert type(cnn) is TorchCNNClassifier and cnn.image_shape is None
    assert (cnn.blocks, cnn.channels, cnn.augment, cnn.dropout) == (1, 4, True, CNNConfig.dropout)  # the CNN's dropout, not the MLP's
    with pytest.raises(BridgeError, match="--network mlp"):
        for_run("regression", "cnn", CONFIG, 0, "none")


@pytest.mark.parametrize(("task", "network", "weight"), [("classification", "mlp", "balanced"), ("regression", "mlp", "none"),
                                                          ("classification", "cnn", "none")])
def test_a_run_trains_exactly_the_loop_it_wraps(rows, images, task, network, weight):
    """Same seed, same rows, same settings: the same epochs and predictions as NeuralEstimator fitted directly."""
    if network == "cnn":
        X, y = images
        X, y, X_val, y_val = X[::2], y[::2], X[1::2], y[1::2]
    else:
        X, y, X_val, y_val = rows
    classes = ["neg", "pos", "zero"] if network == "mlp" else None  # "zero" has no row: it still gets an output, as in a run
    if task == "regression":
        y, y_val, classes = X[:, 0] * 100.0 + 5, X_val[:, 0] * 100.0 + 5, None
    estimator = for_run(task, network, CONFIG, 3, weight).fit(X, y, eval_set=(X_val, y_val), classes=classes)
    loop = NeuralEstimator(task, network, CONFIG.mlp, CONFIG.cnn, TRAIN, 3, class_weight=weight).fit(X, y, X_val, y_val, classes=classes)
    assert [log.val_loss for log in estimator.neural_estimator_.history_] == [log.val_loss for log in loop.history_]
    np.testing.assert_array_equal(estimator.predict(X_val), loop.predict(X_val))
    if classes:
        assert estimator.classes_.tolist() == classes and estimator.predict_proba(X_val).shape == (len(X_val), 3)


def test_classes_must_match_the_labels_and_regressors_take_none(rows):
    X, y, X_val, y_val = rows
    with pytest.raises(BridgeError, match="type"):
        TorchMLPClassifier(**SMALL).fit(X, y.astype(str), classes=[0, 1])
    with pytest.raises(BridgeError, match="takes no classes"):
        TorchMLPRegressor(**SMALL).fit(X, X[:, 0], classes=["neg"])


def test_the_mlp_reads_images_by_flattening_them_as_a_run_with_network_mlp_does(images):
    X, y = images
    on_images = TorchMLPClassifier(**SMALL, random_state=0).fit(X, y)
    on_rows = TorchMLPClassifier(**SMALL, random_state=0).fit(X.reshape(len(X), -1), y)
    assert on_images.neural_estimator_.model_args_["input_shape"] == [1, 8, 8]
    np.testing.assert_array_equal(on_images.predict_proba(X), on_rows.predict_proba(X.reshape(len(X), -1)))
    with pytest.raises(BridgeError, match="fitted shape"):
        on_images.predict(X[:, :, :4, :4])  # one channel, as fit saw, but not the fitted 8x8


def test_save_checkpoint_writes_what_load_checkpoint_reads(rows, tmp_path):
    X, y, X_val, y_val = rows
    with pytest.raises(NotFittedError):
        TorchMLPClassifier(**SMALL).save_checkpoint(tmp_path / "unfitted.pt")
    estimator = TorchMLPClassifier(**SMALL, random_state=0).fit(X, y, eval_set=(X_val, y_val))
    estimator.save_checkpoint(tmp_path / "model.pt")
    buffer = io.BytesIO()
    estimator.save_checkpoint(buffer)
    buffer.seek(0)
    for source in (tmp_path / "model.pt", buffer):
        loaded = NeuralEstimator.load_checkpoint(source)
        assert loaded.best_epoch_ == estimator.best_epoch_
        np.testing.assert_array_equal(loaded.predict(X_val), estimator.predict(X_val))
