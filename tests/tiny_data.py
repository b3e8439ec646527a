"""Tiny seeded data and a fast config, for the fixtures in tests/conftest.py and for any test or helper that needs them.

A module of its own, not the conftest, so that importing it has no side effect (the conftest makes the tests' run
store) and its name is unique: a spawned tuning worker imports it too (tests/tuning/tuning_support.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bridge.config import CompareConfig, MLPConfig, TrainConfig

SEED = 0
CLASSIFICATION_ROWS = 150
MISSING_TARGET_ROWS = (3, 40, 77)  # rows whose label is blanked in the classification CSV


def tiny_classification(rows: int = CLASSIFICATION_ROWS, seed: int = SEED) -> pd.DataFrame:
    """Three numeric features, one category and a two-class label that depends on them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    color = rng.choice(["red", "green", "blue"], size=rows)
    signal = X[:, 0] + X[:, 1] + 0.8 * (color == "red")
    return pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "color": color, "label": np.where(signal > 0.3, "pos", "neg")})


def tiny_regression(rows: int = 150, seed: int = SEED) -> pd.DataFrame:
    """A numeric target around 1000 with a linear and a curved part."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    color = rng.choice(["red", "green", "blue"], size=rows)
    price = 1000 + 50 * X[:, 0] + 20 * X[:, 1] ** 2 + 15 * (color == "blue") + rng.normal(scale=2.0, size=rows)
    return pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "color": color, "price": price})


def fast_config_with(**overrides) -> CompareConfig:
    """A one-seed run of a small MLP for 8 epochs on the CPU; ``overrides`` replace any of its settings."""
    settings = {
        "mlp": MLPConfig(hidden_layers=1, width=32, dropout=0.0),
        "train": TrainConfig(epochs=8, lr=0.01, batch_size=32, patience=0, device="cpu"),
        "repeats": 1,
        "seed": SEED,
    }
    settings.update(overrides)
    return CompareConfig(**settings)
