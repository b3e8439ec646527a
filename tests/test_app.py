"""The app in AppTest: every page after a real (tiny) run, what pages say before one, and when training happens.

Each test drives app.py the way a person would: upload through the file uploader, set sliders on
Train, click Run, switch pages, and checks the values the pages show.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import (
    APP,
    PAGES,
    ROOT,
    TINY,
    VERDICT_HEADERS,
    await_runs,
    click_run,
    go,
    images_zip,
    metric_values,
    navigation_as_served,
    new_app,
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

SCORE = re.compile(r"^-?\d+\.\d{3}$")  # a score as the pages print it


@pytest.fixture(autouse=True)
def served(monkeypatch):
    navigation_as_served(monkeypatch)


def test_a_first_visit_starts_on_data_with_a_builtin_dataset():
    at = new_app()
    assert texts(at.title) == ["Data"]
    assert texts(at.subheader)[0] == "breast_cancer"
    assert "breast_cancer: 569 rows x 31 columns" in sidebar_text(at)
    assert "Last run" in " ".join(texts(at.sidebar.markdown)) and "none yet: set up a run on the Train page" in sidebar_text(at)


@pytest.mark.parametrize("page", ["compare", "errors", "recommendation", "bridge_note"])
def test_a_page_with_nothing_to_show_says_what_to_do_first_with_a_link(page):
    at = go(new_app(), page)
    assert texts(at.info) == ["Nothing to show yet: run a comparison first."]
    assert [(link.value, link.proto.page) for link in at.page_link] == [("Go to Train", "train")]
    assert "breast_cancer" in sidebar_text(at)  # the sidebar is drawn even though the page stopped early
    assert not at.error


def test_a_page_opened_before_app_py_ever_ran_opens_through_app_py(monkeypatch):
    """A server's first request on /compare (a direct URL, a tab reconnecting after a restart) runs in Streamlit's pages-folder mode.

    Without the served-navigation patch AppTest is in that mode on every run after the first, as a new server is.
    The page leaves that mode and reruns itself through app.py: the page asked for, with the sidebar and a dataset.
    """
    monkeypatch.undo()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGES["compare"]).run()
    assert not at.exception
    assert texts(at.title) == ["Compare"] and "breast_cancer: 569 rows" in sidebar_text(at)
    assert texts(at.info) == ["Nothing to show yet: run a comparison first."]


def test_upload_run_and_read_every_page():
    at = upload(new_app(), "labels.csv", table_csv())
    assert texts(at.success) == ["Loaded labels.csv."]
    assert texts(at.subheader)[0] == "labels.csv"
    assert "labels.csv: 120 rows x 4 columns" in sidebar_text(at)

    train(at)
    assert len(runs_made(at)) == 1
    shown = metric_values(at)
    sk = next(v for k, v in shown.items() if k.startswith("scikit-learn: LogisticRegression"))
    pt = shown["PyTorch: PyTorch MLP"]
    assert SCORE.match(sk) and SCORE.match(pt)
    assert shown["Verdict"] in ("scikit-learn", "PyTorch", "no usable signal yet")
    assert f"labels.csv: scikit-learn {sk} vs PyTorch {pt} balanced_accuracy; verdict: **{shown['Verdict']}**" in sidebar_text(at)
    assert not at.error

    go(at, "compare")
    compare = metric_values(at)
    assert compare["scikit-learn: LogisticRegression"] == sk and compare["PyTorch: PyTorch MLP"] == pt
    assert SCORE.match(compare["Dummy floor: DummyClassifier"])
    table, cost = at.dataframe[0].value, at.dataframe[1].value
    assert {"Balanced accuracy", "Accuracy"} <= set(table.index) and set(cost.index) == {"fit seconds", "predict seconds", "parameters"}
    assert "PyTorch - scikit-learn" in table.columns
    assert texts(at.subheader) == ["Learning curves", "Confusion matrices", "Cost"]
    charts = [chart.proto.spec for chart in at.get("vega_lite_chart")]
    assert len(charts) == 4  # two learning curves, two confusion matrices
    assert "PyTorch: loss per epoch" in charts[0] and "Both sides: validation Balanced accuracy by training size" in charts[1]

    go(at, "errors")
    count = next(int(m.value.split()[0]) for m in at.markdown if m.value.endswith(" row(s)"))
    assert count == len(at.dataframe[0].value) > 0
    assert [b.label for b in at.download_button] == ["Download these rows (CSV)"]
    assert texts(at.subheader) == ["Per-class metrics"]
    assert set(at.dataframe[1].value["class"]) == {"no", "yes"}

    go(at, "recommendation")
    assert at.header[0].value in VERDICT_HEADERS
    assert at.header[0].value == {"scikit-learn": "Use scikit-learn", "PyTorch": "Use PyTorch"}.get(shown["Verdict"], at.header[0].value)
    assert "Why" in texts(at.subheader) and at.download_button  # the reasons, and a report to take away

    go(at, "bridge_note")
    assert texts(at.title) == ["Bridge note"] and len(at.markdown) >= 5

    go(at, "data")
    assert texts(at.subheader)[0] == "labels.csv"
    assert len(runs_made(at)) == 1  # reading pages never trains
    assert not at.error


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


def test_settings_and_result_are_still_there_after_visiting_another_page():
    at = trained_app()
    shown = metric_values(at)
    go(at, "compare")
    go(at, "train")
    assert widget(at, "Epochs (at most)").value == 3 and widget(at, "Width (units per layer)").value == 8
    assert metric_values(at) == shown


def test_pressing_run_twice_queues_once_and_the_result_still_arrives():
    at = upload(new_app(), "labels.csv", table_csv())
    go(at, "train")
    set_settings(at, TINY)
    press_run(at)
    press_run(at)  # a double click: the second press finds the first run waiting
    assert texts(at.info) == ["A run with these settings is already waiting or training; its result will appear here when it ends."]
    assert len(runs_made(at)) == 1
    go(at, "compare")  # leave Train while it trains: nothing blocks, and the result follows
    await_runs(at)
    assert texts(at.title) == ["Compare"] and SCORE.match(metric_values(at)["PyTorch: PyTorch MLP"])
    assert at.query_params["run"] == runs_made(at)[0].token  # the URL names the run shown


def test_a_session_queues_at_most_three_runs_and_says_why_it_refuses_a_fourth():
    at = upload(new_app(), "labels.csv", table_csv())
    go(at, "train")
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
    carol = AppTest.from_file(APP, default_timeout=120)
    carol.query_params["run"] = token  # a shared link, or Alice's own reload
    carol.run()
    assert not carol.exception and "alice.csv: 120 rows x 4 columns" in sidebar_text(carol)
    go(carol, "compare")
    assert metric_values(carol)["PyTorch: PyTorch MLP"] == shown["PyTorch: PyTorch MLP"]
    go(carol, "train")
    assert "Runs on this dataset" not in texts(carol.subheader)  # the link opens its run; Alice's history stays hers

    dave = AppTest.from_file(APP, default_timeout=120)
    dave.query_params["run"] = "made-up-token"
    dave.run()
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
    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for c in at.get("vega_lite_chart") for d in c.proto.datasets]
    assert any(set(f.get("run", [])) == {"#1", "#2"} for f in frames)  # both runs' loss curves on one chart
    assert not at.get("help")  # nothing printed by Streamlit's magic (a bare expression once put a docstring here)


def test_picking_a_builtin_dataset():
    at = new_app()
    at.selectbox[0].set_value("iris")
    next(b for b in at.button if b.label == "Use this dataset").click().run()
    assert not at.exception
    assert texts(at.subheader)[0] == "iris" and "iris: 150 rows x 5 columns" in sidebar_text(at)
    assert at.selectbox[1].value == "species"  # the target column


def test_errors_download_is_the_shown_rows_as_formula_safe_csv(monkeypatch):
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from bridge.safe_csv import safe_csv_bytes

    saved = {}
    store = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if mimetype == "text/csv":
            saved[filename] = path_or_data
        return store(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    at = trained_app("formulas.csv", table_csv(formula_cells=True))
    go(at, "errors")
    widget(at, "Show").set_value("every test row")
    at.run()
    data = saved["bridge-formulas.csv-rows.csv"]
    shown = at.dataframe[0].value
    assert data == safe_csv_bytes(shown)
    downloaded = pd.read_csv(pd.io.common.BytesIO(data))
    assert len(downloaded) == len(shown) == shown_comparison(at).split["test"]
    assert set(downloaded["feature: colour"]) <= {"'=red", "'+green", "'@blue"}


def test_a_confusion_cell_opens_exactly_its_rows_on_errors():
    at = trained_app()
    comparison = shown_comparison(at)
    at.session_state["bridge.cell"] = ("sklearn", "yes", "no")
    go(at, "errors")
    rows = at.dataframe[0].value
    assert "Confusion cell: true **yes**, scikit-learn predicted **no**." in texts(at.info)
    assert list(rows["true"].unique()) in ([], ["yes"]) and list(rows["sklearn"].unique()) in ([], ["no"])
    labels = comparison.confusion["labels"]
    assert len(rows) == comparison.confusion["sklearn"][labels.index("yes")][labels.index("no")]
    next(b for b in at.button if b.label == "Show all errors again").click().run()
    assert "bridge.cell" not in at.session_state and not any(i.startswith("Confusion cell") for i in texts(at.info))


def test_regression_run_reads_on_every_page():
    at = trained_app("prices.csv", regression_csv())
    assert SCORE.match(metric_values(at)["PyTorch: PyTorch MLP"])
    go(at, "compare")
    assert "Confusion matrices" not in texts(at.subheader) and "Dummy floor: DummyRegressor" in metric_values(at)
    go(at, "errors")
    assert texts(at.caption)[0].startswith("Regression: every test row")
    assert {"sklearn_error", "pytorch_error"} <= set(at.dataframe[0].value.columns)
    go(at, "recommendation")
    assert at.header[0].value in VERDICT_HEADERS


def test_an_image_zip_trains_a_cnn_and_shows_thumbnails():
    at = upload(trained_app(), "shapes.zip", images_zip(), "application/zip")  # after a table run, whose MLP must not carry over
    assert texts(at.success) == ["Loaded shapes.zip."] and texts(at.subheader)[0] == "shapes.zip"
    assert len(at.image) == 3  # a row of thumbnails per class
    assert "shapes.zip: 36 images" in sidebar_text(at)
    go(at, "train")
    assert widget(at, "Network").value == "cnn"
    train(at, {"Network": "cnn", "Conv blocks": 1, "Channels (first block)": 4, "Epochs (at most)": 2, "Batch size": 16})
    assert SCORE.match(metric_values(at)["PyTorch: PyTorch CNN"])
    go(at, "errors")
    widget(at, "Show").set_value("every test row")
    at.run()
    images = at.dataframe[0].value["image"]
    assert len(images) > 0 and all(str(uri).startswith("data:image/png;base64,") for uri in images)
    go(at, "compare")
    assert texts(at.subheader) == ["Learning curves", "Confusion matrices", "Cost"]

    # back to the table with its first settings: the CNN choices made since are no part of a table run
    upload(at, "labels.csv", table_csv())
    train(at)
    assert texts(at.success) == ["Same dataset and settings as an earlier run: here is its stored result, nothing retrained."]
    assert len(runs_made(at)) == 2


def test_every_page_file_is_reachable_and_opens_after_a_run_with_its_own_title():
    from pages.common import PAGES as APP_PAGES  # the navigation app.py builds: a page missing there is unreachable

    screens = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name not in ("common.py", "jobs_ui.py", "__init__.py"))
    assert sorted(Path(p).name for p in APP_PAGES.values()) == screens == sorted(Path(p).name for p in PAGES.values())
    at = trained_app()
    titles = {}
    for name in PAGES:
        go(at, name)  # fails on any exception the page raises
        assert not at.error, f"{name}: {texts(at.error)}"
        titles[name] = texts(at.title)
    assert titles == {"data": ["Data"], "train": ["Train"], "compare": ["Compare"], "errors": ["Errors"],
                      "recommendation": ["Recommendation"], "bridge_note": ["Bridge note"]}
