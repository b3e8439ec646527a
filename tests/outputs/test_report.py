"""report: the JSON file any reader accepts, and the CLI's plain-text summary."""

from __future__ import annotations

import json

import pytest

from bridge.outputs.report import side_by_side, summary, to_json, write_json


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


@pytest.fixture(params=["classification", "regression"])
def comparison(request, classification_run, regression_run):
    return (classification_run if request.param == "classification" else regression_run).comparison


def test_to_json_is_valid_json_without_nan(comparison):
    text = to_json(comparison)
    report = json.loads(text, parse_constant=_reject_constant)
    assert report["dataset"] == comparison.dataset
    assert report["split"] == comparison.split
    assert report["models"]["sklearn"]["metrics"] == pytest.approx(comparison.models["sklearn"].metrics)
    assert report["recommendation"]["choice"] == comparison.recommendation["choice"]
    assert len(report["errors"]) == len(comparison.errors)


def test_non_finite_numbers_become_null(classification_run, monkeypatch):
    comparison = classification_run.comparison
    monkeypatch.setitem(comparison.models["dummy"].metrics, "roc_auc", float("nan"))
    monkeypatch.setitem(comparison.models["pytorch"].metrics, "accuracy", float("inf"))
    report = json.loads(to_json(comparison), parse_constant=_reject_constant)
    assert report["models"]["dummy"]["metrics"]["roc_auc"] is None
    assert report["models"]["pytorch"]["metrics"]["accuracy"] is None


def test_write_json_writes_the_same_report(comparison, tmp_path):
    path = tmp_path / "report.json"
    write_json(comparison, path)
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(to_json(comparison))


def test_summary_names_the_three_models_and_the_verdict(comparison):
    text = summary(comparison)
    for result in comparison.models.values():
        assert result.name in text
    rec = comparison.recommendation
    assert f"Recommendation: {rec['verdict']} (confidence {rec['confidence']:.2f}, {rec['confidence_words']})" in text
    assert f"  ({rec['confidence_means']})" in text
    assert all(f"  - {reason}" in text for reason in rec["reasons"])
    s = comparison.split
    assert f"train {s['train']} / validation {s['val']} / test {s['test']} rows" in text
    assert comparison.dataset["name"] in text


def test_summary_lists_the_notes(classification_run):
    text = summary(classification_run.comparison)
    assert "Notes\n  - dropped 3 row(s) with no value for the target 'label'" in text


def test_side_by_side_table(comparison):
    lines = side_by_side(comparison).splitlines()
    assert lines[0].split() == ["Dummy", "floor", "scikit-learn", "PyTorch"]
    metric = comparison.metric
    row = next(line for line in lines if line.startswith(metric + " "))
    values = [float(v) for v in row.split()[1:]]
    assert values == [round(comparison.models[k].metrics[metric], 4) for k in ("dummy", "sklearn", "pytorch")]
    parameters = next(line for line in lines if line.startswith("parameters"))
    assert parameters.split()[1:] == [f"{comparison.models[k].parameters:,}" for k in ("dummy", "sklearn", "pytorch")]
    assert len({len(line.rstrip()) for line in lines[:2]}) == 1  # header and rule are aligned


def test_the_html_report_says_what_the_confidence_means(comparison):
    import html

    from bridge.outputs.html_report import to_html

    rec, page = comparison.recommendation, to_html(comparison)
    assert f"<p>Confidence {rec['confidence']:.0%}: {html.escape(rec['confidence_words'])}. {html.escape(rec['confidence_means'])}</p>" in page
