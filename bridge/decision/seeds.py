"""Spread over seeds: rerun both sides on other splits when the data is small enough to afford it.

One test split can flatter either side by luck. Rerunning with a few other
seeds (new split, new initial weights) shows whether the gap survives. The
affordability rule looks at the data's size only, never at the machine's
speed, so the same data gets the same treatment everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bridge.config import CompareConfig
from bridge.io.data import Dataset

MAX_TABLE_CELLS = 2_000_000  # rows x features of a table worth rerunning
MAX_TABLE_ROWS = 20_000
MAX_IMAGE_PIXELS = 200_000  # images x pixels per image


def affordable(dataset: Dataset, rows: int, features: int) -> bool:
    if dataset.kind == "images":
        return rows * features <= MAX_IMAGE_PIXELS
    return rows <= MAX_TABLE_ROWS and rows * features <= MAX_TABLE_CELLS


def seed_spread(config: CompareConfig, first: tuple[float, float], rerun: Callable[[int], tuple[float, float]],
                on_step: Callable[[int, int], object] | None = None) -> dict:
    """Scores of both sides over ``config.repeats`` seeds (the first run's included), with mean and sd of each.

    ``rerun(seed)`` is the orchestrator's (``experiment.rerun_with_seed``): a new split and new initial weights, each side
    keeping what the first run chose for it. This module only decides where repeats are affordable and sums them up.
    """
    seeds = [config.seed + i for i in range(config.repeats)]
    sk_scores, pt_scores = [first[0]], [first[1]]
    for i, seed in enumerate(seeds[1:], start=1):
        if on_step is not None:
            on_step(i, len(seeds) - 1)
        sklearn, pytorch = rerun(seed)
        sk_scores.append(sklearn)
        pt_scores.append(pytorch)
    gaps = np.subtract(pt_scores, sk_scores)
    return {
        "seeds": seeds,
        "sklearn": [round(float(v), 4) for v in sk_scores],
        "pytorch": [round(float(v), 4) for v in pt_scores],
        "sklearn_mean": float(np.mean(sk_scores)), "sklearn_sd": float(np.std(sk_scores, ddof=1)),
        "pytorch_mean": float(np.mean(pt_scores)), "pytorch_sd": float(np.std(pt_scores, ddof=1)),
        "gap_mean": float(np.mean(gaps)), "gap_sd": float(np.std(gaps, ddof=1)),
        "pytorch_ahead": int(np.sum(gaps > 0)),
    }
