"""Exports: the standalone scripts reproduce the run, the checkpoint and pipeline reload, the reports are safe to share.

How the scikit-learn pipeline is saved and loaded safely (skops, trusted types) is tests/outputs/test_safe_model_files.py's.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import json
import os
import runpy
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from export_checks import checkpoint_reloads_everywhere

from bridge.cli import main
from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.experiment import run_comparison
from bridge.io.data import load_builtin, load_dataset
from bridge.models import classical
from bridge.outputs import atomic, export
from bridge.outputs.html_report import to_html
from bridge.outputs.scripts import estimator_code
from bridge.problem.features import split_rows
from bridge.problem.table import make_problem

SCRIPTS = ("train_sklearn.py", "train_pytorch.py", "predict_sklearn.py")
TOLERANCE = 0.03  # the brief's bound; in practice the scripts match to ~1e-6 on the same machine
HOSTILE = ["=cmd|' /C calc'!A0", "<script>alert(1)</script>", "-minus", "red"]


def _config(**overrides) -> CompareConfig:
    settings = {"baseline": "linear", "mlp": MLPConfig(hidden_layers=1, width=16, dropout=0.1),
                "train": TrainConfig(epochs=6, lr=0.01, batch_size=32, patience=3, device="cpu"), "repeats": 1}
    return CompareConfig(**{**settings, **overrides})


def _messy_csv(path) -> None:
    """A semicolon CSV with decimal commas, a day-first date, yes/no, an ID, free text, formula-like cells and blank targets.

    ``when_month`` is a real column beside the date ``when``: the run renames its date part ``when_month_2``.
    """
    rng = np.random.default_rng(1)
    n = 160
    x = rng.normal(size=n)
    colour = rng.choice(HOSTILE, size=n)
    member = rng.choice(["yes", "no"], size=n)
    frame = pd.DataFrame({
        "id": np.arange(1000, 1000 + n), "when": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%d/%m/%Y"),
        "x": x, "colour": colour, "member": member, "note": [f"a few free words for row {i} here" for i in range(n)],
        "x_gaps": np.where(rng.random(n) < 0.2, np.nan, x), "when_month": rng.integers(1, 13, size=n),
        "=price": 100 + 10 * x + 5 * (colour == "red") + 3 * (member == "yes") + rng.normal(size=n),
    })
    frame.loc[[5, 9], "=price"] = np.nan
    frame.to_csv(path, index=False, sep=";", decimal=",")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A built-in table (classification), a messy CSV (regression) and the built-in digit images (a CNN)."""
    path = tmp_path_factory.mktemp("messy") / "messy.csv"
    _messy_csv(path)
    cnn = CompareConfig(baseline="linear", network="cnn", cnn=CNNConfig(blocks=1, channels=4, dropout=0.0),
                        train=TrainConfig(epochs=2, lr=0.01, batch_size=64, patience=0, device="cpu"), repeats=1)
    return {
        "iris": run_comparison(load_builtin("iris"), _config()),
        "csv": run_comparison(load_dataset(path), _config(target="=price", baseline="auto", text_columns=())),
        "digits_images": run_comparison(load_builtin("digits_images"), cnn),
    }


@pytest.fixture(scope="module")
def exported(runs, tmp_path_factory):
    folders = {}
    for name, comparison in runs.items():
        folders[name] = tmp_path_factory.mktemp(f"export-{name}")
        export.write_export(comparison, folders[name])
    return folders


@pytest.fixture(scope="module")
def script_results(exported):
    """Both scripts of every export, run at once in clean subprocesses: no Bridge on the path, outside the repo."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = {(name, side): subprocess.Popen([sys.executable, f"train_{side}.py"], cwd=folder, env=env, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True)
             for name, folder in exported.items() for side in ("sklearn", "pytorch")}
    results = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{key}: {err[-2000:]}"
        results[key] = json.loads(out.strip().splitlines()[-1])
    return results


# -- the scripts reproduce the run ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iris", "csv", "digits_images"])
@pytest.mark.parametrize("side", ["sklearn", "pytorch"])
def test_scripts_reproduce_the_reported_metrics(runs, script_results, name, side):
    reported = runs[name].models[side].metrics
    got = script_results[(name, side)]
    assert set(got) == set(reported)
    for metric, value in reported.items():
        assert got[metric] == pytest.approx(value, abs=TOLERANCE), metric
    assert got[runs[name].metric] == pytest.approx(reported[runs[name].metric], abs=1e-4)  # in fact: the same numbers


@pytest.fixture(scope="module")
def weighted_runs(tmp_path_factory):
    """Runs whose exports must carry more than a plain estimator: a HOG baseline, and balanced class weights on both sides."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(280, 2)), rng.normal(loc=1.5, size=(10, 2))])
    path = tmp_path_factory.mktemp("imbalanced") / "imbalanced.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": ["common"] * 280 + ["rare"] * 10}).to_csv(path, index=False)
    cnn = CompareConfig(baseline="hog", class_weight="balanced", network="cnn", cnn=CNNConfig(blocks=1, channels=4, dropout=0.0),
                        train=TrainConfig(epochs=2, lr=0.01, batch_size=64, patience=0, device="cpu"), repeats=1)
    return {"hog": run_comparison(load_builtin("digits_images"), cnn),
            "balanced": run_comparison(load_dataset(path), _config(target="label", class_weight="balanced"))}


def test_hog_and_class_weighted_exports_rebuild_the_same_models(weighted_runs, tmp_path):
    assert weighted_runs["hog"].baseline_scores["chosen"] == "hog (balanced)"
    assert weighted_runs["balanced"].training["class_weight"] == "balanced"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = {}
    for name, comparison in weighted_runs.items():
        export.write_export(comparison, tmp_path / name)
        procs |= {(name, side): subprocess.Popen([sys.executable, f"train_{side}.py"], cwd=tmp_path / name, env=env, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE, text=True) for side in ("sklearn", "pytorch")}
    for (name, side), proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name} {side}: {err[-2000:]}"
        got, reported = json.loads(out.strip().splitlines()[-1]), weighted_runs[name].models[side].metrics
        assert got == pytest.approx(reported, abs=1e-6), (name, side)
    script = (tmp_path / "hog" / "train_sklearn.py").read_text(encoding="utf-8")
    assert "class HOGFeatures" in script and "LogisticRegression(class_weight='balanced'" in script and "scikit-image" in script
    assert "scikit-image==" in (tmp_path / "hog" / "requirements.txt").read_text(encoding="utf-8")
    assert "CLASS_WEIGHT = 'balanced'" in (tmp_path / "balanced" / "train_pytorch.py").read_text(encoding="utf-8")
    scripts = [str(tmp_path / name / script) for name in weighted_runs for script in SCRIPTS]
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--line-length", "150",
                           "--select", "E,F,W,I", *scripts], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    # The saved pipeline starts after the HOG step; fed the descriptors of the script's own HOGFeatures, it predicts as the run did.
    listed = json.loads((tmp_path / "hog" / "sklearn_model.json").read_text(encoding="utf-8"))["trusted"]
    pipeline = sio.load(tmp_path / "hog" / "sklearn_model.skops", trusted=listed)
    hog_step = runpy.run_path(str(tmp_path / "hog" / "train_sklearn.py"), run_name="not_main")["make_model"]()[0]
    images = weighted_runs["hog"].source.images.floats(weighted_runs["hog"].prepared.split.test)
    predicted = pipeline.predict(hog_step.fit_transform(images.reshape(len(images), -1)))
    np.testing.assert_array_equal(predicted, weighted_runs["hog"].models["sklearn"].predictions)


def test_the_script_rebuilds_the_same_matrices(runs, exported):
    """Split, filtering of blank targets, dates, yes/no, one-hot of formula-like cells: the exact arrays both sides saw."""
    script = runpy.run_path(str(exported["csv"] / "train_pytorch.py"), run_name="not_main")
    data, prepared = script["prepare"](str(script["DATA"])), runs["csv"].prepared
    for part in ("X_train", "X_val", "X_test", "y_train", "y_val", "y_test"):
        np.testing.assert_array_equal(getattr(data, part), getattr(prepared, part), err_msg=part)
    assert script["DATES"] == {"when": {"when_month": "when_month_2", "when_day": "when_day", "when_weekday": "when_weekday"}}
    assert set(script["LEFT_OUT"]) == {"id", "note"} and script["TARGET"] == "=price"


@pytest.mark.parametrize("name", ["iris", "csv", "digits_images"])
def test_scripts_are_standalone_and_clean(exported, name):
    for script in SCRIPTS:
        tree = ast.parse((exported[name] / script).read_text(encoding="utf-8"))
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert modules and not any(m.split(".")[0] == "bridge" for m in modules)
    scripts = [str(exported[name] / script) for script in SCRIPTS]
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--line-length", "150",
                           "--select", "E,F,W,I", *scripts], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


def test_estimator_code_rebuilds_every_baseline():
    for task, baselines in classical.BASELINES.items():
        for name, factory in baselines.items():
            model = factory(7)
            code, import_line = estimator_code(model)
            namespace = {"np": np}
            exec(import_line, namespace)
            rebuilt = eval(code, namespace)
            assert type(rebuilt) is type(model), (task, name)
            for key, value in model.get_params().items():
                assert np.array_equal(rebuilt.get_params()[key], value) if isinstance(value, np.ndarray) else rebuilt.get_params()[key] == value


# -- the checkpoint and the scikit-learn pipeline ----------------------------------------------------------


@pytest.mark.parametrize("name", ["iris", "csv", "digits_images"])
def test_checkpoint_reloads_with_weights_only_and_predicts_the_same(runs, exported, name):
    data = checkpoint_reloads_everywhere(runs[name], exported[name] / "train_pytorch.py")
    assert {"model_args", "state_dict", "task", "classes", "train", "best_epoch", "seed"} <= set(data)


def test_sklearn_pipeline_predicts_like_the_run_and_says_how_to_load_it(runs):
    comparison = runs["csv"]
    model_file = export.sklearn_model_file(comparison)
    pipeline = sio.loads(model_file.payload, trusted=model_file.trusted)
    dataset, config = comparison.source, CompareConfig.from_dict(comparison.config)
    features = make_problem(dataset.frame, config.target, config.task, dataset.default_target).features
    predicted = pipeline.predict(features.iloc[comparison.prepared.split.test])
    np.testing.assert_array_equal(predicted, comparison.models["sklearn"].predictions)
    described = json.loads(export.sklearn_parameters(comparison, model_file))
    assert described["trusted"] == model_file.trusted and described["load"] == model_file.load_call() and "runs no code" in described["safety"]
    assert [s["name"] for s in described["steps"]] == ["preprocess", "model"] and described["feature_names"] == comparison.prepared.feature_names


# -- the files, the reports, the CLI ------------------------------------------------------------------------


def test_zip_holds_every_file_under_fixed_names(runs):
    common = {"README.md", "requirements.txt", *SCRIPTS, "model.pt", "sklearn_model.skops", "sklearn_model.json", "report.html", "report.json",
              "MANIFEST.json"}
    expected = {"iris": common, "csv": common | {"data.csv"}, "digits_images": common}
    for name, comparison in runs.items():
        with zipfile.ZipFile(io.BytesIO(export.export_zip(comparison))) as archive:
            assert {n.removeprefix("bridge-export/") for n in archive.namelist()} == expected[name]
            readme = archive.read("bridge-export/README.md").decode("utf-8")
            assert "skops.io.load(" in readme and "python train_sklearn.py" in readme and "weights_only=True" in readme
            assert json.loads(archive.read("bridge-export/report.json"))["dataset"] == comparison.dataset


@pytest.mark.parametrize("name", ["iris", "csv", "digits_images"])
def test_every_export_folder_matches_its_manifest(exported, name):
    listed = atomic.read_manifest(exported[name])
    assert set(listed) | {"MANIFEST.json"} == {p.name for p in exported[name].iterdir()}
    rewritten = {"model.pt"}  # train_pytorch.py saves its own best epoch there, by design (the README says so)
    assert atomic.verify_manifest(exported[name], sorted(set(listed) - rewritten)) == []


def test_an_images_npz_export_is_checked_before_it_is_read(runs, tmp_path):
    """Images that are not scikit-learn's digits ship as images.npz; both scripts refuse it once it no longer matches."""
    comparison = dataclasses.replace(runs["digits_images"], source=dataclasses.replace(runs["digits_images"].source, name="mine"))
    files = export.export_files(comparison)
    folder = tmp_path / "out"
    atomic.write_folder(folder, files)
    scripts = [str(folder / script) for script in SCRIPTS]
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--line-length", "150",
                           "--select", "E,F,W,I", *scripts], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    loaders = [runpy.run_path(script, run_name="not_main") for script in scripts[:2]]  # predict_sklearn.py reads through train_sklearn.py
    for script in loaders:
        images, labels = script["load_images"](str(script["DATA"]))
        np.testing.assert_array_equal(images, comparison.source.images.floats())
    (folder / "images.npz").write_bytes(files["images.npz"][:-100])
    for script in loaders:
        with pytest.raises(SystemExit, match="images.npz does not match its size and sha256 in MANIFEST.json"):
            script["load_images"](str(script["DATA"]))


def test_data_csv_neutralises_formula_cells(exported):
    text = (exported["csv"] / "data.csv").read_text(encoding="utf-8")
    assert "'=cmd" in text and "'=price" in text and "\n=" not in text and ",=" not in text


def test_html_report_is_self_contained_and_escapes_the_data(runs):
    html = to_html(runs["csv"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the hostile category, shown as text
    lowered = html.lower()
    assert "<script" not in lowered and "<link" not in lowered and "src=\"http" not in lowered and "href=" not in lowered
    assert "Content-Security-Policy" in html and "<svg" in html
    for key in ("rmse", "r2", runs["csv"].recommendation["verdict"], "Where representation learning happens", "loss.backward()"):
        assert key in html
    cnn = to_html(runs["digits_images"])
    assert cnn.count("data:image/png;base64,") >= 4 + 1 + 4  # filters, the test image, its feature maps


def test_cli_export_writes_a_folder_and_refuses_a_file(tmp_path, capsys):
    fast = ["--epochs", "2", "--repeats", "1", "--width", "8", "--hidden-layers", "1", "--baseline", "linear", "--quiet"]
    folder = tmp_path / "out"
    assert main(["compare", "iris", *fast, "--export", str(folder)]) == 0
    assert f"to {folder}" in capsys.readouterr().out
    assert {"train_sklearn.py", "train_pytorch.py", "model.pt", "report.html", "README.md"} <= {p.name for p in folder.iterdir()}
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["compare", "iris", *fast, "--export", str(blocker)]) == 2
    assert capsys.readouterr().err.startswith("error: cannot export")


def test_same_seed_and_settings_give_the_same_numbers(runs):
    again = run_comparison(load_builtin("iris"), _config())
    first = runs["iris"]
    for side in ("dummy", "sklearn", "pytorch"):
        assert again.models[side].metrics == first.models[side].metrics
        np.testing.assert_array_equal(again.models[side].predictions, first.models[side].predictions)
    assert again.curves == first.curves and again.errors == first.errors and again.split == first.split


@pytest.mark.parametrize("labels", [
    ["a"] * 30 + ["b"] * 12 + ["c"] * 3,  # stratified
    ["a"] * 30 + ["b"] * 12 + ["c"],  # a lone row joins the largest class
    ["a"] * 40 + ["b"],  # too few to stratify at all
    ["a", "b"] * 4 + ["c"] * 2,  # tiny classes: the fallback
])
def test_the_scripts_split_rows_as_bridge_does(exported, labels):
    script = runpy.run_path(str(exported["iris"] / "train_sklearn.py"), run_name="not_main")
    y = np.array(labels, dtype=object)
    for seed in (0, 3):
        script["split_rows"].__globals__["SEED"] = seed
        expected = split_rows(y, "classification", seed, script["TEST_SIZE"], script["VAL_SIZE"])
        for got, want in zip(script["split_rows"](y), (expected.train, expected.val, expected.test)):
            np.testing.assert_array_equal(got, want)
