"""Safe model files: the scikit-learn pipeline leaves a run as a skops file, never as a pickle.

Every export's ``sklearn_model.skops`` loads with ``skops.io.load`` trusting the list the export wrote (in
predict_sklearn.py, sklearn_model.json and the README), which is exactly what ``skops.io.get_untrusted_types``
finds in the file; a file with one more type is refused before anything in it is built; the loaded pipeline
predicts the run's test rows exactly as the run did, a HOG image run included.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from skops.io.exceptions import UntrustedTypesFoundException

from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from bridge.io.data import load_builtin
from bridge.outputs import export

FAST = TrainConfig(epochs=1, lr=0.01, batch_size=64, patience=0, device="cpu")
# Types a model needs beyond skops' defaults, by family: a fitted tree is not among them, so the export must list it.
MUST_LIST = {"forest": "sklearn.tree._tree.Tree", "boosting": "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"}
MARKER = "built-from-an-untrusted-file"


class Unlisted(TransformerMixin, BaseEstimator):
    """A step no export lists; building it from a file leaves a marker file in the working folder."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X

    def __setstate__(self, state):
        open(MARKER, "w").close()
        self.__dict__.update(state)


@pytest.fixture(scope="module")
def runs():
    small = {"mlp": MLPConfig(hidden_layers=1, width=8), "train": FAST, "repeats": 1}
    hog = CompareConfig(baseline="hog", network="cnn", cnn=CNNConfig(blocks=1, channels=4, dropout=0.0), train=FAST, repeats=1)
    return {
        "table": run_comparison(load_builtin("penguins"), CompareConfig(baseline="linear", **small)),  # a CSV: categories, gaps, data.csv
        "forest": run_comparison(load_builtin("iris"), CompareConfig(baseline="random_forest", **small)),
        "boosting": run_comparison(load_builtin("diabetes"), CompareConfig(baseline="gradient_boosting", **small)),  # regression
        "hog": run_comparison(load_builtin("digits_images"), hog),
    }


@pytest.fixture(scope="module")
def exported(runs, tmp_path_factory):
    folders = {name: tmp_path_factory.mktemp(f"safe-{name}") for name in runs}
    for name, comparison in runs.items():
        export.write_export(comparison, folders[name])
    return folders


def _listed(folder) -> list[str]:
    return json.loads((folder / "sklearn_model.json").read_text(encoding="utf-8"))["trusted"]


def _predict_script(folder, monkeypatch) -> dict:
    """predict_sklearn.py's names, importing the train_sklearn.py beside it (never another export's, cached)."""
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop("train_sklearn", None)
    try:
        return runpy.run_path(str(folder / "predict_sklearn.py"), run_name="not_main")
    finally:
        sys.modules.pop("train_sklearn", None)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.mark.parametrize("name", ["table", "forest", "boosting", "hog"])
def test_every_export_loads_trusting_exactly_the_types_it_lists(exported, monkeypatch, name):
    folder = exported[name]
    path, listed = folder / "sklearn_model.skops", _listed(folder)
    assert sio.get_untrusted_types(file=path) == listed  # the list is what is in the file: nothing more, nothing less
    assert not any(t.startswith("bridge.") for t in listed)
    if name in MUST_LIST:
        assert MUST_LIST[name] in listed
        with pytest.raises(UntrustedTypesFoundException, match=MUST_LIST[name]):  # each listed type is needed
            sio.load(path, trusted=[t for t in listed if t != MUST_LIST[name]])
    assert isinstance(sio.load(path, trusted=listed), Pipeline)
    # The same list in every file that says how to load it.
    assert _predict_script(folder, monkeypatch)["TRUSTED"] == listed
    load_call = f"skops.io.load('sklearn_model.skops', trusted={listed!r})"
    assert load_call in (folder / "README.md").read_text(encoding="utf-8")
    assert json.loads((folder / "sklearn_model.json").read_text(encoding="utf-8"))["load"] == load_call


@pytest.mark.parametrize("name", ["table", "forest", "boosting", "hog"])
def test_the_loaded_pipeline_predicts_the_test_rows_as_the_run_did(runs, exported, monkeypatch, name):
    folder = exported[name]
    script = _predict_script(folder, monkeypatch)
    model = sio.load(folder / "sklearn_model.skops", trusted=_listed(folder))
    X_test, y_test, _ = script["model_inputs"](str(script["DATA"]))
    run = runs[name]
    assert len(y_test) == len(run.models["sklearn"].predictions) > 0
    np.testing.assert_array_equal(y_test, run.prepared.y_test)  # the same rows, in the same order
    np.testing.assert_array_equal(model.predict(X_test), run.models["sklearn"].predictions)  # exactly, not approximately


def test_the_predict_script_runs_alone_and_prints_the_runs_numbers(runs, exported):
    procs = {name: subprocess.Popen([sys.executable, "predict_sklearn.py"], cwd=folder, env=_clean_env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for name, folder in exported.items()}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name}: {err[-2000:]}"
        assert json.loads(out.strip().splitlines()[-1]) == pytest.approx(runs[name].models["sklearn"].metrics, abs=1e-12), name
    # Lint-clean wherever a linter runs: from elsewhere train_sklearn is a third-party module, in the folder a first-party one.
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--line-length", "150", "--select", "E,F,W,I"]
    scripts = [str(folder / "predict_sklearn.py") for folder in exported.values()]
    for cwd in (None, exported["table"]):
        lint = subprocess.run([*ruff, *scripts], capture_output=True, text=True, cwd=cwd)
        assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize("extra", ["a class of its own", "a fitted tree"])
def test_a_file_with_a_type_the_export_did_not_list_is_refused_and_nothing_is_built(runs, exported, tmp_path, monkeypatch, extra):
    source = exported["table"]
    listed = _listed(source)
    model = sio.load(source / "sklearn_model.skops", trusted=listed)
    if extra == "a class of its own":
        tampered, unlisted = Pipeline([("extra", Unlisted()), *model.steps]), f"{__name__}.Unlisted"
    else:  # a scikit-learn type, but one this model does not need
        tampered, unlisted = export.sklearn_pipeline(runs["forest"]), MUST_LIST["forest"]
    assert unlisted not in listed
    folder = tmp_path / "export"
    folder.mkdir()
    for item in source.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    (folder / "sklearn_model.skops").write_bytes(sio.dumps(tampered))
    monkeypatch.chdir(folder)
    with pytest.raises(UntrustedTypesFoundException, match=unlisted):
        sio.load(folder / "sklearn_model.skops", trusted=listed)
    with pytest.raises(SystemExit, match=f"was not loaded: .*{unlisted}"):
        _predict_script(folder, monkeypatch)["load_model"]()
    run = subprocess.run([sys.executable, "predict_sklearn.py"], cwd=folder, env=_clean_env(), capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "was not loaded" in run.stderr and run.stdout == ""
    assert not (folder / MARKER).exists()
    if extra == "a class of its own":  # the marker does show a build: trusting the type builds it
        sio.load(folder / "sklearn_model.skops", trusted=[*listed, unlisted])
        assert (folder / MARKER).exists()


def test_no_export_holds_a_pickle(exported):
    for name, folder in exported.items():
        names = {p.name for p in folder.iterdir()}
        assert "sklearn_model.skops" in names and "predict_sklearn.py" in names, name
        assert not {n for n in names if n.endswith((".joblib", ".pkl", ".pickle"))}, name
        with zipfile.ZipFile(folder / "sklearn_model.skops") as archive:  # a skops file: a zip of a JSON schema and arrays
            assert "schema.json" in archive.namelist()
        for text_file in ("README.md", "sklearn_model.json", "predict_sklearn.py", "requirements.txt"):
            assert "joblib" not in (folder / text_file).read_text(encoding="utf-8"), (name, text_file)
        assert "skops==" in (folder / "requirements.txt").read_text(encoding="utf-8")


def test_a_model_holding_bridges_own_type_is_not_exported(runs, monkeypatch):
    """The whole HOG pipeline holds bridge's HOGFeatures, which no standalone loader can import: refused, with what to do."""
    monkeypatch.setattr(export, "sklearn_pipeline", lambda comparison: comparison.models["sklearn"].artifact)
    with pytest.raises(BridgeError, match="bridge.models.image_features.HOGFeatures.*another --baseline"):
        export.sklearn_model_file(runs["hog"])
