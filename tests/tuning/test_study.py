"""The tuning driver: a fixed seed gives the same study on a local process pool, on a real Dask cluster of worker processes
and in this process; each study opens with the default run's settings; trials never hold the test rows, and a tuned run
scores each side's best trial on them once."""

from __future__ import annotations

import pytest
from tuning_support import InProcess, config, table, what_a_worker_holds

import bridge.experiment
from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from bridge.io.data import Dataset
from bridge.tuning import spaces, study, trial
from bridge.tuning.executors import DaskPool, LocalPool
from bridge.tuning.study import BATCH, SIDES
from bridge.tuning.trial import TrialResult

TRIALS = 6  # a batch of BATCH and a smaller one, per side


def _setup(trials: int = TRIALS, **changes):
    dataset, run = table(), config(trials=trials, **changes)
    space = spaces.Space("classification", ("linear", "random_forest", "gradient_boosting"), "mlp")
    first = {"sklearn": spaces.defaults("sklearn", space, run, "linear", "none"),
             "pytorch": spaces.defaults("pytorch", space, run, "linear", "none")}
    return dataset, run, space, first


def _tuned(executor) -> tuple[study.Tuning, dict]:
    dataset, run, space, first = _setup()
    return study.tune(dataset, run, space, first, executor), first


@pytest.fixture(scope="module")
def local_pool():
    """Two spawned worker processes holding the tiny table, shared by this file's tests (each start costs seconds)."""
    pool = LocalPool(table(), workers=2)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def dask_client():
    """A real Dask cluster on this machine: two worker processes of one thread each."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def studies(local_pool, dask_client):
    """The same tune on the three executors: in this process, a local pool of 2 processes, a Dask cluster of 2 workers."""
    return {"here": _tuned(InProcess(table())), "local": _tuned(local_pool), "dask": _tuned(DaskPool(table(), dask_client))}


def _without_timings(tuning: study.Tuning) -> list[dict]:
    return [{key: value for key, value in row.items() if key != "seconds"} for row in tuning.trials]


@pytest.mark.parametrize("where", ["local", "dask"])
def test_a_fixed_seed_gives_the_same_trials_and_best_anywhere(studies, where):
    here, there = studies["here"][0], studies[where][0]
    assert len(there.trials) == 2 * TRIALS
    assert _without_timings(there) == _without_timings(here)  # the same settings, scores, states, notes and epochs, trial by trial
    assert there.best == here.best and set(there.best) == set(SIDES)
    assert there.importance == here.importance


def test_the_executors_say_where_the_trials_ran(studies):
    assert studies["local"][0].budget["executor"] == "a local pool of 2 process(es) x 1 thread(s)"
    assert studies["dask"][0].budget["executor"].startswith("the Dask cluster at tcp://")
    assert studies["here"][0].budget == {"trials": TRIALS, "minutes": 0.0, "batch": BATCH, "executor": "this process"}


def test_each_study_opens_with_the_default_runs_settings(studies):
    tuning, first = studies["local"]
    for side in SIDES:
        rows = [row for row in tuning.trials if row["side"] == side]
        assert [row["number"] for row in rows] == list(range(TRIALS))
        assert rows[0]["params"] == first[side] and rows[0]["state"] == "complete"
        assert len({repr(row["params"]) for row in rows}) > 1  # and searches from there
    network_rows = [row for row in tuning.trials if row["side"] == "pytorch"]
    assert all(row["epochs"] == config().train.epochs for row in network_rows if row["state"] == "complete")
    assert all(row["value"] is None and row["note"] for row in network_rows if row["state"] == "pruned")


def test_the_best_trial_is_the_best_finished_score(studies):
    tuning = studies["local"][0]
    for side in SIDES:
        scores = {row["number"]: row["value"] for row in tuning.trials if row["side"] == side and row["state"] == "complete"}
        best = tuning.best[side]
        assert best["value"] == max(scores.values()) == scores[best["number"]]
        assert best["params"] == next(row["params"] for row in tuning.trials if row["side"] == side and row["number"] == best["number"])


# -- what a worker sees ---------------------------------------------------------------------------------------------


def test_a_workers_copy_of_the_data_holds_no_test_rows(local_pool):
    run = config()
    whole = bridge.experiment.prepare(table(), run)
    assert len(whole.y_test) > 0
    seen = local_pool.map(what_a_worker_holds, [run] * 4)
    assert {row[2:] for row in seen} == {(len(whole.y_train), len(whole.y_val), 0, 0, 0)}


def _twins() -> tuple[Dataset, Dataset]:
    """Two datasets of one name, row count and target column: classes in one, prices in the other."""
    prices = table("regression").frame.rename(columns={"price": "label"})
    return table("classification", name="same"), Dataset("same", "table", frame=prices, default_target="label")


def test_a_dask_worker_prepares_each_run_once_and_never_a_stale_copy(dask_client):
    """Trials of one run reuse the worker's prepared data; another dataset with the same name and rows gets its own."""
    first, second = _twins()
    seen = DaskPool(first, dask_client).map(what_a_worker_holds, [config()] * 6)
    other = DaskPool(second, dask_client).map(what_a_worker_holds, [config()] * 2)
    by_worker = {}
    for pid, dataset_id, *_ in seen:
        by_worker.setdefault(pid, set()).add(dataset_id)
    assert by_worker and all(len(ids) == 1 for ids in by_worker.values())  # one dataset object per worker: prepared once
    assert all(row[2:] == seen[0][2:] for row in seen)
    whole = bridge.experiment.prepare(second, config())
    assert whole.task == "regression" and {row[2:4] for row in other} == {(len(whole.y_train), len(whole.y_val))}
    assert {id_ for _, id_, *_ in other}.isdisjoint(id_ for _, id_, *_ in seen)


def test_the_same_name_and_rows_in_one_process_never_reuse_the_other_datasets_preparation():
    classes, prices = _twins()
    run = config()
    assert trial._data(classes, run).task == "classification"
    assert trial._data(prices, run).task == "regression"


# -- the test rows, once per side -----------------------------------------------------------------------------------


def test_a_tuned_run_scores_each_sides_best_trial_on_the_test_rows_once(monkeypatch):
    scored: list[str] = []
    real = bridge.experiment._test_result

    def counted(name, *args, **kwargs):
        scored.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(bridge.experiment, "_test_result", counted)
    comparison = run_comparison(table(), config(trials=4, workers=1))
    tuned = [name for name in scored if name.startswith("tuned ")]
    assert len(scored) == 3 + 2  # the Dummy floor and both default models, then one tuned model per side
    assert len(tuned) == 2 and tuned[1] == "tuned PyTorch MLP" and tuned[0] != tuned[1]
    assert set(comparison.tuning["test"]) == set(SIDES)
    assert comparison.recommendation["reasons"][0].startswith("[tuning] ")
    assert comparison.recommendation["default"]["verdict"] in {"sklearn", "pytorch", "no-signal"}


# -- the driver's own logic, in this process ------------------------------------------------------------------------


class Recording(InProcess):
    """Runs the jobs here and keeps each batch it was handed."""

    def __init__(self, dataset) -> None:
        super().__init__(dataset)
        self.batches: list[list] = []

    def map(self, function, jobs):
        self.batches.append(list(jobs))
        return super().map(function, jobs)


def test_trials_are_judged_against_the_finished_curves_of_earlier_batches_only():
    dataset, run, space, first = _setup(trials=8)
    executor = Recording(dataset)
    found = study.tune(dataset, run, space, first, executor)
    network = [batch for batch in executor.batches if batch[0].side == "pytorch"]
    assert [len(batch) for batch in network] == [BATCH, BATCH]
    assert all(job.finished_curves == () for job in network[0])
    finished = [row for row in found.trials if row["side"] == "pytorch" and row["number"] < BATCH and row["state"] == "complete"]
    assert finished and all(len(job.finished_curves) == len(finished) for job in network[1])
    assert all(len(curve) == row["epochs"] for curve, row in zip(network[1][0].finished_curves, finished))


def test_two_tuned_runs_can_keep_their_studies_in_the_same_storage(tmp_path):
    dataset, run, space, first = _setup(trials=2)
    import dataclasses

    run = dataclasses.replace(run, tune=dataclasses.replace(run.tune, storage=f"sqlite:///{tmp_path / 'studies.db'}"))
    once = study.tune(dataset, run, space, first, InProcess(dataset))
    again = study.tune(dataset, run, space, first, InProcess(dataset))
    assert _without_timings(once) == _without_timings(again)
    assert once.storage == again.storage == run.tune.storage and set(once.studies.values()).isdisjoint(again.studies.values())


def test_a_storage_password_never_reaches_the_report():
    shown = study._shown("postgresql://bridge:s3cret@db.example:5432/studies")
    assert "s3cret" not in shown and shown.startswith("postgresql://bridge:***@db.example")
    assert study._shown(None) is None


class NetworksDiverge(InProcess):
    """scikit-learn trials run; every network trial comes back pruned, as on data where every setting diverges."""

    def map(self, function, jobs):
        return [TrialResult(job.side, job.number, None, "pruned", 0.0, {1: float("inf")}, "pruned at epoch 1: the validation loss diverged")
                if job.side == "pytorch" else function(self.dataset, job) for job in jobs]


def test_a_side_whose_every_trial_was_pruned_says_what_to_do():
    dataset, run, space, first = _setup(trials=2)
    with pytest.raises(BridgeError, match=r"every PyTorch trial was pruned .*the validation loss diverged.*; ") as raised:
        study.tune(dataset, run, space, first, NetworksDiverge(dataset))
    assert "\n" not in str(raised.value)


def test_a_scikit_learn_trial_the_data_cannot_take_is_pruned_with_its_reason_and_the_study_goes_on(monkeypatch):
    real = spaces.sklearn_model

    def no_forests(task, params, seed, pixels=None):
        if params["family"] == "random_forest":
            raise ValueError("this data takes no forest\n(a second line)")
        return real(task, params, seed, pixels)

    monkeypatch.setattr(spaces, "sklearn_model", no_forests)
    dataset, run, space, first = _setup()
    first = {**first, "sklearn": spaces.defaults("sklearn", space, run, "random_forest", "none")}  # the first trial is a forest
    found = study.tune(dataset, run, space, first, InProcess(dataset))
    rows = [row for row in found.trials if row["side"] == "sklearn"]
    forests = [row for row in rows if row["params"]["family"] == "random_forest"]
    assert len(rows) == TRIALS and forests and forests[0]["number"] == 0
    assert all(row["state"] == "pruned" and row["value"] is None for row in forests)
    assert {row["note"] for row in forests} == {"ValueError: this data takes no forest (a second line)"}
    assert found.best["sklearn"]["params"]["family"] != "random_forest"


def test_every_scikit_learn_trial_pruned_says_what_to_do_without_the_networks_advice(monkeypatch):
    def nothing_fits(task, params, seed, pixels=None):
        raise ValueError("nothing fits")

    monkeypatch.setattr(spaces, "sklearn_model", nothing_fits)
    dataset, run, space, first = _setup(trials=2)
    with pytest.raises(BridgeError) as raised:
        study.tune(dataset, run, space, first, InProcess(dataset))
    assert str(raised.value) == "every scikit-learn trial was pruned (the first: ValueError: nothing fits); tune with more trials"


def test_progress_follows_each_trial_in_the_order_asked_on_a_real_pool(local_pool):
    """The pool hands back each result as it and those before it finish: the bar moves per trial, not per batch of BATCH."""
    dataset, run, space, first = _setup()
    seen: list[tuple[str, int, int]] = []
    found = study.tune(dataset, run, space, first, local_pool, on_progress=lambda *step: seen.append(step))
    assert seen == [(side, n, TRIALS) for side in SIDES for n in range(1, TRIALS + 1)]
    assert [row["number"] for row in found.trials] == [n for _ in SIDES for n in range(TRIALS)]
