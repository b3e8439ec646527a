"""The command line: in-process through bridge.cli.main, plus one real ``python -m bridge`` run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from files import single_error_line

from bridge.cli import EXIT_BAD_INPUT, build_parser, config_from_args, main
from bridge.io import data

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--epochs", "3", "--repeats", "1", "--width", "16", "--hidden-layers", "1", "--baseline", "linear", "--quiet"]
TABLE_BUILTINS = {"iris": 150, "wine": 178, "breast_cancer": 569, "diabetes": 442, "digits": 1797}


# -- code: datasets ---------------------------------------------------------------------------------


def test_datasets_lists_the_builtins_with_rows(monkeypatch, capsys):
    # Only the scikit-learn tables: the data/ files and image sets are not what this test is about.
    monkeypatch.setattr(data, "BUILTINS", {name: data.BUILTINS[name] for name in TABLE_BUILTINS})
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["name", "kind", "rows", "columns", "task"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert set(rows) == set(TABLE_BUILTINS)
    for name, count in TABLE_BUILTINS.items():
        assert rows[name][1] == "table"
        assert int(rows[name][2]) == count
    assert rows["diabetes"][4] == "regression"
    assert rows["iris"][4] == rows["digits"][4] == "classification"
    assert rows["iris"][3] == "5"  # four measurements and the species


# -- code: compare ---------------------------------------------------------------------------------


def test_compare_prints_the_summary_and_writes_json(tmp_path, capsys):
    out_path = tmp_path / "report.json"
    assert main(["compare", "iris", *FAST, "--json", str(out_path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # --quiet
    assert "Dataset  iris (table): 150 rows, 4 features, task classification, target 'species', 3 classes" in captured.out
    assert "Recommendation: " in captured.out
    assert f"Wrote the JSON report to {out_path}" in captured.out
    report = json.loads(out_path.read_text())
    assert report["dataset"]["name"] == "iris"
    assert report["config"]["train"]["epochs"] == 3 and report["config"]["mlp"]["width"] == 16
    assert len(report["curves"]["pytorch"]) == 3


def test_compare_a_csv_with_target_and_checkpoint(tmp_path, capsys, classification_frame):
    from bridge.models.training import NeuralEstimator

    csv = tmp_path / "mine.csv"
    classification_frame.to_csv(csv, index=False)
    checkpoint = tmp_path / "best.pt"
    code = main(["compare", str(csv), "--target", "color", "--checkpoint", str(checkpoint), *FAST])
    assert code == 0
    out = capsys.readouterr().out
    assert "target 'color', 3 classes" in out
    assert "Baseline linear chosen on validation linear" in out
    assert NeuralEstimator.load_checkpoint(checkpoint).classes_ == ["blue", "green", "red"]


def test_progress_goes_to_stderr_without_quiet(capsys):
    assert main(["compare", "iris", "--epochs", "2", "--repeats", "1", "--width", "8", "--baseline", "linear"]) == 0
    err = capsys.readouterr().err
    assert "  epoch   1/2" in err and "  epoch   2/2" in err
    assert err.strip().splitlines()[-1] == "[100%] Done"


def test_options_become_the_config():
    args = build_parser().parse_args(["compare", "x.csv", "--lr", "0.05", "--patience", "0", "--dropout", "0.5", "--seed", "7",
                                      "--task", "regression", "--device", "cpu", "--batch-size", "16"])
    config = config_from_args(args)
    assert (config.train.lr, config.train.patience, config.train.batch_size, config.train.device) == (0.05, 0, 16, "cpu")
    assert (config.mlp.dropout, config.seed, config.task, config.target) == (0.5, 7, "regression", None)


# -- code: bad input exits 2 with one line ----------------------------------------------------------------


@pytest.fixture
def one_class_csv(tmp_path) -> Path:
    path = tmp_path / "one_class.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=30), "y": ["same"] * 30}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "{tmp}/missing.csv"], "is neither a file nor a built-in dataset"),
        (["compare", "irs"], "'irs' is neither a file nor a built-in dataset; give a CSV path or one of: iris, wine"),
        (["compare", "iris", "--target", "specis"], "no column 'specis'"),
        (["compare", "iris", "--target", "SPECIES"], "did you mean 'species'?"),
        (["compare", "iris", "--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
        (["compare", "iris", "--epochs", "many"], "argument --epochs"),
        (["compare", "iris", "--task", "clustering"], "argument --task: invalid choice"),
        (["compare", "iris", "--nope"], "unrecognized arguments: --nope"),
        (["compare"], "the following arguments are required: DATA"),
        (["compare", "{one_class}", "--target", "y"], "has a single class (same)"),  # a guess would skip the constant 'y'
    ],
    ids=["missing-file", "unknown-builtin", "unknown-target", "target-case", "epochs-0", "epochs-word", "bad-task",
         "unknown-option", "no-data", "one-class"],
)
def test_bad_input_exits_2_with_one_error_line(argv, message, tmp_path, one_class_csv, capsys):
    argv = [a.format(tmp=tmp_path, one_class=one_class_csv) for a in argv] + ["--quiet"] * (len(argv) > 1)
    assert main(argv) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert message in single_error_line(captured.err)
    assert captured.out == "" or (captured.out.startswith("target: ") and captured.out.count("\n") == 1)  # at most the target line


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_a_class_missing_from_the_training_rows_is_not_an_internal_error(tmp_path, capsys):
    path = tmp_path / "tiny.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=20), "z": rng.normal(size=20), "y": [c for c in "abcde" for _ in range(4)]}).to_csv(path, index=False)
    code = main(["compare", str(path), "--seed", "10", *FAST])  # seed 10 puts every 'b' row outside the training part
    captured = capsys.readouterr()
    assert "internal error" not in captured.err
    assert code == 0
    assert "have no training rows" in captured.out  # said, not hidden


def test_error_after_progress_is_still_one_error_line(capsys):
    """Without --quiet the progress lines come first; the error is the one last line."""
    assert main(["compare", "iris", "--target", "nope"]) == EXIT_BAD_INPUT
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]]
    assert "Traceback" not in "\n".join(lines)


def test_unwritable_json_path_exits_2(tmp_path, capsys):
    code = main(["compare", "iris", *FAST, "--json", str(tmp_path / "no" / "such" / "dir" / "r.json")])
    assert code == EXIT_BAD_INPUT
    assert "does not exist" in single_error_line(capsys.readouterr().err)


def test_internal_errors_are_one_line_and_exit_1(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.delenv("BRIDGE_DEBUG", raising=False)
    monkeypatch.setattr("bridge.experiment.run_comparison", broken)
    assert main(["compare", "iris", "--quiet"]) == 1
    line = single_error_line(capsys.readouterr().err)
    assert "internal error (RuntimeError: boom)" in line and "BRIDGE_DEBUG=1" in line


# -- the real command, once -------------------------------------------------------------------------------


def test_python_m_bridge_compare_writes_the_report(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-m", "bridge", "compare", "iris", "--epochs", "3", "--json", "out.json"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    assert set(report) >= {"dataset", "split", "models", "curves", "errors", "recommendation"}
    assert set(report["models"]) == {"dummy", "sklearn", "pytorch"}
    assert report["dataset"]["rows"] == sum(report["split"].values()) == 150
    assert report["recommendation"]["choice"] in {"sklearn", "pytorch"}
    assert len(report["curves"]["pytorch"]) <= 3
