"""Exports of text runs: the scripts reproduce the run without Bridge, the checkpoint and the skops pipeline load back.

Three small runs cover the text network's three encoders: text alone (bag, classification), text beside a number (conv,
regression) and two text columns chosen by name beside a category (transformer, a forest baseline, whose tree type
the skops file must list). Each is exported and its three scripts run in clean subprocesses, without Bridge.
"""

from __future__ import annotations

import ast
import json
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest
import skops.io as sio
from export_checks import checkpoint_reloads_everywhere
from sklearn.feature_extraction.text import TfidfVectorizer
from text_data import BAD, GOOD, reviews

from bridge.config import CompareConfig, MLPConfig, TextConfig, TrainConfig
from bridge.experiment import run_comparison
from bridge.io.data import load_dataset
from bridge.models.training import NeuralEstimator
from bridge.outputs import export
from bridge.problem.table import make_problem
from bridge.problem.text import TOKEN, WordTokenizer, tokens

SCRIPTS = ("train_sklearn.py", "train_pytorch.py", "predict_sklearn.py")
NAMES = ("bag", "conv", "transformer")


def _config(encoder: str, **overrides) -> CompareConfig:
    settings = {"mlp": MLPConfig(hidden_layers=1, width=16, dropout=0.1), "text": TextConfig(encoder=encoder, embedding_dim=8, max_tokens=10,
                vocabulary=200), "train": TrainConfig(epochs=4, lr=0.02, batch_size=16, patience=0, device="cpu"), "repeats": 1}
    return CompareConfig(**{**settings, **overrides})


def _csvs(folder) -> dict:
    """The three tables as CSV files: text alone, text beside a number (regression), two chosen text columns beside a category.

    In the third, ``title`` (three words) is text only because it is chosen, and ``note``, free text not chosen, is left out.
    """
    alone = reviews(80)
    alone.loc[3, "review"] = "<script>alert(1)</script> " + alone.loc[3, "review"]
    mixed = reviews(80, seed=1, stars=True).drop(columns="label")
    words = mixed["review"].str.split()
    mixed["score"] = words.map(lambda w: sum(x in GOOD for x in w) - sum(x in BAD for x in w)) + 0.5 * mixed["stars"]
    two = reviews(90, seed=2)
    two.insert(1, "title", reviews(90, seed=3)["review"].str.split().str[:3].str.join(" "))
    two.insert(2, "colour", np.random.default_rng(4).choice(["red", "blue"], size=90))
    two.insert(3, "note", reviews(90, seed=6)["review"])
    paths = {}
    for name, frame in {"bag": alone, "conv": mixed, "transformer": two}.items():
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    paths = _csvs(tmp_path_factory.mktemp("text-csv"))
    configs = {"bag": _config("bag", target="label", baseline="linear"), "conv": _config("conv", target="score"),
               "transformer": _config("transformer", target="label", baseline="random_forest", text_columns=("review", "title"))}
    return {name: run_comparison(load_dataset(paths[name]), configs[name]) for name in NAMES}


@pytest.fixture(scope="module")
def exported(runs, tmp_path_factory):
    folders = {name: tmp_path_factory.mktemp(f"text-export-{name}") for name in runs}
    for name, comparison in runs.items():
        export.write_export(comparison, folders[name])
    return folders


@pytest.fixture(scope="module")
def script_results(exported):
    """Every script of every export, run in a clean subprocess: no Bridge on the path, in the export's folder."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = {(name, script): subprocess.Popen([sys.executable, script], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True) for name, folder in exported.items() for script in SCRIPTS}
    results = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{key}: {err[-2000:]}"
        results[key] = json.loads(out.strip().splitlines()[-1])
    return results


def test_the_runs_are_text_runs(runs):
    assert [runs[name].training["network"] for name in NAMES] == ["text"] * 3
    assert [runs[name].config["text"]["encoder"] for name in NAMES] == list(NAMES)
    assert runs["bag"].dataset["kind"] == "text" and runs["conv"].dataset["kind"] == "table"  # text beside a number: a mixed table
    prepared = runs["transformer"].prepared
    assert runs["transformer"].dataset["text_columns"] == ["review", "title"]
    assert prepared.text_layout == {"columns": 2, "max_tokens": 10, "vocabulary": prepared.tokenizer.vocabulary_size, "tabular": 2}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("script", SCRIPTS)
def test_the_scripts_reproduce_the_run(runs, script_results, name, script):
    side = "pytorch" if script == "train_pytorch.py" else "sklearn"
    reported, got = runs[name].models[side].metrics, script_results[(name, script)]
    assert set(got) == set(reported)
    assert got == pytest.approx(reported, abs=1e-6)  # the same rows, features, weights and loop: the same numbers


@pytest.mark.parametrize("name", NAMES)
def test_the_scripts_are_standalone_and_lint_clean(exported, name):
    for script in SCRIPTS:
        tree = ast.parse((exported[name] / script).read_text(encoding="utf-8"))
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert modules and not any(m.split(".")[0] == "bridge" for m in modules)
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--line-length", "150", "--select", "E,F,W,I",
                           *(str(exported[name] / script) for script in SCRIPTS)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize("name", NAMES)
def test_the_scripts_rebuild_the_arrays_each_side_trained_on(runs, exported, name):
    """PyTorch: word ids then table features, as floats; scikit-learn: the same sparse matrix of table features and TF-IDF."""
    prepared = runs[name].prepared
    for side in ("pytorch", "sklearn"):
        script = runpy.run_path(str(exported[name] / f"train_{side}.py"), run_name="not_main")
        data = script["prepare"](str(script["DATA"]))
        for part in ("train", "val", "test"):
            got, want = getattr(data, f"X_{part}"), getattr(prepared, f"X_{part}" if side == "pytorch" else f"X_{part}_flat")
            if side == "sklearn":
                assert got.shape == want.shape and (got != want).nnz == 0, part
            else:
                np.testing.assert_array_equal(got, want, err_msg=part)
            np.testing.assert_array_equal(getattr(data, f"y_{part}"), getattr(prepared, f"y_{part}"))
        assert script["TEXT"] == runs[name].dataset["text_columns"]
    assert list(script["LEFT_OUT"]) == (["note"] if name == "transformer" else [])  # free text not chosen is left out, as in the run
    if name == "transformer":
        assert script["LEFT_OUT"]["note"].endswith("switched off as a text feature")


def test_the_scripts_tokenizer_follows_bridges_rules(exported):
    script = runpy.run_path(str(exported["bag"] / "train_pytorch.py"), run_name="not_main")
    assert script["TOKEN"].pattern == TOKEN.pattern
    tricky = ["Don't PANIC!! 42 times", "naïve café — 東京タワー", "", "   ", "e-mail: a_b@c.de 🙂", "it’s one, two; three..."]
    assert [script["tokens"](text) for text in tricky] == [tokens(text) for text in tricky]
    frame = reviews(30, seed=5)[["review"]]
    frame.loc[0, "review"] = ""
    fitted = script["WordTokenizer"](10, 12).fit(frame.iloc[1:20])
    bridge_tokenizer = WordTokenizer(10, 12).fit(frame.iloc[1:20])
    assert fitted.words == bridge_tokenizer.words_ and len(fitted.words) == 3 + 12  # twelve words kept, after the reserved ids
    ids = fitted.transform(frame)
    np.testing.assert_array_equal(ids, bridge_tokenizer.transform(frame))
    assert ids[0, 0] == 2 and (ids == 1).any()  # the empty text's id; words beyond the twelve read as unknown


@pytest.mark.parametrize("name", NAMES)
def test_the_checkpoint_reloads_in_bridge_and_in_the_scripts_network(runs, exported, name):
    comparison = runs[name]
    data = checkpoint_reloads_everywhere(comparison, exported[name] / "train_pytorch.py")
    assert data["model_args"]["kind"] == "text"
    shape = {k: v for k, v in comparison.config["text"].items() if k != "vocabulary"}  # the embedding's rows are the layout's vocabulary
    assert {k: data["model_args"]["text"][k] for k in shape} == shape
    assert data["model_args"]["layout"] == comparison.prepared.text_layout


@pytest.mark.parametrize("name", NAMES)
def test_the_checkpoint_the_script_saves_loads_in_bridge(runs, exported, script_results, name):
    """train_pytorch.py writes model.pt in Bridge's format: Bridge loads it and predicts as the run did (the same weights)."""
    assert (name, "train_pytorch.py") in script_results  # the script has run and rewritten model.pt
    estimator = NeuralEstimator.load_checkpoint(exported[name] / "model.pt")
    comparison = runs[name]
    predicted, expected = estimator.predict(comparison.prepared.X_test), comparison.models["pytorch"].predictions
    if comparison.dataset["task"] == "classification":
        np.testing.assert_array_equal(predicted, expected)
    else:
        np.testing.assert_allclose(predicted, expected, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_the_saved_pipeline_loads_trusting_its_list_and_predicts_from_raw_texts(runs, exported, name):
    comparison = runs[name]
    model_file = export.sklearn_model_file(comparison)
    assert model_file.trusted == sio.get_untrusted_types(data=model_file.payload)
    assert ("sklearn.tree._tree.Tree" in model_file.trusted) == (name == "transformer")  # the forest's trees, listed
    pipeline = sio.loads(model_file.payload, trusted=model_file.trusted)
    preprocess = pipeline.named_steps["preprocess"]
    vectorizers = [step for _, union, _ in preprocess.transformers_ if hasattr(union, "transformer_list") for _, step in union.transformer_list]
    assert len(vectorizers) == 2 * len(comparison.dataset["text_columns"]) and all(isinstance(v, TfidfVectorizer) for v in vectorizers)
    dataset, config = comparison.source, CompareConfig.from_dict(comparison.config)
    features = make_problem(dataset.frame, config.target, config.task, dataset.default_target, config.text_columns).features
    raw = features.iloc[comparison.prepared.split.test]
    assert raw[comparison.dataset["text_columns"][0]].str.contains(" ").all()  # the pipeline is handed the texts themselves
    np.testing.assert_array_equal(pipeline.predict(raw), comparison.models["sklearn"].predictions)
    described = json.loads((exported[name] / "sklearn_model.json").read_text(encoding="utf-8"))
    assert described["trusted"] == model_file.trusted and "TF-IDF" in described["input"]
    assert "a CSV with the same columns" in (exported[name] / "README.md").read_text(encoding="utf-8")
