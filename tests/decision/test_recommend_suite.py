"""The recommendation checked against known answers.

Each case states the verdict a senior ML engineer would expect and why; the
engine must be right on at least 90% of them, and every reason it gives must
name its rule and quote a measured number.
"""

from __future__ import annotations

import re

import pytest

from bridge.config import CompareConfig, TextConfig
from bridge.experiment import run_comparison
from bridge.io import synthetic
from bridge.io.data import Dataset, load_builtin


def _table(name, frame):
    return lambda: Dataset(name, "table", frame=frame, default_target="target")


def _images(name, images):
    return lambda: Dataset(name, "images", images=images, default_target="class")


# name: (expected verdict, why, dataset factory[, the config when not the default])
CASES = {
    "iris": ("sklearn", "small, nearly linearly separable: a tie goes to the simpler tool", lambda: load_builtin("iris")),
    "wine": ("sklearn", "small and linear: both perfect or close, a tie", lambda: load_builtin("wine")),
    "breast_cancer": ("sklearn", "logistic regression is already at the ceiling", lambda: load_builtin("breast_cancer")),
    "diabetes": ("sklearn", "noisy, small regression where ridge is as good as it gets", lambda: load_builtin("diabetes")),
    "digits_table": ("sklearn", "64 pixel columns of centred digits: linear models tie with an MLP", lambda: load_builtin("digits")),
    "steps": ("sklearn", "an irregular, thresholded target where trees lead", _table("steps", synthetic.step_table())),
    "uninformative": ("sklearn", "4 informative of 40 columns", _table("uninformative", synthetic.uninformative_table())),
    "oblique": ("pytorch", "a smooth target of oblique directions: trees and linear models cannot follow it",
                _table("oblique", synthetic.oblique_regression())),
    "moved_digits": ("pytorch", "objects that move around the canvas: a pixel baseline collapses, a CNN does not",
                     lambda: Dataset("moved_digits", "images", images=synthetic.moved_digits(canvas=16), default_target="class")),
    "imbalanced": ("sklearn", "a 28:1 rare class set apart by a threshold on two columns: a class-weighted baseline finds it",
                   _table("imbalanced", synthetic.imbalanced_table())),
    "tiny": ("sklearn", "40 rows of a linear rule: one 8-row test split cannot decide, the seeds say tie, the simpler tool wins",
             _table("tiny", synthetic.tiny_table())),
    # Text. Tuned by hand on packages (validation balanced accuracy): TF-IDF + logistic regression 0.847; the network's best
    # of 12 settings 0.846 (bag encoder, one hidden layer, lr 1e-3; conv 0.842, transformer 0.76): a tie at best, and on
    # 3,000 one-line texts a linear model on TF-IDF is usually hard to beat, so the simpler tool.
    "packages": ("sklearn", "3,274 one-line synopses: counted words are as good as learned ones, a tie", lambda: load_builtin("packages")),
    "mixed_text": ("sklearn", "a kind or unkind word plus a price threshold: TF-IDF and the scaled price in one linear model read both",
                   _table("mixed_text", synthetic.mixed_text_table())),
    # Every row holds both key words: no bag of words or short n-gram can see which comes first; attention with positions can.
    "word_order": ("pytorch", "which of two words comes first, 3-6 words apart: counted words cannot see order, a transformer can",
                   _table("word_order", synthetic.word_order_text()), CompareConfig(text=TextConfig(encoder="transformer"))),
    "noise_labels": ("no-signal", "random labels", _table("noise_labels", synthetic.noise_table())),
    "noise_numbers": ("no-signal", "a random numeric target", _table("noise_numbers", synthetic.noise_table(task="regression"))),
}

_results: dict[str, dict] = {}


def _run(name: str) -> dict:
    if name not in _results:
        config = CASES[name][3] if len(CASES[name]) > 3 else CompareConfig()  # a case may name the network it needs
        _results[name] = run_comparison(CASES[name][2](), config).to_dict()
    return _results[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_every_reason_names_its_rule_and_quotes_a_number(name):
    recommendation = _run(name)["recommendation"]
    assert recommendation["verdict"] in {"sklearn", "pytorch", "no-signal"}
    assert recommendation["choice"] == ("pytorch" if recommendation["verdict"] == "pytorch" else "sklearn")
    # Confidence is a share of resamples (and seeds) where the verdict's side is at least as good: it may fall below
    # one half on a tie the simpler tool wins by rule, and its words must say so.
    assert 0.0 <= recommendation["confidence"] <= 1.0
    assert recommendation["confidence_words"] in {"firm", "likely", "a lean", "a toss-up", "weak"}
    assert recommendation["confidence_means"]
    assert len(recommendation["reasons"]) >= 4
    for reason in recommendation["reasons"]:
        assert re.match(r"^\[[a-z-]+\] ", reason), reason
        assert re.search(r"\d", reason), reason
    assert recommendation["next_action"]
    assert recommendation["would_change"]
    assert {row["aspect"] for row in recommendation["tradeoffs"]} >= {"fit time", "learned parameters"}


@pytest.mark.slow
def test_engine_is_right_on_at_least_90_percent_of_the_suite():
    verdicts = {name: _run(name)["recommendation"]["verdict"] for name in CASES}
    wrong = {name: (verdict, CASES[name][0]) for name, verdict in verdicts.items() if verdict != CASES[name][0]}
    share = 1 - len(wrong) / len(CASES)
    assert share >= 0.9, f"right on {share:.0%}; wrong (got, expected): {wrong}"


@pytest.mark.slow
def test_verdicts_rest_on_the_rule_that_should_decide_them():
    # The clear wins are decided by a measured gap, the noise by the floor: not by accident.
    assert any(r.startswith("[clear-gap]") for r in _run("oblique")["recommendation"]["reasons"])
    assert any(r.startswith("[clear-gap]") for r in _run("moved_digits")["recommendation"]["reasons"])
    assert any(r.startswith("[no-signal]") for r in _run("noise_labels")["recommendation"]["reasons"])
    # A test split too small to decide says so and leans on the seeds, with its confidence capped.
    tiny = _run("tiny")["recommendation"]
    assert any(r.startswith("[small-split]") for r in tiny["reasons"]) and tiny["confidence"] <= 0.6
    evidence = _run("oblique")["recommendation"]["evidence"]
    assert evidence["gap_low"] > 0.01 and evidence["p_value"] < 0.05


@pytest.mark.slow
def test_text_cases_quote_the_texts_traits():
    """The verdict on text speaks of text: its rows, vocabulary and tokens per row, as numbers, and the order case is a clear gap."""
    for name in ("packages", "mixed_text", "word_order"):
        report = _run(name)
        text = [r for r in report["recommendation"]["reasons"] if r.startswith("[text]")]
        assert len(text) == 1 and re.search(r"vocabulary of [\d,]+ words", text[0]) and "tokens per row" in text[0], name
    assert _run("packages")["dataset"]["kind"] == "text" and _run("mixed_text")["dataset"]["kind"] == "table"
    assert _run("mixed_text")["dataset"]["text_columns"] == ["review"]
    assert any(r.startswith("[clear-gap]") for r in _run("word_order")["recommendation"]["reasons"])
