"""Take it with you: one run as files a user can keep, read and rerun without Bridge.

``export_files`` returns {fixed file name: bytes}: the two standalone training scripts
(``bridge.outputs.templates.scripts``) and the data file they need when the data is not a scikit-learn
built-in, the PyTorch checkpoint, the fitted scikit-learn pipeline (joblib, plus its parameters
as JSON), the HTML and JSON reports, the package versions, a README and last ``MANIFEST.json``
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
from pathlib import Path

import joblib
import numpy as np
import sklearn
import torch
from sklearn.pipeline import Pipeline

from bridge.experiment import Comparison
from bridge.outputs import atomic
from bridge.outputs.html_report import to_html
from bridge.outputs.report import to_json
from bridge.outputs.templates.scripts import DataSource, data_source, is_hog, render_pytorch, render_sklearn, template

PIPELINE_EXAMPLE = {
    "table": 'from train_sklearn import DATA, load_frame, make_problem\n\npipeline = joblib.load("sklearn_model.joblib")\n'
             "features, y = make_problem(load_frame(DATA))\npredictions = pipeline.predict(features)",
    "images": 'from train_sklearn import DATA, load_images\n\npipeline = joblib.load("sklearn_model.joblib")\n'
              "images, labels = load_images(DATA)\npredictions = pipeline.predict(images.reshape(len(images), -1))",
}


def checkpoint_bytes(comparison: Comparison) -> bytes:
    """The run's best epoch, in the format ``NeuralEstimator.load_checkpoint`` and the script both read."""
    buffer = io.BytesIO()
    comparison.models["pytorch"].artifact.save_checkpoint(buffer)
    return buffer.getvalue()


def sklearn_pipeline(comparison: Comparison) -> Pipeline:
    """The fitted preprocessing and the fitted baseline as one pipeline (nothing is refitted)."""
    first = "scale" if comparison.dataset["kind"] == "images" else "preprocess"
    return Pipeline([(first, comparison.prepared.transform), ("model", comparison.models["sklearn"].artifact)])


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


def sklearn_parameters(comparison: Comparison) -> str:
    """What the joblib file holds, readable without unpickling anything."""
    steps = []
    for name, step in sklearn_pipeline(comparison).steps:
        params = {k: v for k, v in step.get_params(deep=True).items() if not hasattr(v, "get_params")}  # nested estimators: by their params
        steps.append({"name": name, "class": f"{type(step).__module__}.{type(step).__name__}", "params": _jsonable(params)})
    images = comparison.dataset["kind"] == "images"
    hog = "; its HOG step is Bridge's own class (bridge.models.image_features): loading the file needs Bridge installed, " \
          "train_sklearn.py rebuilds the same model without it" if is_hog(comparison.models["sklearn"].artifact) else ""
    return json.dumps({
        "warning": "sklearn_model.joblib is a pickle: load it only if it comes from a source you trust",
        "scikit_learn_version": sklearn.__version__,
        "input": ("flattened pixels in [0, 1], as load_images() in train_sklearn.py returns them" + hog) if images
        else "the feature frame that make_problem() in train_sklearn.py returns",
        "steps": steps, "feature_names": comparison.prepared.feature_names, "classes": comparison.prepared.classes,
    }, indent=2)


def sklearn_joblib(comparison: Comparison) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(sklearn_pipeline(comparison), buffer)
    return buffer.getvalue()


def requirements(comparison: Comparison | None = None) -> str:
    """The versions this run used, for a fresh environment (local build tags such as +cpu dropped); scikit-image for a HOG baseline."""
    import pandas

    versions = {"numpy": np.__version__, "pandas": pandas.__version__, "scikit-learn": sklearn.__version__, "torch": torch.__version__,
                "joblib": joblib.__version__}
    if comparison is not None and is_hog(comparison.models["sklearn"].artifact):
        import skimage

        versions["scikit-image"] = skimage.__version__
    return "".join(f"{name}=={version.split('+')[0]}\n" for name, version in versions.items())


def readme(comparison: Comparison, source: DataSource) -> str:
    metric = comparison.metric
    sk, pt = comparison.models["sklearn"], comparison.models["pytorch"]
    data_line = f"The data: scikit-learn's built-in `{source.builtin}`, which the scripts load themselves."
    if source.file_name == "data.csv":
        data_line = ("`data.csv`: the table as the run read it, which the scripts read by default. A text cell that a spreadsheet "
                     "would run as a formula (starting with = + - @) carries a leading apostrophe there; the scripts take it off.")
    elif source.file_name:
        data_line = f"`{source.file_name}`: the images exactly as the run decoded and resized them, which the scripts read by default."
    override = "a CSV with the same columns" if comparison.dataset["kind"] == "table" else "an .npz with `images` and `labels` arrays"
    return template("README.md.txt").substitute(
        dataset=comparison.dataset["name"].replace("\n", " "), data_line=data_line, override=override, metric=metric,
        sklearn_name=sk.name, sklearn_score=f"{sk.metrics[metric]:.4f}", pytorch_score=f"{pt.metrics[metric]:.4f}",
        network=comparison.training["network"].upper(), seed=comparison.config["seed"],
        pipeline_input=json.loads(sklearn_parameters(comparison))["input"], pipeline_example=PIPELINE_EXAMPLE[comparison.dataset["kind"]],
    ) + "\n"


def export_files(comparison: Comparison) -> dict[str, bytes]:
    """Every file of the export, by its fixed name."""
    source = data_source(comparison)
    files = {
        "README.md": readme(comparison, source).encode("utf-8"),
        "requirements.txt": requirements(comparison).encode("utf-8"),
        "train_sklearn.py": render_sklearn(comparison, source).encode("utf-8"),
        "train_pytorch.py": render_pytorch(comparison, source).encode("utf-8"),
        "model.pt": checkpoint_bytes(comparison),
        "sklearn_model.joblib": sklearn_joblib(comparison),
        "sklearn_model.json": sklearn_parameters(comparison).encode("utf-8"),
        "report.html": to_html(comparison).encode("utf-8"),
        "report.json": to_json(comparison).encode("utf-8"),
    }
    if source.file_name:
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
