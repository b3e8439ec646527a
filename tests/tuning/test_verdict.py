"""The [tuning] reason on hand-made facts: both gaps quoted, and the three things tuning can do to the answer."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from bridge.decision.evidence import GapEstimate
from bridge.decision.recommend import Facts, recommend
from bridge.tuning.verdict import combine, tuning_reason

TRIALS = {"sklearn": 8, "pytorch": 8}


def estimate(centre: float, half_width: float) -> GapEstimate:
    return GapEstimate(centre, centre - half_width, centre + half_width, np.linspace(centre - half_width, centre + half_width, 1001))


def facts(gap: float, half: float = 0.01, p: float = 0.5) -> Facts:
    """5,000 rows, a clear signal over the floor, PyTorch ``gap`` ahead of scikit-learn's 0.85 on the test rows."""
    return Facts(task="classification", kind="table", metric="balanced_accuracy", dummy=0.5, sklearn=0.85, pytorch=0.85 + gap,
                 gap=estimate(gap, half), lift=estimate(0.35 + max(gap, 0), 0.02), p_value=p, test_name="McNemar",
                 sklearn_name="HistGradientBoostingClassifier", network="mlp", sklearn_fit_seconds=0.2, pytorch_fit_seconds=3.0,
                 sklearn_predict_seconds=0.001, pytorch_predict_seconds=0.002, rows=5_000, features=8, test_rows=1_000)


TIE, PYTORCH_AHEAD = facts(0.002), facts(0.08, p=0.0001)


def verdicts(default: Facts, tuned: Facts) -> tuple[dict, dict, str]:
    """Both recommendations from the engine itself, and the reason that sets them side by side."""
    default_rec, tuned_rec = recommend(default).to_dict(), recommend(tuned).to_dict()
    return default_rec, tuned_rec, tuning_reason(default, tuned, default_rec["verdict"], tuned_rec["verdict"], TRIALS)


def test_the_hand_made_facts_give_the_verdicts_the_cases_need():
    assert recommend(TIE).verdict == "sklearn" and recommend(PYTORCH_AHEAD).verdict == "pytorch"


def test_pytorch_only_wins_once_tuned():
    _, _, reason = verdicts(TIE, PYTORCH_AHEAD)
    assert reason.startswith("[tuning] ") and reason.endswith("PyTorch only wins once tuned: its control pays here.")
    assert "+0.002 balanced_accuracy (95% interval -0.008 to +0.012): scikit-learn" in reason
    assert "+0.080 balanced_accuracy (95% interval +0.070 to +0.090): PyTorch" in reason
    assert "8 scikit-learn and 8 PyTorch trials, the same budget" in reason


def test_pytorch_winning_a_tuned_tie_on_cost_is_not_called_control_paying():
    """Tuned, the scores tie and the tuned network is far cheaper than a big tuned boosting model: the tie-break picks PyTorch."""
    cheap_tie = replace(TIE, sklearn_fit_seconds=3.3, pytorch_fit_seconds=0.7, sklearn_predict_seconds=0.005, pytorch_predict_seconds=0.003)
    _, tuned_rec, reason = verdicts(TIE, cheap_tie)
    assert tuned_rec["verdict"] == "pytorch" and any(r.startswith("[tie-break]") for r in tuned_rec["reasons"])
    assert reason.endswith("PyTorch only wins once tuned, and on cost, not quality: the tuned scores tie and PyTorch is the cheaper tool.")
    assert "its control pays" not in reason


def test_tuning_closed_the_gap():
    _, _, reason = verdicts(PYTORCH_AHEAD, TIE)
    assert reason.endswith("Tuning closed the gap: scikit-learn is enough.")
    assert reason.index("+0.080") < reason.index("+0.002")  # the default gap first, then the tuned one


def test_tuning_did_not_change_the_answer_and_says_how_far_the_gap_moved():
    _, _, reason = verdicts(TIE, replace(TIE, gap=estimate(-0.004, 0.01), pytorch=0.846))
    assert reason.endswith("Tuning did not change the answer (the gap moved by -0.006).")
    _, _, both_pytorch = verdicts(PYTORCH_AHEAD, replace(PYTORCH_AHEAD, gap=estimate(0.1, 0.01), pytorch=0.95))
    assert both_pytorch.endswith("Tuning did not change the answer (the gap moved by +0.020).")


def test_no_signal_to_pytorch_counts_as_pytorch_winning_once_tuned():
    floor = replace(TIE, lift=estimate(0.0, 0.01), sklearn=0.5, pytorch=0.5)
    default_rec, _, reason = verdicts(floor, PYTORCH_AHEAD)
    assert default_rec["verdict"] == "no-signal"
    assert ": no signal. Tuned against tuned" in reason and reason.endswith("PyTorch only wins once tuned: its control pays here.")


def test_every_number_in_the_reason_is_a_signed_gap_or_a_trial_count():
    _, _, reason = verdicts(TIE, PYTORCH_AHEAD)
    numbers = re.findall(r"[+-]?\d+\.?\d*", reason.replace("95%", ""))
    assert sorted(numbers) == sorted(["+0.002", "-0.008", "+0.012", "8", "8", "+0.080", "+0.070", "+0.090"])


def test_combine_leads_with_the_tuning_reason_and_keeps_the_default_verdict_beside_it():
    default_rec, tuned_rec, reason = verdicts(TIE, PYTORCH_AHEAD)
    combined = combine(default_rec, tuned_rec, reason)
    assert combined["verdict"] == "pytorch" and combined["reasons"][0] == reason and combined["reasons"][1:] == tuned_rec["reasons"]
    assert combined["default"] == {key: default_rec[key] for key in ("verdict", "choice", "confidence", "next_action")}
    assert combined["default"]["verdict"] == "sklearn"
