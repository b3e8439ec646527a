"""The pages in AppTest: every page after a real (tiny) run, what pages say before one, and what each shows.

Each test drives app.py the way a person would: upload through the file uploader, set sliders on
Train, click Run, switch pages, and checks the values the pages show. When training happens and
who sees which run (a second press, the queue limit, two sessions, links, history) is in
tests/app/test_app_runs.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import (
    APP,
    PAGES,
    ROOT,
    SCORE,
    VERDICT_HEADERS,
    go,
    images_zip,
    metric_values,
    new_app,
    regression_csv,
    runs_made,
    shown_comparison,
    sidebar_text,
    table_csv,
    texts,
    train,
    trained_app,
    upload,
    widget,
)


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


def test_settings_and_result_are_still_there_after_visiting_another_page():
    at = trained_app()
    shown = metric_values(at)
    go(at, "compare")
    go(at, "train")
    assert widget(at, "Epochs (at most)").value == 3 and widget(at, "Width (units per layer)").value == 8
    assert metric_values(at) == shown


def test_picking_a_builtin_dataset():
    at = new_app()
    at.selectbox[0].set_value("iris")
    next(b for b in at.button if b.label == "Use this dataset").click().run()
    assert not at.exception
    assert texts(at.subheader)[0] == "iris" and "iris: 150 rows x 5 columns" in sidebar_text(at)
    assert at.selectbox[1].value == "species"  # the target column


def test_errors_download_is_the_shown_rows_as_formula_safe_csv(monkeypatch):
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from bridge.outputs.safe_csv import safe_csv_bytes

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

    helpers = {"common.py", "jobs_ui.py", "charts.py", "views.py", "history.py", "__init__.py"}  # modules the pages import, not screens
    screens = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name not in helpers)
    assert sorted(Path(p).name for p in APP_PAGES.values()) == screens == sorted(Path(p).name for p in PAGES.values())
    at = trained_app()
    titles = {}
    for name in PAGES:
        go(at, name)  # fails on any exception the page raises
        assert not at.error, f"{name}: {texts(at.error)}"
        titles[name] = texts(at.title)
    assert titles == {"data": ["Data"], "train": ["Train"], "compare": ["Compare"], "errors": ["Errors"],
                      "recommendation": ["Recommendation"], "bridge_note": ["Bridge note"]}
