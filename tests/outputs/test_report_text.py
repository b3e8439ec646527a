"""Reports of text runs: the JSON says the data is text and gives back the run's settings; the HTML shows the text, escaped."""

from __future__ import annotations

import html
import json
import re

import pytest
from text_data import reviews

from bridge.config import CompareConfig, MLPConfig, TextConfig, TrainConfig
from bridge.experiment import run_comparison
from bridge.io.data import load_dataset
from bridge.outputs.html_report import LONG_CELL, to_html
from bridge.outputs.report import to_json

HOSTILE = "<script>alert(1)</script>"
COLUMN = "<i>review</i>"  # a column name that is markup too
FILLER = " and so on" * 40  # every text runs past LONG_CELL characters


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Text alone (hostile texts, a hostile column name, every text long), and text beside a number with the columns chosen."""
    folder = tmp_path_factory.mktemp("text-report")
    alone = reviews(80).rename(columns={"review": COLUMN})
    alone[COLUMN] = HOSTILE + " " + alone[COLUMN] + FILLER
    mixed = reviews(80, seed=1, stars=True)
    for name, frame in (("alone", alone), ("mixed", mixed)):
        frame.to_csv(folder / f"{name}.csv", index=False)
    small = {"mlp": MLPConfig(hidden_layers=1, width=8, dropout=0.0), "repeats": 1, "baseline": "linear",
             "train": TrainConfig(epochs=3, lr=0.02, batch_size=16, patience=0, device="cpu")}
    configs = {"alone": CompareConfig(target="label", text=TextConfig(embedding_dim=8, max_tokens=12, vocabulary=300), **small),
               "mixed": CompareConfig(target="label", text_columns=("review",), text=TextConfig(encoder="conv", embedding_dim=4, layers=0), **small)}
    return {name: (run_comparison(load_dataset(folder / f"{name}.csv"), config), config) for name, config in configs.items()}


@pytest.mark.parametrize("name, kind, columns", [("alone", "text", [COLUMN]), ("mixed", "table", ["review"])])
def test_the_json_report_says_the_data_is_text(runs, name, kind, columns):
    comparison, _ = runs[name]
    report = json.loads(to_json(comparison), parse_constant=_reject_constant)
    assert report["dataset"]["kind"] == kind and report["dataset"]["text_columns"] == columns  # text beside a number: a mixed table
    assert report["dataset"] == comparison.dataset
    traits = report["recommendation"]["evidence"]["traits"]  # what the verdict weighed
    assert traits["text_columns"] == columns and traits["vocabulary"] > 10 and traits["mean_tokens"] > 5
    said = f"a vocabulary of {traits['vocabulary']:,} words in the training rows, {traits['mean_tokens']:.1f} tokens per row"
    assert any(reason.startswith("[text] ") and said in reason for reason in report["recommendation"]["reasons"])


@pytest.mark.parametrize("name", ["alone", "mixed"])
def test_the_json_config_gives_back_the_runs_settings(runs, name):
    comparison, config = runs[name]
    report = json.loads(to_json(comparison))
    assert CompareConfig.from_dict(report["config"]) == config  # text settings and text columns included
    assert report["config"]["text_columns"] == (None if name == "alone" else ["review"])
    assert report["config"]["text"]["encoder"] == config.text.encoder


def test_the_html_report_shows_the_text_and_its_traits(runs):
    comparison, config = runs["alone"]
    page = to_html(comparison)
    traits = comparison.prepared.traits
    section = page[page.index("<h2>The text</h2>"):page.index("<h2>Where representation learning happens</h2>")]
    assert f"<td>vocabulary (words in the training rows)</td><td>{traits['vocabulary']:,}</td>" in section
    assert f"<td>tokens per row, on average</td><td>{traits['mean_tokens']:.1f}</td>" in section
    assert f"first {config.text.max_tokens} tokens" in section and "bag encoder" in section
    assert "One test text, as each side reads it" in section and "TF-IDF" in section


def test_the_html_report_escapes_text_from_the_data(runs):
    comparison, _ = runs["alone"]
    page = to_html(comparison)
    assert html.escape(HOSTILE) in page and html.escape(COLUMN) in page  # shown as text, in the text section at least
    lowered = page.lower()
    assert "<script" not in lowered and "<i>review" not in lowered
    assert comparison.errors  # the error table shows texts too: each cut, so a long text cannot stretch it
    cells = [html.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", page, flags=re.S)]
    assert any(cell.startswith(HOSTILE) for cell in cells)
    assert max(len(cell) for cell in cells) <= LONG_CELL + 1
    shown = re.search(r"<q>(.*?)</q>", page, flags=re.S)
    assert shown and html.unescape(shown.group(1)).startswith(HOSTILE) and len(html.unescape(shown.group(1))) == LONG_CELL + 1
