"""The recommendation's rules on hand-made facts: each case pins one rule and the words it prints."""

from dataclasses import replace

import numpy as np
import pytest

from bridge.decision.evidence import GapEstimate
from bridge.decision.recommend import NEGLIGIBLE, Facts, recommend


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


# "A verdict that survives a careful reader": each number reads in its sentence's direction, and no reason
# argues against the verdict unremarked.

def reason(rec, rule: str) -> str:
    return next(r for r in rec.reasons if r.startswith(f"[{rule}]"))


def test_a_scikit_learn_lead_quotes_the_interval_of_its_own_lead():
    rec = recommend(facts(gap=-0.116, half=0.056, p=1e-4, sklearn_name="RandomForestClassifier"))
    assert rec.verdict == "sklearn"
    assert reason(rec, "clear-gap") == ("[clear-gap] scikit-learn's RandomForestClassifier leads by 0.116 balanced_accuracy "
                                        "(95% interval of its lead +0.060 to +0.172, McNemar p = 0.0001), beyond the noise.")


def test_a_pytorch_lead_quotes_the_interval_of_its_own_lead():
    rec = recommend(facts(gap=0.25, half=0.05, p=1e-6))
    assert reason(rec, "clear-gap").startswith("[clear-gap] PyTorch leads by 0.250 balanced_accuracy (95% interval of its "
                                               "lead +0.200 to +0.300, McNemar p = 1e-06)")


def test_a_tiny_test_split_says_it_cannot_decide_and_caps_confidence():
    rec = recommend(facts(gap=0.2, half=0.1, p=0.01, test_rows=7))
    assert reason(rec, "small-split") == ("[small-split] Only 7 test rows: one split this small cannot decide between the "
                                          "tools (Bridge wants at least 30), and no seeds were rerun to lean on, so this verdict "
                                          "is tentative and its confidence is capped at 60%.")
    assert rec.confidence == 0.6
    assert rec.to_dict()["confidence_words"] == "a lean"
    assert rec.confidence_means.endswith("Capped at 60%: 7 test rows are too few to decide.")


def test_a_tiny_test_split_leans_on_the_seeds():
    # One split says PyTorch by 0.2; the seeds split both ways, so they make it a tie.
    rec = recommend(facts(gap=0.2, half=0.1, p=0.01, test_rows=7, seeds=seeds([0.90, 0.80, 0.85], [1.0, 0.78, 0.84])))
    assert rec.verdict == "sklearn"
    assert "so the verdict leans on the seeds." in reason(rec, "small-split")
    assert reason(rec, "seeds").endswith("with test splits this small the seeds decide, and they make it a tie.")
    assert rec.confidence_means.startswith("The share of the 3 seeds (2 of 3) in which scikit-learn is at least as good")
    assert rec.confidence == 0.6  # 2 of 3 seeds is 0.667, capped


def test_thirty_test_rows_are_enough_to_decide():
    rec = recommend(facts(gap=0.2, half=0.1, p=0.01, test_rows=30))
    assert not any(r.startswith("[small-split]") for r in rec.reasons)
    assert rec.confidence > 0.9


def test_the_traits_reason_names_the_exception_when_pytorch_wins_a_medium_table():
    traits = reason(recommend(facts(gap=0.25, half=0.05, p=1e-6)), "traits")
    assert "tree ensembles usually match or beat neural networks" in traits
    assert traits.endswith("; this table is an exception: PyTorch leads by 0.250 balanced_accuracy.")
    assert "exception" not in reason(recommend(facts(gap=0.0)), "traits")


def test_a_large_table_won_by_scikit_learn_is_the_exception_to_networks_catching_up():
    traits = reason(recommend(facts(gap=-0.1, half=0.02, p=1e-6, rows=500_000)), "traits")
    assert traits.endswith("; this table is an exception: scikit-learn's LogisticRegression leads by 0.100 balanced_accuracy.")


@pytest.mark.parametrize(("second", "expected"), [
    (0.85, "changes -0.050 per doubling of training rows at the largest sizes (1,000 to 2,000): falling: the larger "
           "training sets score worse"),
    (0.905, "changes +0.005 per doubling of training rows at the largest sizes (1,000 to 2,000): flat (within 0.01 per "
            "doubling): more rows alone will add little."),
    (0.95, "changes +0.050 per doubling of training rows at the largest sizes (1,000 to 2,000): rising: more rows would "
           "likely help it."),
])
def test_the_curve_is_described_by_its_slope(second, expected):
    curve = [{"train_size": 1000, "val_score": 0.90}, {"train_size": 2000, "val_score": second}]
    text = reason(recommend(facts(sklearn_curve=curve)), "curve")
    assert expected in text
    assert "flattened" not in text


def test_counts_say_which_base_they_are_on():
    rec = recommend(facts(rows=1309, features=7, traits={"categorical_share": 2 / 3, "missing_share": 0.0}))
    assert reason(rec, "traits").startswith("[traits] 1,309 rows; 67% of the input columns are categorical, 7 features after "
                                            "encoding; 0.0% of input cells missing:")
    rec = recommend(facts(rows=1309, features=7, traits={"categorical_share": 2 / 3, "columns": 3}))
    assert reason(rec, "traits").startswith("[traits] 1,309 rows; 2 of 3 input columns are categorical, 7 features after encoding")


@pytest.mark.parametrize(("gap", "half", "p", "confidence", "words"), [
    (0.0, 0.015, 0.5, 0.833, "likely"),  # sklearn at least as good (within 0.01): draws up to +0.01 of -0.015 to +0.015
    (0.05, 0.1, 0.5, 0.300, "weak"),  # a tie the simpler tool wins though PyTorch leads on most resamples
    (0.25, 0.05, 1e-6, 1.0, "firm"),
])
def test_confidence_is_a_share_and_its_words_agree(gap, half, p, confidence, words):
    out = recommend(facts(gap=gap, half=half, p=p)).to_dict()
    assert out["confidence"] == pytest.approx(confidence, abs=0.0005)
    assert out["confidence_words"] == words


def test_confidence_means_says_what_the_number_is():
    out = recommend(facts(gap=0.0, half=0.02)).to_dict()
    assert out["confidence_means"] == ("The share of 1,001 bootstrap resamples of the test rows in which scikit-learn is at "
                                       "least as good as PyTorch (a difference within 0.01 balanced_accuracy counts for "
                                       "scikit-learn, the simpler tool).")


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, None),  # a small MLP on 5,000 rows: a GPU changes nothing worth a sentence
    ({"on_gpu": True}, "[gpu] The network trained on a CUDA GPU (0.50 s)"),
    ({"kind": "images", "network": "cnn"}, "[gpu] Trained on the CPU in 0.50 s: convolutions"),
    ({"rows": 500_000}, "[gpu] Trained on the CPU in 0.50 s on 500,000 rows"),
    ({"pytorch_fit_seconds": 120.0}, "[gpu] Trained on the CPU in 120.0 s on 5,000 rows"),
])
def test_the_gpu_sentence_appears_only_where_it_matters(changes, expected):
    gpu = [r for r in recommend(facts(**changes)).reasons if r.startswith("[gpu]")]
    assert gpu == [] if expected is None else gpu[0].startswith(expected)


def test_a_tie_goes_to_the_side_clearly_cheaper_on_both_costs():
    rec = recommend(facts(gap=0.05, half=0.06, p=0.3, kind="images", network="cnn", sklearn=0.95, pytorch=1.0,
                          sklearn_fit_seconds=1.9, pytorch_fit_seconds=1.0, sklearn_predict_seconds=0.02,
                          pytorch_predict_seconds=0.001))
    assert rec.verdict == "pytorch"
    assert reason(rec, "tie-break").startswith("[tie-break] Within the tie, PyTorch is the cheaper tool: it trains 1.9x "
                                               "faster and predicts 20.0x faster than LogisticRegression")
    # Ties now go to PyTorch, so confidence counts resamples where it is ahead or behind by 0.01 at most: all of -0.01 to +0.11.
    assert rec.confidence == 1.0
    assert "counts for PyTorch, the cheaper tool here" in rec.confidence_means
    assert "costs less to train and to run here" in rec.next_action


def test_comparable_costs_leave_the_tie_to_the_simpler_tool_and_say_why_when_it_trails_everywhere():
    rec = recommend(facts(gap=0.005, half=0.02, sklearn_fit_seconds=1.2, pytorch_fit_seconds=1.0,
                          sklearn_predict_seconds=0.012, pytorch_predict_seconds=0.010))
    assert rec.verdict == "sklearn"
    text = reason(rec, "tie-break")
    assert "Costs are comparable or split" in text and "so the simpler tool, scikit-learn, wins the tie." in text
    assert "scikit-learn trails on balanced_accuracy, fit and predict time alike" in text


def test_scikit_learn_cheaper_on_both_wins_the_tie_as_the_cheaper_tool():
    rec = recommend(facts(gap=0.0, sklearn_fit_seconds=0.01, pytorch_fit_seconds=0.5, sklearn_predict_seconds=0.001,
                          pytorch_predict_seconds=0.01))
    assert rec.verdict == "sklearn"
    assert "is also the cheaper tool" in reason(rec, "tie-break") and "trails" not in reason(rec, "tie-break")


def test_a_constant_target_is_no_signal_not_a_winner():
    rec = recommend(facts(gap=7e16, half=1e16, p=1e-9, task="regression", metric="r2", dummy=0.0, sklearn=-7e16, pytorch=-3e10,
                          lift=estimate(7e16, 1e16), test_name="paired bootstrap", test_rows=40, constant_target="test"))
    assert rec.verdict == "no-signal"
    assert rec.reasons[0] == ("[no-signal] The target does not vary on the test rows (all 40 test rows hold one value): there "
                              "is nothing to predict, so neither side's r2 ranks it and no tool is chosen.")
    assert not any("e+16" in r or "e+10" in r for r in rec.reasons)
    assert rec.tradeoffs[0]["sklearn"] == "undefined: the target does not vary on the test rows"


def test_constant_targets_are_found_and_r2_does_not_blow_up_on_them():
    from bridge.decision.evidence import constant_parts, paired_gap

    varied, flat = np.linspace(0, 1, 20), np.full(7, 0.1)
    assert constant_parts(varied, flat) == "test"
    assert constant_parts(flat, flat) == "training and test"
    assert constant_parts(varied, varied) == "" and constant_parts(np.array(["a", "b"]), np.array(["a", "a"])) == "test"
    assert constant_parts(varied, 1e6 + varied) == ""  # a large offset is not a lack of variance
    estimate_ = paired_gap("regression", flat, flat + 0.01, flat - 0.02)
    assert len(estimate_.draws) == 0 or np.all(np.abs(estimate_.draws) < 1e6)


def test_a_tie_whose_interval_clears_zero_says_the_two_checks_disagree():
    rec = recommend(facts(gap=-0.03, half=0.02, p=0.125))  # interval -0.05 to -0.01: clear of zero; McNemar is not
    [tie] = [r for r in rec.reasons if r.startswith("[tie]")]
    assert "the bootstrap interval excludes zero, but McNemar does not find the difference significant" in tie
    assert "not beyond the noise" not in tie and rec.verdict == "sklearn"


def test_the_curve_reason_quotes_both_slopes_and_where_converging_curves_would_meet():
    sk = [{"train_size": 500, "val_score": 0.85}, {"train_size": 1000, "val_score": 0.86}]
    pt = [{"train_size": 500, "val_score": 0.79}, {"train_size": 1000, "val_score": 0.82}]
    text = reason(recommend(facts(sklearn_curve=sk, pytorch_curve=pt)), "curve")
    assert "changes +0.010 per doubling of training rows at the largest sizes (500 to 1,000)" in text
    assert "PyTorch's, refitted on the same rows, changes +0.030 per doubling (500 to 1,000): rising" in text
    assert "PyTorch would catch up with scikit-learn at about 4,000 training rows (4.0x today's 1,000" in text
    assert "2.0 doublings" in text


def test_the_curve_reason_refuses_to_extrapolate_far_and_says_when_curves_do_not_converge():
    sk = [{"train_size": 500, "val_score": 0.85}, {"train_size": 1000, "val_score": 0.86}]
    far = [{"train_size": 500, "val_score": 0.68}, {"train_size": 1000, "val_score": 0.70}]
    assert "too far beyond the measured sizes to say" in reason(recommend(facts(sklearn_curve=sk, pytorch_curve=far)), "curve")
    apart = [{"train_size": 500, "val_score": 0.90}, {"train_size": 1000, "val_score": 0.80}]
    assert "scikit-learn leads on the validation rows by 0.060 and the curves are not converging" in reason(
        recommend(facts(sklearn_curve=sk, pytorch_curve=apart)), "curve")


def test_a_tiny_split_whose_lift_is_inside_the_noise_is_not_no_signal_when_every_seed_clears_the_floor():
    tiny = facts(gap=0.0, half=0.2, test_rows=8, lift=estimate(0.25, 0.3), dummy=0.5, sklearn=0.75, pytorch=0.75)
    assert recommend(tiny).verdict == "no-signal"  # no seeds: one 8-row split shows nothing beyond its noise
    with_seeds = recommend(replace(tiny, seeds=seeds([0.70, 0.80, 0.75], [0.72, 0.70, 0.74])))
    assert with_seeds.verdict == "sklearn" and with_seeds.confidence <= 0.6
    floor_reason = next(r for r in with_seeds.reasons if r.startswith("[small-split] On 8 test rows"))
    assert "on every one of 3 seeds the better side beats the Dummy floor by at least 0.02" in floor_reason
    assert "(by +0.220 to +0.300)" in floor_reason
    one_seed_at_the_floor = recommend(replace(tiny, seeds=seeds([0.70, 0.51, 0.75], [0.72, 0.50, 0.74])))
    assert one_seed_at_the_floor.verdict == "no-signal"
