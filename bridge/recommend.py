"""The decision: which tool fits this data, with evidence a user can check.

Rules fire in order and each reason names its rule and quotes its number, so
a user can see why and disagree:

1. floor      both sides against the Dummy floor; no lift beyond noise -> verdict "no-signal"
2. gap        the test gap with its paired bootstrap interval and paired test (McNemar or
              bootstrap); a winner needs a gap beyond NEGLIGIBLE *and* beyond the noise
3. seeds      where rerun over seeds, a lead that does not hold on other splits is a tie
4. context    cost, GPU, data traits and the baseline's learning curve: reported, not voting

A tie favours the simpler tool, scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bridge.evidence import GapEstimate

NEGLIGIBLE = 0.01  # score points (balanced accuracy or R^2) too small to matter in practice
SIGNAL = 0.02  # the best side must beat the Dummy floor by this much, beyond noise
ALPHA = 0.05  # the paired test's threshold
SMALL_TABLE_ROWS = 1_000  # below this a table is small: little for a network to learn a representation from
LARGE_TABLE_ROWS = 100_000
FLAT_SLOPE = 0.01  # score gained per doubling of training rows below which a curve has flattened


@dataclass(frozen=True)
class Facts:
    """The measured numbers the decision rests on."""

    task: str
    kind: str  # "table" or "images"
    metric: str
    dummy: float
    sklearn: float
    pytorch: float
    gap: GapEstimate  # PyTorch minus scikit-learn
    lift: GapEstimate  # the better side minus the Dummy floor
    p_value: float
    test_name: str
    sklearn_name: str
    network: str
    sklearn_fit_seconds: float
    pytorch_fit_seconds: float
    sklearn_predict_seconds: float = 0.0
    pytorch_predict_seconds: float = 0.0
    sklearn_parameters: int = 0
    pytorch_parameters: int = 0
    rows: int = 0
    features: int = 0
    traits: dict = field(default_factory=dict)
    sklearn_curve: list = field(default_factory=list)
    seeds: dict | None = None
    on_gpu: bool = False


@dataclass
class Recommendation:
    verdict: str  # "sklearn", "pytorch" or "no-signal"
    confidence: float
    reasons: list[str] = field(default_factory=list)
    next_action: str = ""
    would_change: list[str] = field(default_factory=list)
    tradeoffs: list[dict] = field(default_factory=list)

    @property
    def choice(self) -> str:
        return "pytorch" if self.verdict == "pytorch" else "sklearn"

    def to_dict(self) -> dict:
        return {"choice": self.choice, "verdict": self.verdict, "confidence": round(self.confidence, 3), "reasons": self.reasons,
                "next_action": self.next_action, "would_change": self.would_change, "tradeoffs": self.tradeoffs}


def seconds(value: float) -> str:
    """Readable durations: 3.2 ms, 0.41 s, 12.3 s."""
    return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _ratio(a: float, b: float) -> str:
    """How a's time compares with b's, in words that read right both ways."""
    ratio = a / max(b, 1e-9)
    return f"{ratio:.1f}x as long as" if ratio >= 1 else f"{1 / max(ratio, 1e-9):.1f}x faster than"


def _context(f: Facts) -> list[str]:
    """Reasons that inform but do not vote: cost, hardware, data traits, the learning curve."""
    reasons = [f"[cost] PyTorch took {seconds(f.pytorch_fit_seconds)} to train, {_ratio(f.pytorch_fit_seconds, f.sklearn_fit_seconds)} "
               f"{f.sklearn_name} ({seconds(f.sklearn_fit_seconds)}); it predicts in {seconds(f.pytorch_predict_seconds)} "
               f"against {seconds(f.sklearn_predict_seconds)}, with {f.pytorch_parameters:,} weights against "
               f"{f.sklearn_parameters:,} learned values."]
    if f.on_gpu:
        reasons.append(f"[gpu] The network trained on a CUDA GPU ({seconds(f.pytorch_fit_seconds)}); scikit-learn stays on the CPU.")
    elif f.network == "cnn" or f.rows >= LARGE_TABLE_ROWS:
        reasons.append(f"[gpu] Trained on the CPU in {seconds(f.pytorch_fit_seconds)}: convolutions and large batches are where "
                       f"a GPU typically cuts training time several-fold; the verdict on quality would not change.")
    else:
        reasons.append(f"[gpu] Trained on the CPU in {seconds(f.pytorch_fit_seconds)}: a network this small on {f.rows:,} rows "
                       f"gains little from a GPU, since per-batch overhead, not arithmetic, dominates.")
    if f.kind == "images":
        reasons.append(f"[modality] Images: {f.rows:,} pictures of {f.features:,} pixel values. A CNN learns features from pixels "
                       f"wherever they sit; the scikit-learn side sees each pixel position as a fixed column.")
    else:
        t = f.traits
        traits = (f"{f.rows:,} rows x {f.features} features, {t.get('categorical_share', 0):.0%} categorical columns, "
                  f"{t.get('missing_share', 0):.1%} missing cells" + (f", class imbalance {t['imbalance']:.1f}:1" if t.get("imbalance") else ""))
        reasons.append(f"[traits] {traits}: {'; '.join(_trait_leans(f))}.")
    curve = [p for p in f.sklearn_curve if p.get("val_score") is not None]
    if len(curve) >= 2 and curve[-1]["train_size"] > curve[-2]["train_size"]:
        doublings = np.log2(curve[-1]["train_size"] / curve[-2]["train_size"])
        slope = (curve[-1]["val_score"] - curve[-2]["val_score"]) / doublings
        state = "still rising: more rows would likely help it" if slope > FLAT_SLOPE else "flattened: more rows alone will add little"
        reasons.append(f"[curve] {f.sklearn_name}'s validation {f.metric} changes {slope:+.3f} per doubling of training rows "
                       f"at the largest sizes ({curve[-2]['train_size']} to {curve[-1]['train_size']}): {state}.")
    return reasons


def _trait_leans(f: Facts) -> list[str]:
    """What the literature says these particular traits mean for trees against networks."""
    if f.rows < SMALL_TABLE_ROWS:
        leans = [f"with under {SMALL_TABLE_ROWS:,} rows a network has little to learn a representation from, and simple "
                 "models are hard to beat"]
    elif f.rows < LARGE_TABLE_ROWS:
        leans = ["tree ensembles usually match or beat neural networks on medium-sized tables like this "
                 "(Grinsztajn et al., NeurIPS 2022; McElfresh et al., 2023)"]
    else:
        leans = ["large tables are where networks most often catch up with trees"]
    t = f.traits
    if t.get("categorical_share", 0) >= 0.3:
        leans.append("many categorical columns favour trees, which split on a category directly where a network sees one-hot columns")
    if t.get("missing_share", 0) >= 0.05:
        leans.append("missing cells are imputed, with a missing flag, for both sides here; gradient boosting on the raw "
                     "table could route them natively, a network cannot")
    if t.get("imbalance", 1) >= 5:
        leans.append("the rare classes give both sides few examples, so balanced accuracy, not accuracy, is the score to watch")
    return leans


def _cost_change(f: Facts) -> str:
    """The cost that could outweigh PyTorch's lead: whichever of training or prediction it pays most extra for."""
    costs = {"Training": ("trains", f.pytorch_fit_seconds, f.sklearn_fit_seconds),
             "Prediction": ("predicts", f.pytorch_predict_seconds, f.sklearn_predict_seconds)}
    kind, (verb, pt, sk) = max(costs.items(), key=lambda item: item[1][1] / max(item[1][2], 1e-9))
    return (f"{kind} cost mattering more than {f.metric}: PyTorch {verb} in {seconds(pt)}, "
            f"{_ratio(pt, sk)} {f.sklearn_name} ({seconds(sk)})")


def _harder_inputs(f: Facts) -> str:
    """The change of inputs under which pixel or column features stop working and a learned representation pays."""
    if f.kind == "images":
        return ("Pictures where the object moves, scales or turns, so a given pixel no longer means the same thing "
                "(the digits_moved dataset shows it)")
    return "Inputs whose representation must be learned: images, audio, text"


def _tradeoffs(f: Facts) -> list[dict]:
    def score(side: str, value: float) -> str:
        if f.seeds:
            return f"{value:.3f} (over {len(f.seeds['seeds'])} seeds {f.seeds[side + '_mean']:.3f} +/- {f.seeds[side + '_sd']:.3f})"
        return f"{value:.3f}"

    return [
        {"aspect": f"test {f.metric}", "sklearn": score("sklearn", f.sklearn), "pytorch": score("pytorch", f.pytorch)},
        {"aspect": "fit time", "sklearn": seconds(f.sklearn_fit_seconds), "pytorch": seconds(f.pytorch_fit_seconds)},
        {"aspect": "predict time (test split)", "sklearn": seconds(f.sklearn_predict_seconds), "pytorch": seconds(f.pytorch_predict_seconds)},
        {"aspect": "learned parameters", "sklearn": f"{f.sklearn_parameters:,}", "pytorch": f"{f.pytorch_parameters:,}"},
        {"aspect": "code you own", "sklearn": "fit() and predict()", "pytorch": "the loop: forward, loss, backward, step, checkpoint"},
        {"aspect": "hardware", "sklearn": "CPU", "pytorch": "GPU used" if f.on_gpu else "CPU here; a GPU when present"},
    ]


def _seed_check(f: Facts, verdict: str) -> tuple[str, str | None]:
    """Does the verdict from one split hold over the other seeds? Returns (verdict, reason)."""
    s = f.seeds
    if not s:
        return verdict, None
    n = len(s["seeds"])
    summary = (f"over {n} seeds PyTorch minus scikit-learn is {s['gap_mean']:+.3f} +/- {s['gap_sd']:.3f} {f.metric} "
               f"(PyTorch ahead on {s['pytorch_ahead']} of {n})")
    holds = {"pytorch": s["gap_mean"] > NEGLIGIBLE, "sklearn-clear": s["gap_mean"] < -NEGLIGIBLE}
    if verdict in holds and not holds[verdict]:
        return "tie", f"[seeds] The one-split lead does not hold: {summary}, so it counts as a tie."
    return verdict, f"[seeds] {summary[0].upper()}{summary[1:]}."


def recommend(f: Facts) -> Recommendation:
    """Apply the rules in order: the floor, the gap against its noise, the seeds; then add context."""
    gap, lift = f.gap, f.lift
    ci = f"95% interval {gap.low:+.3f} to {gap.high:+.3f}, {f.test_name} p = {f.p_value:.3g}"
    reasons = [f"[floor] Dummy scores {f.dummy:.3f} {f.metric}; scikit-learn {f.sklearn:.3f}, PyTorch {f.pytorch:.3f}: the better "
               f"side is {lift.gap:+.3f} over the floor (95% interval {lift.low:+.3f} to {lift.high:+.3f})."]
    if lift.gap < SIGNAL or lift.low <= 0:
        reasons.append(f"[no-signal] Neither side beats the Dummy floor by at least {SIGNAL} {f.metric} beyond the noise: the "
                       f"features show no usable signal for this target.")
        return Recommendation(
            "no-signal", confidence=min(0.99, max(0.5, 1.0 - lift.share_above(SIGNAL))), reasons=reasons + _context(f),
            next_action="Check the target column and the features (a wrong target, missing information, shuffled rows) before "
                        "choosing any tool.",
            would_change=["Features that carry information about the target", "A different target column"],
            tradeoffs=_tradeoffs(f),
        )
    significant = gap.low > 0 or gap.high < 0
    significant = significant and f.p_value < ALPHA
    if significant and gap.gap > NEGLIGIBLE:
        verdict, confidence = "pytorch", gap.share_above(0.0)
        reasons.append(f"[clear-gap] PyTorch leads by {gap.gap:+.3f} {f.metric} ({ci}): beyond the noise and beyond the "
                       f"{NEGLIGIBLE} zone of negligible difference.")
    elif significant and gap.gap < -NEGLIGIBLE:
        verdict, confidence = "sklearn-clear", 1.0 - gap.share_above(0.0)
        reasons.append(f"[clear-gap] scikit-learn's {f.sklearn_name} leads by {-gap.gap:.3f} {f.metric} ({ci}), beyond the noise.")
    else:
        verdict, confidence = "tie", 1.0 - gap.share_above(NEGLIGIBLE)
        why = (f"inside the {NEGLIGIBLE} zone of negligible difference" if abs(gap.gap) <= NEGLIGIBLE else
               f"{'PyTorch' if gap.gap > 0 else 'scikit-learn'} is ahead on this split, but not beyond the noise")
        reasons.append(f"[tie] PyTorch minus scikit-learn is {gap.gap:+.3f} {f.metric} ({ci}): {why}, so it counts as a "
                       f"tie and the simpler tool wins it.")
    verdict, seed_reason = _seed_check(f, verdict)
    if seed_reason:
        reasons.append(seed_reason)
        if f.seeds and verdict == "tie":
            # A tie says PyTorch is not meaningfully ahead, so a seed agrees when its gap stays within NEGLIGIBLE,
            # not when PyTorch is behind: a network a hair ahead on every seed still backs the simpler tool.
            gaps = np.subtract(f.seeds["pytorch"], f.seeds["sklearn"])
            confidence = float(np.mean([confidence, np.mean(gaps <= NEGLIGIBLE)]))
    half = (gap.high - gap.low) / 2
    if verdict == "pytorch":
        action = f"Use PyTorch: its {f.network.upper()} learns a representation that {f.sklearn_name} cannot, worth its extra code and cost."
        change = [f"scikit-learn closing the {gap.gap:.3f} gap: a tuned gradient boosting or engineered features",
                  _cost_change(f)]
    elif verdict == "sklearn-clear":
        action = f"Use scikit-learn's {f.sklearn_name}: it is better here and simpler to run and maintain."
        change = [f"A network that closes the {-gap.gap:.3f} gap (more epochs, width or regularisation), with training "
                  f"{_ratio(f.pytorch_fit_seconds, f.sklearn_fit_seconds)} scikit-learn's today", _harder_inputs(f)]
    else:
        grow = "the pictures become more varied" if f.kind == "images" else "the data grows or becomes images, text or signals"
        action = f"Start with scikit-learn's {f.sklearn_name}; revisit PyTorch if {grow}."
        noise = (f"beyond today's +/-{half:.3f} noise (a larger test set narrows it)" if half >= 0.0005 else
                 "on a larger or harder test set: today both sides get the same test rows right, so this split cannot "
                 "separate them")
        things = "pictures" if f.kind == "images" else "rows"
        change = [f"A PyTorch lead above {NEGLIGIBLE} that holds {noise}", _harder_inputs(f),
                  f"Many more {things} than today's {f.rows:,}, where a network's capacity can pay off"]
    return Recommendation("pytorch" if verdict == "pytorch" else "sklearn", confidence=min(0.99, max(0.5, confidence)),
                          reasons=reasons + _context(f), next_action=action, would_change=change, tradeoffs=_tradeoffs(f))
