"""The verdict after tuning, in words: the default-vs-default and tuned-vs-tuned gaps, and whether tuning changed the answer.

The tuned recommendation is the one that decides (each side has had the same search); its reasons start with one
``[tuning]`` reason that quotes both gaps with their intervals, so a reader sees what the search changed.
"""

from __future__ import annotations

from bridge.decision.recommend import Facts, recommend


def _gap(f: Facts) -> str:
    return f"{f.gap.gap:+.3f} {f.metric} (95% interval {f.gap.low:+.3f} to {f.gap.high:+.3f})"


def _side(verdict: str) -> str:
    return {"pytorch": "PyTorch", "sklearn": "scikit-learn", "no-signal": "no signal"}.get(verdict, verdict)


def _won_a_tie(f: Facts) -> bool:
    """Whether the verdict on these facts rests on the tie-break (the cheaper side of a tie), not on a gap in quality."""
    return any(reason.startswith("[tie-break] Within the tie, PyTorch") for reason in recommend(f).reasons)


def tuning_reason(default: Facts, tuned: Facts, default_verdict: str, tuned_verdict: str, trials: dict[str, int]) -> str:
    """One reason: both gaps, PyTorch minus scikit-learn, and what tuning did to the answer."""
    searched = f"{trials['sklearn']} scikit-learn and {trials['pytorch']} PyTorch trials, the same budget"
    said = (f"[tuning] Default against default, PyTorch minus scikit-learn is {_gap(default)}: {_side(default_verdict)}. "
            f"Tuned against tuned ({searched}, picked on the validation rows), it is {_gap(tuned)}: {_side(tuned_verdict)}")
    if default_verdict != "pytorch" and tuned_verdict == "pytorch":
        if _won_a_tie(tuned):  # tuned, the scores tie and the cheaper side takes it: that is no proof that control pays
            return said + ". PyTorch only wins once tuned, and on cost, not quality: the tuned scores tie and PyTorch is the cheaper tool."
        return said + ". PyTorch only wins once tuned: its control pays here."
    if default_verdict == "pytorch" and tuned_verdict != "pytorch":
        return said + ". Tuning closed the gap: scikit-learn is enough."
    return said + f". Tuning did not change the answer (the gap moved by {tuned.gap.gap - default.gap.gap:+.3f})."


def combine(default_rec: dict, tuned_rec: dict, reason: str) -> dict:
    """The tuned recommendation, its reasons led by the tuning reason, with the default verdict kept beside it."""
    return {**tuned_rec, "reasons": [reason, *tuned_rec["reasons"]],
            "default": {key: default_rec[key] for key in ("verdict", "choice", "confidence", "next_action")}}
