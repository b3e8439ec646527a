"""Where data comes from: a CSV (path or bytes), an image folder, or a built-in.

``load_dataset`` is the one entry point; it returns a ``Dataset`` whatever the
source, so the orchestrator never cares where the rows came from.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sklearn import datasets as skdata

from bridge.csv_reader import parse_csv
from bridge.errors import BridgeError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass
class Dataset:
    """A loaded dataset: a table (``frame``) or images (``images``), plus notes on how it was read."""

    name: str
    kind: str  # "table" or "images"
    frame: pd.DataFrame | None = None
    images: object | None = None  # bridge.images.ImageData for kind == "images"
    default_target: str | None = None
    notes: list[str] = field(default_factory=list)
    description: str = ""

    @property
    def rows(self) -> int:
        return len(self.frame) if self.kind == "table" else len(self.images.labels)

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns) if self.kind == "table" else []


def _sklearn_table(loader: Callable, target: str, label_names: bool = True) -> pd.DataFrame:
    bunch = loader(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    if label_names and hasattr(bunch, "target_names"):
        frame[target] = [str(bunch.target_names[i]) for i in bunch.target]
    return frame


@dataclass(frozen=True)
class BuiltIn:
    load: Callable[[], pd.DataFrame]
    target: str
    description: str
    kind: str = "table"


def _csv(name: str) -> Callable[[], pd.DataFrame]:
    return lambda: parse_csv(DATA_DIR / name)[0]


BUILTINS: dict[str, BuiltIn] = {
    "iris": BuiltIn(lambda: _sklearn_table(skdata.load_iris, "species"), "species", "Iris flowers, 3 species (scikit-learn)"),
    "wine": BuiltIn(lambda: _sklearn_table(skdata.load_wine, "cultivar"), "cultivar", "Wine chemistry, 3 cultivars (scikit-learn)"),
    "breast_cancer": BuiltIn(
        lambda: _sklearn_table(skdata.load_breast_cancer, "diagnosis"),
        "diagnosis",
        "Breast tumour measurements, malignant or benign (scikit-learn)",
    ),
    "diabetes": BuiltIn(
        lambda: _sklearn_table(skdata.load_diabetes, "progression", label_names=False),
        "progression",
        "Diabetes progression after one year, regression (scikit-learn)",
    ),
    "digits": BuiltIn(
        lambda: _sklearn_table(skdata.load_digits, "digit", label_names=False).astype({"digit": "int64"}),
        "digit",
        "Handwritten digits as 64 pixel columns (scikit-learn)",
    ),
    "penguins": BuiltIn(_csv("penguins.csv"), "species", "Palmer penguins, 3 species, with missing values (data/)"),
    "cars": BuiltIn(_csv("cars.csv"), "Miles_per_Gallon", "1970s-80s cars: fuel use from specs, a date column (data/)"),
    "seattle_weather": BuiltIn(_csv("seattle_weather.csv"), "weather", "Daily Seattle weather 2012-2015, 5 kinds (data/)"),
}


def builtin_names() -> list[str]:
    return list(BUILTINS)


def load_builtin(name: str) -> Dataset:
    try:
        entry = BUILTINS[name]
    except KeyError:
        raise BridgeError(f"no built-in dataset '{name}'; choose one of: {', '.join(BUILTINS)}") from None
    return Dataset(name=name, kind=entry.kind, frame=entry.load(), default_target=entry.target, description=entry.description)


def load_csv(source: str | os.PathLike | bytes, name: str | None = None) -> Dataset:
    """A CSV from a path or from uploaded bytes; the default target is the last column."""
    frame, file_name, notes = parse_csv(source)
    return Dataset(name=name or file_name, kind="table", frame=frame, default_target=str(frame.columns[-1]), notes=notes)


def load_dataset(source: str | os.PathLike | bytes, name: str | None = None) -> Dataset:
    """Load a built-in by name, or a CSV file, from a path or bytes."""
    if isinstance(source, (str, os.PathLike)) and str(source) in BUILTINS:
        return load_builtin(str(source))
    if isinstance(source, (str, os.PathLike)) and not os.path.exists(source):
        raise BridgeError(
            f"'{source}' is neither a file nor a built-in dataset; give a CSV path or one of: {', '.join(BUILTINS)}"
        )
    return load_csv(source, name)
