"""bridge.models.text_net and text_estimators: the word-vector network's shapes, padding that changes nothing, and the
scikit-learn estimators around it (fit, predict, classes_, clone, checkpoints, scikit-learn's own checks)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks
from text_data import BAD, GOOD, reviews

from bridge.config import MLPConfig, TextConfig
from bridge.models.text_estimators import TorchTextClassifier, TorchTextRegressor
from bridge.models.text_net import TextNet
from bridge.models.training import NeuralEstimator
from bridge.problem.text import EMPTY, PAD, WordTokenizer

ENCODERS = ("bag", "conv", "transformer")
FAST = {"epochs": 15, "lr": 0.05, "batch_size": 16, "patience": 0, "device": "cpu", "embedding_dim": 8, "width": 16, "dropout": 0.0}
LAYOUT = {"columns": 2, "max_tokens": 6, "vocabulary": 20, "tabular": 3}

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py: tiny networks train faster on one thread


def net(encoder: str, layout: dict = LAYOUT, outputs: int = 4, layers: int = 1) -> TextNet:
    torch.manual_seed(0)
    return TextNet(layout, outputs, TextConfig(encoder=encoder, embedding_dim=8, layers=layers), MLPConfig(width=16, dropout=0.0)).eval()


@pytest.fixture(scope="module")
def texts():
    """Review word ids (tokenizer fitted on the first 60 rows), labels, and a count of good minus bad words to regress."""
    frame = reviews(rows=80)
    tokenizer = WordTokenizer(max_tokens=12).fit(frame["review"][:60])
    X = tokenizer.transform(frame["review"]).astype(np.float32)
    score = frame["review"].map(lambda t: sum(w in GOOD for w in t.split()) - sum(w in BAD for w in t.split())).to_numpy(float)
    return X, frame["label"].to_numpy(dtype=object), score, tokenizer


# -- the network --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoder", ENCODERS)
def test_each_encoder_gives_one_vector_per_text_and_one_output_row_per_row(encoder):
    model = net(encoder)
    ids = torch.randint(3, 20, (5, 12)).float()
    x = torch.cat([ids, torch.randn(5, 3)], dim=1)
    assert model(x).shape == (5, 4)
    assert model.features(x).shape == (5, 16)  # the head's last hidden layer
    assert model.encode(ids[:, :6].long()).shape == (5, 8)  # one text column: (texts, embedding_dim)
    assert model.embedding.weight.shape == (20, 8) and model.embedding.padding_idx == PAD
    assert net(encoder, layers=0).features(x).shape == (5, 2 * 8 + 3)  # no hidden layer: the text vectors and the table features


@pytest.mark.parametrize("encoder", ENCODERS)
def test_padding_changes_nothing(encoder):
    model = net(encoder, {"columns": 1, "max_tokens": 9, "vocabulary": 20, "tabular": 0})
    short = torch.tensor([[5, 6, 7, 8]])
    padded = torch.tensor([[5, 6, 7, 8, PAD, PAD, PAD, PAD, PAD]])
    with torch.no_grad():
        torch.testing.assert_close(model.encode(short), model.encode(padded), atol=1e-6, rtol=1e-5)
        # Through forward too: beside a longer text, the first one reads 2 more padding ids than alone.
        batch = torch.tensor([[5, 6, 7, 8, PAD, PAD, PAD, PAD, PAD], [9, 10, 11, 12, 13, 14, PAD, PAD, PAD]]).float()
        torch.testing.assert_close(model(batch)[:1], model(batch[:1]), atol=1e-6, rtol=1e-5)
    if encoder == "bag":  # the mean leaves padding out exactly
        assert torch.equal(model.encode(short), model.encode(padded))


def test_a_row_of_padding_reads_as_an_empty_text():
    model = net("bag", {"columns": 1, "max_tokens": 4, "vocabulary": 20, "tabular": 0})
    with torch.no_grad():
        torch.testing.assert_close(model(torch.zeros(1, 4)), model(torch.tensor([[EMPTY, PAD, PAD, PAD]]).float()))


# -- the estimators -------------------------------------------------------------------------------------------------------


def test_the_classifier_learns_the_reviews_and_infers_the_vocabulary(texts):
    X, y, _, tokenizer = texts
    estimator = TorchTextClassifier(max_tokens=12, **FAST, random_state=0)
    with pytest.raises(NotFittedError):
        estimator.predict(X)
    estimator.fit(X[:60], y[:60], eval_set=(X[60:], y[60:]))
    assert estimator.classes_.tolist() == ["neg", "pos"]
    assert estimator.vocabulary_size_ == int(X.max()) + 1 <= tokenizer.vocabulary_size
    assert estimator.neural_estimator_.model_.embedding.num_embeddings == estimator.vocabulary_size_
    assert (estimator.predict(X[60:]) == y[60:]).mean() >= 0.8  # chance is 0.5
    proba = estimator.predict_proba(X[60:])
    assert proba.shape == (20, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_a_given_vocabulary_size_is_kept(texts):
    X, y, _, tokenizer = texts
    estimator = TorchTextClassifier(max_tokens=12, vocabulary_size=tokenizer.vocabulary_size, **{**FAST, "epochs": 2}).fit(X, y)
    assert estimator.neural_estimator_.model_.embedding.num_embeddings == tokenizer.vocabulary_size


@pytest.mark.parametrize("encoder", ENCODERS)
def test_the_regressor_fits_a_number_from_the_words(texts, encoder):
    X, _, score, _ = texts
    estimator = TorchTextRegressor(max_tokens=12, encoder=encoder, **{**FAST, "epochs": 40}, random_state=0)
    with pytest.raises(NotFittedError):
        estimator.predict(X)
    estimator.fit(X[:60], score[:60], eval_set=(X[60:], score[60:]))
    predicted = estimator.predict(X[60:])
    assert predicted.shape == (20,) and np.isfinite(predicted).all()
    assert estimator.score(X[60:], score[60:]) > 0.3  # R² on rows it did not train on


def test_a_checkpoint_round_trip_predicts_the_same(texts, tmp_path):
    X, y, _, _ = texts
    estimator = TorchTextClassifier(max_tokens=12, encoder="conv", **{**FAST, "epochs": 3}, random_state=0).fit(X[:60], y[:60])
    path = tmp_path / "text.pt"
    estimator.save_checkpoint(path)
    loaded = NeuralEstimator.load_checkpoint(path)
    assert loaded.model_args_["kind"] == "text" and loaded.model_args_["layout"]["max_tokens"] == 12
    np.testing.assert_allclose(loaded.predict_proba(X), estimator.predict_proba(X), rtol=1e-6, atol=1e-7)
    assert loaded.predict(X).tolist() == estimator.predict(X).tolist()


def test_clone_copies_the_settings_not_the_fit(texts):
    X, y, _, _ = texts
    fitted = TorchTextClassifier(max_tokens=12, encoder="transformer", **{**FAST, "epochs": 2}, random_state=0).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "neural_estimator_") and not hasattr(copy, "vocabulary_size_")
    with pytest.raises(NotFittedError):
        copy.predict(X)


# scikit-learn's checks feed random floats with a few columns: with one token per row every column past the first is a
# table feature, and a fixed vocabulary keeps the rounded, clamped ids inside the embedding table.
CHECK_SETTINGS = {**FAST, "epochs": 20, "max_tokens": 1, "vocabulary_size": 50}
CLASS_WEIGHT_DICT = ("class_weight takes None or 'balanced', as a comparison run does; a dict of per-class weights needs "
                     "NeuralEstimator to accept one")


@parametrize_with_checks([TorchTextClassifier(**CHECK_SETTINGS), TorchTextRegressor(**CHECK_SETTINGS)],
                         expected_failed_checks=lambda e: {"check_class_weight_classifiers": CLASS_WEIGHT_DICT}
                         if isinstance(e, TorchTextClassifier) else {})
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
