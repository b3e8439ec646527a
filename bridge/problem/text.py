"""Free-text columns as features: the two representations the bridge compares.

scikit-learn's side counts words: ``tfidf_branch`` is a TF-IDF of word and character n-grams, one per text
column inside the table's ColumnTransformer, so it is fitted on the training rows only like every other step.
PyTorch's side learns what words are like: ``WordTokenizer`` turns each text into word ids (a vocabulary built
on the training rows only, every other word the unknown id), and the network learns a vector per id
(``bridge.models.text_net``). Both keep the same number of words (``TextConfig.vocabulary``).

The tokenizer, documented because the network's whole view of the text goes through it:
lower-case; a token is a run of letters or digits (apostrophes inside a word kept: "don't"), one CJK or
kana character (scripts written without spaces), or one other visible symbol (punctuation, an emoji).
Ids: 0 pads a short text, 1 is a word outside the vocabulary, 2 marks a text with no token at all (so no row
is pure padding), then the vocabulary, most frequent first (ties alphabetical, so a fit is reproducible).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from bridge.io import limits

PAD, UNKNOWN, EMPTY = 0, 1, 2
RESERVED = ("<pad>", "<unknown>", "<empty>")
TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+(?:['’][^\W_]+)*|[^\w\s]", re.UNICODE)
# Words seen fewer times in the training rows share the unknown id. 1 keeps every word: on 3,000 one-line synopses the
# network scored 0.84 on validation with every word and 0.75 with words seen twice (most words of a short text are rare).
MIN_WORD_COUNT = 1


def tokens(text: str) -> list[str]:
    """The tokenizer: see the module docstring."""
    return TOKEN.findall(text.lower())


class WordTokenizer(TransformerMixin, BaseEstimator):
    """Texts -> a matrix of word ids, ``max_tokens`` per text, with the vocabulary learned in ``fit``.

    ``fit`` sees the training rows only; a word met first in validation or test rows is ``UNKNOWN``.
    ``transform`` takes a sequence of texts (or a DataFrame of text columns, read one column after another: each
    column gets its own ``max_tokens`` ids, side by side in the output) and returns int32 ids.
    """

    def __init__(self, max_tokens: int = 64, vocabulary: int = 20_000, min_count: int = MIN_WORD_COUNT):
        self.max_tokens, self.vocabulary, self.min_count = max_tokens, vocabulary, min_count

    def fit(self, X, y=None) -> WordTokenizer:
        counts: Counter[str] = Counter()
        for column in _columns(X):
            for text in _texts(column):
                counts.update(tokens(text))
        kept = sorted((word for word, n in counts.items() if n >= self.min_count), key=lambda word: (-counts[word], word))
        self.words_ = [*RESERVED, *kept[: self.vocabulary]]
        self.ids_ = {word: i for i, word in enumerate(self.words_)}
        self.counts_ = np.array([0, 0, 0, *(counts[w] for w in self.words_[len(RESERVED):])], dtype=np.int64)
        return self

    @property
    def vocabulary_size(self) -> int:
        """Rows of the network's embedding table: the reserved ids and the words kept."""
        return len(self.words_)

    def transform(self, X) -> np.ndarray:
        columns = _columns(X)
        out = np.full((len(columns[0]), self.max_tokens * len(columns)), PAD, dtype=np.int32)
        for k, column in enumerate(columns):
            for row, text in enumerate(_texts(column)):
                ids = [self.ids_.get(word, UNKNOWN) for word in tokens(text)[: self.max_tokens]] or [EMPTY]
                out[row, k * self.max_tokens : k * self.max_tokens + len(ids)] = ids
        return out

    def token_counts(self, X) -> np.ndarray:
        """Tokens in each text before the cut at ``max_tokens`` (for the traits and the notes)."""
        return np.array([len(tokens(text)) for text in _texts(X)], dtype=np.int64)


def _columns(X) -> list:
    """A DataFrame's text columns one by one; anything else is one column of texts."""
    return [X[c] for c in X.columns] if isinstance(X, pd.DataFrame) else [X]


def _texts(values: Iterable) -> Iterable[str]:
    """Each value as text; a missing value is the empty text."""
    for value in values:
        yield "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def tfidf_branch(column: str, vocabulary: int) -> FeatureUnion:
    """TF-IDF of word 1-2-grams and of character 2-4-grams (within words), each capped at ``vocabulary`` terms.

    Word n-grams are what a person would count; character n-grams catch spelling variants, word parts and
    scripts without spaces that a word pattern misses. ``sublinear_tf`` (1 + log of a count) keeps a word
    repeated twenty times from drowning the rest of the text. ``strip_accents`` is left off: it would merge
    words that differ in meaning in many languages.
    """
    name = str(column).replace("__", "_")  # scikit-learn reserves "__"; the names make features read "review words__great"
    return FeatureUnion([
        (f"{name} words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=vocabulary, dtype=np.float32)),
        (f"{name} chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, max_features=vocabulary,
                                  dtype=np.float32)),
    ])


def has_words(texts: Iterable[str]) -> bool:
    """Whether TF-IDF's word vectorizer finds a word (two or more letters or digits in a row) in any of ``texts``.

    Without one its vocabulary is empty and scikit-learn refuses to fit it: a column of blanks, punctuation or single
    characters cannot be a TF-IDF branch. The analyzer is the one ``tfidf_branch``'s word vectorizer uses (its defaults),
    and ``any`` stops at the first text with a word, so a real text column costs one row.
    """
    analyzer = TfidfVectorizer().build_analyzer()
    return any(analyzer(text) for text in texts)


def clean_text_column(series: pd.Series, notes: list[str]) -> pd.Series:
    """Text as str with missing values as "", each cell cut to ``limits.MAX_TEXT_CHARS`` (with a note)."""
    text = series.astype(object).where(series.notna(), "").map(str)
    long = text.str.len() > limits.MAX_TEXT_CHARS
    if long.any():
        notes.append(f"column '{series.name}': {int(long.sum())} text value(s) longer than {limits.MAX_TEXT_CHARS:,} characters "
                     f"were cut to their first {limits.MAX_TEXT_CHARS:,} (the longest had {int(text.str.len().max()):,})")
        text = text.where(~long, text.str.slice(0, limits.MAX_TEXT_CHARS))
    return text


def text_traits(tokenizer: WordTokenizer, train_text: pd.DataFrame) -> dict:
    """What the recommendation weighs about text: the vocabulary the training rows gave, and the words per row."""
    per_row = sum(tokenizer.token_counts(train_text[c]) for c in train_text.columns)
    cut = sum((tokenizer.token_counts(train_text[c]) > tokenizer.max_tokens).mean() for c in train_text.columns) / len(train_text.columns)
    return {"text_columns": [str(c) for c in train_text.columns], "vocabulary": int(tokenizer.vocabulary_size - len(RESERVED)),
            "mean_tokens": round(float(np.mean(per_row)), 1), "texts_cut": round(float(cut), 4)}
