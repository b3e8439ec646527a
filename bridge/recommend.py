"""The decision: which tool fits this data, with evidence a user can check.

Each reason names the rule that fired and quotes its measured number, so a
user can see why and disagree. A gap inside the noise, or inside the zone
of negligible difference, is a tie, and a tie favours the simpler tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.evidence import GapEstimate

NEGLIGIBLE = 0.01  # score points (balanced accuracy or R^2) too small to matter in practice
SIGNAL = 0.02  # the best side must beat the Dummy floor by this much to show a usable signal
LARGE_TABLE_ROWS = 100_000


@dataclass(frozen=True)
class Facts:
    """The measured numbers the decision rests on."""

    task: str
    kind: str  # "table" or "images"
    metric: str
    dummy: float
    sklearn: float
    pytorch: float
    gap: GapEstimate
    sklearn_fit_seconds: float
    pytorch_fit_seconds: float
    sklearn_name: str
    rows: int
    features: int
    on_gpu: bool = False


@dataclass
class Recommendation:
    verdict: str  # "sklearn", "pytorch" or "no-signal"
    confidence: float
    reasons: list[str] = field(default_factory=list)
    next_action: str = ""

    @property
    def choice(self) -> str:
        return "pytorch" if self.verdict == "pytorch" else "sklearn"

    def to_dict(self) -> dict:
        return {"choice": self.choice, "verdict": self.verdict, "confidence": round(self.confidence, 3),
                "reasons": self.reasons, "next_action": self.next_action}


def seconds(value: float) -> str:
    """Readable durations: 3.2 ms, 0.41 s, 12.3 s."""
    return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _cost_reason(f: Facts) -> str:
    ratio = f.pytorch_fit_seconds / max(f.sklearn_fit_seconds, 1e-6)
    where = "on the GPU" if f.on_gpu else "on the CPU"
    if ratio >= 1:
        return (f"[cost] PyTorch took {seconds(f.pytorch_fit_seconds)} to train {where}, {ratio:.1f}x the "
                f"{seconds(f.sklearn_fit_seconds)} of {f.sklearn_name}.")
    return (f"[cost] PyTorch took {seconds(f.pytorch_fit_seconds)} to train {where}, {1 / ratio:.1f}x faster than "
            f"{f.sklearn_name} ({seconds(f.sklearn_fit_seconds)}).")


def _data_reason(f: Facts) -> str:
    if f.kind == "images":
        return (f"[modality] Images: {f.rows} pictures of {f.features} pixels. A CNN learns its own features "
                f"from pixels; a pixel baseline has to rely on where things sit in the frame.")
    if f.rows < LARGE_TABLE_ROWS:
        return (f"[data] A table of {f.rows} rows x {f.features} features: on tabular data of this size tree "
                f"ensembles and linear models usually match or beat neural networks (Grinsztajn et al., 2022).")
    return (f"[data] A large table ({f.rows} rows x {f.features} features): enough rows for a network's extra "
            f"capacity to pay off when the target is smooth.")


def recommend(f: Facts) -> Recommendation:
    """Apply the rules in order: signal over the floor, then the gap against its noise, then cost."""
    best = max(f.sklearn, f.pytorch)
    floor_lift = best - f.dummy
    gap = f.gap
    ci = f"95% interval {gap.low:+.3f} to {gap.high:+.3f}"
    reasons = [f"[floor] Dummy scores {f.dummy:.3f} {f.metric}; scikit-learn {f.sklearn:.3f}, PyTorch {f.pytorch:.3f} "
               f"(best is {floor_lift:+.3f} over the floor)."]
    if floor_lift < SIGNAL:
        reasons.append(f"[no-signal] Neither side beats the Dummy floor by {SIGNAL} {f.metric}: the features show no "
                       f"usable signal for this target.")
        reasons.append(_data_reason(f))
        return Recommendation("no-signal", confidence=0.5 + 0.5 * min(1.0, (SIGNAL - floor_lift) / SIGNAL), reasons=reasons,
                              next_action="Check the target column and the features (leakage, wrong target, missing "
                                          "information) before choosing any tool.")
    if gap.low > NEGLIGIBLE:
        verdict = "pytorch"
        confidence = gap.share_above(NEGLIGIBLE)
        reasons.append(f"[clear-gap] PyTorch leads by {gap.gap:+.3f} {f.metric} ({ci}), beyond the noise and beyond "
                       f"the {NEGLIGIBLE} zone of negligible difference.")
        action = "Use PyTorch: its learned representation pays for the extra control and code it needs."
    elif gap.high < -NEGLIGIBLE:
        verdict = "sklearn"
        confidence = 1.0 - gap.share_above(-NEGLIGIBLE)
        reasons.append(f"[clear-gap] scikit-learn's {f.sklearn_name} leads by {-gap.gap:+.3f} {f.metric} ({ci}), "
                       f"beyond the noise.")
        action = f"Use scikit-learn's {f.sklearn_name}: it is better here and simpler to run and maintain."
    else:
        verdict = "sklearn"
        confidence = 1.0 - gap.share_above(NEGLIGIBLE)
        reasons.append(f"[tie] The gap PyTorch minus scikit-learn is {gap.gap:+.3f} {f.metric} ({ci}): inside the "
                       f"noise or the {NEGLIGIBLE} zone of negligible difference, so the simpler tool wins the tie.")
        action = (f"Start with scikit-learn's {f.sklearn_name}; revisit PyTorch if the data grows or the "
                  f"inputs become images, text or signals.")
    reasons.append(_cost_reason(f))
    reasons.append(_data_reason(f))
    return Recommendation(verdict, confidence=min(0.99, max(0.5, confidence)), reasons=reasons, next_action=action)
