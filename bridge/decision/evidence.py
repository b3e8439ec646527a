"""How sure can we be that one side is better? A paired bootstrap over the test rows.

Both sides predicted the same test rows, so resampling those rows and
rescoring both sides on each resample gives the spread of the score gap
that comes from which rows happened to land in the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

BOOTSTRAP_SAMPLES = 1000
R2_MIN_RELATIVE_VARIANCE = 1e-20  # sst below this share of the summed squared targets is rounding, not variance


def _balanced_accuracy_gaps(cell_counts: np.ndarray) -> np.ndarray:
    """PyTorch's minus scikit-learn's balanced accuracy for each row of cell counts.

    ``cell_counts`` has shape (resamples, classes, 2, 2): rows of each true class by whether
    scikit-learn (axis 2) and PyTorch (axis 3) got them right.
    """
    seen = cell_counts.sum(axis=(2, 3))
    sk_hits, pt_hits = cell_counts[:, :, 1, :].sum(axis=2), cell_counts[:, :, :, 1].sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall_gap = np.where(seen > 0, (pt_hits - sk_hits) / seen, np.nan)
        return np.nanmean(recall_gap, axis=1)


def _r2_many(y: np.ndarray, pred: np.ndarray, samples: np.ndarray) -> np.ndarray:
    truth = y[samples]
    sse = ((truth - pred[samples]) ** 2).sum(axis=1)
    sst = ((truth - truth.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    # A resample of one repeated value leaves only rounding in sst (~1e-32 of the squared values): dividing by it
    # gives an R^2 of -1e16, not a score. Such resamples have no variance to explain and count as undefined.
    defined = sst > R2_MIN_RELATIVE_VARIANCE * (truth**2).sum(axis=1)
    return 1.0 - sse / np.where(defined, sst, np.nan)


def _constant(y: ArrayLike) -> bool:
    values = np.asarray(y)
    if values.dtype.kind in "fiub":
        values = values.astype(float)
        values = values[np.isfinite(values)]
        # Exactly equal values, or a spread that is rounding next to their size: no variance to explain either way.
        return len(values) == 0 or float(values.max() - values.min()) <= 1e-9 * abs(float(values.mean()))
    return len(set(values.tolist())) <= 1


def constant_parts(y_train: ArrayLike, y_test: ArrayLike) -> str:
    """Where the target does not vary: "training", "test", "training and test", or "" when it varies in both."""
    return " and ".join(part for part, y in (("training", y_train), ("test", y_test)) if _constant(y))


@dataclass(frozen=True)
class GapEstimate:
    """PyTorch's score minus scikit-learn's on the test rows, with its bootstrap spread."""

    gap: float
    low: float  # 2.5th percentile
    high: float  # 97.5th percentile
    draws: np.ndarray  # the gap on each resample

    def share_above(self, threshold: float) -> float:
        return float(np.mean(self.draws > threshold))


MAX_CELLS_PER_CHUNK = 5_000_000  # resampled row indices held at once: about 40 MB, whatever the test size


def paired_gap(task: str, y_true: ArrayLike, sk_pred: ArrayLike, pt_pred: ArrayLike, seed: int = 0, samples: int = BOOTSTRAP_SAMPLES) -> GapEstimate:
    """Bootstrap the gap in the primary metric (balanced accuracy or R^2), resampling rows in pairs.

    Regression resamples are drawn in chunks so memory stays bounded on a test split of any size.
    """
    y_true, sk_pred, pt_pred = map(np.asarray, (y_true, sk_pred, pt_pred))
    rng = np.random.default_rng(seed)
    n = len(y_true)
    if task == "classification":
        # Balanced accuracy depends on a resample only through how many rows fall in each
        # (true class, sklearn right?, pytorch right?) cell, and resampling n rows with replacement
        # puts Multinomial(n, cell shares) rows in those cells: drawing the counts is the same
        # bootstrap, in time that does not grow with the test split.
        classes, y_index = np.unique(y_true, return_inverse=True)
        cells = (y_index * 2 + (sk_pred == y_true)) * 2 + (pt_pred == y_true)
        counts = np.bincount(cells, minlength=4 * len(classes))
        gap = float(_balanced_accuracy_gaps(counts.reshape(1, -1, 2, 2))[0])
        draws = _balanced_accuracy_gaps(rng.multinomial(n, counts / n, size=samples).reshape(samples, -1, 2, 2))
    else:
        y_true, sk_pred, pt_pred = (a.astype(float) for a in (y_true, sk_pred, pt_pred))

        def gaps(rows):
            return _r2_many(y_true, pt_pred, rows) - _r2_many(y_true, sk_pred, rows)

        gap = float(gaps(np.arange(n)[None, :])[0])
        chunk = max(1, min(samples, MAX_CELLS_PER_CHUNK // max(n, 1)))
        draws = np.concatenate([gaps(rng.integers(0, n, size=(min(chunk, samples - done), n))) for done in range(0, samples, chunk)])
    draws = draws[np.isfinite(draws)]
    low, high = np.percentile(draws, [2.5, 97.5]) if len(draws) else (gap, gap)
    return GapEstimate(gap=gap, low=float(low), high=float(high), draws=draws)


def mcnemar_p(y_true: ArrayLike, a_pred: ArrayLike, b_pred: ArrayLike) -> float:
    """Exact McNemar test on the rows where exactly one side is right (two-sided binomial p-value)."""
    from scipy.stats import binomtest

    y_true, a_pred, b_pred = map(np.asarray, (y_true, a_pred, b_pred))
    a_only = int(np.sum((a_pred == y_true) & (b_pred != y_true)))
    b_only = int(np.sum((b_pred == y_true) & (a_pred != y_true)))
    if a_only + b_only == 0:
        return 1.0
    return float(binomtest(b_only, a_only + b_only, 0.5).pvalue)


def bootstrap_p(estimate: GapEstimate) -> float:
    """Two-sided p-value of 'no difference' read off the paired bootstrap draws."""
    if not len(estimate.draws):
        return 1.0
    return min(1.0, 2 * min(float(np.mean(estimate.draws <= 0)), float(np.mean(estimate.draws >= 0))))


def paired_p(task: str, y_true: ArrayLike, sk_pred: ArrayLike, pt_pred: ArrayLike, estimate: GapEstimate) -> tuple[float, str]:
    """The paired test for this task: McNemar for labels, the paired bootstrap for numbers."""
    if task == "classification":
        return mcnemar_p(y_true, sk_pred, pt_pred), "McNemar"
    return bootstrap_p(estimate), "paired bootstrap"
