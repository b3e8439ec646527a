"""Tune mode in the app: the Train toggle, the sweep under "Tuning" on Compare, "Apply these settings", and the pieces they draw.

One tuned run (4 trials a side of a small MLP on 120 rows, each trial in a spawned local pool process) carries the app flow:
the sweep from the stored run, again after a reload through the run link, then its best settings filling the Train form.
A run without tuning shows none of it. The chart's table, the tuning progress bar and the history's label are checked directly.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import (
    TINY,
    chart_frames,
    click_run,
    go,
    on_train,
    opened_link,
    runs_made,
    set_settings,
    shown_comparison,
    sidebar_text,
    texts,
    trained_app,
    widget,
)

from bridge.config import CompareConfig, TuneConfig
from bridge.jobs.store import Run
from pages import charts, history, jobs_ui

TOGGLE, TRIALS = "Tune both sides (same budget)", "Trials per side"
# Settings inside the tuning space (its first trial is the default run's own, so a width or batch size it cannot draw would not do),
# with a learning rate too small for 3 epochs: a searched trial beats the defaults, so applying its settings changes the form.
SLOW_NETWORK = {**TINY, "Width (units per layer)": 32, "Batch size": 32, "Learning rate (log scale)": 1e-4}


def sweep_of(at: AppTest):
    """The sweep chart's table on the page shown, or None."""
    return next((f for f in chart_frames(at) if {"trial", "state", "best"} <= set(f.columns)), None)


def tuned_app() -> AppTest:
    at = on_train()
    set_settings(at, {**SLOW_NETWORK, TOGGLE: True}).run()
    widget(at, TRIALS).set_value(4).run()
    [line] = [c for c in texts(at.caption) if c.startswith("Each side gets 4 trials")]
    assert "about 4 times as long as one run" in line and "Trials run on the local pool." in line
    return click_run(at)


def test_a_tuned_run_shows_its_sweep_keeps_it_over_a_reload_and_applies_its_best_settings_on_train():
    at = tuned_app()
    [run] = runs_made(at)
    assert run.state == "done" and run.config.tune == TuneConfig(trials=4)
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert "tune 4 trials" in table["settings"].iloc[0]
    assert any(c.startswith("A tuned run: the first row is the default settings' scores") for c in texts(at.caption))

    go(at, "compare")
    tuning = shown_comparison(at).tuning
    tuned = {side: tuning["test"][side]["metrics"]["balanced_accuracy"] for side in ("sklearn", "pytorch")}
    assert (table["scikit-learn"].iloc[0], table["PyTorch"].iloc[0]) == pytest.approx((tuned["sklearn"], tuned["pytorch"]))  # history too
    assert (f"both sides tuned: scikit-learn {tuned['sklearn']:.3f} vs PyTorch {tuned['pytorch']:.3f} balanced_accuracy; verdict: "
            in sidebar_text(at))  # the scores the verdict weighed, not the defaults'
    go(at, "train")
    train_cards = {m.label: m.value for m in at.metric}
    assert train_cards[f"scikit-learn tuned: {tuning['test']['sklearn']['name'].removeprefix('tuned ')}"] == f"{tuned['sklearn']:.3f}"
    assert train_cards["PyTorch tuned: PyTorch MLP"] == f"{tuned['pytorch']:.3f}"
    go(at, "compare")
    assert "Tuning" in texts(at.subheader)
    tuned_cards = {k: v for k, v in ((m.label, m.value) for m in at.metric) if " tuned: " in k}
    assert sorted(tuned_cards) == ["PyTorch tuned: PyTorch MLP", f"scikit-learn tuned: {tuning['test']['sklearn']['name'].removeprefix('tuned ')}"]
    assert any(t.startswith("`tuning` Default against default") for t in texts(at.markdown))
    sweep = sweep_of(at)
    assert sweep is not None
    assert sorted(zip(sweep["side"], sweep["trial"])) == [(side, n) for side in ("PyTorch", "scikit-learn") for n in range(4)]
    best = {side: sweep[sweep["side"] == side]["best"].max() for side in ("PyTorch", "scikit-learn")}
    assert best == pytest.approx({"PyTorch": tuning["best"]["pytorch"]["value"], "scikit-learn": tuning["best"]["sklearn"]["value"]})
    settings = [d.value for d in at.dataframe if list(d.value.columns) == ["setting", "value"]]
    assert [dict(zip(f["setting"], f["value"]))["model family" if i == 0 else "width"] for i, f in enumerate(settings)] == [
        tuning["best"]["sklearn"]["params"]["family"], str(tuning["best"]["pytorch"]["params"]["width"])]
    importance_lines = [c for c in texts(at.caption) if "to say which mattered" in c]
    importance_charts = [f for f in chart_frames(at) if "share" in f.columns]
    assert len(importance_lines) + len(importance_charts) == 2  # each side: its knobs' shares, or why there are none
    [kept] = [c for c in texts(at.caption) if c.startswith("Optuna studies kept in")]
    assert tuning["studies"]["sklearn"] in kept and "studies.db" in kept  # the job's own file in its run folder

    reloaded = opened_link(run.token)  # a reload of the page, or the run link shared
    go(reloaded, "compare")
    assert sweep_of(reloaded) is not None and sweep_of(reloaded).equals(sweep)

    assert tuning["best"]["pytorch"]["number"] != 0  # not the defaults: Apply has something to change
    next(b for b in at.button if b.label == "Apply these settings").click().run()
    assert not at.exception and texts(at.title) == ["Train"]
    network, family = tuning["best"]["pytorch"]["params"], tuning["best"]["sklearn"]["params"]["family"]
    shown = {label: widget(at, label).value for label in ("Learning rate (log scale)", "Batch size", "Weight decay", "Dropout",
                                                          "Hidden layers (MLP)", "Width (units per layer)", "Baseline", TOGGLE)}
    assert shown == {"Learning rate (log scale)": pytest.approx(network["lr"]), "Batch size": network["batch_size"],
                     "Weight decay": pytest.approx(network["weight_decay"]), "Dropout": pytest.approx(network["dropout"]),
                     "Hidden layers (MLP)": network["hidden_layers"], "Width (units per layer)": network["width"], "Baseline": family,
                     TOGGLE: False}
    assert widget(at, "Epochs (at most)").value == TINY["Epochs (at most)"]  # what tuning did not search stays as the run had it


def test_a_run_without_tuning_shows_no_sweep_and_the_trials_input_waits_for_the_toggle():
    at = trained_app()
    assert widget(at, TOGGLE).value is False and widget(at, TRIALS).disabled
    assert not [c for c in texts(at.caption) if c.startswith("A tuned run")] and "once tuned" not in sidebar_text(at)
    assert not [c for c in texts(at.caption) if c.startswith("Each side gets")]
    go(at, "compare")
    assert "Tuning" not in texts(at.subheader) and sweep_of(at) is None
    assert not [b for b in at.button if b.label == "Apply these settings"]
    assert not [m for m in at.metric if " tuned: " in m.label]


def trial(side: str, number: int, value: float | None, state: str = "complete") -> dict:
    return {"side": side, "number": number, "value": value, "state": state, "seconds": 0.5, "params": {"lr": 0.00123456, "width": 64},
            "note": "pruned at epoch 4" if state == "pruned" else "", "epochs": 5}


def test_the_sweep_table_keeps_each_sides_best_so_far_and_puts_a_pruned_trial_at_the_bottom():
    frame = charts.sweep_frame([trial("pytorch", 0, 0.6), trial("pytorch", 1, None, "pruned"), trial("pytorch", 2, 0.8),
                                trial("pytorch", 3, 0.7), trial("sklearn", 0, 0.75), trial("sklearn", 1, 0.5)])
    torch_rows = frame[frame["side"] == "PyTorch"]
    assert list(torch_rows["best"]) == [0.6, 0.6, 0.8, 0.8]
    assert list(frame[frame["side"] == "scikit-learn"]["best"]) == [0.75, 0.75]
    pruned = torch_rows[torch_rows["state"] == "pruned"].iloc[0]
    assert pruned["shown"] == 0.5 and pruned["note"] == "pruned at epoch 4"
    assert frame["settings"].iloc[0] == "learning rate 0.00123, width 64"
    assert charts.sweep_chart(frame, "balanced accuracy").to_dict()["layer"][1]["encoding"]["shape"]["field"] == "state"


def test_the_progress_bar_follows_the_trials_while_a_run_tunes():
    def run(stage: str, message: str, fraction: float = 0.99) -> Run:
        return Run(1, "t", "o", "k", "d", CompareConfig(), "running", 0.0, stage=stage, message=message, fraction=fraction)

    assert jobs_ui.progress_fraction(run("tuning", "Tuning scikit-learn: 4 of 20 trials")) == pytest.approx(0.1)
    assert jobs_ui.progress_fraction(run("tuning", "Tuning PyTorch: 8 of 20 trials")) == pytest.approx(0.7)
    assert jobs_ui.progress_fraction(run("tuning", "Tuning PyTorch: 4 trials")) == 0.99  # a minutes budget has no total
    assert jobs_ui.progress_fraction(run("pytorch", "PyTorch epoch 3 of at most 9", 0.4)) == 0.4


def test_history_names_the_tuning_budget_and_says_nothing_without_one():
    assert history.settings_of(CompareConfig(tune=TuneConfig(trials=20)))["tune"] == "20 trials"
    assert history.settings_of(CompareConfig(tune=TuneConfig(minutes=1.5)))["tune"] == "1.5 minutes"
    assert "tune" not in history.settings_of(CompareConfig())
    changed = history.settings_diff(CompareConfig(), CompareConfig(tune=TuneConfig(trials=20)))
    assert changed == [{"setting": "tune", "before": "-", "after": "20 trials"}]
