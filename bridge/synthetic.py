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
    from bridge.images import ImageData

    digits = load_digits()
    rng = np.random.default_rng(seed)
    n = len(digits.target)
    images = np.zeros((n, 1, canvas, canvas), dtype=np.float32)
    rows, cols = rng.integers(0, canvas - 8 + 1, size=(2, n))
    for i, (r, c) in enumerate(zip(rows, cols)):
        images[i, 0, r : r + 8, c : c + 8] = digits.images[i] / 16.0
    labels = np.array([str(t) for t in digits.target], dtype=object)
    return ImageData(
        images=images,
        labels=labels,
        classes=[str(c) for c in range(10)],
        files=[f"digit_{i:04d}" for i in range(n)],
        notes=[f"scikit-learn's 1797 digits placed at random spots on a {canvas}x{canvas} canvas (seed {seed})"],
    )
