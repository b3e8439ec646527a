"""The public API: bridge.compare from a notebook, flat settings, DataFrames, and a light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import bridge
from bridge.api import SETTINGS, make_config
from bridge.config import CompareConfig

ROOT = Path(__file__).resolve().parent.parent
FAST = {"epochs": 3, "repeats": 1, "width": 16}


def test_the_public_names_resolve_and_nothing_else_is_offered():
    assert set(bridge.__all__) == {"BridgeError", "CompareConfig", "Comparison", "compare", "load_dataset", "__version__"}
    for name in bridge.__all__:
        assert getattr(bridge, name) is not None
    with pytest.raises(AttributeError):
        bridge.run_comparison  # noqa: B018 - internal names are not part of the package's surface


def test_flat_settings_land_in_their_part_of_the_config():
    config = make_config(epochs=7, lr=0.01, width=32, blocks=1, baseline="linear", seed=4, dropout=0.3)
    assert (config.train.epochs, config.train.lr, config.mlp.width, config.cnn.blocks) == (7, 0.01, 32, 1)
    assert (config.baseline, config.seed, config.mlp.dropout, config.cnn.dropout) == ("linear", 4, 0.3, 0.3)
    assert make_config(dropout=0.3, cnn_dropout=0.1).cnn.dropout == 0.1  # the CNN's own setting wins
    assert make_config(CompareConfig(seed=9), epochs=2).seed == 9  # keywords go on top of a given config
    assert {"epochs", "lr", "width", "blocks", "baseline", "class_weight", "target"} <= set(SETTINGS)


def test_an_unknown_or_out_of_range_setting_is_one_clear_error():
    with pytest.raises(bridge.BridgeError, match="unknown setting.*epoch\\b.*use any of"):
        make_config(epoch=3)
    with pytest.raises(bridge.BridgeError, match="epochs"):
        make_config(epochs=0)


@pytest.mark.slow
def test_compare_runs_a_builtin_and_returns_the_report():
    result = bridge.compare("iris", **FAST)
    assert isinstance(result, bridge.Comparison)
    assert result.recommendation["verdict"] in {"sklearn", "pytorch", "no-signal"}
    assert result.config["train"]["epochs"] == 3
    json.dumps(result.to_dict())  # the report is plain JSON


@pytest.mark.slow
def test_compare_takes_a_dataframe_guesses_its_target_and_leaves_it_alone():
    frame = pd.DataFrame({"x": [float(i % 7) for i in range(60)], "z": [float(i % 5) for i in range(60)],
                          "label": ["a" if i % 7 < 3 else "b" for i in range(60)]})
    before = frame.copy()
    result = bridge.compare(frame, **FAST)
    assert result.dataset["target"] == "label" and result.dataset["task"] == "classification"
    pd.testing.assert_frame_equal(frame, before)
    assert bridge.compare(frame, target="x", task="regression", **FAST).dataset["target"] == "x"


def test_a_dataframe_without_two_columns_is_refused():
    with pytest.raises(bridge.BridgeError, match="two columns"):
        bridge.compare(pd.DataFrame({"only": [1, 2, 3]}), **FAST)


def test_importing_bridge_loads_neither_torch_nor_streamlit():
    code = "import sys, bridge; print(sorted(m for m in ('torch', 'streamlit', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
