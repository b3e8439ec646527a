"""Datasets made on the spot, with a known answer to which tool fits.

No download is possible on Bridge's machines, so the cases that teach (and
test) the recommendation are generated here from a seed.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits


def moved_digits(canvas: int = 24, seed: int = 0):
    """scikit-learn's 8x8 digits, each pasted at a random place on a larger blank canvas.

    The same stroke lands on different pixels from image to image, so a model
    that treats pixel 137 as a fixed feature loses its footing; a CNN's shared,
    sliding filters do not care where the digit sits.
    """
    from bridge.io.images import ImageData

    digits = load_digits()
    rng = np.random.default_rng(seed)
    n = len(digits.target)
    images = np.zeros((n, 1, canvas, canvas), dtype=np.uint8)  # the digits' own whole numbers 0..16: scale 16
    rows, cols = rng.integers(0, canvas - 8 + 1, size=(2, n))
    for i, (r, c) in enumerate(zip(rows, cols)):
        images[i, 0, r : r + 8, c : c + 8] = digits.images[i]
    labels = np.array([str(t) for t in digits.target], dtype=object)
    return ImageData(
        images=images,
        labels=labels,
        classes=[str(c) for c in range(10)],
        files=[f"digit_{i:04d}" for i in range(n)],
        notes=[f"scikit-learn's 1797 digits placed at random spots on a {canvas}x{canvas} canvas (seed {seed})"],
        scale=16.0,
    )


def _frame(X: np.ndarray, y, target: str = "target"):
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame[target] = y
    return frame


def oblique_regression(rows: int = 3000, features: int = 8, seed: int = 0):
    """A smooth target of a few oblique directions (mixtures of all inputs).

    Axis-aligned tree splits need many steps to follow a diagonal, and a
    linear model cannot bend; a small MLP learns those directions directly.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    w = rng.normal(size=(features, 3)) / np.sqrt(features)
    z = X @ w
    y = np.sin(2 * z[:, 0]) + z[:, 1] * z[:, 2] + 0.5 * np.tanh(3 * z[:, 2]) + 0.05 * rng.normal(size=rows)
    return _frame(X, y)


def step_table(rows: int = 1500, features: int = 10, seed: int = 0):
    """An irregular target: thresholds on single features plus uninformative columns, where trees lead."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(rows, features))
    score = (X[:, 0] > 0.3).astype(int) + (X[:, 1] < -0.2) * (X[:, 2] > 0.1) + (X[:, 3] > 0.6)
    labels = np.where(score + 0.2 * rng.normal(size=rows) > 0.9, "yes", "no")
    return _frame(X, labels)


def uninformative_table(rows: int = 1200, seed: int = 0):
    """A linear signal in 4 of 40 columns; the rest are noise: a case for the simple linear baseline."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=rows, n_features=40, n_informative=4, n_redundant=0, n_clusters_per_class=1,
                               class_sep=1.0, random_state=seed)
    return _frame(X, np.array(["a", "b"])[y])


def noise_table(rows: int = 600, features: int = 8, task: str = "classification", seed: int = 0):
    """Pure noise: no feature says anything about the target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    y = rng.choice(["left", "right"], size=rows) if task == "classification" else rng.normal(size=rows)
    return _frame(X, y)


def imbalanced_table(rows: int = 2000, ratio: int = 28, seed: int = 0):
    """A rare class (1 in ``ratio + 1`` rows) set apart by a threshold on two of six columns, plus label noise.

    Unweighted models lean on the common class and miss the rare one; balanced accuracy, the score both sides are
    ranked by, rewards the side that weights classes. A case for fair baselines, not for a network.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 6))
    rare = (X[:, 0] + 0.7 * X[:, 1]) > np.quantile(X[:, 0] + 0.7 * X[:, 1], 1 - 1 / (ratio + 1))
    flip = rng.random(rows) < 0.01
    return _frame(X, np.where(rare ^ flip, "rare", "common"))


def tiny_table(rows: int = 40, seed: int = 0):
    """A few dozen rows with a linear rule: one test split (8 rows) cannot decide, so the seeds must."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    return _frame(X, np.where(X[:, 0] - 0.5 * X[:, 2] + 0.1 * rng.normal(size=rows) > 0, "up", "down"))


FILLER = ("the", "a", "we", "saw", "then", "later", "it", "was", "near", "one", "day", "and", "so", "on", "old", "new",
          "red", "big", "small", "far", "up", "down", "still", "here", "there", "again", "just", "very")


def word_order_text(rows: int = 1200, seed: int = 0):
    """Sentences holding both "cat" and "dog", 3-6 filler words apart; the label is which comes first.

    Every row has the same two key words, so counting words (TF-IDF, any n-gram short enough to skip the filler)
    cannot tell the classes apart; a network that reads positions (the transformer encoder) can.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(rows):
        first, second = ("cat", "dog") if rng.random() < 0.5 else ("dog", "cat")
        words = [*rng.choice(FILLER, rng.integers(0, 4)), first, *rng.choice(FILLER, rng.integers(3, 7)), second,
                 *rng.choice(FILLER, rng.integers(0, 4))]
        texts.append(" ".join(words))
        labels.append(f"{first} first")
    return pd.DataFrame({"sentence": texts, "target": labels})


def mixed_text_table(rows: int = 1500, seed: int = 0):
    """Short reviews and a price: the label needs both (a kind word, or a low price, marks a "keep")."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    kind, unkind = ("great", "lovely", "solid", "works", "recommend"), ("broken", "awful", "returned", "flimsy", "refund")
    texts, prices, labels = [], [], []
    for _ in range(rows):
        good = rng.random() < 0.5
        words = [*rng.choice(FILLER, rng.integers(3, 7)), rng.choice(kind if good else unkind), *rng.choice(FILLER, rng.integers(1, 4))]
        price = float(np.round(rng.uniform(5, 100), 2))
        texts.append(" ".join(words))
        prices.append(price)
        labels.append("keep" if good or price < 20 else "return")
    return pd.DataFrame({"review": texts, "price": prices, "target": labels})
