"""The public API: one call from a notebook to a Comparison, with the settings as flat keyword arguments.

    >>> import bridge
    >>> result = bridge.compare("iris", epochs=30)
    >>> result.recommendation["verdict"]
    'sklearn'

``compare`` accepts what the CLI and the app accept (a built-in name, a CSV or image-folder path, a .zip, bytes)
and also a pandas DataFrame or a loaded ``Dataset``. Everything else in the package is internal.
"""

from __future__ import annotations

import os
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from bridge.config import CNNConfig, CompareConfig, MLPConfig, TextConfig, TrainConfig
from bridge.errors import BridgeError

if TYPE_CHECKING:
    import pandas as pd

    from bridge.comparison import Comparison
    from bridge.io.data import Dataset

# Flat keyword -> the part of CompareConfig it sets. ``dropout`` sets both networks' dropout (one concept, two shapes);
# ``cnn_dropout`` sets the CNN's alone, as the CLI's --cnn-dropout does. The text network's settings keep the CLI's names
# (``text_encoder``, ``text_layers``: "encoder" and "layers" alone would not say which network they shape).
_PARTS: dict[str, tuple[str, str]] = {
    **{f.name: ("mlp", f.name) for f in fields(MLPConfig)},
    **{f.name: ("cnn", f.name) for f in fields(CNNConfig) if f.name != "dropout"},
    "cnn_dropout": ("cnn", "dropout"),
    **{f.name: ("train", f.name) for f in fields(TrainConfig)},
    **{("text_" + f.name if f.name in ("encoder", "layers") else f.name): ("text", f.name) for f in fields(TextConfig)},
    # Tune mode keeps the CLI's names too: ``tune=20`` is --tune 20 (trials per side), ``workers`` alone would not say of what.
    "tune": ("tune", "trials"), "tune_minutes": ("tune", "minutes"), "executor": ("tune", "executor"),
    "tune_workers": ("tune", "workers"), "study_storage": ("tune", "storage"),
}
_TOP = {f.name for f in fields(CompareConfig)} - {"mlp", "cnn", "train", "text", "tune"}
# What each tune keyword must be before validate() compares it with its range (a string or a bool would pass or crash there).
_TUNE_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "tune": ((int,), "a whole number of trials per side"), "tune_minutes": ((int, float), "a number of minutes"),
    "tune_workers": ((int,), "a whole number of local processes"), "executor": ((str,), '"local" or "dask://HOST:PORT"'),
    "study_storage": ((str, type(None)), 'an RDB URL such as "sqlite:///studies.db", or None'),
}
SETTINGS = sorted(_TOP | set(_PARTS))  # every keyword ``compare`` takes besides data, image_size, max_rows and config


def make_config(config: CompareConfig | None = None, **settings: Any) -> CompareConfig:
    """A CompareConfig from flat keywords (``epochs=30, width=64``) on top of ``config`` (default: the defaults), validated."""
    config = config or CompareConfig()
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise BridgeError(f"unknown setting(s) {', '.join(unknown)}; use any of: {', '.join(SETTINGS)}")
    top = {key: value for key, value in settings.items() if key in _TOP}
    if "text_columns" in top:
        top["text_columns"] = _text_columns(top["text_columns"])
    _check_tune(settings)
    parts: dict[str, dict[str, Any]] = {"mlp": {}, "cnn": {}, "train": {}, "text": {}, "tune": {}}
    for key, value in settings.items():
        if key == "dropout":
            parts["cnn"].setdefault("dropout", value)
        if key in _PARTS:
            part, name = _PARTS[key]
            parts[part][name] = value
    config = replace(config, **top, **{part: replace(getattr(config, part), **values) for part, values in parts.items() if values})
    config.validate()
    return config


def _check_tune(settings: dict[str, Any]) -> None:
    """The tune keywords' types, and one budget at a time (trials or minutes, as the CLI's --tune and --tune-minutes)."""
    for key, (types, what) in _TUNE_TYPES.items():
        value = settings.get(key)
        if key in settings and (isinstance(value, bool) or not isinstance(value, types)):
            raise BridgeError(f"{key} takes {what}, not {value!r}")
    if settings.get("tune") and settings.get("tune_minutes"):
        raise BridgeError("give tune (trials per side) or tune_minutes (wall clock), not both")
    if settings.get("executor", "auto") != "auto":  # the CLI's --executor check: a scheduler address needs its port
        from bridge.cli_checks import parse_executor

        try:
            parse_executor(settings["executor"])
        except ValueError as exc:
            raise BridgeError(f"executor {exc}") from None


def _text_columns(value: Any) -> tuple[str, ...] | None:
    """``text_columns`` as CompareConfig keeps it: None (auto), or a tuple of names (hashable; a lone name is one column, not its letters)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple | set | frozenset) and all(isinstance(name, str | int) for name in value):
        return tuple(str(name) for name in value)
    raise BridgeError(f"text_columns takes None (columns that look like free text), a column name or a list of names ([] for no text), "
                      f"not {type(value).__name__}")


def load(data: str | os.PathLike | bytes | pd.DataFrame | Dataset, image_size: int | None = None, max_rows: int | None = None) -> Dataset:
    """Any accepted input as a Dataset; a DataFrame is a table whose default target is guessed as a CSV's is."""
    import pandas as pd

    from bridge.io.data import Dataset, load_dataset, table_dataset

    if isinstance(data, Dataset):
        return data
    if isinstance(data, pd.DataFrame):
        return table_dataset(data, "dataframe", max_rows=max_rows)
    return load_dataset(data, image_size=image_size, max_rows=max_rows)


def compare(data: str | os.PathLike | bytes | pd.DataFrame | Dataset, target: str | None = None, *, image_size: int | None = None,
            max_rows: int | None = None, config: CompareConfig | None = None, **settings: Any) -> Comparison:
    """Run both sides on the same split of ``data`` and weigh them; returns the Comparison (``.to_dict()`` is the JSON report).

    ``target`` names the column to predict (default: guessed from names and contents, or the built-in's own);
    ``settings`` are CompareConfig's fields as flat keywords (``epochs``, ``lr``, ``width``, ``baseline``, ``seed``...); for text,
    ``text_columns`` (None: the columns that look like free text; a name or a list of names: exactly those; []: none),
    ``network="text"``, ``text_encoder`` ("bag", "conv" or "transformer"), ``embedding_dim``, ``text_layers``, ``max_tokens``
    and ``vocabulary``; for tune mode, ``tune`` (trials per side) or ``tune_minutes`` (wall clock, split between the sides),
    ``executor`` ("local" or "dask://HOST:PORT"; default: BRIDGE_EXECUTOR, else local), ``tune_workers`` (local processes;
    default: the cores) and ``study_storage`` (an Optuna RDB URL; default: in memory). Tuning spawns worker processes, so
    a script that tunes needs an ``if __name__ == "__main__":`` guard.
    Bad input raises ``bridge.BridgeError`` with a one-line message.
    """
    from bridge.experiment import run_comparison

    chosen = make_config(config, **({"target": target} if target is not None else {}), **settings)
    dataset = load(data, image_size=image_size, max_rows=max_rows)
    return run_comparison(dataset, chosen)
