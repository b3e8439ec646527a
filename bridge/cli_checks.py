"""The checks ``python -m bridge compare`` runs before any training: output paths, the device, tune mode's executor and
study storage, and the options that depend on the data.

Each refuses with one ``BridgeError`` line saying what to do, so a mistake costs seconds, not a training run.
"""

from __future__ import annotations

import argparse
import os
import re
import socket

from bridge.config import CompareConfig
from bridge.errors import BridgeError
from bridge.io import limits
from bridge.outputs import atomic

# local, or a Dask scheduler's address: a host name, an IPv4 address or a bracketed IPv6 one, and a port
EXECUTOR = re.compile(r"local|dask://(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})")
SCHEDULER_WAIT_SECONDS = 5  # a scheduler that does not answer by then is taken as absent


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def check_outputs(args: argparse.Namespace) -> None:
    """Every output path, before any data is read: a mistake here must not cost a whole training run."""
    files = [(path, option) for path, option in ((args.json, "--json"), (args.checkpoint, "--checkpoint")) if path is not None]
    for path, option in files:
        atomic.check_file_target(path, f"the {option} output")
    if args.export is not None:  # an empty path is refused, not taken for "no export"
        atomic.check_folder_target(args.export, "the export")
    if len(files) == 2 and os.path.realpath(args.json) == os.path.realpath(args.checkpoint):
        raise BridgeError(f"--json and --checkpoint both name {args.json}; give each its own file")
    for path, option in files:
        if os.path.isfile(args.data) and os.path.realpath(path) == os.path.realpath(args.data):
            raise BridgeError(f"{option} {path} is the data file itself and would be overwritten; choose another path")
        if args.export and _inside(path, args.export):
            raise BridgeError(f"{option} {path} is inside the --export folder, which the export replaces whole; choose a path "
                              "outside it (the export holds report.json and model.pt already)")


def check_device(preference: str) -> None:
    """A GPU that is not there fails now, not after the scikit-learn side has trained."""
    if preference in ("auto", "cpu"):
        return
    import torch

    from bridge.models.training import resolve_device

    device = resolve_device(preference)
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise BridgeError(f"--device {preference}: there are only {torch.cuda.device_count()} CUDA GPU(s); use --device cuda or auto")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise BridgeError("--device mps was asked for but Apple's MPS is not available; use --device auto or cpu")


def parse_executor(text: str) -> str:
    """``local`` or ``dask://HOST:PORT``, else a ValueError saying what is accepted (argparse and BRIDGE_EXECUTOR share it)."""
    found = EXECUTOR.fullmatch(text)
    if not found or (found["port"] is not None and not 0 < int(found["port"]) < 65536):
        raise ValueError(f"must be local or dask://HOST:PORT (a Dask scheduler, e.g. dask://10.0.0.5:8786), got '{text}'")
    return text


def check_tuning(args: argparse.Namespace, config: CompareConfig) -> None:
    """Tune mode's settings, before any data is read: a bad executor or storage must not cost the default run first."""
    given = [option for option, value in (("--executor", args.executor), ("--tune-workers", args.tune_workers),
                                           ("--study-storage", args.study_storage)) if value is not None]
    if not config.tune.on:
        if given:
            raise BridgeError(f"{given[0]} only applies in tune mode; add --tune TRIALS or --tune-minutes M, or leave it out")
        return
    setting = config.tune.executor
    if setting == "auto":  # what bridge.tuning.executors.executor_for will read
        setting = os.environ.get("BRIDGE_EXECUTOR", "local")
        try:
            parse_executor(setting)
        except ValueError:
            raise BridgeError(f"BRIDGE_EXECUTOR='{setting}' is not an executor; set it to local or dask://HOST:PORT, "
                              "or pass --executor local") from None
    if setting != "local":
        if args.tune_workers is not None:
            raise BridgeError("--tune-workers sizes the local pool; a Dask cluster has the workers `dask worker --nworkers N` "
                              "started, so leave it out or use --executor local")
        _check_scheduler(setting)
    if config.tune.storage is not None:
        check_storage(config.tune.storage)


def _check_scheduler(setting: str) -> None:
    """A scheduler that answers, with workers that run this Bridge: checked now, in seconds, instead of after the default run.

    A TCP connection first, so a port with nobody there fails without the Dask client's own retries."""
    found = EXECUTOR.fullmatch(setting)
    assert found is not None, "checked by parse_executor"
    host, port = found["host"].strip("[]"), int(found["port"])
    try:
        socket.create_connection((host, port), timeout=SCHEDULER_WAIT_SECONDS).close()
    except OSError as exc:
        raise BridgeError(f"no Dask scheduler answers at {host}:{port} ({exc.strerror or exc}); start one with `dask scheduler` "
                          "and workers with `dask worker`, or use --executor local") from None
    from bridge.tuning.executors import open_cluster

    open_cluster(f"tcp://{found['host']}:{port}").close()


def check_storage(url: str) -> None:
    """An Optuna RDB URL whose database driver is installed, and for SQLite a file whose folder exists."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    example = "use an RDB URL such as sqlite:///studies.db or postgresql://user@host/db"
    try:
        parsed = make_url(url)
        parsed.get_dialect().import_dbapi()
    except NoSuchModuleError:  # a subclass of ArgumentError: caught first
        raise BridgeError(f"--study-storage '{url}': SQLAlchemy knows no database '{url.split(':', 1)[0]}'; {example}") from None
    except (ArgumentError, ValueError):
        raise BridgeError(f"--study-storage '{url}' is not a database URL; {example}") from None
    except ImportError as exc:
        raise BridgeError(f"--study-storage '{url}' needs the Python driver {exc.name or exc}; pip install it, or {example}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = os.path.dirname(os.path.abspath(parsed.database))
        if not os.path.isdir(folder):
            raise BridgeError(f"--study-storage '{url}': the folder {folder} does not exist; create it or choose another path")


def check_text_against_data(dataset, config: CompareConfig) -> None:
    """Text options that cannot work on this data: refused now, not after the scikit-learn side has trained."""
    if dataset.kind == "images":
        if config.network == "text":
            raise BridgeError("--network text reads text columns, and this data is images; use --network cnn, mlp or auto")
        if config.text_columns:
            raise BridgeError("--text-columns names columns of a table, and this data is images; leave it out")
        return
    shown = ", ".join(map(str, dataset.columns[:8])) + (", ..." if len(dataset.columns) > 8 else "")
    missing = [name for name in config.text_columns or () if name not in {str(c) for c in dataset.columns}]
    if missing:
        raise BridgeError(f"--text-columns: no column '{missing[0]}' in this data; use one of: {shown}")
    if config.network == "text" and config.text_columns == ():
        raise BridgeError("--network text reads text columns, and --no-text switches them off; use --network mlp or auto")
    if config.network in ("mlp", "text"):  # an explicit choice: worth one look at the columns (auto follows whatever is found)
        from bridge.problem.table import resolve_target
        from bridge.problem.task import plan_columns

        text = plan_columns(dataset.frame, resolve_target(dataset.frame, config.target, dataset.default_target), config.text_columns).text
        if config.network == "mlp" and text:
            raise BridgeError(f"--network mlp cannot read the text column(s) {', '.join(map(str, text[:3]))}; use --network text or auto, "
                              "or --no-text to leave them out")
        if config.network == "text" and not text:
            raise BridgeError("--network text needs a text column, and none looks like free text here; use --network mlp or auto, "
                              "or name one with --text-columns")


def check_against_data(dataset, config: CompareConfig) -> None:
    """The bounds that depend on the data, right after loading it and before any model is fitted."""
    check_text_against_data(dataset, config)
    network = config.network if config.network != "auto" else ("cnn" if dataset.kind == "images" else "mlp")
    if network != "cnn":
        return
    if dataset.kind != "images":
        raise BridgeError("--network cnn needs images, and this data is a table; use --network mlp or auto")
    side = min(dataset.images.images.shape[2:])
    most = min(limits.MAX_BLOCKS, side.bit_length())  # log2(side) halvings, then one block on the 1x1 image
    if config.cnn.blocks > most:
        raise BridgeError(f"--blocks {config.cnn.blocks} is more than {side}x{side} images allow (each block halves the image); "
                          f"use --blocks {most} or fewer, or a larger --image-size")
    if config.cnn.batch_norm and config.train.batch_size < 2:
        raise BridgeError("--batch-size 1 cannot train a CNN with batch normalisation; use 2 or more, or add --no-batch-norm")
