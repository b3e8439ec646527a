"""bridge.problem.text and the text part of prepare(): the tokenizer's rules, a vocabulary learned from the training rows only,
and the two views of a text table (word ids for the network, TF-IDF for scikit-learn)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from files import one_line
from scipy import sparse
from text_data import reviews

from bridge.config import CompareConfig, TextConfig
from bridge.errors import BridgeError
from bridge.io.data import Dataset
from bridge.problem.prepare import prepare
from bridge.problem.text import EMPTY, PAD, RESERVED, UNKNOWN, WordTokenizer, tokens

CONFIG = CompareConfig(repeats=1, text=TextConfig(max_tokens=16))


def table(frame: pd.DataFrame) -> Dataset:
    return Dataset("reviews", "table", frame=frame, default_target="label")


def word_vocabulary(prepared) -> dict:
    """The fitted TF-IDF word vectorizer's vocabulary_ for the first text column."""
    union = prepared.transform.named_transformers_["text 0"]
    return dict(union.transformer_list)["review words"].vocabulary_


# -- the tokenizer ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Hello WORLD", ["hello", "world"]),  # lower-case
    ("Don't stop, it’s fine", ["don't", "stop", ",", "it’s", "fine"]),  # apostrophes inside a word, straight or curly
    ("'quoted'", ["'", "quoted", "'"]),  # an apostrophe not between letters is a symbol of its own
    ("日本語です", ["日", "本", "語", "で", "す"]),  # kanji and kana: one token a character
    ("한국어", ["한", "국", "어"]),  # Hangul syllables too
    ("great!! 😀", ["great", "!", "!", "😀"]),  # punctuation and emoji: one token each
    ("Привет мир", ["привет", "мир"]),  # Cyrillic words are words
    ("snake_case 42x", ["snake", "case", "42x"]),  # underscore separates; letters and digits run together
    ("", []),
    ("   \t\n", []),
])
def test_tokens_follow_the_documented_rules(text, expected):
    assert tokens(text) == expected


def test_reserved_ids_then_the_vocabulary_most_frequent_first():
    tokenizer = WordTokenizer(max_tokens=4).fit(["b a b", "c b a"])
    assert (PAD, UNKNOWN, EMPTY) == (0, 1, 2)
    assert tokenizer.words_ == [*RESERVED, "b", "a", "c"]  # b 3 times, a twice, c once
    assert tokenizer.vocabulary_size == 6
    assert tokenizer.counts_.tolist() == [0, 0, 0, 3, 2, 1]
    ids = tokenizer.transform(["a zebra", "", None, "b b b b b b"])
    assert ids.dtype == np.int32 and ids.shape == (4, 4)
    assert ids[0].tolist() == [4, UNKNOWN, PAD, PAD]  # an unseen word is unknown, the rest is padding
    assert ids[1].tolist() == ids[2].tolist() == [EMPTY, PAD, PAD, PAD]  # no token at all: the empty id, never all padding
    assert ids[3].tolist() == [3, 3, 3, 3]  # cut at max_tokens
    assert tokenizer.token_counts(["b b b b b b", ""]).tolist() == [6, 0]  # counted before the cut


def test_vocabulary_keeps_the_most_frequent_words_ties_alphabetical():
    tokenizer = WordTokenizer(vocabulary=2).fit(["z y x", "x y"])
    assert tokenizer.words_[len(RESERVED):] == ["x", "y"]  # x and y twice (tie: alphabetical), z once: cut
    assert tokenizer.transform(["z"])[0, 0] == UNKNOWN


def test_each_text_column_gets_its_own_block_of_ids():
    frame = pd.DataFrame({"title": ["a b", "c"], "body": ["c c c", ""]})
    tokenizer = WordTokenizer(max_tokens=2).fit(frame)
    ids = tokenizer.transform(frame)
    c, a, b = (tokenizer.ids_[w] for w in "cab")
    assert ids.tolist() == [[a, b, c, c], [c, PAD, EMPTY, PAD]]


# -- prepare(): fitted on the training rows only ------------------------------------------------------------------------


def test_a_word_only_in_test_rows_is_unknown_to_both_sides():
    frame = reviews()
    test_positions = prepare(table(frame), CONFIG).split.test  # the split depends on the labels and seed alone
    frame.loc[frame.index[test_positions], "review"] = "zebra " + frame["review"].iloc[test_positions]
    prepared = prepare(table(frame), CONFIG)
    np.testing.assert_array_equal(prepared.split.test, test_positions)
    assert len(test_positions) > 0
    assert (prepared.X_test[:, 0] == UNKNOWN).all()  # every test text starts with it
    assert "zebra" not in prepared.tokenizer.words_
    assert not any("zebra" in term for term in word_vocabulary(prepared))  # nor in any TF-IDF word 1-2-gram
    assert "superb" in prepared.tokenizer.words_ and "superb" in word_vocabulary(prepared)  # the training words are there
    assert (prepared.X_train[:, 0] != UNKNOWN).all()  # every word of a training row is known


def test_a_mixed_table_gives_both_parts_to_both_sides():
    frame = reviews(stars=True)
    prepared = prepare(table(frame), CONFIG)
    layout = prepared.text_layout
    assert layout == {"columns": 1, "max_tokens": 16, "vocabulary": prepared.tokenizer.vocabulary_size, "tabular": 1}
    # The network: 16 word ids, then the scaled number.
    assert prepared.X_train.shape == (len(prepared.y_train), 17) and prepared.X_train.dtype == np.float32
    ids = prepared.X_train[:, :16]
    assert np.array_equal(ids, np.round(ids)) and ids.min() >= 0 and ids.max() < layout["vocabulary"]
    stars = frame["stars"].to_numpy(dtype=float)[prepared.split.train]
    np.testing.assert_allclose(prepared.X_train[:, 16], (stars - stars.mean()) / stars.std(), rtol=1e-5)
    # scikit-learn: the same scaled number, then TF-IDF columns, as a sparse matrix.
    assert sparse.issparse(prepared.X_train_flat)
    names = prepared.feature_names
    assert names[0] == "stars"
    np.testing.assert_allclose(prepared.X_train_flat[:, 0].toarray().ravel(), prepared.X_train[:, 16], rtol=1e-6)
    assert any(name.startswith("review words") for name in names) and any(name.startswith("review chars") for name in names)
    assert prepared.X_train_flat.shape[1] == len(names) > 17
    for X, X_flat in ((prepared.X_val, prepared.X_val_flat), (prepared.X_test, prepared.X_test_flat)):
        assert X.shape[1] == 17 and X_flat.shape[1] == len(names)
    described = prepared.describe(table(frame))
    assert described["kind"] == "table" and described["text_columns"] == ["review"]
    assert prepared.traits["text_columns"] == ["review"] and prepared.traits["vocabulary"] == layout["vocabulary"] - len(RESERVED)


def test_text_alone_is_of_kind_text():
    prepared = prepare(table(reviews()), CONFIG)
    assert prepared.text_layout["tabular"] == 0 and prepared.X_train.shape[1] == 16
    described = prepared.describe(table(reviews()))
    assert described["kind"] == "text" and described["text_columns"] == ["review"]


def test_switching_off_the_only_text_column_is_one_clear_error():
    with pytest.raises(BridgeError) as info:
        prepare(table(reviews()), CompareConfig(repeats=1, text_columns=()))
    assert "no usable feature columns" in one_line(info)


def test_a_text_column_that_does_not_exist_is_one_clear_error():
    with pytest.raises(BridgeError) as info:
        prepare(table(reviews()), CompareConfig(repeats=1, text_columns=("reviews",)))
    assert "no column 'reviews' to read as text; use one of: review, label" in one_line(info)


def test_a_short_column_the_user_marks_as_text_is_read_as_text():
    frame = reviews(stars=True).assign(colour=np.where(np.arange(80) % 3 == 0, "red", "blue"))
    auto = prepare(table(frame), CONFIG)
    assert auto.traits["text_columns"] == ["review"]  # one word a value: a category, not text
    marked = prepare(table(frame), CompareConfig(repeats=1, text_columns=("colour",)))
    assert marked.traits["text_columns"] == ["colour"]
    assert any("column 'review' left out: it is free text" in note and "switched off" in note for note in marked.notes)
