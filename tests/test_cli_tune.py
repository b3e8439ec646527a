"""Tune mode from the command line and the API: one real tuned ``python -m bridge compare``, the options as the config,
every bad tune option refused with one ``error:`` line before the data is read, and the printed "Tuning" block."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from files import one_line, single_error_line

from bridge.api import make_config
from bridge.cli import EXIT_BAD_INPUT, build_parser, config_from_args, main
from bridge.config import TuneConfig
from bridge.errors import BridgeError
from bridge.outputs.tuning_text import tuning_summary

ROOT = Path(__file__).resolve().parent.parent


def _tiny_csv(path: Path) -> Path:
    """60 rows, 3 numbers, a yes/no target that follows the first two: enough for a split, quick to fit."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).round(3)
    labels = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    rows = [",".join(map(str, row)) + f",{label}" for row, label in zip(X, labels)]
    path.write_text("a,b,c,y\n" + "\n".join(rows) + "\n")
    return path


# -- the real command, once ---------------------------------------------------------------------------------


def test_python_m_bridge_compare_tune_reports_the_search(tmp_path):
    _tiny_csv(tmp_path / "tiny.csv")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("BRIDGE_EXECUTOR", None)  # the local pool, whatever the machine running the tests is set to
    result = subprocess.run([sys.executable, "-m", "bridge", "compare", "tiny.csv", "--target", "y", "--tune", "2", "--epochs", "2",
                             "--repeats", "1", "--tune-workers", "1", "--json", "out.json", "--quiet"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    tuning = report["tuning"]
    assert Counter(trial["side"] for trial in tuning["trials"]) == {"sklearn": 2, "pytorch": 2}
    assert report["config"]["tune"]["trials"] == 2
    assert report["recommendation"]["reasons"][0].startswith("[tuning]")
    assert set(tuning["test"]) == {"sklearn", "pytorch"}
    out = result.stdout
    assert out.index("Recommendation:") < out.index("\nTuning\n")  # after the usual report
    assert "scikit-learn: 2 trials (" in out and "PyTorch: 2 trials (" in out
    assert "Tuned on the test rows" in out


# -- options -> config ---------------------------------------------------------------------------------------


def test_tune_options_become_the_tune_config():
    args = build_parser().parse_args(["compare", "x.csv", "--tune", "20", "--executor", "dask://10.0.0.5:8786",
                                      "--study-storage", "sqlite:///studies.db"])
    assert config_from_args(args).tune == TuneConfig(trials=20, executor="dask://10.0.0.5:8786", storage="sqlite:///studies.db")
    args = build_parser().parse_args(["compare", "x.csv", "--tune-minutes", "1.5", "--tune-workers", "3"])
    assert config_from_args(args).tune == TuneConfig(minutes=1.5, workers=3)
    untuned = config_from_args(build_parser().parse_args(["compare", "x.csv"])).tune
    assert untuned == TuneConfig() and not untuned.on


# -- bad values: one error line, before the data is read ------------------------------------------------------


@pytest.fixture
def refused_early(monkeypatch):
    """Reading the data or training fails the test: every tune check below must fire before either."""
    def too_late(*args, **kwargs):
        raise AssertionError("the data was read before the tune options were checked")

    monkeypatch.setattr("bridge.io.data.load_dataset", too_late)
    monkeypatch.setattr("bridge.experiment.run_comparison", too_late)
    monkeypatch.delenv("BRIDGE_EXECUTOR", raising=False)


@pytest.fixture
def closed_port():
    """A local port nothing listens on: bound (so no one else takes it) but never listening, so a connection is refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


BAD = {  # id: (arguments, words the error line must hold)
    "negative": (["--tune", "-1"], "argument --tune: must be at least 1, got -1"),
    "zero": (["--tune", "0"], "argument --tune: must be at least 1"),
    "too-many": (["--tune", "501"], "argument --tune: must be at most 500"),
    "word": (["--tune", "many"], "argument --tune: invalid integer value: 'many'"),
    "both-budgets": (["--tune", "2", "--tune-minutes", "1"], "argument --tune-minutes: not allowed with argument --tune"),
    "minutes-zero": (["--tune-minutes", "0"], "argument --tune-minutes: must be in (0, 1440]"),
    "minutes-nan": (["--tune-minutes", "nan"], "argument --tune-minutes: must be in (0, 1440]"),
    "executor-scheme": (["--tune", "2", "--executor", "foo://x"], "argument --executor: must be local or dask://HOST:PORT"),
    "executor-no-port": (["--tune", "2", "--executor", "dask://scheduler"], "got 'dask://scheduler'"),
    "executor-port-range": (["--tune", "2", "--executor", "dask://h:70000"], "got 'dask://h:70000'"),
    "workers-zero": (["--tune", "2", "--tune-workers", "0"], "argument --tune-workers: must be at least 1"),
    "workers-too-many": (["--tune", "2", "--tune-workers", "65"], "argument --tune-workers: must be at most 64"),
    "executor-untuned": (["--executor", "local"], "--executor only applies in tune mode; add --tune TRIALS"),
    "storage-untuned": (["--study-storage", "sqlite:///s.db"], "--study-storage only applies in tune mode"),
    "storage-dialect": (["--tune", "2", "--study-storage", "foo://x"], "SQLAlchemy knows no database 'foo'"),
    "storage-not-url": (["--tune", "2", "--study-storage", "studies.db"], "'studies.db' is not a database URL"),
    "storage-folder": (["--tune", "2", "--study-storage", "sqlite:///{tmp}/no/such/studies.db"], "does not exist"),
    "workers-on-dask": (["--tune", "2", "--executor", "dask://127.0.0.1:{port}", "--tune-workers", "2"],
                        "--tune-workers sizes the local pool"),
    "no-scheduler": (["--tune", "2", "--executor", "dask://127.0.0.1:{port}"], "no Dask scheduler answers at 127.0.0.1:"),
}


@pytest.mark.parametrize(("argv", "message"), list(BAD.values()), ids=list(BAD))
def test_a_bad_tune_option_is_one_error_line(argv, message, tmp_path, closed_port, refused_early, capsys):
    data = _tiny_csv(tmp_path / "tiny.csv")
    argv = [part.format(tmp=tmp_path, port=closed_port) for part in argv]
    assert main(["compare", str(data), *argv, "--quiet"]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert message in single_error_line(captured.err)
    assert captured.out == ""


def test_a_bad_bridge_executor_is_refused_only_when_tuning(tmp_path, refused_early, monkeypatch, capsys):
    data = _tiny_csv(tmp_path / "tiny.csv")
    monkeypatch.setenv("BRIDGE_EXECUTOR", "foo")
    assert main(["compare", str(data), "--tune", "2", "--quiet"]) == EXIT_BAD_INPUT
    assert "BRIDGE_EXECUTOR='foo' is not an executor; set it to local or dask://HOST:PORT" in single_error_line(capsys.readouterr().err)
    assert main(["compare", str(data), "--tune", "2", "--executor", "local", "--quiet"]) == 1  # the option wins: on to loading
    assert main(["compare", str(data), "--quiet"]) == 1  # no tuning: the variable is never read
    assert "the data was read before the tune options were checked" in capsys.readouterr().err


# -- the same settings in the API ---------------------------------------------------------------------------


def test_the_api_takes_the_tune_keywords():
    config = make_config(tune=5, executor="dask://h:8786", study_storage="sqlite:///s.db")
    assert config.tune == TuneConfig(trials=5, executor="dask://h:8786", storage="sqlite:///s.db")
    assert make_config(tune_minutes=2.5, tune_workers=3).tune == TuneConfig(minutes=2.5, workers=3)


@pytest.mark.parametrize(("settings", "message"), [
    ({"tune": 5, "tune_minutes": 1.0}, "give tune (trials per side) or tune_minutes (wall clock), not both"),
    ({"tune": "5"}, "tune takes a whole number of trials per side, not '5'"),
    ({"tune": True}, "tune takes a whole number of trials per side, not True"),
    ({"tune": 501}, "tune trials 501 is out of range; use 0 to 500"),
    ({"tune_workers": 2.5}, "tune_workers takes a whole number of local processes"),
    ({"executor": "foo://x"}, "executor must be local or dask://HOST:PORT (a Dask scheduler, e.g. dask://10.0.0.5:8786), got 'foo://x'"),
    ({"executor": "dask://scheduler"}, "executor must be local or dask://HOST:PORT"),
    ({"study_storage": 3}, "study_storage takes an RDB URL"),
])
def test_the_api_refuses_bad_tune_keywords_in_one_line(settings, message):
    with pytest.raises(BridgeError) as info:
        make_config(**settings)
    assert message in one_line(info)


# -- the printed block ----------------------------------------------------------------------------------------


def _tuning(trials: int = 0, minutes: float = 0.0) -> dict:
    trial = {"value": 0.9, "seconds": 0.1, "params": {}, "note": "", "epochs": 0}
    return {
        "trials": [{**trial, "side": "sklearn", "number": 0, "state": "complete"}, {**trial, "side": "sklearn", "number": 1, "state": "complete"},
                   {**trial, "side": "pytorch", "number": 0, "state": "complete"}, {**trial, "side": "pytorch", "number": 1, "state": "pruned"},
                   {**trial, "side": "pytorch", "number": 2, "state": "pruned"}],
        "best": {"sklearn": {"number": 1, "value": 0.95, "params": {"family": "random_forest", "forest_max_features": 0.45247}},
                 "pytorch": {"number": 0, "value": 0.9, "params": {"lr": 0.001078981, "width": 128}}},
        "importance": {"sklearn": {}, "pytorch": {"lr": 0.5, "width": 0.2, "dropout": 0.15, "batch_size": 0.1, "class_weight": 0.05}},
        "budget": {"trials": trials, "minutes": minutes, "batch": 4, "executor": "a local pool of 2 process(es) x 1 thread(s)"},
        "seconds": {"sklearn": 1.25, "pytorch": 3.5},
        "test": {"sklearn": {"name": "tuned RandomForestClassifier", "metrics": {"balanced_accuracy": 0.931}},
                 "pytorch": {"name": "tuned PyTorch MLP", "metrics": {"balanced_accuracy": 0.912}}},
    }


def test_the_tuning_block_says_what_each_side_searched():
    text = tuning_summary(_tuning(trials=2), "balanced_accuracy")
    lines = text.splitlines()
    assert lines[0] == "Tuning"
    assert "2 trials per side on a local pool of 2 process(es) x 1 thread(s)" in lines[1]
    assert "  scikit-learn: 2 trials (2 complete, 0 pruned) in 1.2 s" in lines
    assert "  PyTorch: 3 trials (1 complete, 2 pruned) in 3.5 s" in lines
    assert "best validation balanced_accuracy 0.950, trial 1: family random_forest, forest_max_features 0.452" in text
    assert "trial 0 (the default settings): lr 0.00108, width 128" in text
    assert "knobs that mattered most: lr 50%, width 20%, dropout 15%" in text and "batch_size" not in text  # the top 3 only
    assert "knobs that mattered most: too few finished trials to say" in text  # scikit-learn's empty importance
    assert lines[-1].endswith("scikit-learn tuned RandomForestClassifier 0.931; PyTorch tuned PyTorch MLP 0.912")


def test_the_tuning_block_names_a_minutes_budget():
    assert "1.5 minutes of wall clock, split equally between the sides" in tuning_summary(_tuning(minutes=1.5), "balanced_accuracy")
