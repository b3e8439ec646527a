"""Standalone training scripts from the string templates in templates/, filled in with one run's settings.

The scripts repeat the run without Bridge: the same rows (the same seeded, stratified split as
``bridge.problem.features.split_rows``), the same preprocessing (``bridge.problem.table`` and
``bridge.problem.features``), the same model, with the loop written out on the PyTorch side. The data
comes from scikit-learn for its built-ins, else from a file shipped beside the scripts. A third script,
predict_sklearn.py, fits nothing: it loads the run's saved pipeline (skops) and predicts the same test rows.
Free-text columns add TF-IDF, a tokenizer and the text network (``bridge.outputs.text_scripts``).

Every value from the user's data (column names, labels) enters a script through ``repr``
(``script_templates.literal``), so it stays a string literal and can never become code.
"""

from __future__ import annotations

import importlib
import io
import pprint
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from bridge.comparison import Comparison
from bridge.config import CompareConfig
from bridge.errors import BridgeError
from bridge.io.csv_reader import EXTRA_NA
from bridge.io.data import load_builtin
from bridge.models.image_features import HOGFeatures
from bridge.outputs import text_scripts
from bridge.outputs.safe_csv import FORMULA_STARTS, safe_csv_bytes
from bridge.outputs.script_templates import TEMPLATES as TEMPLATES  # where tests find the templates
from bridge.outputs.script_templates import import_lines, literal, sections, setting_lines, template
from bridge.problem.features import MAX_CATEGORIES
from bridge.problem.table import MIN_PER_CLASS, make_problem
from bridge.problem.task import TRUE_WORDS

# scikit-learn's tables that a script can load itself; True: Bridge shows class names, not codes.
SKLEARN_TABLES = {"iris": True, "wine": True, "breast_cancer": True, "diabetes": False, "digits": False}
DATE_SUFFIXES = ("year", "month", "day", "weekday", "hour")
BASE_IMPORTS = ["import numpy as np", "from sklearn import datasets", "from sklearn import metrics as skm",
                "from sklearn.model_selection import train_test_split"]
TABLE_IMPORTS = ["import pandas as pd", "from sklearn.compose import ColumnTransformer", "from sklearn.impute import SimpleImputer",
                 "from sklearn.pipeline import make_pipeline", "from sklearn.preprocessing import OneHotEncoder, StandardScaler"]
TRAIN_NOTES = {"lr": "Adam's learning rate", "epochs": "at most", "device": "auto: CUDA when present, else the CPU",
               "patience": "epochs without a better validation loss before stopping; 0 = never"}
PIXELS = {  # how each side sees the images, as in bridge/problem/prepare.py
    "sklearn": ("every pixel is a feature, scaled on the training images only.",
                "    flat = images.reshape(len(y), -1)\n    scaler = StandardScaler().fit(flat[train])\n"
                "    X_train, X_val, X_test = (scaler.transform(flat[rows]).astype(np.float32) for rows in (train, val, test))"),
    "pytorch": ("the network sees the images as they are.", "    X_train, X_val, X_test = images[train], images[val], images[test]"),
    # Bridge hands its HOG family the scaled pixels and undoes the scaling first: the same descriptors as from these.
    "hog": ("every pixel as it is, in [0, 1]: HOG needs the image as it looks.",
            "    flat = images.reshape(len(y), -1)\n    X_train, X_val, X_test = flat[train], flat[val], flat[test]"),
}
HOG_IMPORTS = ["from skimage.feature import hog", "from sklearn.base import BaseEstimator, TransformerMixin"]
# What predict_sklearn.py takes from train_sklearn.py beside it, by the pipeline's input: a table, pixels, or HOG descriptors of them.
PREDICT_NAMES = {"table": ["load_frame", "make_problem"], "images": ["load_images"], "hog": ["load_images", "make_model"]}


@dataclass
class DataSource:
    """Where a script finds the run's data: a name it loads itself, or a file shipped beside it."""

    default: str  # the code for DATA in the scripts
    builtin: str | None = None
    file_name: str | None = None
    file_bytes: bytes | None = None


def data_source(comparison: Comparison) -> DataSource:
    dataset = comparison.source
    if dataset is None:
        raise BridgeError("this run kept no copy of its data, so it cannot be exported; run the comparison again")
    if dataset.images is not None:
        from bridge.io.images import images_from_digits

        images = dataset.images
        if dataset.name == "digits_images" and np.array_equal(images.images, images_from_digits().images):
            return DataSource(literal("digits"), builtin="digits")
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=images.floats(), labels=np.asarray(images.labels, dtype=str))
        return DataSource('Path(__file__).with_name("images.npz")', file_name="images.npz", file_bytes=buffer.getvalue())
    builtin = load_builtin(dataset.name).frame if dataset.name in SKLEARN_TABLES else None
    if builtin is not None and builtin.equals(dataset.frame):
        return DataSource(literal(dataset.name), builtin=dataset.name)
    # Anything else ships as data.csv, the table as Bridge read it (formula cells neutralised, as every CSV Bridge offers).
    return DataSource('Path(__file__).with_name("data.csv")', file_name="data.csv", file_bytes=safe_csv_bytes(dataset.frame))


def _date_names(date_columns, part_names: list[str]) -> dict[str, dict[str, str]]:
    """Each date column's kept parts, by their plain name (``date_month``) and the name the run gave them.

    The run renames a part whose plain name a real column already has (``date_month_2``); the parts
    come in column order, then suffix order, so walking both lists in step pairs them up.
    """
    names, pending = {}, iter(part_names)
    upcoming = next(pending, None)
    for column in date_columns:
        kept = {}
        for suffix in DATE_SUFFIXES:
            plain = f"{column}_{suffix}"
            if upcoming is not None and (upcoming == plain or (upcoming.startswith(plain + "_") and upcoming[len(plain) + 1:].isdigit())):
                kept[plain], upcoming = upcoming, next(pending, None)
        names[str(column)] = kept
    return names


def _table_settings(comparison: Comparison, source: DataSource, side: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The columns and kinds the run used, by their names in the data, with ``side``'s text settings; and the text columns."""
    dataset, config = comparison.source, CompareConfig.from_dict(comparison.config)
    if dataset is None:  # data_source refused this run already; a direct caller gets the same line
        raise BridgeError("this run kept no copy of its data, so it cannot be exported; run the comparison again")
    problem = make_problem(dataset.frame, config.target, config.task, dataset.default_target, config.text_columns)
    plan = problem.plan
    date_parts = problem.numeric[len(plan.numeric) + len(plan.boolean):]  # make_problem appends them in plan.dates order
    dates = _date_names(plan.dates, list(date_parts))
    text = [str(c) for c in plan.text]
    items = [
        ("BUILTIN", literal(source.builtin), "a scikit-learn dataset the script loads itself, or None for a CSV file"),
        ("LABEL_NAMES", literal(SKLEARN_TABLES.get(source.builtin or "", False)), "built-ins: class names rather than codes"),
        ("TARGET", literal(str(problem.target)), ""),
        ("NUMERIC", literal([str(c) for c in plan.numeric]), "numbers, used as they are"),
        ("BOOLEAN", literal([str(c) for c in plan.boolean]), "yes/no columns, as 1/0"),
        ("DATES", literal({c: kept for c, kept in dates.items() if kept}), "date columns -> {part: its feature name}, the parts that vary"),
        ("CATEGORICAL", literal([str(c) for c in plan.categorical]), "text categories, one-hot encoded"),
        ("LEFT_OUT", literal({str(c): why for c, why in plan.dropped.items()}), "not used, and why"),
        ("MAX_CATEGORIES", literal(MAX_CATEGORIES), "per column; rarer values share one 'infrequent' column"),
        ("MIN_PER_CLASS", literal(MIN_PER_CLASS), "classes with fewer rows are dropped (one each for train, val, test)"),
        ("TRUE_WORDS", literal(sorted(TRUE_WORDS)), "yes/no words that mean yes"),
        ("NA_VALUES", literal(EXTRA_NA), "cells read as missing, as Bridge reads CSVs"),
        ("FORMULA_STARTS", literal(FORMULA_STARTS), "data.csv guards text cells that start with these"),
    ]
    return items + (text_scripts.settings(text, comparison.config, side) if text else []), text


def _common(comparison: Comparison, source: DataSource, side: str) -> dict[str, Any]:
    """What both scripts share: the settings, the data code (table or images), the metrics, the imports."""
    config = comparison.config
    items = [("DATA", source.default, "the default data; a command-line argument overrides it"),
             ("TASK", literal(comparison.dataset["task"]), ""), ("SEED", literal(config["seed"]), "the run's seed: same split, same weights"),
             ("TEST_SIZE", literal(config["test_size"]), "share of the rows held out for the test"),
             ("VAL_SIZE", literal(config["val_size"]), "share of the remaining rows for validation")]
    split = template("split.py.txt").substitute()
    # A shipped data file is checked against MANIFEST.json before it is read (a built-in has no file to check).
    call = "    verify_data(source)  # refuse a data file cut short or changed since the export\n" if source.file_name else ""
    hog = side == "sklearn" and is_hog(comparison.models["sklearn"].artifact)
    if comparison.dataset["kind"] == "images":
        doc, code = PIXELS["hog" if hog else side]
        data = template("image_data.py.txt").substitute(split=split, inputs_doc=doc, inputs=code, verify_call=call)
        imports = HOG_IMPORTS if hog else ["from sklearn.preprocessing import StandardScaler"] if side == "sklearn" else []
        data += "\n\n\n" + template("hog_features.py.txt").substitute() if hog else ""
        stdlib = []
    else:
        settings, text = _table_settings(comparison, source, side)
        items += settings
        data = template("table_data.py.txt").substitute(split=split, verify_call=call, **text_scripts.data_hooks(side, bool(text)))
        data += "\n\n\n" + text_scripts.data_code(side) if text else ""
        imports, stdlib = TABLE_IMPORTS + (text_scripts.IMPORTS[side] if text else []), text_scripts.STDLIB[side] if text else []
    if source.file_name:
        data += "\n\n\n" + template("verify_data.py.txt").substitute()
    return {"settings": setting_lines(items), "data": data, "metrics": template("metrics.py.txt").substitute(), "imports": BASE_IMPORTS + imports,
            "stdlib": stdlib + (["import hashlib", "from pathlib import Path"] if source.file_name else [])}


def _code(value) -> str:
    if isinstance(value, np.ndarray):
        return f"np.array({pprint.pformat(value.tolist(), width=90, compact=True)})"
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def estimator_code(model, indent: int = 4) -> tuple[str, str]:
    """The constructor call that rebuilds ``model`` with the settings it differs in, and its import line."""
    cls = type(model)
    defaults = cls().get_params(deep=False)
    changed = {k: v for k, v in model.get_params(deep=False).items() if not _same(v, defaults.get(k))}
    module = ".".join(cls.__module__.split(".")[:2])  # the public path, e.g. sklearn.linear_model
    if getattr(importlib.import_module(module), cls.__name__, None) is not cls:
        module = cls.__module__
    args = [f"{k}={_code(v)}" for k, v in sorted(changed.items())]
    code = f"{cls.__name__}({', '.join(args)})"
    if len(code) > 100 or "\n" in code:  # one argument per line, continuation lines indented under it
        inner = " " * (indent + 4)
        code = f"{cls.__name__}(\n" + "".join(f"{inner}{a.replace(chr(10), chr(10) + inner)},\n" for a in args) + " " * indent + ")"
    return code, f"from {module} import {cls.__name__}"


def is_hog(model) -> TypeGuard[Pipeline]:
    """A pipeline that starts with HOG features (``bridge.models.classical.hog_baseline``)."""
    return isinstance(model, Pipeline) and isinstance(model.steps[0][1], HOGFeatures)


def model_code(model, indent: int = 4) -> tuple[str, list[str]]:
    """The code that rebuilds the baseline and its import lines; a HOG pipeline as ``make_pipeline`` of its steps.

    The scripts define ``HOGFeatures`` themselves and hand it raw pixels, so its step is written without
    the scaling Bridge undoes, and with the cell size Bridge chose from the image size.
    """
    if not isinstance(model, Pipeline):
        code, line = estimator_code(model, indent)
        return code, [line]
    inner = " " * (indent + 4)
    steps, imports = [], ["from sklearn.pipeline import make_pipeline"]
    for _, step in model.steps:
        if isinstance(step, HOGFeatures):
            step = clone(step).set_params(pixel_mean=None, pixel_scale=None, pixel_levels=None, cell_size=step.cell_size_)
        code, line = estimator_code(step, indent + 4)
        steps.append(f"{inner}{code},\n")
        imports += [] if isinstance(step, HOGFeatures) else [line]
    return "make_pipeline(\n" + "".join(steps) + " " * indent + ")", imports


def render_sklearn(comparison: Comparison, source: DataSource | None = None) -> str:
    source = source or data_source(comparison)
    parts = _common(comparison, source, "sklearn")
    artifact = comparison.models["sklearn"].artifact
    model, model_imports = model_code(artifact)
    stdlib = ["import argparse", "import json", "from dataclasses import dataclass", *parts.pop("stdlib")]
    parts["imports"] = import_lines(stdlib, [*parts["imports"], *model_imports])
    return template("train_sklearn.py.txt").substitute(parts, model=model, needs=_needs(artifact))


def _needs(model, *more: str) -> str:
    names = ["numpy", "pandas", "scikit-learn", *(["scikit-image"] if is_hog(model) else []), *more]
    return ", ".join(names[:-1]) + " and " + names[-1]


def render_predict(comparison: Comparison, trusted: list[str]) -> str:
    """predict_sklearn.py: loads sklearn_model.skops trusting exactly ``trusted`` (found in that file at export) and predicts the test rows.

    It imports the data loading and the split from train_sklearn.py beside it, so the two never disagree.
    """
    artifact = comparison.models["sklearn"].artifact
    kind = "hog" if is_hog(artifact) else "images" if comparison.dataset["kind"] == "images" else "table"  # text rides in the table
    names = ", ".join(sorted(["DATA", "TASK", "align", "split_rows", "test_metrics", *PREDICT_NAMES[kind]]))
    third_party = ["import numpy as np", "import skops.io as sio", "from skops.io.exceptions import UntrustedTypesFoundException"]
    # A block of its own: a linter files the script beside this one as first-party in its folder, third-party elsewhere.
    imports = import_lines(["import argparse", "import json", "from pathlib import Path"], third_party)
    imports += f"\n\n# The script beside this one: the same data, split and metrics.\n# isort: split\nfrom train_sklearn import {names}"
    return template("predict_sklearn.py.txt").substitute(imports=imports, trusted=literal(trusted), inputs=sections("predict_inputs.py.txt")[kind],
                                                         needs=_needs(artifact, "skops"))


def render_pytorch(comparison: Comparison, source: DataSource | None = None) -> str:
    parts = _common(comparison, source or data_source(comparison), "pytorch")
    config, network = comparison.config, comparison.training["network"]
    train = config["train"]
    augment = network == "cnn" and config["cnn"]["augment"]
    shape = text_scripts.network_settings(config) if network == "text" else [("NETWORK_CONFIG", literal(config[network]), "its shape")]
    parts["settings"] += "\n" + setting_lines([
        ("NETWORK", literal(network), "mlp, cnn or text"), *shape,
        ("CLASS_WEIGHT", literal(comparison.training.get("class_weight", "none")),
         "balanced: the loss weighs classes by 1 / their training count, as the run chose; none: every row alike"),
        *((key.upper(), literal(value), TRAIN_NOTES.get(key, "")) for key, value in train.items()),
        ("TRAIN", "{" + ", ".join(f"{key!r}: {key.upper()}" for key in train) + "}", "stored in the checkpoint, as Bridge stores it"),
    ])
    stdlib = ["import argparse", "import json", "import sys", "from dataclasses import dataclass", "from pathlib import Path", *parts.pop("stdlib")]
    torch_imports = ["import torch", "from torch import nn"] + (["import torch.nn.functional as F"] if network in ("cnn", "text") else [])
    parts["imports"] = import_lines(stdlib, parts["imports"] + torch_imports)
    call = "        inputs = augment_batch(inputs, generator)  # small random shifts, as the run trained\n" if augment else ""
    network_code = template(f"network_{network}.py.txt").substitute(mlp_class=template("mlp_class.py.txt").template)  # cnn has no MLP
    text_args = text_scripts.MODEL_ARGS if network == "text" else ""
    return template("train_pytorch.py.txt").substitute(parts, network=network_code, augment_call=call, text_args=text_args)


def loop_code(comparison: Comparison) -> tuple[str, str]:
    """The line of scikit-learn that hides training, and the PyTorch loop that spells it out, with this run's settings."""
    model, _ = model_code(comparison.models["sklearn"].artifact, indent=0)
    train, training = comparison.config["train"], comparison.training
    loss = "nn.CrossEntropyLoss()" if comparison.dataset["task"] == "classification" else "nn.MSELoss()"
    if training.get("class_weight") == "balanced":
        loss = "nn.CrossEntropyLoss(weight=class_weights)"
    values = {"model": model, "loss": loss, "device": training["device"], "lr": f"{train['lr']:g}", "weight_decay": f"{train['weight_decay']:g}",
              "epochs": train["epochs"], "batch_size": train["batch_size"], "network": training["network"].upper()}
    sklearn_code, pytorch_code = template("loop_snippet.py.txt").substitute(values).split("# ---- pytorch\n")
    return sklearn_code.removeprefix("# ---- sklearn\n").strip() + "\n", pytorch_code.strip() + "\n"
