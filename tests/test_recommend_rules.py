"""The recommendation's rules on hand-made facts: each case pins one rule and the words it prints."""

from dataclasses import replace

import numpy as np
import pytest

from bridge.evidence import GapEstimate
from bridge.recommend import NEGLIGIBLE, Facts, recommend


def estimate(centre: float, half_width: float) -> GapEstimate:
    draws = np.linspace(centre - half_width, centre + half_width, 1001)
    return GapEstimate(centre, centre - half_width, centre + half_width, draws)


def facts(gap: float = 0.0, half: float = 0.02, p: float = 0.5, **changes) -> Facts:
    base = Facts(task="classification", kind="table", metric="balanced_accuracy", dummy=0.33, sklearn=0.90,
                 pytorch=0.90 + gap, gap=estimate(gap, half), lift=estimate(0.57, 0.03), p_value=p, test_name="McNemar",
                 sklearn_name="LogisticRegression", network="mlp", sklearn_fit_seconds=0.01, pytorch_fit_seconds=0.5,
                 sklearn_predict_seconds=0.001, pytorch_predict_seconds=0.002, rows=5_000, features=8)
    return replace(base, **changes)


def seeds(sklearn: list[float], pytorch: list[float]) -> dict:
    gaps = np.subtract(pytorch, sklearn)
    return {"seeds": list(range(len(sklearn))), "sklearn": sklearn, "pytorch": pytorch,
            "sklearn_mean": float(np.mean(sklearn)), "sklearn_sd": float(np.std(sklearn, ddof=1)),
            "pytorch_mean": float(np.mean(pytorch)), "pytorch_sd": float(np.std(pytorch, ddof=1)),
            "gap_mean": float(np.mean(gaps)), "gap_sd": float(np.std(gaps, ddof=1)), "pytorch_ahead": int(np.sum(gaps > 0))}


def test_a_network_a_hair_ahead_on_every_seed_still_backs_the_simpler_tool_with_confidence():
    hair = NEGLIGIBLE / 2
    rec = recommend(facts(gap=hair, half=0.001, seeds=seeds([0.90, 0.91, 0.89], [0.90 + hair, 0.91 + hair, 0.89 + hair])))
    assert rec.verdict == "sklearn"
    assert rec.confidence > 0.9  # the seeds agree it is a tie, though PyTorch is ahead on each
    assert "zone of negligible difference" in rec.reasons[1]


def test_a_tie_that_seeds_break_loses_confidence():
    rec = recommend(facts(gap=0.0, half=0.001, seeds=seeds([0.90, 0.90, 0.90], [0.90, 0.95, 0.96])))
    assert rec.verdict == "sklearn"
    assert rec.confidence < 0.7


def test_a_lead_inside_the_noise_is_named_as_such():
    rec = recommend(facts(gap=-0.08, half=0.1, p=0.8))
    assert rec.verdict == "sklearn"
    assert "scikit-learn is ahead on this split, but not beyond the noise" in rec.reasons[1]


def test_identical_predictions_do_not_print_a_zero_noise_band():
    rec = recommend(facts(gap=0.0, half=0.0, p=1.0))
    text = " ".join(rec.would_change)
    assert "+/-0.000" not in text
    assert "both sides get the same test rows right" in text


@pytest.mark.parametrize(("changes", "expected"), [
    ({"rows": 300}, "with under 1,000 rows"),
    ({"rows": 5_000}, "medium-sized tables"),
    ({"rows": 500_000}, "large tables are where networks most often catch up"),
    ({"traits": {"categorical_share": 0.5}}, "many categorical columns favour trees"),
    ({"traits": {"missing_share": 0.2}}, "missing cells are imputed"),
    ({"traits": {"imbalance": 12.0}}, "rare classes"),
])
def test_the_traits_reason_follows_the_traits(changes, expected):
    traits = next(r for r in recommend(facts(**changes)).reasons if r.startswith("[traits]"))
    assert expected in traits


def test_plain_traits_add_no_caveats():
    traits = next(r for r in recommend(facts(traits={"categorical_share": 0.0, "imbalance": 1.2})).reasons
                  if r.startswith("[traits]"))
    assert "categorical columns favour" not in traits and "rare classes" not in traits


@pytest.mark.parametrize(("fit", "predict", "expected"), [
    ((0.01, 5.0), (0.001, 0.001), "Training cost mattering more"),
    ((0.01, 0.01), (0.001, 0.05), "Prediction cost mattering more"),
])
def test_a_pytorch_win_names_the_cost_it_pays_most_extra_for(fit, predict, expected):
    rec = recommend(facts(gap=0.2, half=0.02, p=1e-6, sklearn_fit_seconds=fit[0], pytorch_fit_seconds=fit[1],
                          sklearn_predict_seconds=predict[0], pytorch_predict_seconds=predict[1]))
    assert rec.verdict == "pytorch"
    assert any(line.startswith(expected) for line in rec.would_change)


def test_a_tie_on_images_does_not_suggest_the_data_become_images():
    rec = recommend(facts(gap=0.0, half=0.02, kind="images", network="cnn", rows=240, features=12_288))
    advice = " ".join([rec.next_action, *rec.would_change])
    assert "becomes images" not in advice and "images, audio, text" not in advice
    assert "pictures become more varied" in rec.next_action
    assert "Many more pictures than today's 240" in advice
