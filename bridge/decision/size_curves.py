"""Learning curves by training size for both sides, and what their slopes say.

"Would more data change the answer?" is answered by refitting each side on
growing subsets of the SAME training rows and scoring each refit on the same
validation rows. The network refits train with early stopping, as the main
fit does. Where the data is small enough (``seeds.affordable``) every size is
repeated over the run's seeds and the points carry their spread.

Kept out of the orchestrator so the rules about which sizes, which rows and
how far a trend may be extrapolated sit in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from bridge.decision.evaluate import score
from bridge.problem.prepare import Prepared

FRACTIONS = (0.1, 0.25, 0.5, 0.75)  # of the largest size; the full training set is the run's own fit
MIN_PATIENCE = 5  # the refits always stop early: a subset run to every epoch costs time and tells the same story
# Network refits cost a share of the main fit each (0.1 + 0.25 + 0.5 + 0.75 = 1.6 fits in all). On more cells than
# this (rows x input features, or pixels) the two largest subsets are left out: 0.35 of a fit keeps the curve's
# shape at small sizes without doubling a long run. A rule on the data's size, never the machine's speed.
FULL_CURVE_MAX_CELLS = 2_000_000
FULL_CURVE_MAX_PIXELS = 200_000  # a CNN costs far more per input value than an MLP: images x pixels, as seeds.affordable uses
FLAT_SLOPE = 0.01  # score change per doubling within which a curve counts as flat (verdict_text uses the same)
MAX_EXTRAPOLATED_DOUBLINGS = 3.0  # beyond 8x today's rows a straight line in log(size) is a guess, not a forecast


def subset_rows(y_train: np.ndarray, task: str, size: int, seed: int) -> np.ndarray | None:
    """``size`` training rows drawn the same way for both sides (stratified for classes), or None when impossible."""
    n = len(y_train)
    if size >= n:
        return np.arange(n)
    stratify = y_train if task == "classification" else None
    try:
        rows, _ = train_test_split(np.arange(n), train_size=size, random_state=seed, stratify=stratify)
    except ValueError:  # a subset too small to hold every class
        return None
    if task == "classification" and len(np.unique(y_train[rows])) < 2:
        return None
    return np.sort(rows)


def _full_curve(rows: int, features: int, kind: str) -> bool:
    return rows * features <= (FULL_CURVE_MAX_PIXELS if kind == "images" else FULL_CURVE_MAX_CELLS)


def network_fractions(rows: int, features: int, kind: str = "table") -> tuple[float, ...]:
    """The subset fractions the network is refitted at: all of them on small data, the two smallest beyond the size rule."""
    return FRACTIONS if _full_curve(rows, features, kind) else FRACTIONS[:2]


def network_note(rows: int, features: int, kind: str = "table") -> str | None:
    if _full_curve(rows, features, kind):
        return None
    limit = (f"{FULL_CURVE_MAX_PIXELS:,} image pixels" if kind == "images" else f"{FULL_CURVE_MAX_CELLS:,} cells")
    return (f"the network's learning curve refits at 10% and 25% of the training rows only ({rows:,} x {features:,} inputs "
            f"is above {limit}): the larger refits would cost more than the run itself")


SEEDED_CURVE_MAX_CELLS = 150_000  # tables up to this many cells repeat each size over the run's seeds (a band, not a line)


def curve_seeds(seed: int, repeats: int, kind: str, rows: int, features: int) -> list[int]:
    """The seeds each size is fitted with: the run's seeds on small tables, the run's own seed elsewhere.

    CNN refits are the costly kind, so images draw one line; on small tables a refit costs milliseconds and the
    spread shows how much of a curve's wiggle is the subset drawn.
    """
    if repeats > 1 and kind == "table" and rows * features <= SEEDED_CURVE_MAX_CELLS:
        return [seed + i for i in range(repeats)]
    return [seed]


def both_sides(data: Prepared, refit_baseline: Callable[[np.ndarray, int], Any], make_network: Callable[[int], Any],
               fitted_baseline: Any, fitted_network: Any, largest: int, seeds: list[int], kind: str,
               on_fit: Callable[[str, int, int, int], object] | None = None) -> tuple[list[dict], list[dict], list[str]]:
    """Both sides' validation score against training rows, on the same subsets; plus notes on what was left out.

    ``refit_baseline(rows, seed)`` and ``make_network(seed)`` give fresh models (the network one a
    ``bridge.models.estimators`` estimator, fitted with the validation rows as ``eval_set``); the fitted ones give the
    full-size points without a refit. ``on_fit(side, size, i, n)`` is called before each refit: progress, and where a cancel lands.
    """
    task, n = data.task, len(data.y_train)
    report = on_fit or (lambda *args: None)
    fractions = network_fractions(n, data.input_width, kind)
    plan = [(side, fraction, seed) for side, side_fractions in (("sklearn", FRACTIONS), ("pytorch", fractions))
            for fraction in side_fractions for seed in seeds]
    val: dict[str, dict[int, list[float]]] = {"sklearn": {}, "pytorch": {}}
    train: dict[int, list[float]] = {}
    for i, (side, fraction, seed) in enumerate(plan):
        rows = subset_rows(data.y_train, task, int(fraction * largest), seed)
        if rows is None:
            continue
        report(side, len(rows), i, len(plan))
        if side == "sklearn":
            model = refit_baseline(rows, seed)
            train.setdefault(len(rows), []).append(score(task, data.y_train[rows], model.predict(data.X_train_flat[rows])))
            val[side].setdefault(len(rows), []).append(score(task, data.y_val, model.predict(data.X_val_flat)))
        else:
            network = make_network(seed).fit(data.X_train[rows], data.y_train[rows], eval_set=(data.X_val, data.y_val),
                                             classes=data.classes or None)
            val[side].setdefault(len(rows), []).append(score(task, data.y_val, network.predict(data.X_val)))
    check = np.random.default_rng(seeds[0]).choice(n, size=largest, replace=False)  # train score on a sample: same estimate, less time
    sklearn_full = {**_point(n, [score(task, data.y_val, fitted_baseline.predict(data.X_val_flat))]),
                    "train_score": score(task, data.y_train[check], fitted_baseline.predict(data.X_train_flat[check]))}
    pytorch_full = _point(n, [score(task, data.y_val, fitted_network.predict(data.X_val))])
    sklearn_curve = [{**_point(size, values), "train_score": float(np.mean(train[size]))} for size, values in sorted(val["sklearn"].items())]
    pytorch_curve = [_point(size, values) for size, values in sorted(val["pytorch"].items())]
    notes = [note for note in (network_note(n, data.input_width, kind),) if note]
    return sklearn_curve + [sklearn_full], pytorch_curve + [pytorch_full], notes


def _point(size: int, values: list[float]) -> dict:
    point = {"train_size": int(size), "val_score": float(np.mean(values)), "fits": len(values)}
    if len(values) > 1:
        point["val_sd"] = float(np.std(values, ddof=1))
    return point


def slope(curve: list[dict]) -> tuple[float, int, int] | None:
    """Validation score change per doubling of training rows between the two largest sizes, with those sizes."""
    points = [p for p in curve if p.get("val_score") is not None]
    if len(points) < 2 or points[-1]["train_size"] <= points[-2]["train_size"]:
        return None
    a, b = points[-2], points[-1]
    return (b["val_score"] - a["val_score"]) / np.log2(b["train_size"] / a["train_size"]), a["train_size"], b["train_size"]


def crossing(sklearn_curve: list[dict], pytorch_curve: list[dict]) -> dict | None:
    """Where the two validation curves would meet if each kept its slope per doubling, or None without two curves.

    Returns the gap at the largest size (PyTorch minus scikit-learn), both slopes, and, when the trailing side climbs
    faster, the doublings (and rows) to the crossing, flagged ``beyond_reach`` past MAX_EXTRAPOLATED_DOUBLINGS.
    """
    sk, pt = slope(sklearn_curve), slope(pytorch_curve)
    if sk is None or pt is None or sklearn_curve[-1]["train_size"] != pytorch_curve[-1]["train_size"]:
        return None
    rows = sklearn_curve[-1]["train_size"]
    gap = pytorch_curve[-1]["val_score"] - sklearn_curve[-1]["val_score"]
    result = {"rows": int(rows), "gap": float(gap), "sklearn_slope": float(sk[0]), "pytorch_slope": float(pt[0])}
    closing = (sk[0] - pt[0]) if gap > 0 else (pt[0] - sk[0])  # how fast the trailing side gains on the leader
    if gap == 0 or closing <= FLAT_SLOPE / 2:
        return {**result, "converging": False}
    doublings = abs(gap) / closing
    return {**result, "converging": True, "doublings": float(doublings), "crossing_rows": int(round(rows * 2 ** doublings)),
            "beyond_reach": bool(doublings > MAX_EXTRAPOLATED_DOUBLINGS)}


def early_stopping(train_config):
    """The refits' training settings: the user's, with early stopping switched on where the user had it off."""
    return replace(train_config, patience=train_config.patience or MIN_PATIENCE)
