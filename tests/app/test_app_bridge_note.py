"""The Bridge note and Recommendation pages after a tiny run, through the app's navigation (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import store_finished_run

from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.experiment import run_comparison
from bridge.io.data import load_builtin
from pages.common import DATASET, SOURCE

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TRAIN = TrainConfig(epochs=2, lr=0.01, batch_size=64, patience=0, device="cpu")
CONFIGS = {
    "iris": CompareConfig(baseline="linear", mlp=MLPConfig(hidden_layers=1, width=8, dropout=0.0), train=TRAIN, repeats=1),
    "digits_images": CompareConfig(baseline="linear", network="cnn", cnn=CNNConfig(blocks=1, channels=4, dropout=0.0), train=TRAIN,
                                   repeats=1),
}


def _types(at: AppTest) -> list[str]:
    """Every element type on the page, nested ones (inside columns) included: iterating a block walks its tree."""
    return [element.type for element in at.main]


@pytest.fixture(scope="module")
def runs():
    datasets = {name: load_builtin(name) for name in CONFIGS}
    return {name: (datasets[name], config, run_comparison(datasets[name], config)) for name, config in CONFIGS.items()}


@pytest.fixture(params=list(CONFIGS))
def app(request, runs, monkeypatch):
    """The app with one finished run in the session, stored the way the Train page stores it."""
    dataset, config, comparison = runs[request.param]
    at = AppTest.from_file(APP, default_timeout=60)
    source = f"builtin:{request.param}"
    at.session_state[DATASET], at.session_state[SOURCE] = dataset, source
    store_finished_run(at, source, comparison)
    return request.param, at


def test_bridge_note_shows_projections_loop_and_reproducibility(app):
    name, at = app
    at.switch_page("pages/bridge_note.py").run()
    assert not at.exception
    types = _types(at)
    assert types.count("vega_lite_chart") == 2  # raw inputs and the last hidden layer
    sklearn_code, pytorch_code = (block.value for block in at.code)
    assert ".fit(X_train, y_train)" in sklearn_code
    for step in ("forward", "loss", "backward", "optimizer step", "device", "checkpoint"):
        assert f"# {step}" in pytorch_code or f"# {step}:" in pytorch_code, step
    assert any("same numbers when run again" in md.value for md in at.markdown)
    if name == "digits_images":
        assert types.count("image") >= 3  # the filters, the test image, its feature maps
    else:
        assert "image" not in types


def test_recommendation_offers_every_download(app):
    _, at = app
    at.switch_page("pages/recommendation.py").run()
    assert not at.exception
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Download everything (.zip)", "train_sklearn.py", "train_pytorch.py", "model.pt", "sklearn_model.skops",
                      "report.html", "report.json"]
