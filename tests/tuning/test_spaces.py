"""The search spaces: every family and network a study can draw builds a model that trains on tiny data, the default run's
settings come back unchanged as a trial, a default outside the searched choices can still be tried, and sparse text never
gets gradient boosting."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import optuna
import pytest
from tuning_support import InProcess, config, images, table, texts

from bridge.config import CNNConfig, CompareConfig, MLPConfig, TextConfig, TrainConfig
from bridge.experiment import run_comparison
from bridge.io.data import Dataset
from bridge.models import classical
from bridge.models.image_features import pixel_layout
from bridge.problem.prepare import prepare
from bridge.tuning import spaces, study
from bridge.tuning.spaces import Space
from bridge.tuning.trial import TrialJob, run_trial

TABLE_FAMILIES = ("linear", "random_forest", "gradient_boosting")
# The knob each family's model takes from a trial's settings: (setting, the model's parameter).
KNOBS = {
    ("linear", "classification"): [("linear_C", "C")],
    ("linear", "regression"): [("linear_alpha", "alpha")],
    "random_forest": [("forest_max_depth", "max_depth"), ("forest_max_features", "max_features"), ("forest_min_samples_leaf", "min_samples_leaf")],
    "gradient_boosting": [("boosting_learning_rate", "learning_rate"), ("boosting_max_leaf_nodes", "max_leaf_nodes"),
                          ("boosting_l2", "l2_regularization")],
}


@pytest.fixture(autouse=True)
def quiet_optuna(one_torch_thread):
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def drawn(side: str, space: Space, fixed: dict | None = None, seed: int = 0) -> dict:
    """One trial's settings as a study draws them, with ``fixed`` settings enqueued and the rest random."""
    sampler = optuna.samplers.RandomSampler(seed=seed)
    trial_study = optuna.create_study(direction="maximize", sampler=sampler)
    if fixed:
        trial_study.enqueue_trial(fixed)
    return spaces.suggest(trial_study.ask(), side, space)


def trained(dataset, side: str, params: dict, network: str = "mlp", **changes):
    """``run_trial`` in this process on one thread, as a worker would run it."""
    return InProcess(dataset).map(run_trial, [TrialJob(side, 0, params, config(**changes), network)])[0]


# -- scikit-learn: every family a study can draw -------------------------------------------------------------------


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("family", TABLE_FAMILIES)
def test_every_table_family_builds_a_model_with_the_drawn_knobs_that_fits(task, family):
    space = Space(task, TABLE_FAMILIES, "mlp")
    params = drawn("sklearn", space, {"family": family})
    assert params["family"] == family and ("class_weight" in params) == (task == "classification")
    model = spaces.sklearn_model(task, params, seed=0)
    knobs = KNOBS[(family, task) if family == "linear" else family]
    assert knobs and all(model.get_params()[name] == params[setting] for setting, name in knobs)
    result = trained(table(task), "sklearn", params)
    assert result.state == "complete" and np.isfinite(result.value) and result.curve == {}


def test_balanced_forests_on_labels_that_read_as_numbers_never_stop_a_study():
    """scikit-learn 1.9.1's forests refuse balanced weights on labels "0", "1" (its class_weight lookup turns them into 0, 1):
    such a trial is pruned with that reason, and the study goes on; on a scikit-learn that takes them, it trains."""
    frame = table().frame.assign(label=lambda f: f["label"].map({"neg": "0", "pos": "1"}))
    numbered = Dataset("numbered", "table", frame=frame, default_target="label")
    params = {"family": "random_forest", "forest_max_depth": 4, "forest_max_features": 0.5, "forest_min_samples_leaf": 2,
              "class_weight": "balanced"}
    result = trained(numbered, "sklearn", params)
    assert (result.state, result.note == "") == ("complete", True) or (result.state, result.value) == ("pruned", None)
    assert result.state == "complete" or "class_weight" in result.note


def test_the_hog_family_builds_and_fits_on_images():
    dataset = images()
    params = drawn("sklearn", Space("classification", (*TABLE_FAMILIES, "hog"), "cnn"), {"family": "hog"})
    model = spaces.sklearn_model("classification", params, 0, pixel_layout(prepare(dataset, config()), dataset.images))
    assert model.get_params()["model__C"] == params["hog_C"]
    result = trained(dataset, "sklearn", params, "cnn")
    assert result.state == "complete" and 0 <= result.value <= 1


def test_hog_without_images_is_refused():
    with pytest.raises(ValueError, match="pixel layout"):
        spaces.sklearn_model("classification", {"family": "hog"}, 0)


# -- PyTorch: every network a study can draw ------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_drawn_mlps_train_and_take_the_drawn_shape(task):
    space = Space(task, TABLE_FAMILIES, "mlp")
    for fixed in ({"hidden_layers": 0}, {"hidden_layers": 4, "width": 512}):
        params = drawn("pytorch", space, fixed)
        shaped = spaces.network_config(config(), params)
        assert (shaped.mlp.hidden_layers, shaped.mlp.width, shaped.mlp.dropout) == (params["hidden_layers"], params["width"], params["dropout"])
        assert (shaped.train.lr, shaped.train.batch_size, shaped.train.weight_decay) == (params["lr"], params["batch_size"], params["weight_decay"])
        result = trained(table(task), "pytorch", params)
        assert result.state == "complete" and np.isfinite(result.value), result.note
        assert sorted(result.curve) == list(range(1, config().train.epochs + 1))


def test_drawn_cnns_train_on_tiny_images_even_at_the_most_blocks():
    space = Space("classification", (*TABLE_FAMILIES, "hog"), "cnn")
    for fixed in ({"blocks": 1, "kernel_size": 3, "augment": False}, {"blocks": 3, "kernel_size": 5, "channels": 64, "augment": True}):
        params = drawn("pytorch", space, fixed)
        assert {"blocks", "channels", "kernel_size", "augment"} <= set(params) and "hidden_layers" not in params
        assert spaces.network_config(config(), params).cnn.blocks == params["blocks"]
        result = trained(images(), "pytorch", params, "cnn")
        assert result.state == "complete" and 0 <= result.value <= 1, result.note


@pytest.mark.parametrize("encoder", ["bag", "conv", "transformer"])
def test_drawn_text_networks_train_with_every_encoder(encoder):
    space = Space("classification", ("linear", "random_forest"), "text")
    params = drawn("pytorch", space, {"encoder": encoder, "text_layers": 2})
    shaped = spaces.network_config(config(), params)
    assert (shaped.text.encoder, shaped.text.embedding_dim, shaped.text.layers, shaped.mlp.width) == (
        encoder, params["embedding_dim"], 2, params["width"])
    result = trained(texts(), "pytorch", params, "text")
    assert result.state == "complete" and 0 <= result.value <= 1, result.note


@pytest.mark.parametrize("family", ["linear", "random_forest"])
def test_drawn_families_fit_sparse_text(family):
    params = drawn("sklearn", Space("classification", ("linear", "random_forest"), "text"), {"family": family})
    result = trained(texts(), "sklearn", params, "text")
    assert result.state == "complete" and 0 <= result.value <= 1


# -- the default run's settings as the first trial ------------------------------------------------------------------

CUSTOM = CompareConfig(mlp=MLPConfig(hidden_layers=3, width=64, dropout=0.1), train=TrainConfig(lr=0.005, batch_size=32, weight_decay=0.001),
                       cnn=CNNConfig(blocks=1, channels=16, kernel_size=5, dropout=0.3, augment=True),
                       text=TextConfig(encoder="conv", embedding_dim=32, layers=2))


@pytest.mark.parametrize("base", [CompareConfig(), CUSTOM], ids=["default", "custom"])
@pytest.mark.parametrize("network", ["mlp", "cnn", "text"])
def test_the_default_networks_settings_round_trip_to_the_same_config(base, network):
    space = Space("classification", TABLE_FAMILIES, network)
    first = spaces.defaults("pytorch", space, base, "linear", "balanced")
    assert first["class_weight"] == "balanced"
    assert spaces.network_config(base, first) == base  # the first trial trains exactly the default run's network


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("family", TABLE_FAMILIES)
def test_the_default_familys_settings_build_the_default_runs_model(task, family):
    """The first trial is the baseline the default run fitted, so a tuned side never starts below its default."""
    weight = "balanced" if task == "classification" else "none"
    first = spaces.defaults("sklearn", Space(task, TABLE_FAMILIES, "mlp"), CompareConfig(), family, weight)
    assert first["family"] == family and first.get("class_weight", "none") == weight
    ours, theirs = (_comparable(model.get_params()) for model in (spaces.sklearn_model(task, first, 7),
                                                                   classical.make_baseline(task, family, 7, weight)))
    ours.pop("n_jobs", None), theirs.pop("n_jobs", None)  # trials run one thread each, side by side; the numbers are the same
    assert ours == theirs


def _comparable(params: dict) -> dict:
    return {name: value.tolist() if isinstance(value, np.ndarray) else value for name, value in params.items()}


def test_the_default_hog_settings_build_the_default_runs_model():
    dataset = images()
    pixels = pixel_layout(prepare(dataset, config()), dataset.images)
    first = spaces.defaults("sklearn", Space("classification", ("hog",), "cnn"), CompareConfig(), "hog", "none")
    assert spaces.sklearn_model("classification", first, 0, pixels).get_params()["model__C"] == 1.0
    assert repr(spaces.sklearn_model("classification", first, 0, pixels)) == repr(classical.make_baseline("classification", "hog", 0, "none", pixels))


def test_a_default_outside_the_searched_ranges_is_still_tried_first_and_the_search_goes_on():
    """--batch-size 100 --width 100 --hidden-layers 6 --lr 0.05: the first trial is that run's network, then the study searches.

    A batch size or width outside the standard choices joins them (Optuna refuses a fixed value a categorical knob lacks);
    a number outside a range is tried as it is (Optuna warns), and TPE models the scores from there.
    """
    base = replace(config(trials=6), mlp=MLPConfig(hidden_layers=6, width=100, dropout=0.0),
                   train=replace(config().train, batch_size=100, lr=0.05))
    space = Space("classification", TABLE_FAMILIES, "mlp")
    first = {"sklearn": spaces.defaults("sklearn", space, base, "linear", "none"),
             "pytorch": spaces.defaults("pytorch", space, base, "linear", "none")}
    dataset = table()
    with pytest.warns(UserWarning, match="out of range"):
        found = study.tune(dataset, base, space, first, InProcess(dataset))
    network = [t for t in found.trials if t["side"] == "pytorch"]
    assert network[0]["params"] == first["pytorch"] and network[0]["state"] == "complete"
    assert len(network) == 6 and all(t["params"]["lr"] <= 3e-2 and t["params"]["hidden_layers"] <= 4 for t in network[1:])
    assert {t["params"]["batch_size"] for t in network[1:]} <= {32, 64, 128, 256, 100}


# -- what the data allows -------------------------------------------------------------------------------------------


class _Stop(Exception):
    pass


def _space_of(dataset, monkeypatch, network: str = "auto") -> Space:
    """The Space a tuned run would search, caught as it reaches the study (nothing is tuned)."""
    caught: list[Space] = []

    def catch(dataset, config, space, *args, **kwargs):
        caught.append(space)
        raise _Stop

    monkeypatch.setattr(study, "tune", catch)
    with pytest.raises(_Stop):
        run_comparison(dataset, config(trials=2, workers=1, network=network, train=TrainConfig(epochs=2, patience=0, device="cpu")))
    assert len(caught) == 1
    return caught[0]


def test_sparse_text_never_gets_gradient_boosting_and_dense_tables_do(monkeypatch):
    text = _space_of(texts(), monkeypatch)
    assert text.network == "text" and "gradient_boosting" not in text.families and "linear" in text.families
    dense = _space_of(table(), monkeypatch)
    assert dense.network == "mlp" and set(dense.families) == set(TABLE_FAMILIES)


def test_images_add_the_hog_family(monkeypatch):
    space = _space_of(images(), monkeypatch)
    assert space.network == "cnn" and "hog" in space.families
