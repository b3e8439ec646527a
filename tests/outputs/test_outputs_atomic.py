"""Outputs are whole or absent: a kill or a failure mid-write never leaves a file or export that looks complete."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from bridge.cli import main
from bridge.models.training import NeuralEstimator
from bridge.outputs import atomic
from bridge.outputs.report import write_json

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--epochs", "2", "--repeats", "1", "--width", "8", "--hidden-layers", "1", "--baseline", "linear", "--quiet"]
SCRIPT_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the scripts run without Bridge


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("table") / "table.csv"
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    pd.DataFrame({"x": x, "z": rng.normal(size=n), "kind": rng.choice(["a", "b"], n), "y": np.where(x > 0, "hi", "lo")}).to_csv(path, index=False)
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or ".replaced-" in p.name)


# -- one file: --json and --checkpoint -------------------------------------------------------------------------


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    target.write_text("old")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        atomic.write_text(target, "new " * 10_000)
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def test_json_report_is_never_half_written(tmp_path, monkeypatch):
    class Report:  # what write_json needs of a comparison
        def to_dict(self):
            return {"rows": list(range(50_000))}

    target = tmp_path / "out.json"
    write_json(Report(), target)
    before = target.read_bytes()
    assert json.loads(before)["rows"][-1] == 49_999

    def cut_short(fd):  # the temporary file holds the whole text by now; the failure comes before the rename
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(atomic.os, "fsync", cut_short)
    with pytest.raises(OSError):
        write_json(Report(), target)
    assert target.read_bytes() == before and _leftovers(tmp_path) == []


def test_checkpoint_is_never_half_written(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)).astype(np.float32), rng.choice(["a", "b"], 40)
    from bridge.config import TrainConfig

    estimator = NeuralEstimator("classification", train=TrainConfig(epochs=1, device="cpu")).fit(X[:30], y[:30], X[30:], y[30:])
    target = tmp_path / "best.pt"
    estimator.save_checkpoint(target)
    before = target.read_bytes()
    real_save = torch.save

    def dies_midway(obj, handle):
        real_save(obj, handle)
        handle.seek(len(before) // 2)
        handle.truncate()
        raise RuntimeError("killed midway")

    monkeypatch.setattr(torch, "save", dies_midway)
    with pytest.raises(RuntimeError, match="midway"):
        estimator.save_checkpoint(target)
    assert target.read_bytes() == before and _leftovers(tmp_path) == []
    assert NeuralEstimator.load_checkpoint(target).classes_ == ["a", "b"]


def test_a_symlinked_output_keeps_its_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    (tmp_path / "link.json").symlink_to(real)
    atomic.write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink() and real.read_text() == "new"


# -- a whole folder: --export --------------------------------------------------------------------------------


def test_write_folder_replaces_a_previous_export_whole(tmp_path):
    target = tmp_path / "out"
    atomic.write_folder(target, {"a.txt": b"first run", "data.csv": b"x\n1\n"})
    atomic.write_folder(target, {"b.txt": b"second run"})
    assert sorted(p.name for p in target.iterdir()) == ["MANIFEST.json", "b.txt"]
    assert atomic.verify_manifest(target) == [] and _leftovers(tmp_path) == []


def test_a_failed_folder_write_leaves_the_previous_export(tmp_path, monkeypatch):
    target = tmp_path / "out"
    atomic.write_folder(target, {"a.txt": b"first run"})
    real_write = atomic._write_file

    def fails_on_b(path, data):
        if path.name == "b.txt":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(atomic, "_write_file", fails_on_b)
    with pytest.raises(OSError):
        atomic.write_folder(target, {"a.txt": b"second run", "b.txt": b"second run"})
    assert (target / "a.txt").read_bytes() == b"first run" and atomic.verify_manifest(target) == []
    assert _leftovers(tmp_path) == []


def test_cli_rerun_into_an_export_replaces_it_whole(tmp_path, table_csv, capsys):
    target = tmp_path / "out"
    assert main(["compare", str(table_csv), *FAST, "--export", str(target)]) == 0
    assert (target / "data.csv").is_file() and atomic.verify_manifest(target) == []
    assert main(["compare", "iris", *FAST, "--export", str(target)]) == 0  # a built-in: no data file
    files = {p.name for p in target.iterdir()}
    assert "data.csv" not in files and "MANIFEST.json" in files
    assert files == set(atomic.read_manifest(target)) | {"MANIFEST.json"}
    assert json.loads((target / "report.json").read_text())["dataset"]["name"] == "iris"
    assert atomic.verify_manifest(target) == [] and _leftovers(tmp_path) == []
    assert capsys.readouterr().err == ""


KILLER = textwrap.dedent("""
    import os, signal, sys
    from bridge.outputs import atomic, export
    from bridge.config import CompareConfig, MLPConfig, TrainConfig
    from bridge.io.data import load_dataset
    from bridge.experiment import run_comparison

    csv, target, previous = sys.argv[1], sys.argv[2], sys.argv[3] == "yes"
    config = CompareConfig(baseline="linear", repeats=1, mlp=MLPConfig(hidden_layers=1, width=8),
                           train=TrainConfig(epochs=1, device="cpu"))
    comparison = run_comparison(load_dataset(csv), config)
    if previous:
        export.write_export(comparison, target)
    real_write = atomic._write_file

    def dies_in_data_csv(path, data):
        if path.name == "data.csv":  # half of it on disk, then the process is killed: no cleanup runs
            with open(path, "wb") as handle:
                handle.write(data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        real_write(path, data)

    atomic._write_file = dies_in_data_csv
    export.write_export(comparison, target)
""")


@pytest.mark.parametrize("previous", [False, True], ids=["new-folder", "over-a-previous-export"])
def test_sigkill_during_export_never_leaves_an_export_that_looks_whole(tmp_path, table_csv, previous):
    target = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run([sys.executable, "-c", KILLER, str(table_csv), str(target), "yes" if previous else "no"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    if previous:  # the previous export is untouched and still whole
        assert atomic.verify_manifest(target) == [] and (target / "data.csv").stat().st_size > 0
    else:
        assert not target.exists() or atomic.verify_manifest(target) != []
    partial = [p for p in tmp_path.iterdir() if p.name.startswith(".out.partial-")]
    assert len(partial) == 1 and not (partial[0] / "MANIFEST.json").exists()
    assert atomic.verify_manifest(partial[0]) != []
    # The half-written folder's script refuses its data rather than train on half of it.
    run = subprocess.run([sys.executable, "train_sklearn.py"], cwd=partial[0], env=SCRIPT_ENV, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "MANIFEST.json is missing or unreadable, so data.csv may be incomplete" in run.stderr


def test_the_scripts_check_the_data_against_the_manifest(tmp_path, table_csv, capsys):
    target = tmp_path / "out"
    assert main(["compare", str(table_csv), *FAST, "--export", str(target)]) == 0
    capsys.readouterr()
    whole = subprocess.run([sys.executable, "train_sklearn.py"], cwd=target, env=SCRIPT_ENV, capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr[-2000:]
    original = (target / "data.csv").read_bytes()
    shutil.copy(target / "data.csv", tmp_path / "edited.csv")
    (target / "data.csv").write_bytes(original[: len(original) // 2])  # cut short after the manifest was written
    cut = subprocess.run([sys.executable, "train_pytorch.py"], cwd=target, env=SCRIPT_ENV, capture_output=True, text=True, timeout=300)
    assert cut.returncode != 0 and "Traceback" not in cut.stderr
    assert "data.csv does not match its size and sha256 in MANIFEST.json" in cut.stderr
    # Another file given on the command line is the user's to vouch for.
    other = subprocess.run([sys.executable, "train_sklearn.py", str(tmp_path / "edited.csv")], cwd=target, env=SCRIPT_ENV,
                           capture_output=True, text=True, timeout=300)
    assert other.returncode == 0, other.stderr[-2000:]
    assert json.loads(other.stdout.strip().splitlines()[-1]) == json.loads(whole.stdout.strip().splitlines()[-1])
