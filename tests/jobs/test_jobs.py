"""Runs as jobs: the store, the scheduler's bounds, thread limits, cancel, and who may see a run.

Each test gets its own store folder and, where it trains, its own scheduler; the runs are real
(a worker process trains a tiny comparison), only the sizes are small.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time

import pytest

from bridge.config import CompareConfig, MLPConfig, TrainConfig
from bridge.io.data import load_builtin
from bridge.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, LocalExecutor, RunStore, wait
from bridge.jobs import worker as worker_module
from bridge.jobs.local import cores

TINY = CompareConfig(baseline="linear", mlp=MLPConfig(1, 8, 0.0), train=TrainConfig(epochs=3, batch_size=32, patience=0, device="cpu"),
                     repeats=1)
LONG = CompareConfig(baseline="linear", mlp=MLPConfig(2, 256, 0.0), train=TrainConfig(epochs=300, batch_size=16, patience=0, device="cpu"),
                     repeats=1)


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "home")


@pytest.fixture
def executor(store):
    """A scheduler of its own that runs as many trainings at once as there are cores: each gets one thread."""
    executor = LocalExecutor(store, limit=cores())
    executor.start()
    yield executor
    executor.stop()


def test_a_job_runs_with_the_thread_limits_set(store, executor):
    assert executor.threads == 1
    run = wait(store, executor.submit("me", "builtin:iris", load_builtin("iris"), TINY))
    assert run.state == DONE, run.error
    threads = run.threads
    assert threads["share"] == 1 and threads["torch"] == 1 and threads["joblib"] == 1
    assert threads["pools"] and set(threads["pools"].values()) == {1}  # every BLAS and OpenMP pool the worker loaded
    assert run.summary["verdict"] in ("sklearn", "pytorch", "no-signal") and len(store.epochs(run.id)) == 3
    comparison = store.load_result(run)
    assert comparison.models["pytorch"].metrics == store.report(run)["models"]["pytorch"]["metrics"]
    assert comparison.source is not None and comparison.source.name == "iris"


def test_one_training_at_a_time_queues_the_second_run(store):
    executor = LocalExecutor(store, limit=1)
    executor.start()
    try:
        first = executor.submit("a", "builtin:iris", load_builtin("iris"), TINY)
        second = executor.submit("b", "builtin:wine", load_builtin("wine"), TINY)
        seen_queued = False
        while (current := store.get(second.id)).state == QUEUED:
            seen_queued |= store.get(first.id).state == RUNNING and store.queue_place(current) == 1
            time.sleep(0.05)  # a polling period, as the app's fragments have; no timing is asserted
        first, second = wait(store, first), wait(store, second)
    finally:
        executor.stop()
    assert (first.state, second.state) == (DONE, DONE)
    assert seen_queued and second.started >= first.finished  # it waited its turn, in line first
    assert first.threads["share"] == cores()  # alone, a run gets every core


def test_cancel_ends_a_training_run_and_its_process(store, executor):
    run = executor.submit("me", "builtin:breast_cancer", load_builtin("breast_cancer"), LONG)
    while not store.epochs(run.id):  # training has reached the epoch loop
        assert store.get(run.id).state in (QUEUED, RUNNING), store.get(run.id).error
        time.sleep(0.05)
    process = executor.children[run.id]
    executor.cancel(store.get(run.id))
    ended = wait(store, run, timeout=60)
    assert ended.state == CANCELLED and len(store.epochs(run.id)) < LONG.train.epochs
    assert process.wait(timeout=30) is not None  # the training process has ended: what it held went back to the system
    assert store.load_result(ended) is None


def test_cancel_of_a_queued_run_ends_it_before_it_starts(store):
    run = store.create("me", "builtin:iris", "iris", TINY)  # no scheduler: it stays queued
    store.request_cancel(run.id)
    assert store.get(run.id).state == CANCELLED and store.get(run.id).started is None
    assert store.claim_next(limit=1) is None


def test_a_failure_inside_the_run_is_one_line_and_no_traceback_for_the_user(store, monkeypatch):
    import bridge.experiment

    def broken(*args, **kwargs):
        raise KeyError("a bug deep inside")

    monkeypatch.setattr(bridge.experiment, "run_comparison", broken)
    monkeypatch.setattr(worker_module, "pin_threads", lambda threads: {"share": threads})  # keep this process's own threads
    run = store.create("me", "builtin:iris", "iris", TINY)
    store.claim_next(limit=1)
    assert worker_module.execute(store, run.id, 1) == FAILED
    failed = store.get(run.id)
    assert failed.error == "internal error (KeyError); the server log has the details" and "\n" not in failed.error


def test_a_run_left_running_by_a_stopped_server_is_marked_failed(store):
    run = store.create("me", "builtin:iris", "iris", TINY)
    store.claim_next(limit=1)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store.set_pid(run.id, gone.pid)
    LocalExecutor(store).recover_orphans()
    failed = store.get(run.id)
    assert failed.state == FAILED and "server stopped" in failed.error


def _finished_run(store: RunStore, owner: str, size: int, created: float | None = None):
    run = store.create(owner, "builtin:iris", "iris", TINY)
    store.claim_next(limit=99)
    folder = store.run_folder(run.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.joblib").write_bytes(b"x" * size)
    store.finish(run.id, DONE, "Done", summary={"sklearn": 1.0, "pytorch": 1.0, "metric": "r2", "verdict": "sklearn"})
    if created is not None:
        with store._db() as db:
            db.execute("UPDATE runs SET created = ? WHERE id = ?", (created, run.id))
    return store.get(run.id)


def test_the_store_drops_the_oldest_runs_past_its_size_cap(tmp_path):
    store = RunStore(tmp_path / "home", max_bytes=2500)
    runs = [_finished_run(store, "me", 1000) for _ in range(4)]
    waiting = store.create("me", "builtin:iris", "iris", TINY)  # queued runs are never dropped
    assert store.total_bytes() == 4000
    removed = store.prune()
    assert removed == [runs[0].id, runs[1].id]
    assert [r.id for r in store.all_runs()] == [waiting.id, runs[3].id, runs[2].id]
    assert not store.run_folder(runs[0].id).exists() and store.total_bytes() == 2000


def test_the_store_drops_runs_past_the_age_limit(tmp_path):
    store = RunStore(tmp_path / "home", max_age_days=7)
    now = 1_000_000_000.0
    old = _finished_run(store, "me", 10, created=now - 8 * 86400)
    recent = _finished_run(store, "me", 10, created=now - 6 * 86400)
    assert store.prune(now=now) == [old.id]
    assert [r.id for r in store.all_runs()] == [recent.id]


def test_a_session_sees_only_its_own_runs_and_a_token_opens_only_its_run(store):
    alice = _finished_run(store, "alice", 10)
    bob = _finished_run(store, "bob", 10)
    assert [r.token for r in store.runs_of("alice")] == [alice.token]
    assert store.owned("bob", alice.token) is None and store.owned("alice", alice.token).id == alice.id
    assert store.by_token(alice.token).id == alice.id  # the link itself is the key to its one run
    assert store.by_token("") is None and store.by_token(alice.token[:-1]) is None and store.by_token(str(bob.id)) is None
    assert len(alice.token) >= 20 and alice.token != bob.token


def test_same_settings_find_the_stored_run_and_uploads_are_stored_once(store):
    from bridge.io.data import load_dataset

    done = _finished_run(store, "me", 10)
    assert store.same_settings("me", "builtin:iris", TINY).id == done.id
    assert store.same_settings("other", "builtin:iris", TINY) is None
    assert store.same_settings("me", "builtin:iris", CompareConfig()) is None
    dataset = load_dataset(b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", name="small.csv")
    store.save_dataset("upload:abc", dataset)
    store.save_dataset("upload:abc", dataset)
    loaded = store.load_dataset("upload:abc")
    assert loaded.name == "small.csv" and loaded.frame.equals(dataset.frame)
    assert len(list((store.home / "datasets").glob("*.joblib"))) == 1


def test_the_cli_lists_stored_runs_and_clears_finished_ones(store, monkeypatch, capsys):
    from bridge.cli import main

    monkeypatch.setenv("BRIDGE_HOME", str(store.home))
    run = _finished_run(store, "me", 10)
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert f"1 run(s) in {store.home}" in out and run.token in out and "done" in out
    assert main(["runs", "--clear"]) == 0
    assert "Removed 1 finished run(s)" in capsys.readouterr().out and store.all_runs() == []


def test_a_tuned_job_keeps_its_optuna_studies_in_its_run_folder_until_the_run_is_deleted(store, monkeypatch):
    import optuna

    from bridge.config import TuneConfig

    monkeypatch.setattr(worker_module, "pin_threads", lambda threads: {"share": threads})  # keep this process's own threads
    tuned = dataclasses.replace(TINY, tune=TuneConfig(trials=2, workers=1, executor="local"))
    run = store.create("me", "builtin:iris", "iris", tuned)
    store.claim_next(limit=1)
    assert worker_module.execute(store, run.id, 1) == DONE, store.get(run.id).error
    tuning = store.load_result(store.get(run.id)).tuning
    file = store.run_folder(run.id) / worker_module.STUDY_FILE
    assert tuning["storage"] == f"sqlite:///{file}" and file.exists()
    for side, name in tuning["studies"].items():
        kept = optuna.load_study(study_name=name, storage=tuning["storage"])
        assert [t.number for t in kept.trials] == [t["number"] for t in tuning["trials"] if t["side"] == side]
        assert kept.best_trial.number == tuning["best"][side]["number"]
        if side == "pytorch":  # every epoch's validation loss went to the study, as a pruner and a dashboard read them
            assert all(len(t.intermediate_values) == 3 for t in kept.trials)
    assert store.get(run.id).config.tune.storage is None  # the file is the run's, not a setting a rerun would copy
    store.delete(run.id)
    assert not file.exists()
