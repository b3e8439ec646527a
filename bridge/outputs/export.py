"""Take it with you: one run as files a user can keep, read and rerun without Bridge.

``export_files`` returns {fixed file name: bytes}: the standalone scripts, two that train and one that
predicts with the saved pipeline (``bridge.outputs.scripts``), the data file they need when
the data is not a scikit-learn built-in, the PyTorch checkpoint, the fitted scikit-learn pipeline as a
skops file, never a pickle (``predict_sklearn.py`` loads it trusting exactly the types found in it at
export, which ``sklearn_model.json`` and the README list too), the HTML and JSON reports, the package versions, a README and last ``MANIFEST.json``
(every file's size and sha256, which the scripts check before trusting their data file). Everything
is built in memory: the app zips it for one download (``export_zip``), the CLI writes it to a folder
(``write_export``), whole or not at all (``bridge.outputs.atomic``). File names are fixed, never taken from
the user's data or file names.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
import skops
import torch
from sklearn.pipeline import Pipeline

from bridge.comparison import Comparison
from bridge.errors import BridgeError
from bridge.outputs import atomic
from bridge.outputs.html_report import to_html
from bridge.outputs.report import to_json
from bridge.outputs.scripts import DataSource, data_source, is_hog, render_predict, render_pytorch, render_sklearn, template

MODEL_FILE = "sklearn_model.skops"


@dataclass(frozen=True)
class ModelFile:
    """The saved pipeline as skops bytes, and the types beyond skops' safe defaults that loading it needs."""

    payload: bytes
    trusted: list[str]  # from skops.io.get_untrusted_types on the payload itself: exactly these, never "trust everything"

    def load_call(self) -> str:
        return f"skops.io.load({MODEL_FILE!r}, trusted={self.trusted!r})"


def checkpoint_bytes(comparison: Comparison) -> bytes:
    """The run's best epoch, in the format ``NeuralEstimator.load_checkpoint`` and the script both read."""
    buffer = io.BytesIO()
    comparison.models["pytorch"].artifact.save_checkpoint(buffer)
    return buffer.getvalue()


def sklearn_pipeline(comparison: Comparison) -> Pipeline:
    """The fitted pipeline the export saves, nothing refitted: the preprocessing, then the baseline.

    A HOG baseline is saved from the step after its HOG features on. ``HOGFeatures`` is Bridge's own class,
    which a standalone loader could neither import nor vouch for; it learns nothing, so predict_sklearn.py
    rebuilds it from the run's settings (train_sklearn.py's own class, on pixels in [0, 1]) and hands the
    saved steps the same descriptors. The pixel scaling before it exists only for Bridge's HOG to undo, so it goes too.
    """
    model = comparison.models["sklearn"].artifact
    if is_hog(model):
        return model[1:]  # the same fitted steps, in a new Pipeline
    first = "scale" if comparison.dataset["kind"] == "images" else "preprocess"
    return Pipeline([(first, comparison.arrays().transform), ("model", model)])


def sklearn_model_file(comparison: Comparison) -> ModelFile:
    """The saved pipeline as a skops file, with the exact types beyond skops' defaults it needs, read back from the file."""
    import skops.io as sio  # here, not at the top: it imports every scikit-learn estimator (about a second), a cost only exports pay

    payload = sio.dumps(sklearn_pipeline(comparison), compression=zipfile.ZIP_DEFLATED)
    trusted = sio.get_untrusted_types(data=payload)
    own = [name for name in trusted if name.split(".")[0] == "bridge"]
    if own:  # a file that loads only where Bridge is installed is no export
        raise BridgeError(f"cannot export the scikit-learn model: it holds Bridge's own {own[0]}, which loads only with Bridge installed; "
                          "export a run with another --baseline")
    return ModelFile(payload, trusted)


def sklearn_skops(comparison: Comparison) -> bytes:
    """sklearn_model.skops on its own, for a single download; its trusted types are in the full export's files."""
    return sklearn_model_file(comparison).payload


def pipeline_input(comparison: Comparison) -> str:
    """What the saved pipeline's predict() takes, in words."""
    if comparison.dataset["kind"] != "images":
        texts = " (texts as they are: the pipeline computes their TF-IDF itself)" if comparison.dataset.get("text_columns") else ""
        return "the feature frame that make_problem() in train_sklearn.py returns" + texts
    if is_hog(comparison.models["sklearn"].artifact):
        return ("the HOG descriptors of flattened pixels in [0, 1], which HOGFeatures in train_sklearn.py computes with the run's settings "
                "(the saved pipeline starts after the run's HOG step)")
    return "flattened pixels in [0, 1], as load_images() in train_sklearn.py returns them"


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def sklearn_parameters(comparison: Comparison, model_file: ModelFile) -> str:
    """What sklearn_model.skops holds and how to load it, readable without loading anything."""
    steps = []
    for name, step in sklearn_pipeline(comparison).steps:
        params = {k: v for k, v in step.get_params(deep=True).items() if not hasattr(v, "get_params")}  # nested estimators: by their params
        steps.append({"name": name, "class": f"{type(step).__module__}.{type(step).__name__}", "params": _jsonable(params)})
    artifact = comparison.models["sklearn"].artifact
    described = {
        "file": MODEL_FILE, "load": model_file.load_call(), "trusted": model_file.trusted,
        "safety": "skops.io.load runs no code from the file: it rebuilds only skops' safe default types and those in trusted, which "
                  "skops.io.get_untrusted_types found in this file at export; a file needing any other type is refused",
        "skops_version": skops.__version__, "scikit_learn_version": sklearn.__version__, "input": pipeline_input(comparison),
        "steps": steps, "feature_names": comparison.arrays().feature_names, "classes": comparison.arrays().classes,
    }
    if is_hog(artifact):  # the step the file leaves out, with the settings predict_sklearn.py rebuilds it from
        hog = artifact.steps[0][1]
        described["feature_names"] = None  # the pipeline reads descriptors, not the pixels' names
        described["hog_step"] = {"class": "HOGFeatures in train_sklearn.py", "params": _jsonable({
            "image_shape": hog.image_shape, "orientations": hog.orientations, "cell_size": hog.cell_size_, "cells_per_block": hog.cells_per_block})}
    return json.dumps(described, indent=2)


def requirements(comparison: Comparison | None = None) -> str:
    """The versions this run used, for a fresh environment (local build tags such as +cpu dropped); scikit-image for a HOG baseline."""
    import pandas

    versions = {"numpy": np.__version__, "pandas": pandas.__version__, "scikit-learn": sklearn.__version__, "torch": torch.__version__,
                "skops": skops.__version__}  # skops: predict_sklearn.py loads the saved pipeline with it
    if comparison is not None and is_hog(comparison.models["sklearn"].artifact):
        from importlib.metadata import version

        versions["scikit-image"] = version("scikit-image")  # skimage's lazy loader hides __version__ from type checkers
    return "".join(f"{name}=={version.split('+')[0]}\n" for name, version in versions.items())


def readme(comparison: Comparison, source: DataSource, model_file: ModelFile) -> str:
    metric = comparison.metric
    sk, pt = comparison.models["sklearn"], comparison.models["pytorch"]
    data_line = f"The data: scikit-learn's built-in `{source.builtin}`, which the scripts load themselves."
    if source.file_name == "data.csv":
        data_line = ("`data.csv`: the table as the run read it, which the scripts read by default. A text cell that a spreadsheet "
                     "would run as a formula (starting with = + - @) carries a leading apostrophe there; the scripts take it off.")
    elif source.file_name:
        data_line = f"`{source.file_name}`: the images exactly as the run decoded and resized them, which the scripts read by default."
    trusted_line = ("It needs no type beyond skops' safe defaults." if not model_file.trusted else
                    f"It needs exactly these types listed, which `skops.io.get_untrusted_types` found in it at export: `{model_file.trusted!r}`.")
    override = "an .npz with `images` and `labels` arrays" if comparison.dataset["kind"] == "images" else "a CSV with the same columns"
    return template("README.md.txt").substitute(
        dataset=comparison.dataset["name"].replace("\n", " "), data_line=data_line, override=override, metric=metric,
        sklearn_name=sk.name, sklearn_score=f"{sk.metrics[metric]:.4f}", pytorch_score=f"{pt.metrics[metric]:.4f}",
        network=comparison.training["network"].upper(), seed=comparison.config["seed"],
        pipeline_input=pipeline_input(comparison), load_call=model_file.load_call(), trusted_line=trusted_line,
    ) + "\n"


def export_files(comparison: Comparison) -> dict[str, bytes]:
    """Every file of the export, by its fixed name."""
    source, model_file = data_source(comparison), sklearn_model_file(comparison)
    files = {
        "README.md": readme(comparison, source, model_file).encode("utf-8"),
        "requirements.txt": requirements(comparison).encode("utf-8"),
        "train_sklearn.py": render_sklearn(comparison, source).encode("utf-8"),
        "train_pytorch.py": render_pytorch(comparison, source).encode("utf-8"),
        "predict_sklearn.py": render_predict(comparison, model_file.trusted).encode("utf-8"),
        "model.pt": checkpoint_bytes(comparison),
        MODEL_FILE: model_file.payload,
        "sklearn_model.json": sklearn_parameters(comparison, model_file).encode("utf-8"),
        "report.html": to_html(comparison).encode("utf-8"),
        "report.json": to_json(comparison).encode("utf-8"),
    }
    if source.file_name and source.file_bytes is not None:
        files[source.file_name] = source.file_bytes
    files[atomic.MANIFEST] = atomic.manifest_bytes(files)  # last, in the zip too: an unzip cut short has none
    return files


def export_zip(comparison: Comparison, folder: str = "bridge-export") -> bytes:
    """The export as one zip, built in memory (the app never writes exports to the server's disk)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in export_files(comparison).items():
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()


def write_export(comparison: Comparison, folder: str | os.PathLike) -> list[Path]:
    """The export as the folder ``folder``, whole: a new or empty folder, or a previous export, replaced entirely.

    A folder holding anything else is refused (BridgeError) rather than mixed with the export's files.
    """
    Path(os.path.realpath(folder)).parent.mkdir(parents=True, exist_ok=True)  # a missing parent is created, as always
    atomic.check_folder_target(folder)  # before building anything: refusing is cheap, the files are not
    return atomic.write_folder(folder, export_files(comparison))
