"""The Bridge note page after a tiny text run (AppTest): TF-IDF weights beside the learned word vectors (issue #13)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP, TIMEOUT, store_finished_run
from text_data import BAD, GOOD, reviews

from bridge.config import CompareConfig, MLPConfig, TextConfig, TrainConfig
from bridge.experiment import run_comparison
from bridge.io.data import table_dataset
from pages.common import DATASET, SOURCE

CONFIG = CompareConfig(baseline="linear", network="text", mlp=MLPConfig(hidden_layers=1, width=8, dropout=0.0),
                       text=TextConfig(embedding_dim=8, layers=1, max_tokens=16),
                       train=TrainConfig(epochs=4, lr=0.02, batch_size=16, patience=0, device="cpu"), repeats=1, seed=0)


@pytest.fixture(scope="module")
def text_run():
    dataset = table_dataset(reviews(rows=80, seed=0), name="reviews")
    return dataset, run_comparison(dataset, CONFIG)


@pytest.fixture
def note(text_run, monkeypatch) -> AppTest:
    """The Bridge note page with the text run stored as this session's finished run."""
    dataset, comparison = text_run
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    source = "upload:reviews-for-the-note"
    at.session_state[DATASET], at.session_state[SOURCE] = dataset, source
    store_finished_run(at, source, comparison)
    at.switch_page("pages/bridge_note.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_note_shows_counted_words_beside_learned_ones(note):
    markdown = [md.value for md in note.markdown]
    assert "**What scikit-learn counted**" in markdown and "**What PyTorch learned**" in markdown
    assert any("the network learned what the words are like" in md for md in markdown)
    weights, neighbours = (frame.value for frame in note.dataframe)
    assert list(weights.columns) == ["neg", "pos"]  # a column per class, in the model's order
    assert any(cell.split()[0] in GOOD for cell in weights["pos"])
    assert any(cell.split()[0] in BAD for cell in weights["neg"])
    assert list(neighbours.columns) == ["word", "seen", "nearest words (cosine similarity)"] and len(neighbours) > 0


def test_the_word_map_and_both_representation_views_are_drawn(note):
    charts = [element for element in note.main if element.type == "vega_lite_chart"]
    assert len(charts) == 3  # the word map, then the pooled word vectors and the last hidden layer
    specs = [chart.proto.spec for chart in charts]
    assert "Words where the network put them" in specs[0]
    assert "pooled word vectors (PCA)" in specs[1] and "raw inputs" not in specs[1]
    assert not any("no hidden layer" in info.value for info in note.info)
