"""How sure can we be that one side is better? A paired bootstrap over the test rows.

Both sides predicted the same test rows, so resampling those rows and
rescoring both sides on each resample gives the spread of the score gap
that comes from which rows happened to land in the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BOOTSTRAP_SAMPLES = 1000


def _balanced_accuracy_many(y_index: np.ndarray, correct: np.ndarray, samples: np.ndarray, n_classes: int) -> np.ndarray:
    """Balanced accuracy of one side on each bootstrap resample (rows of ``samples``), vectorised."""
    offsets = (np.arange(len(samples)) * n_classes)[:, None]
    flat = (y_index[samples] + offsets).ravel()
    size = len(samples) * n_classes
    hits = np.bincount(flat, weights=correct[samples].ravel(), minlength=size).reshape(len(samples), n_classes)
    seen = np.bincount(flat, minlength=size).reshape(len(samples), n_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(np.where(seen > 0, hits / seen, np.nan), axis=1)


def _r2_many(y: np.ndarray, pred: np.ndarray, samples: np.ndarray) -> np.ndarray:
    truth = y[samples]
    sse = ((truth - pred[samples]) ** 2).sum(axis=1)
    sst = ((truth - truth.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    return 1.0 - sse / np.where(sst > 0, sst, np.nan)


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


def paired_gap(task: str, y_true, sk_pred, pt_pred, seed: int = 0, samples: int = BOOTSTRAP_SAMPLES) -> GapEstimate:
    """Bootstrap the gap in the primary metric (balanced accuracy or R^2), resampling rows in pairs.

    Resamples are drawn in chunks so memory stays bounded on a test split of any size.
    """
    y_true, sk_pred, pt_pred = map(np.asarray, (y_true, sk_pred, pt_pred))
    rng = np.random.default_rng(seed)
    n = len(y_true)
    full = np.arange(n)[None, :]
    if task == "classification":
        classes, y_index = np.unique(y_true, return_inverse=True)
        sk_correct, pt_correct = (sk_pred == y_true).astype(float), (pt_pred == y_true).astype(float)

        def gaps(rows):
            return (_balanced_accuracy_many(y_index, pt_correct, rows, len(classes))
                    - _balanced_accuracy_many(y_index, sk_correct, rows, len(classes)))
    else:
        y_true, sk_pred, pt_pred = (a.astype(float) for a in (y_true, sk_pred, pt_pred))

        def gaps(rows):
            return _r2_many(y_true, pt_pred, rows) - _r2_many(y_true, sk_pred, rows)

    gap = float(gaps(full)[0])
    chunk = max(1, min(samples, MAX_CELLS_PER_CHUNK // max(n, 1)))
    parts = [gaps(rng.integers(0, n, size=(min(chunk, samples - done), n))) for done in range(0, samples, chunk)]
    draws = np.concatenate(parts)
    draws = draws[np.isfinite(draws)]
    low, high = np.percentile(draws, [2.5, 97.5]) if len(draws) else (gap, gap)
    return GapEstimate(gap=gap, low=float(low), high=float(high), draws=draws)


def mcnemar_p(y_true, a_pred, b_pred) -> float:
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
    return float(min(1.0, 2 * min(np.mean(estimate.draws <= 0), np.mean(estimate.draws >= 0))))


def paired_p(task: str, y_true, sk_pred, pt_pred, estimate: GapEstimate) -> tuple[float, str]:
    """The paired test for this task: McNemar for labels, the paired bootstrap for numbers."""
    if task == "classification":
        return mcnemar_p(y_true, sk_pred, pt_pred), "McNemar"
    return bootstrap_p(estimate), "paired bootstrap"
