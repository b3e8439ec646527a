"""The text network as scikit-learn estimators: ``TorchTextClassifier`` and ``TorchTextRegressor``.

They follow ``bridge.models.estimators``' rules (flat parameters, validated input, ``classes_``, the explicit loop behind
``fit``). X is what a comparison run gives the network for text (``bridge.problem.prepare``): per row, ``text_columns``
blocks of ``max_tokens`` word ids (from ``bridge.problem.text.WordTokenizer``), then any table features. So a user with
texts of their own runs the same two steps::

    tokenizer = WordTokenizer(max_tokens=64).fit(train_texts)
    model = TorchTextClassifier(max_tokens=64).fit(tokenizer.transform(train_texts), y_train)

``vocabulary_size`` (ids the embedding table holds) defaults to the largest id in fit's rows plus one; a comparison
run passes its tokenizer's, so an id met only in validation rows still has a vector.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
from sklearn.base import RegressorMixin

from bridge.config import CompareConfig, MLPConfig, TextConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.io import limits
from bridge.models.estimators import _TorchClassifier, _TorchEstimator


class _TextEstimator(_TorchEstimator):
    _network = "text"

    def _network_input(self, X: np.ndarray, fitting: bool) -> np.ndarray:
        if X.ndim != 2:
            raise BridgeError(f"{type(self).__name__} takes rows of word ids (n, text_columns x max_tokens + table features), not an "
                              f"array of shape {X.shape}")
        if X.shape[1] < self.text_columns * self.max_tokens:
            raise BridgeError(f"X has {X.shape[1]} columns, fewer than text_columns x max_tokens = {self.text_columns * self.max_tokens} "
                              "word ids; tokenize with the same max_tokens")
        return super()._network_input(X, fitting)

    def _text_args(self, X: np.ndarray, X_val: np.ndarray) -> dict:
        for name, value, low, high in (("text_columns", self.text_columns, 1, 1000), ("max_tokens", self.max_tokens, 1, limits.MAX_TOKENS),
                                       ("embedding_dim", self.embedding_dim, 1, limits.MAX_EMBEDDING_DIM)):
            if not isinstance(value, int | np.integer) or not low <= value <= high:
                raise BridgeError(f"{name} {value!r} is out of range; use a whole number from {low} to {high:,}")
        if self.encoder not in ("bag", "conv", "transformer"):
            raise BridgeError(f"encoder {self.encoder!r} is unknown; use 'bag', 'conv' or 'transformer'")
        width = self.text_columns * self.max_tokens
        vocabulary = self.vocabulary_size
        if vocabulary is None:
            vocabulary = int(max(np.max(X[:, :width], initial=0), np.max(X_val[:, :width], initial=0))) + 1
        if not 3 <= vocabulary <= limits.MAX_VOCABULARY + 3:
            raise BridgeError(f"vocabulary_size {vocabulary} is out of range; use 3 to {limits.MAX_VOCABULARY + 3:,} (ids 0-2 are reserved)")
        self.vocabulary_size_ = vocabulary
        text = TextConfig(encoder=self.encoder, embedding_dim=int(self.embedding_dim), max_tokens=int(self.max_tokens),
                          layers=int(self.hidden_layers))  # the head's hidden layers; width and dropout stay the MLP settings
        layout = {"columns": self.text_columns, "max_tokens": self.max_tokens, "vocabulary": vocabulary, "tabular": X.shape[1] - width}
        return {"text": text, "text_layout": layout}


class TorchTextClassifier(_TorchClassifier, _TextEstimator):
    """Bridge's word-embedding network for class labels; defaults are a comparison run's (``bridge.config``)."""

    def __init__(self, text_columns=1, max_tokens=TextConfig.max_tokens, vocabulary_size=None, encoder=TextConfig.encoder,
                 embedding_dim=TextConfig.embedding_dim, hidden_layers=TextConfig.layers, width=MLPConfig.width,
                 dropout=MLPConfig.dropout, lr=TrainConfig.lr, epochs=TrainConfig.epochs, batch_size=TrainConfig.batch_size,
                 patience=TrainConfig.patience, weight_decay=TrainConfig.weight_decay, validation_fraction=0.1, class_weight=None,
                 device=TrainConfig.device, random_state=None):
        self.text_columns, self.max_tokens, self.vocabulary_size, self.encoder = text_columns, max_tokens, vocabulary_size, encoder
        self.embedding_dim, self.hidden_layers, self.width, self.dropout, self.lr = embedding_dim, hidden_layers, width, dropout, lr
        self.epochs, self.batch_size, self.patience, self.weight_decay = epochs, batch_size, patience, weight_decay
        self.validation_fraction, self.class_weight, self.device, self.random_state = validation_fraction, class_weight, device, random_state


class TorchTextRegressor(RegressorMixin, _TextEstimator):
    """Bridge's word-embedding network for a numeric target, standardised inside fit and mapped back by predict."""

    _task = "regression"

    def __init__(self, text_columns=1, max_tokens=TextConfig.max_tokens, vocabulary_size=None, encoder=TextConfig.encoder,
                 embedding_dim=TextConfig.embedding_dim, hidden_layers=TextConfig.layers, width=MLPConfig.width,
                 dropout=MLPConfig.dropout, lr=TrainConfig.lr, epochs=TrainConfig.epochs, batch_size=TrainConfig.batch_size,
                 patience=TrainConfig.patience, weight_decay=TrainConfig.weight_decay, validation_fraction=0.1, device=TrainConfig.device,
                 random_state=None):
        self.text_columns, self.max_tokens, self.vocabulary_size, self.encoder = text_columns, max_tokens, vocabulary_size, encoder
        self.embedding_dim, self.hidden_layers, self.width, self.dropout, self.lr = embedding_dim, hidden_layers, width, dropout, lr
        self.epochs, self.batch_size, self.patience, self.weight_decay = epochs, batch_size, patience, weight_decay
        self.validation_fraction, self.device, self.random_state = validation_fraction, device, random_state

    def predict(self, X) -> np.ndarray:
        X = self._predict_input(X)
        return self.neural_estimator_.predict(X)


def check_network(network: str, layout: dict | None) -> None:
    """One line when the network asked for and the data's text disagree; the run calls it before anything trains."""
    if network == "text" and layout is None:
        raise BridgeError("the text network reads text columns, and this data has none; use --network mlp, or mark a column as text")
    if network != "text" and layout is not None:
        raise BridgeError(f"this table has text columns, which the {network.upper()} cannot read; use --network text (or auto), "
                          "or switch the text columns off")


def text_estimator(task: str, network: str, config: CompareConfig, seed: int, class_weight: str | None,
                   layout: dict | None) -> _TextEstimator:
    """The text network a comparison run trains (``estimators.for_run`` calls this for data with text columns)."""
    check_network(network, layout)
    assert layout is not None, "check_network refuses a text network without text"
    settings = {"text_columns": layout["columns"], "max_tokens": layout["max_tokens"], "vocabulary_size": layout["vocabulary"],
                "encoder": config.text.encoder, "embedding_dim": config.text.embedding_dim, **asdict(config.mlp), **asdict(config.train),
                "hidden_layers": config.text.layers, "random_state": seed}
    if task == "regression":
        return TorchTextRegressor(**settings)
    return TorchTextClassifier(**settings, class_weight=class_weight)
