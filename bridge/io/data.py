"""Where data comes from: a CSV (path or bytes), an image folder, or a built-in.

``load_dataset`` is the one entry point; it returns a ``Dataset`` whatever the
source, so the orchestrator never cares where the rows came from.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd
from sklearn import datasets as skdata

from bridge.errors import BridgeError
from bridge.io import limits
from bridge.io.csv_reader import parse_csv
from bridge.memory import release_unused_memory
from bridge.problem.target_guess import TargetGuess, suggest_target

if TYPE_CHECKING:  # bridge.io.images loads Pillow; a table never needs it, so it is imported only where images are read
    from bridge.io.images import ImageData


def _data_dir() -> Path:
    """The built-in data files: inside an installed wheel (bridge/builtin_data), else the repository's data/."""
    here = Path(__file__).resolve()
    installed = here.parents[1] / "builtin_data"
    return installed if installed.is_dir() else here.parents[2] / "data"


DATA_DIR = _data_dir()


@dataclass
class Dataset:
    """A loaded dataset: a table (``frame``) or images (``images``), plus notes on how it was read."""

    name: str
    kind: str  # "table" or "images"
    frame: pd.DataFrame | None = None
    images: ImageData | None = None  # for kind == "images"
    default_target: str | None = None
    notes: list[str] = field(default_factory=list)
    target_guess: TargetGuess | None = None  # for a CSV: why default_target was chosen, and whether to ask first (None: fixed)
    description: str = ""

    @property
    def rows(self) -> int:
        if self.kind == "table":
            assert self.frame is not None, "a table dataset always holds its frame"
            return len(self.frame)
        assert self.images is not None, "an image dataset always holds its images"
        return len(self.images.labels)

    @property
    def columns(self) -> list[str]:
        if self.kind != "table":
            return []
        assert self.frame is not None, "a table dataset always holds its frame"
        return list(self.frame.columns)


def _sklearn_table(loader: Callable, target: str, label_names: bool = True) -> pd.DataFrame:
    bunch = loader(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    if label_names and hasattr(bunch, "target_names"):
        frame[target] = [str(bunch.target_names[i]) for i in bunch.target]
    return frame


@dataclass(frozen=True)
class BuiltIn:
    load: Callable[..., object]  # () -> DataFrame for tables; (image_size=None) -> ImageData for images
    target: str
    description: str
    kind: str = "table"


def _csv(name: str) -> Callable[[], pd.DataFrame]:
    return lambda: parse_csv(DATA_DIR / name)[0]


def _digit_images(image_size: int | None = None) -> ImageData:
    from bridge.io.images import images_from_digits, resized

    data = images_from_digits()
    return data if image_size is None else resized(data, image_size)


def _moved_digits(image_size: int | None = None) -> ImageData:
    from bridge.io.images import resized
    from bridge.io.synthetic import moved_digits

    data = moved_digits()
    return data if image_size is None else resized(data, image_size)


def _sample_images(image_size: int | None = None) -> ImageData:
    from bridge.io.images import load_images

    return load_images(DATA_DIR / "sample_images", image_size=image_size)


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
    "packages": BuiltIn(_csv("package_descriptions.csv"), "section",
                        "Debian package synopses: guess the section from one line of text, 5 kinds (data/)"),
    "digits_images": BuiltIn(_digit_images, "class", "Handwritten digits as 8x8 images (scikit-learn)", kind="images"),
    "digits_moved": BuiltIn(_moved_digits, "class", "The digits at random spots on a 24x24 canvas: where pixels fail", kind="images"),
    "shapes": BuiltIn(_sample_images, "class", "Small drawn shapes: the image-folder layout to copy (data/)", kind="images"),
}
ZIP_MAGIC = b"PK\x03\x04"


def builtin_names() -> list[str]:
    return list(BUILTINS)


def load_builtin(name: str, image_size: int | None = None) -> Dataset:
    """A built-in by name; ``image_size`` resizes a built-in image set (and is refused for a table)."""
    try:
        entry = BUILTINS[name]
    except KeyError:
        raise BridgeError(f"no built-in dataset '{name}'; choose one of: {', '.join(BUILTINS)}") from None
    if entry.kind == "images":
        # One loader field serves both kinds; an "images" entry's loader is one of the ImageData builders above.
        return _image_dataset(cast("ImageData", entry.load(image_size)), name, entry.description)
    _no_image_size(image_size, f"'{name}' is a table, not images")
    return Dataset(name=name, kind=entry.kind, frame=entry.load(), default_target=entry.target, description=entry.description)


def _image_dataset(images: ImageData, name: str, description: str = "") -> Dataset:
    notes = list(images.notes)
    if images.ignored:
        notes.append(f"ignored {images.ignored} file(s) that are not images")
    if images.skipped:
        named = ", ".join(item["file"] for item in images.skipped[:5]) + (", ..." if len(images.skipped) > 5 else "")
        notes.append(f"skipped {len(images.skipped)} image(s) that could not be read: {named}")
    return Dataset(name=name, kind="images", images=images, default_target="class", notes=notes, description=description)


def load_image_folder(source: str | os.PathLike | bytes, name: str | None = None, image_size: int | None = None) -> Dataset:
    """A folder of images, one subfolder per class, as a directory, a .zip file or zip bytes."""
    from bridge.io.images import load_images

    label = name or ("uploaded.zip" if isinstance(source, bytes) else os.path.basename(os.path.normpath(source)))
    return _image_dataset(load_images(source, image_size=image_size), label)


def _is_zip(source: str | os.PathLike | bytes) -> bool:
    if isinstance(source, bytes):
        return source.startswith(ZIP_MAGIC)
    with open(source, "rb") as handle:
        return handle.read(4) == ZIP_MAGIC


def load_csv(source: str | os.PathLike | bytes, name: str | None = None, max_rows: int | None = None) -> Dataset:
    """A CSV from a path or from uploaded bytes; the default target is guessed from names and content (bridge.problem.target_guess).

    At most ``max_rows`` rows are kept (default ``bridge.io.limits.MAX_ROWS``); a longer file is sampled, with a note.
    """
    frame, file_name, notes = parse_csv(source, max_rows=max_rows, label=name)
    release_unused_memory()  # the chunks the reader parsed are garbage now; keep only the table
    guess = suggest_target(frame)
    return Dataset(name=name or file_name, kind="table", frame=frame, default_target=guess.column, notes=notes, target_guess=guess)


def table_dataset(frame: pd.DataFrame, name: str = "dataframe", max_rows: int | None = None) -> Dataset:
    """A DataFrame from a notebook as a table: column names as text, at most ``max_rows`` rows, the target guessed as for a CSV."""
    if frame.shape[0] == 0 or frame.shape[1] < 2:
        raise BridgeError(f"the DataFrame has {frame.shape[0]} row(s) and {frame.shape[1]} column(s); give at least one row and "
                          "two columns (features and a target)")
    names = [str(column) for column in frame.columns]
    if len(set(names)) < len(names):
        raise BridgeError("the DataFrame's column names repeat once written as text; rename the columns so each is unique")
    notes: list[str] = []
    cap = max_rows or limits.MAX_ROWS
    if len(frame) > cap:
        notes.append(f"sampled {cap:,} of the DataFrame's {len(frame):,} rows (at random, seed 0); pass max_rows to change it")
        frame = frame.sample(cap, random_state=0).sort_index()
    frame = frame.set_axis(names, axis=1).reset_index(drop=True)  # a new frame: the caller's stays as it was
    guess = suggest_target(frame)
    return Dataset(name=name, kind="table", frame=frame, default_target=guess.column, notes=notes, target_guess=guess)


def load_dataset(source: str | os.PathLike | bytes, name: str | None = None, image_size: int | None = None,
                 max_rows: int | None = None) -> Dataset:
    """Load a built-in by name, an image folder or zip, or a CSV, from a path or bytes.

    Files are judged by their content, not their name: zip bytes are an image folder (even named
    .png), and PNG bytes named .csv get a message that says they are an image. ``max_rows`` caps a CSV.
    """
    if isinstance(source, (str, os.PathLike)) and str(source) in BUILTINS:
        return load_builtin(str(source), image_size)
    if isinstance(source, (str, os.PathLike)) and not os.path.exists(source):
        raise BridgeError(f"'{source}' is neither a file nor a built-in dataset; give a CSV path or one of: {', '.join(BUILTINS)}")
    if not isinstance(source, bytes) and os.path.isdir(source):
        return load_image_folder(source, name, image_size)
    if _is_zip(source):
        return load_image_folder(source, name, image_size)
    _no_image_size(image_size, f"{os.path.basename(source) if not isinstance(source, bytes) else 'the upload'} is not an image folder or zip")
    return load_csv(source, name, max_rows=max_rows)


def _no_image_size(image_size: int | None, what: str) -> None:
    """An image size for a table would be silently ignored: say so instead."""
    if image_size is not None:
        raise BridgeError(f"an image size ({image_size}) was given, but {what}; drop --image-size")
