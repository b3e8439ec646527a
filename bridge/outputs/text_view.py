"""What each side made of the words of a text run: TF-IDF weights counted beside word vectors learned.

Issue #13: "the linear model weighs words you counted; the network learned what the words are like".
``tfidf_weights`` reads the scikit-learn model's weight (or importance) for each TF-IDF word feature;
``neighbours`` and ``word_map`` read the network's embedding table (``TextNet.embedding``): which words
ended up near each other, and where the frequent words sit in 2-D with the answer the network gives for
a text made of that word alone. Pure functions returning plain data; the Bridge note page draws them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from bridge.comparison import Comparison
from bridge.errors import BridgeError
from bridge.outputs.representation import network_of
from bridge.problem.prepare import Prepared
from bridge.problem.text import RESERVED, WordTokenizer

NEIGHBOUR_WORDS = 8  # frequent words whose neighbours are listed
NEIGHBOURS = 5  # nearest words listed for each
NEIGHBOUR_POOL = 50  # the frequent words the listed ones are picked from (see neighbours)
MAP_WORDS = 300  # frequent words placed on the map: more is a cloud nobody reads
PER_CLASS = 10  # top-weighted words per class (or per direction, for regression)
WORD_BRANCH = " words"  # tfidf_branch names its word n-gram vectorizer "<column> words" (and "<column> chars")


@dataclass(frozen=True)
class WordWeights:
    """The scikit-learn side's top words: one row per (towards, word), best first within each ``towards``."""

    frame: pd.DataFrame  # towards (a class, "higher"/"lower", or "all classes"/"overall"), rank, word, weight, text column
    model: str  # the estimator's class name, e.g. "LogisticRegression"
    kind: str  # "coefficients" (a linear model's signed weights) or "importances" (a forest's feature_importances_)


def _text_run(comparison: Comparison) -> tuple[Prepared, WordTokenizer, dict]:
    """The run's arrays, tokenizer and text layout; one line when the run had no text."""
    prepared = comparison.arrays()
    if prepared.tokenizer is None or prepared.text_layout is None:
        raise BridgeError("this run has no text columns, so it has no words to show; run it on data with a column of free text")
    return prepared, cast(WordTokenizer, prepared.tokenizer), prepared.text_layout


def _embedding(comparison: Comparison) -> np.ndarray:
    """The network's learned word vectors, one row per tokenizer id."""
    embedding = getattr(network_of(comparison), "embedding", None)
    if embedding is None:
        raise BridgeError("this run's network learned no word vectors; train it with --network text (or auto) to see them")
    return embedding.weight.detach().float().cpu().numpy()


def is_punctuation(word: str) -> bool:
    """A one-character punctuation mark or operator ("." "," "+" "$"); letters, digits, CJK and emoji count as words."""
    return len(word) == 1 and (unicodedata.category(word)[0] == "P" or unicodedata.category(word) in ("Sm", "Sc", "Sk"))


def _word_ids(tokenizer: WordTokenizer, count: int | None = None) -> np.ndarray:
    """Up to ``count`` vocabulary ids, most frequent in the training rows first (the tokenizer's own order), words only."""
    words = tokenizer.words_
    ids = [i for i in range(len(RESERVED), len(words)) if not is_punctuation(words[i])]
    return np.asarray(ids[:count], dtype=np.int64)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def neighbours(comparison: Comparison, words: int = NEIGHBOUR_WORDS, k: int = NEIGHBOURS, among: int = NEIGHBOUR_POOL) -> list[dict]:
    """Frequent training words, each with its ``k`` nearest words by cosine similarity of the learned vectors.

    [{"word", "count" (in the training rows), "neighbours": [{"word", "similarity"}, ...] closest first}, ...], most
    frequent first. The ``words`` listed are, of the ``among`` most frequent, those with the longest learned vectors:
    vectors start near zero, so length is how far training moved a word. The most frequent words alone are
    function words ("for", "and", "of" on the packages data), which predict nothing, so training barely moved
    them and their neighbours are noise; ``among=words`` lists the most frequent words as they come. Every other
    word of the vocabulary is a candidate neighbour (punctuation and the reserved ids aside): two words are near
    when training moved their vectors the same way, that is, when they pushed the predictions alike.
    """
    _, tokenizer, _ = _text_run(comparison)
    raw = _embedding(comparison)
    vectors = _unit_rows(raw)
    candidates = _word_ids(tokenizer)
    pool = candidates[: max(among, words)]
    longest = np.argsort(-np.linalg.norm(raw[pool], axis=1), kind="stable")[:words]
    found = []
    for word_id in pool[np.sort(longest)]:  # back in frequency order
        others = candidates[candidates != word_id]
        similarity = vectors[others] @ vectors[word_id]
        best = np.argsort(-similarity, kind="stable")[:k]  # stable: equal scores keep the more frequent word first
        found.append({"word": tokenizer.words_[word_id], "count": int(tokenizer.counts_[word_id]),
                      "neighbours": [{"word": tokenizer.words_[others[j]], "similarity": float(similarity[j])} for j in best]})
    return found


def neighbour_table(found: list[dict]) -> pd.DataFrame:
    """``neighbours``' answer as one row per word, for a table: the word, times seen, its nearest words with their cosine."""
    return pd.DataFrame({"word": [item["word"] for item in found], "seen": [item["count"] for item in found],
                         "nearest words (cosine similarity)": [", ".join(f"{n['word']} ({n['similarity']:.2f})" for n in item["neighbours"])
                                                               for item in found]})


def one_word_texts(prepared: Prepared, layout: dict, ids: np.ndarray) -> np.ndarray:
    """Network input rows whose every text column holds one word; table features at their training average."""
    width = int(layout["columns"]) * int(layout["max_tokens"])
    X = np.zeros((len(ids), prepared.X_train.shape[1]), dtype=np.float32)
    for column in range(int(layout["columns"])):
        X[:, column * int(layout["max_tokens"])] = ids
    if X.shape[1] > width:  # a mixed table: an ordinary row, so the word alone makes the difference
        X[:, width:] = np.asarray(prepared.X_train[:, width:], dtype=np.float64).mean(axis=0)
    return X


def word_map(comparison: Comparison, max_words: int = MAP_WORDS) -> pd.DataFrame:
    """The most frequent words' learned vectors in 2-D (PCA), each with what the network answers for that word alone.

    Columns: word, count (in the training rows), length (of the learned vector: vectors start near zero, so how far
    training moved the word), pc1, pc2, predicted (the class for classification, the value for regression) and, for
    classification, probability (of that class). Words the network treats alike sit together; the colour says what
    it learned each word means.
    """
    prepared, tokenizer, layout = _text_run(comparison)
    vectors = _embedding(comparison)
    ids = _word_ids(tokenizer, max_words)
    if len(ids) == 0:
        raise BridgeError("the training texts hold no words, only punctuation; use a column of real text")
    components = min(2, len(ids), vectors.shape[1])
    points = PCA(n_components=components, random_state=comparison.config.get("seed", 0)).fit_transform(vectors[ids].astype(np.float64))
    if components < 2:  # one word (or one-number vectors): the second axis is flat
        points = np.column_stack([points, np.zeros((len(points), 2 - components))])
    frame = pd.DataFrame({"word": [tokenizer.words_[i] for i in ids], "count": tokenizer.counts_[ids].astype(int),
                          "length": np.linalg.norm(vectors[ids], axis=1), "pc1": points[:, 0], "pc2": points[:, 1]})
    network, X = comparison.models["pytorch"].artifact, one_word_texts(prepared, layout, ids)
    if prepared.task == "classification":
        probabilities = network.predict_proba(X)
        best = probabilities.argmax(axis=1)
        frame["predicted"] = np.asarray(network.classes_)[best].astype(str)
        frame["probability"] = probabilities[np.arange(len(ids)), best]
    else:
        frame["predicted"] = np.asarray(network.predict(X), dtype=float)
    return frame


def _word_features(prepared: Prepared) -> tuple[np.ndarray, list[str], list[str]]:
    """Positions of the TF-IDF *word* features among scikit-learn's inputs, their words (branch prefix cut) and text columns."""
    transform = cast(Any, prepared.transform)  # the fitted ColumnTransformer (typed loosely in Prepared)
    names = list(prepared.feature_names) or [str(name) for name in transform.get_feature_names_out()]
    prefixes = {}  # "review words__" -> "review": the FeatureUnion prefixes its branch's name to each term
    for part, union, column in getattr(transform, "transformers_", []):
        for branch, _ in getattr(union, "transformer_list", []):
            if str(part).startswith("text") and branch.endswith(WORD_BRANCH):
                prefixes[f"{branch}__"] = str(column)
    positions, words, columns = [], [], []
    for position, name in enumerate(names):
        prefix = next((p for p in prefixes if name.startswith(p)), None)
        if prefix is not None:
            positions.append(position)
            words.append(name[len(prefix):])
            columns.append(prefixes[prefix])
    return np.asarray(positions, dtype=np.int64), words, columns


def _top(values: np.ndarray, count: int, towards: str, words: list[str], columns: list[str], sign: float = 1.0) -> list[dict]:
    """The ``count`` largest of ``sign * values`` (ties: the feature first in scikit-learn's order), as table rows.

    The weight shown keeps the model's own sign: a word that pulls toward the first of two classes shows as negative.
    """
    order = np.argsort(-sign * values, kind="stable")[:count]
    return [{"towards": towards, "rank": rank + 1, "word": words[i], "weight": float(values[i]), "text column": columns[i]}
            for rank, i in enumerate(order)]


def tfidf_weights(comparison: Comparison, per_class: int = PER_CLASS) -> WordWeights:
    """The scikit-learn model's top-weighted TF-IDF word features (unigrams and bigrams; the character n-grams left out).

    A logistic regression has a row of weights per class; for two classes one row, whose positive weights push a
    text toward the second class and negative ones toward the first (so the first class gets the most negative).
    A ridge regression has one row, read both ways: "higher" and "lower" target. A random forest weighs no word
    toward a class: its ``feature_importances_`` give the words its trees split on most, over all classes.
    """
    prepared, _, _ = _text_run(comparison)
    model = comparison.models["sklearn"].artifact
    positions, words, columns = _word_features(prepared)
    if len(positions) == 0:
        raise BridgeError("the scikit-learn side kept no word features for this text; run again with a larger vocabulary")
    coef, importances = getattr(model, "coef_", None), getattr(model, "feature_importances_", None)
    if coef is not None:
        weights = np.atleast_2d(np.asarray(coef, dtype=np.float64))[:, positions]
        if prepared.task == "regression":
            rows = _top(weights[0], per_class, "higher", words, columns) + _top(weights[0], per_class, "lower", words, columns, sign=-1.0)
        elif len(weights) == 1:  # two classes, one row of weights: positive toward classes_[1]
            first, second = (str(label) for label in model.classes_)
            rows = _top(weights[0], per_class, first, words, columns, sign=-1.0) + _top(weights[0], per_class, second, words, columns)
        else:
            rows = [row for label, row_weights in zip(model.classes_, weights) for row in _top(row_weights, per_class, str(label), words, columns)]
        kind = "coefficients"
    elif importances is not None:
        shown = per_class * max(2, len(prepared.classes))  # as many words as a table per class would show
        towards = "all classes" if prepared.task == "classification" else "overall"
        rows, kind = _top(np.asarray(importances, dtype=np.float64)[positions], shown, towards, words, columns), "importances"
    else:
        raise BridgeError(f"the scikit-learn model {type(model).__name__} has no weight or importance per feature to show; use --baseline linear")
    return WordWeights(pd.DataFrame(rows, columns=["towards", "rank", "word", "weight", "text column"]), type(model).__name__, kind)


def weights_table(weights: WordWeights) -> pd.DataFrame:
    """``tfidf_weights``' answer as a table to read: a column per class (or direction), the words in rank order with weights.

    The text column is named beside each word only when the run had more than one.
    """
    frame = weights.frame
    several = frame["text column"].nunique() > 1
    number = "{:+.2f}" if weights.kind == "coefficients" else "{:.3f}"  # importances are small shares of 1
    cells = frame.assign(cell=[f"{w} ({c})  " + number.format(x) if several else f"{w}  " + number.format(x)
                               for w, c, x in zip(frame["word"], frame["text column"], frame["weight"])])
    order = list(dict.fromkeys(frame["towards"]))  # the classes in the model's order, not alphabetical
    return cells.pivot(index="rank", columns="towards", values="cell").reindex(columns=order).fillna("")
