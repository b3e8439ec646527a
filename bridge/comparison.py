"""What one comparison measured: each model's test results and the Comparison record that holds a run.

Kept apart from the orchestrator (``bridge.experiment``) so pages, exports and the run store can read a result
without the code that produces one. ``Comparison.to_dict`` is the JSON report; the arrays behind the numbers ride
along in ``prepared`` (``arrays()`` says in one line when a comparison read back from a report has none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bridge.decision import evaluate
from bridge.errors import BridgeError
from bridge.io.data import Dataset
from bridge.problem.prepare import Prepared


@dataclass
class ModelResult:
    """One model's test-split results; ``artifact`` is the fitted model (kept out of the JSON)."""

    name: str
    metrics: dict
    fit_seconds: float
    predict_seconds: float
    parameters: int
    predictions: np.ndarray
    confidence: np.ndarray | None = None  # probability of the predicted class
    artifact: Any = None  # a fitted scikit-learn estimator (the Torch ones included); Any: callers use each one's own API

    def to_dict(self) -> dict:
        return {"name": self.name, "metrics": self.metrics, "fit_seconds": round(self.fit_seconds, 4),
                "predict_seconds": round(self.predict_seconds, 4), "parameters": self.parameters}


@dataclass
class Comparison:
    """Everything one run measured; ``to_dict`` is the JSON report."""

    dataset: dict
    split: dict
    models: dict[str, ModelResult]
    curves: dict
    errors: list[dict]
    recommendation: dict
    per_class: dict = field(default_factory=dict)
    confusion: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    baseline_scores: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    tuning: dict = field(default_factory=dict)  # tune mode only: every trial, the best settings, importances, tuned test results
    prepared: Prepared | None = None  # the arrays behind the numbers, for pages and exports
    source: Dataset | None = field(default=None, repr=False)  # the data as loaded: exports rebuild it (a reference, not a copy)

    def arrays(self) -> Prepared:
        """The arrays behind the numbers; a comparison rebuilt from its JSON report has none, and says so in one line."""
        if self.prepared is None:
            raise BridgeError("this comparison carries no arrays (it was read back from a report); run it again to use them")
        return self.prepared

    def predictions_frame(self, errors_only: bool = False):
        """Every test row with both sides' answers (or only rows a side got wrong), worst first."""
        data, models = self.arrays(), self.models
        frame = evaluate.prediction_frame(
            data.task, data.test_rows, data.y_test, models["sklearn"].predictions, models["pytorch"].predictions,
            models["sklearn"].confidence, models["pytorch"].confidence, data.original,
            feature_prefix="" if self.dataset["kind"] == "images" else "feature: ", first=self.dataset.get("text_columns", ()),
        )
        return evaluate.wrong_rows(frame, data.task) if errors_only else frame

    @property
    def metric(self) -> str:
        return evaluate.primary_metric(self.dataset["task"])

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "models": {key: result.to_dict() for key, result in self.models.items()},
            "curves": self.curves,
            "errors": self.errors,
            "recommendation": self.recommendation,
            "per_class": self.per_class,
            "confusion": self.confusion,
            "training": self.training,
            "baseline_scores": self.baseline_scores,
            "primary_metric": self.metric,
            "notes": self.notes,
            "config": self.config,
            **({"tuning": self.tuning} if self.tuning else {}),
        }
