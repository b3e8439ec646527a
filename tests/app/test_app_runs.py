"""Runs in the app (AppTest): when training happens, what a second press or a fourth run does, and who sees which run.

Runs are jobs in the run store: moving a slider never trains, the same dataset and settings
return the stored result, a double click queues once, a session may queue three runs, two
sessions never see each other's data, runs or tokens, a run link opens its run elsewhere, and the
history compares two runs. What each page shows after a run is in tests/app/test_app.py.
"""

from __future__ import annotations

from test_app_support import (
    ROOT,
    SCORE,
    TINY,
    await_runs,
    chart_frames,
    click_run,
    go,
    metric_values,
    new_app,
    on_train,
    opened_link,
    press_run,
    regression_csv,
    runs_made,
    set_settings,
    shown_comparison,
    sidebar_text,
    table_csv,
    texts,
    train,
    trained_app,
    upload,
    widget,
)


def test_moving_a_slider_without_run_does_not_retrain_and_marks_the_result_as_older():
    at = trained_app()
    before = metric_values(at)
    assert not texts(at.warning)
    widget(at, "Epochs (at most)").set_value(7)
    widget(at, "Width (units per layer)").set_value(16)
    at.run()
    assert len(runs_made(at)) == 1
    assert not at.get("progress")  # no training progress bar was drawn
    [older] = texts(at.warning)
    assert older.startswith("From earlier settings") and "width 8 -> 16" in older and "epochs (at most) 3 -> 7" in older
    go(at, "compare")
    assert {k: v for k, v in metric_values(at).items() if not k.startswith("Dummy")} == {k: v for k, v in before.items() if k != "Verdict"}


def test_the_same_dataset_and_settings_return_the_stored_result_without_training():
    at = trained_app()
    first = metric_values(at)
    [stored] = runs_made(at)

    click_run(at)  # same settings again
    assert len(runs_made(at)) == 1
    assert texts(at.success) == ["Same dataset and settings as an earlier run: here is its stored result, nothing retrained."]
    assert metric_values(at) == first

    # another dataset, then the same file again (same bytes): still the stored result
    upload(at, "other.csv", table_csv(seed=5))
    upload(at, "labels.csv", table_csv())
    go(at, "train")
    click_run(at)
    assert [r.token for r in runs_made(at)] == [stored.token] and at.session_state["bridge.current"] == stored.token
    assert metric_values(at) == first


def test_pressing_run_twice_queues_once_and_the_result_still_arrives():
    at = set_settings(on_train(), TINY)
    press_run(at)
    press_run(at)  # a double click: the second press finds the first run waiting
    assert texts(at.info) == ["A run with these settings is already waiting or training; its result will appear here when it ends."]
    assert len(runs_made(at)) == 1
    go(at, "compare")  # leave Train while it trains: nothing blocks, and the result follows
    await_runs(at)
    assert texts(at.title) == ["Compare"] and SCORE.match(metric_values(at)["PyTorch: PyTorch MLP"])
    assert at.query_params["run"] == runs_made(at)[0].token  # the URL names the run shown


def test_a_session_queues_at_most_three_runs_and_says_why_it_refuses_a_fourth():
    at = on_train()
    for epochs in (3, 4, 5):
        press_run(set_settings(at, {**TINY, "Epochs (at most)": epochs}))
    press_run(set_settings(at, {**TINY, "Epochs (at most)": 6}))
    assert any(w.startswith("You already have 3 runs queued or training") for w in texts(at.warning))
    assert len(runs_made(at)) == 3
    await_runs(at)
    assert [r.state for r in runs_made(at)] == ["done"] * 3


def test_two_sessions_never_see_each_others_data_or_results():
    alice = trained_app("alice.csv", table_csv(seed=11))
    bob = new_app()
    assert "breast_cancer" in sidebar_text(bob) and "none yet" in sidebar_text(bob)
    assert runs_made(bob) == []
    go(bob, "compare")
    assert texts(bob.info) == ["Nothing to show yet: run a comparison first."]

    upload(bob, "bob.csv", regression_csv())
    go(alice, "compare")
    assert alice.session_state["bridge.dataset"].name == "alice.csv"
    assert "alice.csv" in sidebar_text(alice) and "bob.csv" not in sidebar_text(alice)
    assert bob.session_state["bridge.dataset"].name == "bob.csv"


def test_a_token_from_another_session_shows_nothing_and_is_never_listed():
    alice = trained_app("alice.csv", table_csv(seed=11))
    token = alice.session_state["bridge.current"]
    bob = upload(new_app(), "alice.csv", table_csv(seed=11))  # even on the same data
    bob.session_state["bridge.current"] = token  # as if Bob's session had got hold of Alice's token some other way than a link
    go(bob, "compare")
    assert texts(bob.info) == ["Nothing to show yet: run a comparison first."]
    go(bob, "train")
    assert "Runs on this dataset" not in texts(bob.subheader) and not bob.metric
    bob.session_state["bridge.current"] = "not-a-token"
    go(bob, "compare")
    assert texts(bob.info) == ["Nothing to show yet: run a comparison first."] and not bob.exception


def test_a_run_link_restores_the_results_pages_and_lists_nothing_else():
    alice = trained_app("alice.csv", table_csv(seed=11))
    shown = metric_values(alice)
    token = alice.query_params["run"]
    carol = opened_link(token)  # a shared link, or Alice's own reload
    assert not carol.exception and "alice.csv: 120 rows x 4 columns" in sidebar_text(carol)
    go(carol, "compare")
    assert metric_values(carol)["PyTorch: PyTorch MLP"] == shown["PyTorch: PyTorch MLP"]
    go(carol, "train")
    assert "Runs on this dataset" not in texts(carol.subheader)  # the link opens its run; Alice's history stays hers

    dave = opened_link("made-up-token")
    assert any("unknown or its run was removed" in w for w in texts(dave.warning)) and not dave.exception


def test_trained_models_live_in_the_run_store_not_in_a_shared_cache():
    at = trained_app()
    comparison = shown_comparison(at)
    assert comparison.models["pytorch"].artifact is not None and comparison.models["sklearn"].artifact is not None
    sources = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    assert not [p.name for p in sources if "cache_resource" in p.read_text()]  # st.cache_resource is shared by every user
    cached = [p.name for p in sources if "cache_data" in p.read_text()]
    assert cached == ["common.py"] and "def cached_builtin" in (ROOT / "pages" / "common.py").read_text()  # built-ins only


def test_history_shows_every_run_and_what_changed_between_two():
    at = trained_app()
    train(at, {"Width (units per layer)": 16, "Learning rate (log scale)": 0.003})
    assert "Runs on this dataset" in texts(at.subheader)
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert list(table["run"]) == ["#2", "#1"] and list(table["state"]) == ["done", "done"]
    diff = next(d.value for d in at.dataframe if "setting" in d.value.columns)
    assert {tuple(r) for r in diff[["setting", "before", "after"]].itertuples(index=False)} == {("width", "8", "16"),
                                                                                              ("learning rate", "0.001", "0.003")}
    scores = next(d.value for d in at.dataframe if "measure" in d.value.columns)
    assert list(scores["measure"])[:2] == ["scikit-learn balanced_accuracy", "PyTorch balanced_accuracy"]
    assert any(set(f.get("run", [])) == {"#1", "#2"} for f in chart_frames(at))  # both runs' loss curves on one chart
    assert not at.get("help")  # nothing printed by Streamlit's magic (a bare expression once put a docstring here)
