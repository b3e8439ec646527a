"""training.NeuralEstimator: the explicit PyTorch loop behaves like a well-mannered estimator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bridge.config import MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.models.training import EpochLog, NeuralEstimator, resolve_device

SMALL = MLPConfig(hidden_layers=1, width=16, dropout=0.0)


def _train(epochs: int = 10, patience: int = 0, **kwargs) -> TrainConfig:
    settings = {"epochs": epochs, "lr": 0.01, "batch_size": 32, "patience": patience, "device": "cpu"}
    settings.update(kwargs)
    return TrainConfig(**settings)


def _fit(task, data, mlp=SMALL, train=None, seed=0, **fit_kwargs) -> NeuralEstimator:
    X, y, X_val, y_val = data
    return NeuralEstimator(task, mlp=mlp, train=train or _train(), seed=seed).fit(X, y, X_val, y_val, **fit_kwargs)


@pytest.fixture(scope="module")
def regression_data():
    """Targets around 1000 with a spread of about 30: far from the unit scale a network likes."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = 1000 + 30 * X[:, 0] - 10 * X[:, 1] + rng.normal(scale=1.0, size=200)
    return X[:150], y[:150], X[150:], y[150:]


@pytest.fixture(scope="module")
def noise_data():
    """Labels that no feature explains: validation loss stops improving after a few epochs."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = rng.choice(["a", "b"], size=200).astype(object)
    return X[:150], y[:150], X[150:], y[150:]


# -- model behaviour ------------------------------------------------------------------------


def test_loss_drops_on_a_separable_problem(separable):
    model = _fit("classification", separable, train=_train(epochs=10))
    losses = [log.train_loss for log in model.history_]
    assert len(losses) == 10
    assert losses[-1] < 0.6 * losses[0]
    assert model.history_[-1].val_loss < model.history_[0].val_loss
    assert model.history_[-1].val_score > 0.9
    X_val, y_val = separable[2], separable[3]
    assert np.mean(model.predict(X_val) == y_val) > 0.9


def test_three_classes_are_learned_and_probabilities_sum_to_one(three_classes):
    model = _fit("classification", three_classes, train=_train(epochs=10))
    X_val, y_val = three_classes[2], three_classes[3]
    assert model.classes_ == ["setosa", "versicolor", "virginica"]
    proba = model.predict_proba(X_val)
    assert proba.shape == (len(X_val), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert np.array(model.classes_, dtype=object)[proba.argmax(1)].tolist() == model.predict(X_val).tolist()
    assert np.mean(model.predict(X_val) == y_val) > 0.85


def test_early_stopping_stops_when_validation_loss_stalls(noise_data):
    model = _fit("classification", noise_data, mlp=MLPConfig(hidden_layers=1, width=64, dropout=0.0),
                 train=_train(epochs=100, patience=3))
    epochs_run = len(model.history_)
    assert model.stopped_early_
    assert epochs_run < 100
    assert 1 <= model.best_epoch_ <= epochs_run
    assert epochs_run - model.best_epoch_ == 3  # stopped exactly `patience` epochs after the best
    best_val = min(log.val_loss for log in model.history_)
    assert model.history_[model.best_epoch_ - 1].val_loss == best_val


def test_best_epoch_weights_are_kept(noise_data):
    """After training, the model holds the best epoch's weights, not the last epoch's."""
    model = _fit("classification", noise_data, mlp=MLPConfig(hidden_layers=1, width=64, dropout=0.0),
                 train=_train(epochs=100, patience=3))
    X_val, y_val = noise_data[2], noise_data[3]
    loss = torch.nn.CrossEntropyLoss()(torch.as_tensor(np.log(model.predict_proba(X_val))),
                                       torch.as_tensor([model.classes_.index(v) for v in y_val]))
    assert float(loss) == pytest.approx(model.history_[model.best_epoch_ - 1].val_loss, rel=1e-4)
    assert model.best_epoch_ < len(model.history_)


def test_patience_zero_runs_every_epoch(noise_data):
    model = _fit("classification", noise_data, train=_train(epochs=6, patience=0))
    assert len(model.history_) == 6 and not model.stopped_early_


def test_same_seed_gives_identical_predictions(separable):
    first = _fit("classification", separable, seed=3)
    again = _fit("classification", separable, seed=3)
    X_val = separable[2]
    np.testing.assert_array_equal(first.predict_proba(X_val), again.predict_proba(X_val))
    assert [log.train_loss for log in first.history_] == [log.train_loss for log in again.history_]


def test_another_seed_gives_other_weights(separable):
    X_val = separable[2]
    assert not np.array_equal(_fit("classification", separable, seed=0).predict_proba(X_val),
                              _fit("classification", separable, seed=1).predict_proba(X_val))


def test_regression_predictions_are_on_the_original_scale(regression_data):
    model = _fit("regression", regression_data, train=_train(epochs=15))
    X_val, y_val = regression_data[2], regression_data[3]
    pred = model.predict(X_val)
    assert model.y_mean_ == pytest.approx(np.mean(regression_data[1]))
    assert model.y_std_ == pytest.approx(np.std(regression_data[1]))
    assert np.mean(pred) == pytest.approx(1000, abs=20)
    assert np.sqrt(np.mean((pred - y_val) ** 2)) < 15  # the spread is about 30: the network learned, not just the mean
    assert model.history_[-1].val_score > 0.8


def test_regression_without_spread_does_not_divide_by_zero(regression_data):
    X, _, X_val, _ = regression_data
    model = NeuralEstimator("regression", mlp=SMALL, train=_train(epochs=3)).fit(X, np.full(len(X), 5.0), X_val, np.full(len(X_val), 5.0))
    assert model.y_std_ == 1.0
    np.testing.assert_allclose(model.predict(X_val), 5.0, atol=0.5)


# -- code: callbacks and checkpoints ------------------------------------------------------------


def test_on_epoch_receives_one_log_per_epoch(separable):
    logs = []
    model = _fit("classification", separable, train=_train(epochs=5), on_epoch=logs.append)
    assert [log.epoch for log in logs] == [1, 2, 3, 4, 5]
    assert all(isinstance(log, EpochLog) and log.epochs == 5 for log in logs)
    assert logs == model.history_
    assert all(log.best_epoch <= log.epoch for log in logs)
    assert [log.seconds for log in logs] == sorted(log.seconds for log in logs)


def test_on_epoch_returning_false_stops_training(separable):
    seen = []

    def stop_after_two(log):
        seen.append(log.epoch)
        return log.epoch < 2

    model = _fit("classification", separable, train=_train(epochs=20), on_epoch=stop_after_two)
    assert seen == [1, 2]
    assert len(model.history_) == 2
    assert not model.stopped_early_
    assert model.predict(separable[2]).shape == (len(separable[2]),)


def test_on_epoch_returning_none_does_not_stop(separable):
    model = _fit("classification", separable, train=_train(epochs=4), on_epoch=lambda log: None)
    assert len(model.history_) == 4


class Stop(Exception):
    """What a cancelled run raises from its progress callback."""


def test_fit_leaves_torch_global_generator_as_it_found_it_even_when_cancelled(separable):
    """Weights and dropout draw from torch's global generator, seeded by fit: a caller's own draws must not depend on a fit between them."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    dropout = MLPConfig(hidden_layers=1, width=16, dropout=0.5)
    _fit("classification", separable, mlp=dropout, train=_train(epochs=2))

    def cancel(log):
        raise Stop

    with pytest.raises(Stop):
        _fit("classification", separable, mlp=dropout, train=_train(epochs=5), on_epoch=cancel)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_checkpoint_round_trip_predicts_identically(task, separable, regression_data, tmp_path):
    data = separable if task == "classification" else regression_data
    model = _fit(task, data, train=_train(epochs=5))
    path = tmp_path / "best.pt"
    model.save_checkpoint(path)
    raw = torch.load(path, map_location="cpu", weights_only=True)  # plain types only: loads without unpickling code
    assert raw["task"] == task and raw["best_epoch"] == model.best_epoch_
    loaded = NeuralEstimator.load_checkpoint(path)
    X_val = data[2]
    np.testing.assert_array_equal(loaded.predict(X_val), model.predict(X_val))
    assert loaded.parameters_ == model.parameters_
    assert loaded.best_epoch_ == model.best_epoch_
    if task == "classification":
        assert loaded.classes_ == model.classes_
        np.testing.assert_array_equal(loaded.predict_proba(X_val), model.predict_proba(X_val))


def test_checkpoint_path_during_fit_holds_the_best_epoch(separable, tmp_path):
    path = tmp_path / "during.pt"
    model = _fit("classification", separable, train=_train(epochs=5), checkpoint_path=path)
    assert path.exists()
    loaded = NeuralEstimator.load_checkpoint(path)
    assert loaded.best_epoch_ == model.best_epoch_
    np.testing.assert_array_equal(loaded.predict_proba(separable[2]), model.predict_proba(separable[2]))


def test_predict_proba_is_only_for_classification(regression_data):
    model = _fit("regression", regression_data, train=_train(epochs=2))
    with pytest.raises(AttributeError):
        model.predict_proba(regression_data[2])


def test_parameter_count_matches_the_network(separable):
    model = _fit("classification", separable, mlp=MLPConfig(hidden_layers=2, width=8, dropout=0.0), train=_train(epochs=1))
    assert model.parameters_ == (4 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2)


# -- code: device --------------------------------------------------------------------------


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_asking_for_cuda_without_cuda_is_an_error(separable):
    with pytest.raises(BridgeError, match="no CUDA GPU is available") as info:
        resolve_device("cuda")
    assert "\n" not in str(info.value)
    with pytest.raises(BridgeError, match="no CUDA GPU"):
        _fit("classification", separable, train=_train(epochs=1, device="cuda:0"))


def test_divergence_is_a_bridge_error(regression_data):
    with pytest.raises(BridgeError, match="training diverged"):
        _fit("regression", regression_data, mlp=MLPConfig(hidden_layers=2, width=64, dropout=0.0), train=_train(epochs=5, lr=1e12))


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_the_epoch_score_equals_the_reported_metric_on_decoded_labels(separable, regression_data):
    from bridge.decision.evaluate import score

    classifier = _fit("classification", separable, train=_train(epochs=2))
    X_val, y_val = separable[2], np.asarray(separable[3])
    outputs = classifier._outputs(X_val)
    assert classifier._score(outputs, classifier._targets(y_val)) == pytest.approx(score("classification", y_val, classifier.predict(X_val)))
    # a class absent from these rows is left out of the average, as balanced_accuracy_score does
    some = y_val != y_val[0]
    assert classifier._score(outputs[torch.as_tensor(some)], classifier._targets(y_val[some])) == pytest.approx(
        score("classification", y_val[some], classifier.predict(X_val[some])))

    regressor = _fit("regression", regression_data, train=_train(epochs=3))
    X_val, y_val = regression_data[2], regression_data[3]
    assert regressor._score(regressor._outputs(X_val), regressor._targets(y_val)) == pytest.approx(
        score("regression", y_val, regressor.predict(X_val)), abs=1e-5)


def test_the_mlp_forward_is_the_plain_module_path():
    from bridge.models.neural import MLP

    torch.manual_seed(0)
    model = MLP(5, 3, MLPConfig(hidden_layers=2, width=8, dropout=0.3)).eval()
    x = torch.randn(10, 5)
    assert torch.allclose(model(x), model.head(model.body(x)))
    model.train()  # dropout still follows the module's mode
    assert not torch.allclose(model(x), model(x))
