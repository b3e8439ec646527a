"""Learning curves by training size for both sides: same subsets, early stopping, slopes and where they would meet."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.config import CompareConfig, TrainConfig
from bridge.decision import size_curves
from bridge.experiment import run_comparison
from bridge.io.data import load_builtin


def curve(*points: tuple[int, float]) -> list[dict]:
    return [{"train_size": size, "val_score": value} for size, value in points]


def test_subsets_are_stratified_repeatable_and_refused_when_a_class_cannot_fit():
    y = np.array(["a"] * 90 + ["b"] * 10, dtype=object)
    rows = size_curves.subset_rows(y, "classification", 20, seed=3)
    assert len(rows) == 20 and sorted(np.unique(y[rows], return_counts=True)[1]) == [2, 18]
    assert np.array_equal(rows, size_curves.subset_rows(y, "classification", 20, seed=3))
    assert not np.array_equal(rows, size_curves.subset_rows(y, "classification", 20, seed=4))
    assert size_curves.subset_rows(y, "classification", 1, seed=0) is None
    assert np.array_equal(size_curves.subset_rows(y, "classification", 100, seed=0), np.arange(100))


def test_slope_is_per_doubling_between_the_two_largest_sizes():
    assert size_curves.slope(curve((250, 0.7), (500, 0.8), (2000, 0.9))) == pytest.approx((0.05, 500, 2000))
    assert size_curves.slope(curve((500, 0.8))) is None


def test_converging_curves_meet_where_both_trends_would_cross():
    # PyTorch trails by 0.04 and gains 0.02 per doubling on scikit-learn: two doublings, 4x the rows
    meet = size_curves.crossing(curve((500, 0.85), (1000, 0.86)), curve((500, 0.79), (1000, 0.82)))
    assert meet["converging"] and meet["gap"] == pytest.approx(-0.04)
    assert meet["doublings"] == pytest.approx(2.0) and meet["crossing_rows"] == 4000 and not meet["beyond_reach"]


def test_a_crossing_too_far_out_is_flagged_and_diverging_curves_have_none():
    far = size_curves.crossing(curve((500, 0.85), (1000, 0.86)), curve((500, 0.68), (1000, 0.70)))
    assert far["converging"] and far["beyond_reach"] and far["doublings"] == pytest.approx(16.0)
    apart = size_curves.crossing(curve((500, 0.85), (1000, 0.90)), curve((500, 0.80), (1000, 0.81)))
    assert apart == {"rows": 1000, "gap": pytest.approx(-0.09), "sklearn_slope": pytest.approx(0.05),
                     "pytorch_slope": pytest.approx(0.01), "converging": False}


def test_big_data_refits_the_network_at_the_small_sizes_only_and_says_so():
    assert size_curves.network_fractions(1_000, 10) == size_curves.FRACTIONS
    assert size_curves.network_fractions(100_000, 50) == (0.1, 0.25)
    assert "10% and 25%" in size_curves.network_note(100_000, 50)
    assert size_curves.network_note(1_000, 10) is None
    # a CNN costs more per input value: 1,149 digits of 20x20 pixels refit at the small sizes only
    assert size_curves.network_fractions(1_149, 400, "images") == (0.1, 0.25)
    assert "image pixels" in size_curves.network_note(1_149, 400, "images")
    assert size_curves.network_fractions(1_149, 64, "images") == size_curves.FRACTIONS


def test_refits_always_stop_early():
    assert size_curves.early_stopping(TrainConfig(patience=0)).patience == size_curves.MIN_PATIENCE
    assert size_curves.early_stopping(TrainConfig(patience=12)).patience == 12


def test_small_tables_repeat_each_size_over_the_seeds_and_images_do_not():
    assert size_curves.curve_seeds(7, 3, "table", 150, 4) == [7, 8, 9]
    assert size_curves.curve_seeds(7, 1, "table", 150, 4) == [7]
    assert size_curves.curve_seeds(7, 3, "images", 150, 4) == [7]
    assert size_curves.curve_seeds(7, 3, "table", 100_000, 4) == [7]


@pytest.mark.slow
def test_a_run_draws_both_curves_on_the_same_sizes_with_a_band_over_seeds():
    config = CompareConfig(train=TrainConfig(epochs=15, patience=0), repeats=2, baseline="linear")
    c = run_comparison(load_builtin("iris"), config)
    sk, pt = c.curves["sklearn"], c.curves["pytorch_by_size"]
    assert [p["train_size"] for p in sk] == [p["train_size"] for p in pt]
    assert sk[-1]["train_size"] == c.split["train"]
    assert all(p["fits"] == 2 and "val_sd" in p for p in pt[:-1])  # every refitted size over both seeds
    assert all(0.0 <= p["val_score"] <= 1.0 for p in sk + pt)
    curve_reason = next(r for r in c.recommendation["reasons"] if r.startswith("[curve]"))
    assert "PyTorch's, refitted on the same rows, changes" in curve_reason


def test_the_chart_table_holds_both_sides_with_their_band_and_an_older_run_shows_one():
    from types import SimpleNamespace

    from pages import charts, views

    sk = [{"train_size": 10, "val_score": 0.7, "val_sd": 0.1, "train_score": 0.9}, {"train_size": 40, "val_score": 0.8, "train_score": 0.85}]
    pt = [{"train_size": 10, "val_score": 0.6, "val_sd": 0.2}, {"train_size": 40, "val_score": 0.9}]
    long = views.size_curve(SimpleNamespace(curves={"sklearn": sk, "pytorch_by_size": pt}))
    assert list(long["side"]) == ["scikit-learn", "scikit-learn", "PyTorch", "PyTorch"]
    assert long["low"].round(3).tolist() == [0.6, 0.8, 0.4, 0.9] and long["high"].round(3).tolist() == [0.8, 0.8, 0.8, 0.9]
    assert "PyTorch" in str(charts.size_chart(long, "balanced_accuracy").to_dict())
    older = views.size_curve(SimpleNamespace(curves={"sklearn": sk}))
    assert set(older["side"]) == {"scikit-learn"}
