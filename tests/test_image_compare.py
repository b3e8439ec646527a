"""Model-behaviour and report tests for the image route: folder -> CNN and pixel baseline -> report."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from bridge.cli import main
from bridge.config import CNNConfig, CompareConfig, TrainConfig
from bridge.experiment import run_comparison
from bridge.io.data import load_dataset
from bridge.io.synthetic import moved_digits

FAST = CompareConfig(cnn=CNNConfig(blocks=1, channels=8), train=TrainConfig(epochs=4, batch_size=16, patience=0))


def _bar_image(side: str, rng: np.random.Generator) -> Image.Image:
    """A 12x12 gray image with a bright vertical bar on the left or right half."""
    pixels = rng.integers(0, 40, size=(12, 12)).astype(np.uint8)
    column = int(rng.integers(0, 5)) + (0 if side == "left" else 7)
    pixels[:, column] = 255
    return Image.fromarray(pixels, mode="L")


@pytest.fixture
def bars_folder(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "bars"
    for side in ("left", "right"):
        (root / side).mkdir(parents=True)
        for i in range(15):
            _bar_image(side, rng).save(root / side / f"{side}_{i:02d}.png")
    (root / "left" / "notes.txt").write_text("not an image")
    (root / "right" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    return root


def test_image_folder_compares_end_to_end(bars_folder):
    dataset = load_dataset(bars_folder)
    comparison = run_comparison(dataset, FAST)
    report = comparison.to_dict()
    assert report["dataset"]["kind"] == "images"
    assert report["dataset"]["rows"] == 30
    assert report["dataset"]["classes"] == ["left", "right"]
    assert sum(report["split"].values()) == 30
    assert report["training"]["network"] == "cnn"
    assert len(report["curves"]["pytorch"]) == 4
    assert any("broken.png" in note for note in report["notes"])
    assert any("not images" in note for note in report["notes"])
    assert set(report["confusion"]) == {"labels", "sklearn", "pytorch"}
    assert np.sum(report["confusion"]["pytorch"]) == report["split"]["test"]
    for row in report["errors"]:
        assert row["file"].endswith(".png")
        assert row["file"].split("/")[-2] == row["true"]  # the file sits in its true class folder


def test_mlp_on_pixels_stays_selectable(bars_folder):
    comparison = run_comparison(load_dataset(bars_folder), CompareConfig(network="mlp", train=TrainConfig(epochs=2, patience=0)))
    assert comparison.training["network"] == "mlp"
    assert comparison.models["pytorch"].name == "PyTorch MLP"


def test_cli_compares_a_zip(bars_folder, tmp_path, capsys):
    archive = tmp_path / "bars.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in bars_folder.rglob("*"):
            if path.is_file():
                zf.write(path, f"wrapper/{path.relative_to(bars_folder)}")
    out = tmp_path / "report.json"
    code = main(["compare", str(archive), "--epochs", "3", "--blocks", "1", "--channels", "8", "--quiet", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "PyTorch CNN" in printed and "broken.png" in printed
    assert json.loads(out.read_text())["dataset"]["kind"] == "images"


def test_moved_digits_keep_every_digit_whole():
    data = moved_digits(canvas=16, seed=3)
    assert data.images.shape == (1797, 1, 16, 16)
    # Each image holds exactly the 8x8 digit's ink, wherever it landed.
    from sklearn.datasets import load_digits

    ink = load_digits().images.reshape(1797, -1).sum(axis=1) / 16.0
    assert np.allclose(data.floats().reshape(1797, -1).sum(axis=1), ink, atol=1e-4)
    assert list(data.labels[:3]) == ["0", "1", "2"]
