"""The HTML report of a tuned run: both sides' searches, their best settings, the knobs that mattered, the tuned test scores,
and where the Optuna studies were kept, with every text escaped; an untuned run's report has no tuning section."""

from __future__ import annotations

import re

import pytest
from tiny_data import fast_config_with, tiny_classification

from bridge.config import TuneConfig
from bridge.experiment import run_comparison
from bridge.io.data import Dataset
from bridge.outputs.html_report import _best_so_far, to_html

TRIALS = 4


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """A tuned run whose studies sit in a folder named like markup: the report must show that path as text."""
    folder = tmp_path_factory.mktemp("studies") / "<b>kept"
    folder.mkdir()
    dataset = Dataset("tiny", "table", frame=tiny_classification(), default_target="label")
    config = fast_config_with(tune=TuneConfig(trials=TRIALS, workers=1, executor="local"))
    return run_comparison(dataset, config, study_storage=f"sqlite:///{folder / 'studies.db'}")


def test_the_report_shows_both_searches_and_the_tuned_scores(tuned):
    page, metric, tuning = to_html(tuned), tuned.metric, tuned.tuning
    section = page[page.index("<h2>Tuning</h2>"):page.index("<h2>", page.index("<h2>Tuning</h2>") + 1)]
    assert f"{TRIALS} trials per side" in section and f"tuned test {metric}" in section
    for side, label in (("sklearn", "scikit-learn"), ("pytorch", "PyTorch")):
        tested = tuning["test"][side]["metrics"][metric]
        assert re.search(rf"<td>{label}</td><td>{TRIALS} \(\d complete\)</td><td>{tuning['best'][side]['value']:.4f}</td>"
                         rf"<td>{tuning['best'][side]['number']}</td><td>{tested:.4f}</td>", section), label
        for name in tuning["best"][side]["params"]:
            assert f"<td>{label}</td><td>{name}</td>" in section
    assert f'aria-label="Best validation {metric} so far, by trial"' in section


def test_the_studies_path_is_shown_as_text_never_as_markup(tuned):
    page = to_html(tuned)
    assert "Optuna studies kept in sqlite:///" in page and "/&lt;b&gt;kept/studies.db" in page
    assert "<b>kept" not in page


def test_a_run_without_tuning_has_no_tuning_section(classification_run):
    assert "<h2>Tuning</h2>" not in to_html(classification_run.comparison)


def test_the_best_so_far_never_falls_and_skips_pruned_trials():
    trials = [{"side": "pytorch", "number": n, "state": state, "value": value}
              for n, state, value in ((0, "complete", 0.7), (1, "pruned", None), (2, "complete", 0.6), (3, "complete", 0.9))]
    assert _best_so_far(trials, "pytorch") == [(0, 0.7), (2, 0.7), (3, 0.9)]
    assert _best_so_far(trials, "sklearn") == []
