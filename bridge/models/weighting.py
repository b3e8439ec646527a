"""Class weighting, the same on both sides: which weightings a run tries, the weights, and the note that says what was kept.

The main score of a classification run is balanced accuracy, which counts every class alike. A model
fitted without class weights learns the majority class's share of the rows: on a 28:1 table it can
score well on accuracy and poorly on the score that decides. "balanced" weights each class by
n_samples / (n_classes * its count) on both sides, as scikit-learn's ``class_weight="balanced"`` does;
``auto`` tries both weightings where the training classes are imbalanced and keeps, on each side,
the one that scores better on the validation rows, exactly as the baseline family is chosen.
"""

from __future__ import annotations

import numpy as np

from bridge.config import CLASS_WEIGHTS
from bridge.errors import BridgeError

# Largest / smallest training class count from which auto also tries balanced weights. Below 2:1 no class weighs even
# twice another, and accuracy and balanced accuracy nearly agree: a second fit per model would double the work for little.
IMBALANCE_RATIO = 2.0


def imbalance(y) -> float:
    """Largest / smallest class count among the labels present."""
    _, counts = np.unique(np.asarray(y), return_counts=True)
    return float(counts.max() / counts.min()) if len(counts) else 1.0


def to_try(task: str, choice: str, y_train) -> list[str]:
    """The weightings a side fits, unweighted first (it wins ties): regression has none to try."""
    if choice not in CLASS_WEIGHTS:
        raise BridgeError(f"class weighting '{choice}' is unknown; use one of {', '.join(CLASS_WEIGHTS)}")
    if task != "classification":
        return ["none"]
    if choice != "auto":
        return [choice]
    return ["none", "balanced"] if imbalance(y_train) >= IMBALANCE_RATIO else ["none"]


def balanced_weights(classes, y) -> np.ndarray:
    """n_samples / (n_classes * count) for each of ``classes``, in that order, as scikit-learn's "balanced".

    Only the classes present in ``y`` count in n_classes, as in scikit-learn; a class without training rows never
    appears as a target, so its weight is never used: it gets 1.
    """
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    count = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    return np.array([len(y) / (len(labels) * count[c]) if c in count else 1.0 for c in classes], dtype=np.float64)


def label(name: str, weighting: str) -> str:
    """A candidate's name in the validation scores: "linear", or "linear (balanced)"."""
    return name if weighting == "none" else f"{name} ({weighting})"


def best(scores: dict[str, float]) -> str:
    """The weighting with the highest validation score; the first tried (unweighted) on a tie."""
    return max(scores, key=lambda key: (scores[key], -list(scores).index(key)))


def note(choice: str, task: str, y_train, sklearn: tuple[str, dict[str, float]], pytorch: tuple[str, dict[str, float]]) -> str | None:
    """One line for the run's notes: what auto chose on each side and the validation scores that chose it.

    ``sklearn`` and ``pytorch`` are (kept weighting, {weighting: validation score}). Nothing to say when
    auto had a single option (balanced classes) or the user forced a weighting that applies.
    """
    if task != "classification":
        return "class weighting applies to classification only; this regression run ignored --class-weight balanced" \
            if choice == "balanced" else None
    if choice != "auto" or (len(sklearn[1]) < 2 and len(pytorch[1]) < 2):
        return None

    def side(name: str, kept: str, scores: dict[str, float]) -> str:
        other = ", ".join(f"{w} {s:.3f}" for w, s in scores.items() if w != kept)
        return f"{name} kept {kept} ({scores[kept]:.3f}" + (f" against {other})" if other else ")")

    return (f"class weighting (auto, training classes {imbalance(y_train):.0f}:1): {side('scikit-learn', *sklearn)}, "
            f"{side('PyTorch', *pytorch)}, by validation balanced accuracy")
