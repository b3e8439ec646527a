"""Comparison -> JSON file and the CLI's plain-text summary."""

from __future__ import annotations

import json
import math
import os

from bridge.comparison import Comparison
from bridge.outputs import atomic

SIDES = (("dummy", "Dummy floor"), ("sklearn", "scikit-learn"), ("pytorch", "PyTorch"))


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def to_json(comparison: Comparison) -> str:
    """The full report; NaN and infinity become null so any JSON reader accepts it."""
    return json.dumps(_json_safe(comparison.to_dict()), indent=2, allow_nan=False)


def write_json(comparison: Comparison, path: str | os.PathLike) -> None:
    """Written whole or not at all: a crash mid-write leaves the previous file, never a truncated one."""
    atomic.write_text(path, to_json(comparison))


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in enumerate(zip(cells, widths)))


def side_by_side(comparison: Comparison) -> str:
    """Metrics, cost and size of the three models as an aligned text table."""
    models = comparison.models
    metric_names = list(models["sklearn"].metrics)
    header = ["", *(f"{label}" for _, label in SIDES)]
    body = [["model", *(models[key].name for key, _ in SIDES)]]
    for name in metric_names:
        body.append([name, *(f"{models[key].metrics.get(name, float('nan')):.4f}" for key, _ in SIDES)])
    body.append(["fit seconds", *(f"{models[key].fit_seconds:.3f}" for key, _ in SIDES)])
    body.append(["predict seconds", *(f"{models[key].predict_seconds:.4f}" for key, _ in SIDES)])
    body.append(["parameters", *(f"{models[key].parameters:,}" for key, _ in SIDES)])
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(row, widths) for row in body]
    return "\n".join(lines)


def summary(comparison: Comparison) -> str:
    """What the CLI prints: the data, the split, the table, the verdict and its reasons."""
    d, s, t = comparison.dataset, comparison.split, comparison.training
    rec = comparison.recommendation
    lines = [
        f"Dataset  {d['name']} ({d['kind']}): {d['rows']} rows, {d['features']} features, "
        f"task {d['task']}, target '{d['target']}'" + (f", {len(d['classes'])} classes" if d["classes"] else ""),
        f"Split    train {s['train']} / validation {s['val']} / test {s['test']} rows (same rows for both sides)",
        f"PyTorch  {t['network']} on {t['device']}: {t['epochs_run']} epochs, best at epoch {t['best_epoch']}"
        + (" (stopped early)" if t["stopped_early"] else ""),
        f"Baseline {comparison.baseline_scores['chosen']} chosen on validation "
        + ", ".join(f"{k} {v:.3f}" for k, v in comparison.baseline_scores["validation"].items()),
    ]
    if comparison.notes:
        lines.append("Notes")
        lines += [f"  - {note}" for note in comparison.notes]
    lines += ["", "Test split", side_by_side(comparison), ""]
    words = f", {rec['confidence_words']}" if rec.get("confidence_words") else ""
    lines.append(f"Recommendation: {rec['verdict']} (confidence {rec['confidence']:.2f}{words})")
    if rec.get("confidence_means"):
        lines.append(f"  ({rec['confidence_means']})")
    lines += [f"  - {reason}" for reason in rec["reasons"]]
    if rec.get("would_change"):
        lines.append("What would change the answer")
        lines += [f"  - {item}" for item in rec["would_change"]]
    if rec.get("next_action"):
        lines.append(f"Next: {rec['next_action']}")
    return "\n".join(lines)
