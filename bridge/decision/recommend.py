"""The decision: which tool fits this data, with evidence a user can check.

Rules fire in order and each reason names its rule and quotes its number, so
a user can see why and disagree:

0. no-signal  a target that does not vary on the training or test rows: nothing to rank, whatever the scores say
1. floor      both sides against the Dummy floor; no lift beyond noise -> verdict "no-signal" (on a split under
              MIN_TEST_ROWS, every seed's better side clearing the floor shows the signal one split cannot)
2. gap        the test gap with its paired bootstrap interval and paired test (McNemar or
              bootstrap); a winner needs a gap beyond NEGLIGIBLE *and* beyond the noise
3. small-split under MIN_TEST_ROWS test rows one split cannot decide: the seeds decide where they exist,
              and confidence is capped either way
4. seeds      where rerun over seeds, a lead that does not hold on other splits is a tie
5. tie-break  a tie goes to the side clearly cheaper on both fit and predict time, else to the simpler tool
6. context    cost, GPU (where it matters), data traits and the baseline's learning curve: reported, not voting

Confidence is the share of bootstrap resamples of the test rows (and of seeds) in which the recommended
side is at least as good, a difference within NEGLIGIBLE counting for whichever side wins ties.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bridge.decision.evidence import GapEstimate
from bridge.decision.verdict_text import confidence_words, context, ratio, seconds, tradeoffs

__all__ = ["Facts", "Recommendation", "recommend", "seconds"]

NEGLIGIBLE = 0.01  # score points (balanced accuracy or R^2) too small to matter in practice
SIGNAL = 0.02  # the best side must beat the Dummy floor by this much, beyond noise
ALPHA = 0.05  # the paired test's threshold
# Under 30 test rows one row moves balanced accuracy by 3 points or more and R^2 swings on a single outlier:
# one split that small cannot separate two tools whose gap matters at NEGLIGIBLE.
MIN_TEST_ROWS = 30
SMALL_SPLIT_CAP = 0.6  # the most confidence a verdict resting on such splits may claim: "a lean" at most
CHEAPER = 1.5  # a side this many times cheaper on both fit and predict time wins a tie on quality
TIMING_FLOOR = 0.001  # seconds: below a millisecond, timings are jitter, not cost


@dataclass(frozen=True)
class Facts:
    """The measured numbers the decision rests on."""

    task: str
    kind: str  # "table", "images" or "text" (a table whose only features are text)
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
    features: int = 0  # after encoding (one-hot columns, date parts, missing flags); pixels for images
    traits: dict = field(default_factory=dict)
    sklearn_curve: list = field(default_factory=list)  # validation score by training size (bridge.decision.size_curves)
    pytorch_curve: list = field(default_factory=list)  # the network's, on the same subsets
    seeds: dict | None = None
    on_gpu: bool = False
    test_rows: int = 0  # rows in the test split; 0 when not known
    constant_target: str = ""  # "training", "test" or "training and test": where the target does not vary; "" if it does


@dataclass
class Recommendation:
    verdict: str  # "sklearn", "pytorch" or "no-signal"
    confidence: float
    reasons: list[str] = field(default_factory=list)
    next_action: str = ""
    would_change: list[str] = field(default_factory=list)
    tradeoffs: list[dict] = field(default_factory=list)
    confidence_means: str = ""  # one line: what the confidence number is a share of

    @property
    def choice(self) -> str:
        return "pytorch" if self.verdict == "pytorch" else "sklearn"

    @property
    def confidence_words(self) -> str:
        return confidence_words(self.confidence)

    def to_dict(self) -> dict:
        return {"choice": self.choice, "verdict": self.verdict, "confidence": round(self.confidence, 3),
                "confidence_words": self.confidence_words, "confidence_means": self.confidence_means, "reasons": self.reasons,
                "next_action": self.next_action, "would_change": self.would_change, "tradeoffs": self.tradeoffs}


def _cost_change(f: Facts) -> str:
    """The cost that could outweigh PyTorch's lead: whichever of training or prediction it pays most extra for."""
    costs = {"Training": ("trains", f.pytorch_fit_seconds, f.sklearn_fit_seconds),
             "Prediction": ("predicts", f.pytorch_predict_seconds, f.sklearn_predict_seconds)}
    kind, (verb, pt, sk) = max(costs.items(), key=lambda item: item[1][1] / max(item[1][2], 1e-9))
    return (f"{kind} cost mattering more than {f.metric}: PyTorch {verb} in {seconds(pt)}, "
            f"{ratio(pt, sk)} {f.sklearn_name} ({seconds(sk)})")


def _harder_inputs(f: Facts) -> str:
    """The change of inputs under which pixel or column features stop working and a learned representation pays."""
    if f.kind == "images":
        return ("Pictures where the object moves, scales or turns, so a given pixel no longer means the same thing "
                "(the digits_moved dataset shows it)")
    if f.traits.get("text_columns"):
        return ("Longer texts, or meaning carried by word order and context (negation, irony), on many more rows: where counted "
                "words fall short and a learned encoder (--text-encoder conv or transformer) can pay")
    return "Inputs whose representation must be learned: images, audio, text"


def _seed_gaps(f: Facts) -> np.ndarray:
    return np.subtract(f.seeds["pytorch"], f.seeds["sklearn"]) if f.seeds else np.array([])


def _seed_summary(f: Facts) -> str:
    s = f.seeds
    assert s is not None, "called only where seeds were rerun"
    n = len(s["seeds"])
    return (f"Over {n} seeds PyTorch minus scikit-learn is {s['gap_mean']:+.3f} +/- {s['gap_sd']:.3f} {f.metric} "
            f"(PyTorch ahead on {s['pytorch_ahead']} of {n})")


def _seed_check(f: Facts, verdict: str, small: bool) -> tuple[str, str | None]:
    """Where seeds exist: on a small split they decide; otherwise a one-split lead must hold over them."""
    if not f.seeds:
        return verdict, None
    summary, gaps = _seed_summary(f), _seed_gaps(f)
    if small:  # the split cannot decide: a lead must be beyond NEGLIGIBLE on average and on the same side on every seed
        decided = ("pytorch" if f.seeds["gap_mean"] > NEGLIGIBLE and np.all(gaps > 0) else
                   "sklearn-clear" if f.seeds["gap_mean"] < -NEGLIGIBLE and np.all(gaps < 0) else "tie")
        words = {"pytorch": "a PyTorch lead", "sklearn-clear": "a scikit-learn lead", "tie": "a tie"}[decided]
        return decided, f"[seeds] {summary}: with test splits this small the seeds decide, and they make it {words}."
    holds = {"pytorch": f.seeds["gap_mean"] > NEGLIGIBLE, "sklearn-clear": f.seeds["gap_mean"] < -NEGLIGIBLE}
    if verdict in holds and not holds[verdict]:
        return "tie", f"[seeds] The one-split lead does not hold: {summary[0].lower()}{summary[1:]}, so it counts as a tie."
    return verdict, f"[seeds] {summary}."


def _tie_break(f: Facts) -> tuple[str, str]:
    """Who wins a tie on quality: the side clearly cheaper on both measured costs, else the simpler tool."""
    fit = max(f.sklearn_fit_seconds, TIMING_FLOOR) / max(f.pytorch_fit_seconds, TIMING_FLOOR)  # > 1: PyTorch cheaper
    predict = max(f.sklearn_predict_seconds, TIMING_FLOOR) / max(f.pytorch_predict_seconds, TIMING_FLOOR)
    costs = (f"PyTorch trains in {seconds(f.pytorch_fit_seconds)} against {seconds(f.sklearn_fit_seconds)} and predicts in "
             f"{seconds(f.pytorch_predict_seconds)} against {seconds(f.sklearn_predict_seconds)}")
    if fit >= CHEAPER and predict >= CHEAPER:
        return "pytorch", (f"[tie-break] Within the tie, PyTorch is the cheaper tool: it trains {fit:.1f}x faster and predicts "
                           f"{predict:.1f}x faster than {f.sklearn_name} ({costs}), so it wins the tie.")
    if fit <= 1 / CHEAPER and predict <= 1 / CHEAPER:
        return "sklearn", (f"[tie-break] scikit-learn's {f.sklearn_name} is also the cheaper tool ({costs}), so the simpler, "
                           f"cheaper tool wins the tie.")
    text = (f"[tie-break] Costs are comparable or split ({costs}): neither side is {CHEAPER}x cheaper on both, so the "
            f"simpler tool, scikit-learn, wins the tie.")
    if f.sklearn < f.pytorch and fit > 1 and predict > 1:  # behind on every measured axis: the choice must say why
        text += (f" scikit-learn trails on {f.metric}, fit and predict time alike, but each margin is within the noise or "
                 f"under {CHEAPER}x: too little to pay for a training loop you own.")
    return "sklearn", text


def _confidence(f: Facts, side: str, tie_to: str, seeds_decide: bool, small: bool) -> tuple[float, str]:
    """The share of resamples (and seeds) in which ``side`` is at least as good, ties going to ``tie_to``."""
    sign = 1.0 if side == "pytorch" else -1.0
    names = {"pytorch": "PyTorch", "sklearn": "scikit-learn"}
    other = "sklearn" if side == "pytorch" else "pytorch"
    why_ties = "the simpler tool" if tie_to == "sklearn" else "the cheaper tool here"

    def share(gaps: np.ndarray) -> float:
        mine = sign * np.asarray(gaps, dtype=float)
        return float(np.mean(mine >= -NEGLIGIBLE if tie_to == side else mine > NEGLIGIBLE))

    if tie_to == side:
        what = (f"{names[side]} is at least as good as {names[other]} (a difference within {NEGLIGIBLE} {f.metric} counts "
                f"for {names[tie_to]}, {why_ties})")
    else:
        what = (f"{names[side]} leads {names[other]} by more than {NEGLIGIBLE} {f.metric} (a smaller difference counts for "
                f"{names[tie_to]}, {why_ties})")
    draws = f.gap.draws if len(f.gap.draws) else np.array([f.gap.gap])
    boot, resamples = share(draws), f"{len(draws):,} bootstrap resamples of the test rows"
    if f.seeds:
        gaps = _seed_gaps(f)
        seed_share, ahead = share(gaps), int(round(share(gaps) * len(gaps)))
        if seeds_decide:
            value, means = seed_share, f"The share of the {len(gaps)} seeds ({ahead} of {len(gaps)}) in which {what}."
        else:
            value = (boot + seed_share) / 2
            means = f"The mean of two shares in which {what}: {boot:.0%} of {resamples} and {ahead} of {len(gaps)} seeds."
    else:
        value, means = boot, f"The share of {resamples} in which {what}."
    return _cap(f, value, means, small)


def _cap(f: Facts, value: float, means: str, small: bool) -> tuple[float, str]:
    if small and value > SMALL_SPLIT_CAP:
        return SMALL_SPLIT_CAP, f"{means} Capped at {SMALL_SPLIT_CAP:.0%}: {f.test_rows} test rows are too few to decide."
    return value, means


def _constant(f: Facts) -> Recommendation:
    """A target that does not vary: no score ranks the tools (R^2 divides by the target's zero variance)."""
    test = f" (all {f.test_rows:,} test rows hold one value)" if "test" in f.constant_target and f.test_rows else ""
    reasons = [f"[no-signal] The target does not vary on the {f.constant_target} rows{test}: there is nothing to predict, "
               f"so neither side's {f.metric} ranks it and no tool is chosen."]
    return Recommendation(
        "no-signal", confidence=1.0, reasons=reasons + context(f),
        confidence_means=f"Certain by construction: a target with one value on the {f.constant_target} rows cannot favour either side.",
        next_action="Check the target column: it holds a single value, so there is nothing for any tool to learn or to be scored on.",
        would_change=["A target column that varies", "More rows, if the values that differ are rare"], tradeoffs=tradeoffs(f))


def _seeds_beat_floor(f: Facts) -> bool:
    """Every seed's better side clears the floor by SIGNAL: on a split too small to show it, repeated splits can.

    The floor is this run's Dummy score: a prior (or mean) predictor scores 1/classes balanced accuracy and about 0 R^2
    on any split, so one number stands for every seed.
    """
    if not f.seeds or len(f.seeds.get("seeds", [])) < 2:
        return False
    best = np.maximum(f.seeds["sklearn"], f.seeds["pytorch"])
    return bool(np.all(best - f.dummy >= SIGNAL))


def recommend(f: Facts) -> Recommendation:
    """Apply the rules in order: constant target, the floor, the gap, the split's size, the seeds, the tie-break."""
    if f.constant_target:
        return _constant(f)
    gap, lift = f.gap, f.lift
    small = 0 < f.test_rows < MIN_TEST_ROWS
    small_reason = (f"[small-split] Only {f.test_rows} test rows: one split this small cannot decide between the tools "
                    f"(Bridge wants at least {MIN_TEST_ROWS}), " + ("so the verdict leans on the seeds." if f.seeds else
                    f"and no seeds were rerun to lean on, so this verdict is tentative and its confidence is capped at {SMALL_SPLIT_CAP:.0%}."))
    reasons = [f"[floor] Dummy scores {f.dummy:.3f} {f.metric}; scikit-learn {f.sklearn:.3f}, PyTorch {f.pytorch:.3f}: the better "
               f"side is {lift.gap:+.3f} over the floor (95% interval {lift.low:+.3f} to {lift.high:+.3f})."]
    split_shows_signal = lift.gap >= SIGNAL and lift.low > 0
    seeds_show_signal = small and not split_shows_signal and _seeds_beat_floor(f)
    if seeds_show_signal:  # one tiny split cannot show a signal beyond its noise; the seeds' splits can
        assert f.seeds is not None, "_seeds_beat_floor is true only where seeds were rerun"
        lows = np.maximum(f.seeds["sklearn"], f.seeds["pytorch"]) - f.dummy
        reasons.append(f"[small-split] On {f.test_rows} test rows one split cannot show the signal beyond its noise, but on every "
                       f"one of {len(lows)} seeds the better side beats the Dummy floor by at least {SIGNAL} {f.metric} "
                       f"(by {lows.min():+.3f} to {lows.max():+.3f}), so there is a signal to rank the tools on.")
    if not (split_shows_signal or seeds_show_signal):
        reasons.append(f"[no-signal] Neither side beats the Dummy floor by at least {SIGNAL} {f.metric} beyond the noise: the "
                       f"features show no usable signal for this target.")
        confidence, means = _cap(f, 1.0 - lift.share_above(SIGNAL), f"The share of {len(lift.draws):,} bootstrap resamples of the "
                                 f"test rows in which the better side is at most {SIGNAL} {f.metric} above the Dummy floor.", small)
        return Recommendation(
            "no-signal", confidence=confidence, confidence_means=means,
            reasons=reasons + ([small_reason] if small else []) + context(f),
            next_action="Check the target column and the features (a wrong target, missing information, shuffled rows) before "
                        "choosing any tool.",
            would_change=["Features that carry information about the target", "A different target column"],
            tradeoffs=tradeoffs(f),
        )
    significant = (gap.low > 0 or gap.high < 0) and f.p_value < ALPHA
    test = f"{f.test_name} p = {f.p_value:.3g}"
    if significant and gap.gap > NEGLIGIBLE:
        verdict = "pytorch"
        reasons.append(f"[clear-gap] PyTorch leads by {gap.gap:.3f} {f.metric} (95% interval of its lead {gap.low:+.3f} to "
                       f"{gap.high:+.3f}, {test}): beyond the noise and beyond the {NEGLIGIBLE} zone of negligible difference.")
    elif significant and gap.gap < -NEGLIGIBLE:
        verdict = "sklearn-clear"  # the interval is turned round with the gap, so both read as scikit-learn's lead
        reasons.append(f"[clear-gap] scikit-learn's {f.sklearn_name} leads by {-gap.gap:.3f} {f.metric} (95% interval of its "
                       f"lead {-gap.high:+.3f} to {-gap.low:+.3f}, {test}), beyond the noise.")
    else:
        verdict = "tie"
        ahead = "PyTorch" if gap.gap > 0 else "scikit-learn"
        if abs(gap.gap) <= NEGLIGIBLE:
            why = f"inside the {NEGLIGIBLE} zone of negligible difference"
        elif gap.low > 0 or gap.high < 0:  # the interval clears zero, the paired test does not: say both, not "noise" alone
            why = (f"{ahead} is ahead on this split and the bootstrap interval excludes zero, but {f.test_name} does not find "
                   f"the difference significant (p >= {ALPHA}): the two checks disagree, and a winner needs both")
        else:
            why = f"{ahead} is ahead on this split, but not beyond the noise"
        reasons.append(f"[tie] PyTorch minus scikit-learn is {gap.gap:+.3f} {f.metric} (95% interval {gap.low:+.3f} to "
                       f"{gap.high:+.3f}, {test}): {why}, so it counts as a tie.")
    if small:
        reasons.append(small_reason)
    verdict, seed_reason = _seed_check(f, verdict, small)
    if seed_reason:
        reasons.append(seed_reason)
    seeds_decide = small and bool(f.seeds)
    # PyTorch minus scikit-learn, as the deciding evidence says (seeds_decide implies seeds; named again for the type checker)
    lead = f.seeds["gap_mean"] if seeds_decide and f.seeds else gap.gap
    where = " over the seeds" if seeds_decide else ""
    tie_to, tie_reason = _tie_break(f)
    if verdict == "tie":
        reasons.append(tie_reason)
        side = tie_to
    else:
        side = "pytorch" if verdict == "pytorch" else "sklearn"
    confidence, means = _confidence(f, side, tie_to, seeds_decide, small)
    half = (gap.high - gap.low) / 2
    if verdict == "pytorch":
        exception = f"PyTorch leads by {lead:.3f} {f.metric}{where}"
        action = f"Use PyTorch: its {f.network.upper()} learns a representation that {f.sklearn_name} cannot, worth its extra code and cost."
        change = [f"scikit-learn closing the {lead:.3f} gap: a tuned gradient boosting or engineered features", _cost_change(f)]
    elif verdict == "sklearn-clear":
        exception = f"scikit-learn's {f.sklearn_name} leads by {-lead:.3f} {f.metric}{where}"
        action = f"Use scikit-learn's {f.sklearn_name}: it is better here and simpler to run and maintain."
        change = [f"A network that closes the {-lead:.3f} gap (more epochs, width or regularisation), with training "
                  f"{ratio(f.pytorch_fit_seconds, f.sklearn_fit_seconds)} scikit-learn's today", _harder_inputs(f)]
    elif side == "pytorch":
        exception = f"the two tie on {f.metric} and PyTorch is the cheaper tool"
        action = (f"Use PyTorch's {f.network.upper()}: it scores the same as {f.sklearn_name} within the noise and costs less "
                  f"to train and to run here.")
        change = [f"A scikit-learn lead above {NEGLIGIBLE} that holds beyond today's +/-{half:.3f} noise",
                  f"Costs on your own hardware: PyTorch was cheaper {'on the GPU' if f.on_gpu else 'on this CPU'}; where it "
                  f"is not, the simpler tool wins the tie"]
    else:
        exception = ""
        grow = ("the pictures become more varied" if f.kind == "images" else "the texts grow longer or many more rows come"
                if f.traits.get("text_columns") else "the data grows or becomes images, text or signals")
        action = f"Start with scikit-learn's {f.sklearn_name}; revisit PyTorch if {grow}."
        noise = (f"beyond today's +/-{half:.3f} noise (a larger test set narrows it)" if half >= 0.0005 else
                 "on a larger or harder test set: today both sides get the same test rows right, so this split cannot "
                 "separate them")
        things = "pictures" if f.kind == "images" else "rows"
        change = [f"A PyTorch lead above {NEGLIGIBLE} that holds {noise}", _harder_inputs(f),
                  f"Many more {things} than today's {f.rows:,}, where a network's capacity can pay off"]
    return Recommendation(side, confidence=confidence, confidence_means=means, reasons=reasons + context(f, exception),
                          next_action=action, would_change=change, tradeoffs=tradeoffs(f))
