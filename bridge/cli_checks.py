"""The checks ``python -m bridge compare`` runs before any training: output paths, the device, and the options that depend on the data.

Each refuses with one ``BridgeError`` line saying what to do, so a mistake costs seconds, not a training run.
"""

from __future__ import annotations

import argparse
import os

from bridge.config import CompareConfig
from bridge.errors import BridgeError
from bridge.io import limits
from bridge.outputs import atomic


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
