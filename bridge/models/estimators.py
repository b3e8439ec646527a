"""Bridge's PyTorch networks as scikit-learn estimators: ``TorchMLPClassifier``, ``TorchMLPRegressor``, ``TorchCNNClassifier``.

They go wherever scikit-learn puts an estimator (``clone``, ``Pipeline``, ``cross_val_score``, ``GridSearchCV``,
``check_estimator``): flat constructor parameters stored unchanged, ``fit(X, y)`` that validates its input with
scikit-learn's own helpers, ``n_features_in_`` (and ``feature_names_in_`` from a DataFrame), ``classes_`` of any label
type, ``NotFittedError`` before fit, ``predict_proba`` on the classifiers only. ``for_run`` builds the one a comparison
run trains from its ``CompareConfig``: the orchestrator, the seed repeats and the learning-curve refits all fit these.

The training is not redone here. Each fit turns the flat parameters into Bridge's configs and runs
``bridge.models.training.NeuralEstimator``: the same explicit loop, early stopping on the validation loss and best weights
as a comparison run, kept after fit as ``neural_estimator_`` (its ``history_``, ``model_``, ``device_``,
``stopped_early_``); ``save_checkpoint`` writes its best weights. This module owns what scikit-learn asks on top:
validated inputs, labels decoded to y's own dtype, and the validation rows, either ``eval_set=(X_val, y_val)`` or
``validation_fraction`` of X carved off (stratified for classes where possible).

Randomness never leaks: an int ``random_state`` is the loop's seed (``random_state=s`` trains exactly as a run with
seed s), and NeuralEstimator seeds torch inside ``torch.random.fork_rng``, so fit returns with torch's global state as
it found it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.models.estimator_inputs import as_images, check_settings, network_configs, seed_from, train_config, validation_rows
from bridge.models.training import EpochLog, NeuralEstimator


class _TorchEstimator(BaseEstimator):
    """Fit and predict shared by the three estimators; each subclass names its task and network and lists its parameters."""

    _task = "classification"
    _network = "mlp"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # images as well as 2-D rows: the CNN reads them, the MLP flattens them
        return tags

    # -- inputs -----------------------------------------------------------------
    def _network_input(self, X: np.ndarray, fitting: bool) -> np.ndarray:
        """X as the MLP reads it: rows, or samples of any shape that its first layer flattens (an MLP on images, as a
        comparison run with ``--network mlp`` trains); later X must hold samples of fit's shape. The CNN overrides this."""
        if fitting:
            self._sample_shape = X.shape[1:]
        elif X.shape[1:] != self._sample_shape:
            raise BridgeError(f"X holds samples of shape {X.shape[1:]}, but the network was fitted on samples of shape "
                              f"{self._sample_shape}; give samples of the fitted shape")
        return X

    def _check_X(self, X, y="no_validation", reset: bool = True):
        """scikit-learn's validation (finite numbers, at least 2-D, the features seen in fit), as float32 for torch; y too unless left out."""
        if isinstance(y, str) and y == "no_validation":  # scikit-learn's own marker: y=None must reach validate_data, which refuses it
            return self._network_input(validate_data(self, X, reset=reset, dtype=np.float32, allow_nd=True), fitting=reset)
        X, y = validate_data(self, X, y, reset=reset, dtype=np.float32, allow_nd=True, y_numeric=self._task == "regression")
        return self._network_input(X, fitting=reset), y

    def _labels(self, y: np.ndarray) -> np.ndarray:
        """Targets as the loop takes them; classifiers check them first."""
        return y

    # -- fit --------------------------------------------------------------------
    def fit(self, X, y, eval_set=None, on_epoch: Callable[[EpochLog], object] | None = None, classes=None):
        """Train with early stopping on the validation rows; keep the best epoch's weights.

        ``eval_set=(X_val, y_val)`` gives the validation rows; without it ``validation_fraction`` of X is held
        out. ``on_epoch`` is called after every epoch with an ``EpochLog``; returning False stops training (an
        exception raised there ends fit with it). ``classes`` (classifiers only, as in scikit-learn's ``partial_fit``)
        lists every label the data can hold, so a class absent from the rows given still gets an output.
        """
        params = self.get_params(deep=False)
        check_settings(params)
        if classes is not None and self._task != "classification":
            raise BridgeError(f"{type(self).__name__} predicts numbers, so it takes no classes; leave classes out")
        seed = seed_from(self.random_state)
        X, y = self._check_X(X, y)
        y = self._labels(y)
        if len(X) < self._min_train_rows():  # only the CNN with batch norm asks for more than one row
            raise BridgeError(f"{type(self).__name__} with batch norm needs at least {self._min_train_rows()} samples to train, got "
                              f"{len(X)} sample; give more samples or set batch_norm=False")
        if eval_set is None:
            labels = y if self._task == "classification" else None
            train, val = validation_rows(len(X), self.validation_fraction, seed, labels, self._min_train_rows())
            X, y, X_val, y_val = X[train], y[train], X[val], y[val]
        else:
            if not (isinstance(eval_set, tuple | list) and len(eval_set) == 2):
                raise BridgeError("eval_set takes one pair of validation rows, (X_val, y_val)")
            X_val, y_val = self._check_X(eval_set[0], eval_set[1], reset=False)
            y_val = self._labels(y_val)
        classes = _classes(y, y_val, classes) if self._task == "classification" else None
        mlp, cnn = network_configs(params)
        estimator = NeuralEstimator(self._task, self._network, mlp, cnn, train_config(params), seed,
                                    class_weight=params.get("class_weight") or "none", **self._text_args(X, X_val))
        estimator.fit(X, y, X_val, y_val, on_epoch=on_epoch, classes=None if classes is None else classes.tolist())
        if classes is not None:
            # The loop orders its outputs by its own sort of the labels (the same as NumPy's for labels of one type);
            # classes_ follows that order in y's dtype, so predictions come back as y's labels, not as objects.
            self.classes_ = np.asarray(estimator.classes_, dtype=classes.dtype)
        self.neural_estimator_ = estimator
        self.n_iter_ = len(estimator.history_)  # epochs run
        self.best_epoch_ = estimator.best_epoch_
        return self

    def _min_train_rows(self) -> int:
        return 1

    def _text_args(self, X: np.ndarray, X_val: np.ndarray) -> dict:
        """The text network's config and input layout (``bridge.models.text_estimators``); none for the others."""
        return {}

    def _predict_input(self, X) -> np.ndarray:
        check_is_fitted(self)  # NotFittedError before anything else
        return self._check_X(X, reset=False)

    def save_checkpoint(self, path) -> None:
        """The best epoch's weights and what rebuilds the network, as ``--checkpoint`` writes them (a path or a file object);
        ``bridge.models.training.NeuralEstimator.load_checkpoint`` reads them back."""
        check_is_fitted(self)
        self.neural_estimator_.save_checkpoint(path)


class _TorchClassifier(ClassifierMixin, _TorchEstimator):
    """Labels of any type in, the same type out; probabilities from the network's softmax."""

    def _labels(self, y: np.ndarray) -> np.ndarray:
        check_classification_targets(y)  # a continuous y is refused, as scikit-learn's classifiers refuse it
        return y

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order; each row sums to 1 in float64."""
        X = self._predict_input(X)
        proba = self.neural_estimator_.predict_proba(X)
        return proba / proba.sum(axis=1, keepdims=True)  # the softmax ran in float32: renormalised, a row sums to 1 to the last bit

    def predict(self, X) -> np.ndarray:
        """The most probable class, as one of y's labels: the argmax of ``predict_proba``, so the two always agree."""
        best = self.predict_proba(X).argmax(axis=1)  # first: NotFittedError before classes_ is looked up
        return self.classes_[best]


class TorchMLPClassifier(_TorchClassifier):
    """Bridge's multilayer perceptron for class labels; defaults are a comparison run's (``bridge.config``)."""

    def __init__(self, hidden_layers=MLPConfig.hidden_layers, width=MLPConfig.width, dropout=MLPConfig.dropout, lr=TrainConfig.lr,
                 epochs=TrainConfig.epochs, batch_size=TrainConfig.batch_size, patience=TrainConfig.patience,
                 weight_decay=TrainConfig.weight_decay, validation_fraction=0.1, class_weight=None, device=TrainConfig.device,
                 random_state=None):
        self.hidden_layers, self.width, self.dropout, self.lr, self.epochs = hidden_layers, width, dropout, lr, epochs
        self.batch_size, self.patience, self.weight_decay, self.validation_fraction = batch_size, patience, weight_decay, validation_fraction
        self.class_weight, self.device, self.random_state = class_weight, device, random_state


class TorchMLPRegressor(RegressorMixin, _TorchEstimator):
    """Bridge's multilayer perceptron for a numeric target, standardised inside fit and mapped back by predict."""

    _task = "regression"

    def __init__(self, hidden_layers=MLPConfig.hidden_layers, width=MLPConfig.width, dropout=MLPConfig.dropout, lr=TrainConfig.lr,
                 epochs=TrainConfig.epochs, batch_size=TrainConfig.batch_size, patience=TrainConfig.patience,
                 weight_decay=TrainConfig.weight_decay, validation_fraction=0.1, device=TrainConfig.device, random_state=None):
        self.hidden_layers, self.width, self.dropout, self.lr, self.epochs = hidden_layers, width, dropout, lr, epochs
        self.batch_size, self.patience, self.weight_decay, self.validation_fraction = batch_size, patience, weight_decay, validation_fraction
        self.device, self.random_state = device, random_state

    def predict(self, X) -> np.ndarray:
        X = self._predict_input(X)  # first: NotFittedError before neural_estimator_ is looked up
        return self.neural_estimator_.predict(X)


class TorchCNNClassifier(_TorchClassifier):
    """Bridge's convolutional network for images: X shaped (n, channels, height, width) or (n, height, width).

    scikit-learn's tools pass 2-D X (a ``StandardScaler`` in a ``Pipeline``, say): with ``image_shape=(height,
    width)`` each row is reshaped to an image, channel-major, channels inferred from the row length. So
    ``image_shape=(8, 8)`` reads 64 pixel columns as one 8x8 image, and ``image_shape=(1, 1)`` reads every column as a
    channel of a one-pixel image, where the convolutions act as dense layers. Without it, 2-D X is refused.
    Images are square, as Bridge resizes them; ``image_shape_`` is the (channels, height, width) fit saw.
    """

    _network = "cnn"

    def __init__(self, image_shape=None, blocks=CNNConfig.blocks, channels=CNNConfig.channels, kernel_size=CNNConfig.kernel_size,
                 pooling=CNNConfig.pooling, dropout=CNNConfig.dropout, batch_norm=CNNConfig.batch_norm, augment=CNNConfig.augment,
                 lr=TrainConfig.lr, epochs=TrainConfig.epochs, batch_size=TrainConfig.batch_size, patience=TrainConfig.patience,
                 weight_decay=TrainConfig.weight_decay, validation_fraction=0.1, class_weight=None, device=TrainConfig.device,
                 random_state=None):
        self.image_shape, self.blocks, self.channels, self.kernel_size, self.pooling = image_shape, blocks, channels, kernel_size, pooling
        self.dropout, self.batch_norm, self.augment, self.lr, self.epochs = dropout, batch_norm, augment, lr, epochs
        self.batch_size, self.patience, self.weight_decay, self.validation_fraction = batch_size, patience, weight_decay, validation_fraction
        self.class_weight, self.device, self.random_state = class_weight, device, random_state

    def _network_input(self, X: np.ndarray, fitting: bool) -> np.ndarray:
        images = as_images(X, self.image_shape, type(self).__name__)
        if fitting:
            self.image_shape_ = images.shape[1:]
        elif images.shape[1:] != self.image_shape_:
            raise BridgeError(f"X holds images of {'x'.join(map(str, images.shape[1:]))} (channels x height x width), but the network "
                              f"was fitted on {'x'.join(map(str, self.image_shape_))}; give images of the fitted shape")
        return images

    def _min_train_rows(self) -> int:
        # Batch norm cannot normalise a batch of one row: held-out rows must leave two to train on.
        return 2 if self.batch_norm else 1


def _classes(y: np.ndarray, y_val: np.ndarray, classes=None) -> np.ndarray:
    """The sorted labels of the training and validation rows and of ``classes``: a class seen only in eval_set or only in
    ``classes`` gets an output too."""
    known = np.asarray([], dtype=y.dtype) if classes is None else np.asarray(list(classes))
    for other, name in ((y_val, "eval_set's labels"), (known, "classes")):
        kinds = {"text" if a.dtype.kind in "US" else "numbers" if a.dtype.kind in "biuf" else "objects" for a in (y, other)}
        if len(other) and kinds == {"text", "numbers"}:
            raise BridgeError(f"{name} are {other.dtype} but y's labels are {y.dtype}; give labels of the same type")
    try:
        return np.unique(np.concatenate([y, y_val, known]))
    except TypeError:  # an object array mixing numbers and text cannot be sorted
        raise BridgeError("the labels mix types (numbers and text, say); give labels of one type") from None


def for_run(task: str, network: str, config: CompareConfig, seed: int, class_weight: str, text_layout: dict | None = None) -> _TorchEstimator:
    """The estimator a comparison run trains: ``config``'s network and training settings, ``random_state=seed``.

    ``network`` is "mlp", "cnn" or "text" (the run has resolved "auto"); ``class_weight`` is the weighting the run chose, "none"
    or "balanced" (regression has none); ``text_layout`` is the prepared data's (text only). The run passes its own validation
    rows as ``eval_set``.
    """
    train = asdict(config.train)  # lr, epochs, batch_size, patience, weight_decay, device: the estimators' names for them
    weight = None if class_weight == "none" else class_weight
    if network == "text" or text_layout is not None:
        from bridge.models.text_estimators import text_estimator

        return text_estimator(task, network, config, seed, weight, text_layout)
    if network == "cnn":
        if task != "classification":
            raise BridgeError("the CNN classifies images and cannot predict a number; use --network mlp")
        return TorchCNNClassifier(**asdict(config.cnn), **train, class_weight=weight, random_state=seed)
    if task == "regression":
        return TorchMLPRegressor(**asdict(config.mlp), **train, random_state=seed)
    return TorchMLPClassifier(**asdict(config.mlp), **train, class_weight=weight, random_state=seed)
