"""What each side made of the words (bridge.outputs.text_view): TF-IDF weights counted beside word vectors learned.

Tiny seeded review tables (tests/text_data.py): each label has its own word pool and shares filler words, so the
linear model's top words and the network's word neighbours have a right answer to be checked against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from text_data import BAD, FILLER, GOOD, reviews

from bridge.config import CompareConfig, MLPConfig, TextConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from bridge.io.data import load_builtin, table_dataset
from bridge.outputs import text_view

TRAIN = TrainConfig(epochs=4, lr=0.02, batch_size=16, patience=0, device="cpu")
TEXT = TextConfig(embedding_dim=8, layers=1, max_tokens=16)


def _run(frame: pd.DataFrame, **overrides):
    settings = {"baseline": "linear", "network": "text", "mlp": MLPConfig(hidden_layers=1, width=8, dropout=0.0), "text": TEXT,
                "train": TRAIN, "repeats": 1, "seed": 0}
    return run_comparison(table_dataset(frame, name="reviews"), CompareConfig(**{**settings, **overrides}))


@pytest.fixture(scope="module")
def text_run():
    return _run(reviews(rows=80, seed=0))


def _words(frame: pd.DataFrame, towards: str) -> list[str]:
    return frame.loc[frame["towards"] == towards, "word"].tolist()


def test_the_top_tfidf_words_of_each_class_are_its_own_pool(text_run):
    weights = text_view.tfidf_weights(text_run)
    assert (weights.model, weights.kind) == ("LogisticRegression", "coefficients")
    frame = weights.frame
    assert list(frame.columns) == ["towards", "rank", "word", "weight", "text column"]
    assert list(dict.fromkeys(frame["towards"])) == ["neg", "pos"]  # the model's class order
    for towards, pool, other in (("pos", GOOD, BAD), ("neg", BAD, GOOD)):
        words = _words(frame, towards)
        assert len(words) == text_view.PER_CLASS and frame.loc[frame["towards"] == towards, "rank"].tolist() == list(range(1, 11))
        assert len(set(words) & set(pool)) >= 6 and not set(words) & set(other), (towards, words)
    # Two classes share one row of weights: the model's own signs, positive toward "pos", negative toward "neg".
    pos, neg = (frame.loc[frame["towards"] == t, "weight"].to_numpy() for t in ("pos", "neg"))
    assert (pos > 0).all() and (np.diff(pos) <= 0).all()
    assert (neg < 0).all() and (np.diff(neg) >= 0).all()
    assert not frame["word"].str.contains("__").any()  # the branch prefix ("review words__") is cut
    assert set(frame["text column"]) == {"review"}


def test_the_weights_read_as_a_table_with_a_column_per_class(text_run):
    table = text_view.weights_table(text_view.tfidf_weights(text_run, per_class=3))
    assert list(table.columns) == ["neg", "pos"] and list(table.index) == [1, 2, 3]
    word, weight = table.loc[1, "pos"].split()
    assert word in GOOD and float(weight) > 0


def test_neighbours_are_other_words_of_the_vocabulary_closest_first(text_run):
    tokenizer = text_run.prepared.tokenizer
    found = text_view.neighbours(text_run, words=4, k=3)
    assert len(found) == 4
    for item in found:
        near = [n["word"] for n in item["neighbours"]]
        similarities = [n["similarity"] for n in item["neighbours"]]
        assert len(near) == 3 and item["word"] not in near and len(set(near)) == 3
        assert set(near) <= set(tokenizer.words_[3:])  # never a reserved id
        assert similarities == sorted(similarities, reverse=True) and -1 <= min(similarities) <= max(similarities) <= 1 + 1e-6
        assert item["count"] == tokenizer.counts_[tokenizer.ids_[item["word"]]]
    table = text_view.neighbour_table(found)
    assert list(table.columns) == ["word", "seen", "nearest words (cosine similarity)"] and len(table) == 4


def test_the_network_puts_the_words_of_one_pool_together(text_run):
    found = text_view.neighbours(text_run, words=4, k=5)
    # Listed: the frequent words training moved furthest, which are the pool words, not the filler every label uses.
    assert not {item["word"] for item in found} & set(FILLER)
    for item in found:
        pool = GOOD if item["word"] in GOOD else BAD
        assert {n["word"] for n in item["neighbours"]} <= set(pool), item


def test_among_as_many_as_listed_gives_the_most_frequent_words(text_run):
    tokenizer = text_run.prepared.tokenizer
    found = text_view.neighbours(text_run, words=4, among=4)
    assert [item["word"] for item in found] == tokenizer.words_[3:7]  # no punctuation in these reviews
    assert [item["count"] for item in found] == sorted((item["count"] for item in found), reverse=True)


def test_the_word_map_colours_each_word_by_what_the_network_predicts_for_it(text_run):
    frame = text_view.word_map(text_run)
    vocabulary = text_run.prepared.tokenizer.words_[3:]
    assert list(frame.columns) == ["word", "count", "length", "pc1", "pc2", "predicted", "probability"]
    assert (frame["length"] > 0).all()
    assert sorted(frame["word"]) == sorted(vocabulary) and len(frame) == len(vocabulary)
    assert set(frame["predicted"]) <= set(text_run.dataset["classes"])
    assert frame["probability"].between(0.5, 1).all() and np.isfinite(frame[["pc1", "pc2"]].to_numpy()).all()
    predicted = dict(zip(frame["word"], frame["predicted"]))
    assert {predicted[w] for w in GOOD} == {"pos"} and {predicted[w] for w in BAD} == {"neg"}
    assert text_view.word_map(text_run, max_words=5)["word"].tolist() == vocabulary[:5]


def test_regression_reads_the_weights_both_ways_and_maps_predicted_values():
    frame = reviews(rows=80, seed=1)
    words = frame["review"].str.split()
    frame["score"] = words.map(lambda ws: sum(w in GOOD for w in ws) - sum(w in BAD for w in ws)).astype(float)
    run = _run(frame.drop(columns="label"), target="score", task="regression")
    weights = text_view.tfidf_weights(run, per_class=5)
    assert weights.model == "RidgeCV"
    for towards, pool in (("higher", GOOD), ("lower", BAD)):  # words and two-word phrases ("terrible terrible") of the pool
        assert all(set(phrase.split()) <= set(pool) for phrase in _words(weights.frame, towards)), towards
    mapped = text_view.word_map(run)
    assert mapped["predicted"].dtype.kind == "f" and "probability" not in mapped
    predicted = dict(zip(mapped["word"], mapped["predicted"]))
    assert min(predicted[w] for w in GOOD) > max(predicted[w] for w in BAD)


def test_a_random_forest_gives_its_top_words_overall_and_says_so():
    run = _run(reviews(rows=80, seed=0), baseline="random_forest")
    weights = text_view.tfidf_weights(run, per_class=4)
    assert (weights.model, weights.kind) == ("RandomForestClassifier", "importances")
    frame = weights.frame
    assert set(frame["towards"]) == {"all classes"} and len(frame) == 4 * 2
    assert (frame["weight"] >= 0).all() and (np.diff(frame["weight"]) <= 0).all()
    assert set(frame["word"]) & set(GOOD + BAD)


def test_two_text_columns_beside_a_number():
    frame = reviews(rows=80, seed=2, stars=True)
    frame.insert(0, "title", reviews(rows=80, seed=3)["review"])  # same labels (they alternate), other words
    run = _run(frame, text_columns=("title", "review"))
    weights = text_view.tfidf_weights(run)
    assert set(weights.frame["text column"]) == {"title", "review"}
    assert "stars" not in set(weights.frame["word"])  # the number is a table feature, not a counted word
    cells = " ".join(text_view.weights_table(weights).to_numpy().ravel())
    assert "(title)" in cells and "(review)" in cells  # with two text columns each word names its own
    mapped = text_view.word_map(run)
    assert set(mapped["predicted"]) <= {"pos", "neg"} and len(mapped) == len(run.prepared.tokenizer.words_) - 3


def test_a_run_without_text_says_so_in_one_line():
    iris = run_comparison(load_builtin("iris"), CompareConfig(baseline="linear", mlp=MLPConfig(hidden_layers=1, width=4, dropout=0.0),
                                                              train=TrainConfig(epochs=1, device="cpu"), repeats=1))
    for view in (text_view.neighbours, text_view.word_map, text_view.tfidf_weights):
        with pytest.raises(BridgeError, match="no text columns") as error:
            view(iris)
        assert "\n" not in str(error.value)


def test_punctuation_is_not_a_word():
    assert all(text_view.is_punctuation(mark) for mark in ".,;!?-()\"'/+$")
    assert not any(text_view.is_punctuation(word) for word in ("a", "7", "猫", "😀", "ok"))


def test_the_bridge_note_speaks_of_counted_and_learned_words(text_run):
    from bridge.outputs.note import bridge_note

    note = dict(bridge_note(text_run))
    assert "TF-IDF counts of its words" in note["Old skill"]
    assert f"vector of {text_run.config['text']['embedding_dim']} numbers" in note["New capability"]
    assert f"{text_run.config['text']['layers']} hidden layer(s)" in note["New capability"]
