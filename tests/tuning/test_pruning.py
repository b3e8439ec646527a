"""Pruning network trials: a diverging trial stops with a note, a trial far above the finished trials' median stops once its
warm-up epochs are done, and a good trial, or one judged against too few finished trials, runs to the end."""

from __future__ import annotations

import math

import pytest
from tuning_support import InProcess, config, table

from bridge.config import TrainConfig
from bridge.io.data import Dataset
from bridge.problem.prepare import prepare
from bridge.tuning.trial import PRUNE_STARTUP_TRIALS, PRUNE_WARMUP_EPOCHS, TrialJob, _Pruner, run_trial

EPOCHS = 12
GOOD = {"lr": 0.01, "batch_size": 32, "weight_decay": 1e-4, "dropout": 0.0, "hidden_layers": 1, "width": 32, "class_weight": "none"}
# Adam moves every weight by about the learning rate at each step: at 10, with no weight decay to pull them back, a deep and
# wide network's validation loss runs to 1e10 and beyond on this table (its good settings reach about 0.3).
EXPLODING = {**GOOD, "lr": 10.0, "weight_decay": 0.0, "hidden_layers": 4, "width": 512}
RUN = config(train=TrainConfig(epochs=EPOCHS, lr=0.01, batch_size=32, patience=0, device="cpu"))


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    pass


def trial(params: dict, finished: tuple[dict, ...] = (), dataset=None):
    """One network trial of EPOCHS epochs (no early stopping), in this process, judged against ``finished`` curves."""
    dataset = dataset or table()
    return InProcess(dataset).map(run_trial, [TrialJob("pytorch", 4, params, RUN, "mlp", finished)])[0]


def curves(loss: float, count: int = PRUNE_STARTUP_TRIALS) -> tuple[dict, ...]:
    """``count`` finished trials whose validation loss was ``loss`` (give or take a little) at every epoch."""
    return tuple({epoch: loss * (1 + 0.01 * i) for epoch in range(1, EPOCHS + 1)} for i in range(count))


def with_a_glitch_in_a_validation_row() -> Dataset:
    """The tiny table with one validation row's x0 at 1e30 (a sensor glitch): scaled, it is still about 1e30."""
    frame = table().frame.copy()
    row = prepare(table(), RUN).split.val[0]  # the split depends on the labels and the seed, not on x0
    frame.loc[frame.index[row], "x0"] = 1e30
    return Dataset("glitch", "table", frame=frame, default_target="label")


def test_a_trial_whose_validation_loss_overflows_is_pruned_at_once_with_a_note_even_in_the_first_batch():
    # At lr 10 with no weight decay the weights grow large enough that the glitch row's loss passes float32's largest number.
    result = trial(EXPLODING, dataset=with_a_glitch_in_a_validation_row())
    assert result.state == "pruned" and result.value is None
    assert result.note == "pruned at epoch 1: the validation loss diverged"
    assert result.curve == {1: math.inf}


def test_the_same_table_trains_to_the_end_at_a_sane_learning_rate():
    result = trial(GOOD, dataset=with_a_glitch_in_a_validation_row())
    assert result.state == "complete" and len(result.curve) == EPOCHS


def test_a_non_finite_validation_loss_prunes_at_once():
    pruner = _Pruner(())
    assert not pruner.prune({1: 0.7}) and pruner.reason == ""
    assert pruner.prune({1: 0.7, 2: math.inf})
    assert pruner.reason == "pruned at epoch 2: the validation loss diverged"


def test_an_exploding_learning_rate_is_pruned_once_its_warm_up_is_done():
    result = trial(EXPLODING, curves(0.4))
    assert result.state == "pruned" and result.value is None
    assert result.note.startswith(f"pruned at epoch {PRUNE_WARMUP_EPOCHS}: validation loss ") and "above the finished trials' median" in result.note
    assert sorted(result.curve) == list(range(1, PRUNE_WARMUP_EPOCHS + 1)) and result.curve[PRUNE_WARMUP_EPOCHS] > 1e3


def test_a_trial_far_above_the_finished_median_stops_at_the_first_epoch_it_may():
    result = trial(GOOD, curves(1e-6))
    assert result.state == "pruned" and result.note.startswith(f"pruned at epoch {PRUNE_WARMUP_EPOCHS}:")
    assert len(result.curve) == PRUNE_WARMUP_EPOCHS < EPOCHS  # every warm-up epoch ran, none after


def test_too_few_finished_trials_prune_nothing():
    result = trial(GOOD, curves(1e-6, count=PRUNE_STARTUP_TRIALS - 1))
    assert result.state == "complete" and result.note == "" and len(result.curve) == EPOCHS


def test_a_good_trial_runs_to_the_end():
    result = trial(GOOD, curves(5.0))
    assert result.state == "complete" and result.note == ""
    assert sorted(result.curve) == list(range(1, EPOCHS + 1)) and result.value >= 0.8
    assert max(result.curve.values()) < 5.0


def test_the_median_is_the_finished_trials_not_the_best_of_them():
    # Two finished trials far below this one and three far above: the median is above it, so it runs on.
    low, high = curves(1e-6, 2), curves(50.0, 3)
    result = trial(GOOD, low + high)
    assert result.state == "complete" and len(result.curve) == EPOCHS
