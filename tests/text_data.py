"""A tiny seeded text table the text tests share: short reviews whose label the words give away.

Each review is 5 to 12 words, about half from the label's own pool and the rest filler both labels use, so a bag of words
learns it in a few epochs. ``stars`` (optional) is a number beside the text, for a mixed table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GOOD = ("great", "lovely", "superb", "fine", "happy", "wonderful", "nice", "charming")
BAD = ("awful", "poor", "sad", "broken", "terrible", "ugly", "dull", "boring")
FILLER = ("the", "a", "film", "plot", "actor", "story", "and", "it", "was", "very")


def reviews(rows: int = 80, seed: int = 0, stars: bool = False) -> pd.DataFrame:
    """Columns ``review`` (and ``stars`` when asked) and ``label`` ("pos" or "neg", alternating)."""
    rng = np.random.default_rng(seed)
    labels = np.where(np.arange(rows) % 2 == 0, "pos", "neg")
    texts = []
    for label in labels:
        pool = GOOD if label == "pos" else BAD
        words = [rng.choice(pool) if rng.random() < 0.5 else rng.choice(FILLER) for _ in range(rng.integers(5, 13))]
        texts.append(" ".join(words))
    frame = pd.DataFrame({"review": texts, "label": labels})
    if stars:
        frame.insert(1, "stars", rng.integers(1, 6, size=rows))
    return frame
