"""Text from the command line and the API: one real ``python -m bridge compare`` on a text CSV, the text options reaching
the config, and the text mistakes that end in one ``error:`` line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from files import single_error_line
from text_data import reviews

import bridge
from bridge.api import SETTINGS, make_config
from bridge.cli import EXIT_BAD_INPUT, build_parser, config_from_args, main
from bridge.config import TextConfig

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--epochs", "3", "--repeats", "1", "--width", "16", "--embedding-dim", "8", "--quiet"]


@pytest.fixture
def reviews_csv(tmp_path) -> Path:
    path = tmp_path / "reviews.csv"
    reviews(rows=100).to_csv(path, index=False)
    return path


def test_python_m_bridge_compares_a_text_csv(reviews_csv, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "bridge", "compare", str(reviews_csv), "--epochs", "3", "--repeats", "1", "--json", "out.json"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["dataset"]["kind"] == "text" and report["dataset"]["text_columns"] == ["review"]
    assert report["dataset"]["target"] == "label"
    assert report["models"]["pytorch"]["name"] == "PyTorch TEXT"
    assert any(reason.startswith("[text] Text in 'review'") for reason in report["recommendation"]["reasons"])


def test_the_text_options_reach_the_config():
    args = build_parser().parse_args(["compare", "x.csv", "--text-columns", "title, body", "--text-encoder", "transformer",
                                      "--embedding-dim", "32", "--text-layers", "0", "--max-tokens", "128", "--vocabulary", "500",
                                      "--network", "text"])
    config = config_from_args(args)
    config.validate()
    assert config.text == TextConfig(encoder="transformer", embedding_dim=32, layers=0, max_tokens=128, vocabulary=500)
    assert config.text_columns == ("title", "body") and config.network == "text"
    assert config_from_args(build_parser().parse_args(["compare", "x.csv", "--no-text"])).text_columns == ()
    defaults = config_from_args(build_parser().parse_args(["compare", "x.csv"]))
    assert defaults.text_columns is None and defaults.text == TextConfig()  # auto detection unless asked otherwise


def test_the_api_takes_the_text_settings_as_flat_keywords():
    config = make_config(text_columns="review", text_encoder="conv", embedding_dim=16, text_layers=2, max_tokens=20, vocabulary=300,
                         network="text")
    assert config.text == TextConfig(encoder="conv", embedding_dim=16, layers=2, max_tokens=20, vocabulary=300)
    assert config.text_columns == ("review",)  # a lone name is one column, not its letters
    assert make_config(text_columns=["a", "b"]).text_columns == ("a", "b")
    assert make_config(text_columns=[]).text_columns == ()
    hash(make_config(text_columns=["a"]))  # the config stays hashable (the app caches on it)
    assert {"text_columns", "text_encoder", "embedding_dim", "text_layers", "max_tokens", "vocabulary"} <= set(SETTINGS)
    assert "text" not in SETTINGS and "encoder" not in SETTINGS
    for bad, message in (({"text_columns": 3}, "text_columns takes None"), ({"text_encoder": "rnn"}, "text encoder 'rnn' is unknown"),
                         ({"max_tokens": 0}, "max tokens 0 is out of range"), ({"vocabulary": 5}, "vocabulary 5 is out of range")):
        with pytest.raises(bridge.BridgeError, match=message):
            make_config(**bad)


@pytest.mark.parametrize(("argv", "message"), [
    (["--no-text"], "no usable feature columns are left"),
    (["--baseline", "gradient_boosting"], "gradient boosting reads dense tables only"),
    (["--text-columns", "label"], "'label' is the target, so it cannot also be a text feature"),
], ids=["no-text-on-text-only", "gradient-boosting-on-text", "target-as-text"])
def test_a_text_mistake_is_one_error_line(argv, message, reviews_csv, capsys):
    assert main(["compare", str(reviews_csv), *FAST, *argv]) == EXIT_BAD_INPUT
    assert message in single_error_line(capsys.readouterr().err)


def test_the_text_options_train_what_they_say(reviews_csv, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["compare", str(reviews_csv), *FAST, "--baseline", "linear", "--text-encoder", "conv", "--max-tokens", "8",
                 "--vocabulary", "12", "--text-layers", "0", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["config"]["text"] == {"encoder": "conv", "embedding_dim": 8, "layers": 0, "max_tokens": 8, "vocabulary": 12}
    notes = " ".join(report["notes"])
    assert "a vocabulary of 12 words" in notes  # capped
    assert "longer than 8 tokens" in notes  # reviews of 5 to 12 words: some are cut
