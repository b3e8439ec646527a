"""Helpers for the AppTest files (test_app.py, test_app_runs.py, test_app_errors.py and others); this file holds no tests.

Each helper drives the real app.py through streamlit.testing.v1.AppTest: upload bytes through the
file uploader, set a tiny network on the Train page, click Run, switch pages. Runs are small (a
few epochs of an 8-unit MLP on about a hundred rows), so a whole flow takes a second or two.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 120  # seconds per script run: a ceiling for a slow shared machine, not a timing assertion
PAGES = {name: f"pages/{name}.py" for name in ("data", "train", "compare", "errors", "recommendation", "bridge_note")}
VERDICT_HEADERS = ("Use scikit-learn", "Use PyTorch", "No usable signal yet: check the data before choosing a tool")
SCORE = re.compile(r"^-?\d+\.\d{3}$")  # a score as the pages print it
TINY = {"Hidden layers (MLP)": 1, "Width (units per layer)": 8, "Epochs (at most)": 3, "Batch size": 32, "Baseline": "linear"}


def navigation_as_served(monkeypatch) -> None:
    """Run app.py on every AppTest run, as the server does (tests/app/conftest.py calls this for every test there).

    Streamlit falls back to its old pages/-folder mode when a folder named pages/ sits beside the
    script; the server leaves that mode for good once app.py calls st.navigation, but AppTest
    detects it afresh before every run and would then run a page file without app.py (no sidebar,
    no default dataset). Clearing the flag after each detection matches the server.
    """
    detect = PagesManager.__init__

    def init(self, *args, **kwargs):
        detect(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def runs_made(at: AppTest) -> list:
    """Every run this AppTest session put in the run store, oldest first: the one way the app starts a training."""
    from bridge.jobs import RunStore

    owner = at.session_state["bridge.owner"] if "bridge.owner" in at.session_state else None
    return sorted(RunStore().runs_of(owner), key=lambda r: r.id) if owner else []


def await_runs(at: AppTest) -> AppTest:
    """Wait for this session's queued and running runs to end, then rerun the page as its polling fragment would."""
    from bridge.jobs import RunStore, wait

    waiting = [run for run in runs_made(at) if run.active]
    if not waiting:  # nothing was queued (a stored result was reused): the page as drawn is the answer
        return at
    for run in waiting:
        assert wait(RunStore(), run, timeout=TIMEOUT).state in ("done", "failed", "cancelled"), "a run did not end in time"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_comparison(at: AppTest):
    """The Comparison the results pages of this session show, loaded from the store."""
    from bridge.jobs import RunStore

    store = RunStore()
    return store.load_result(store.by_token(at.session_state["bridge.current"]))


def store_finished_run(at: AppTest, dataset_key: str, comparison) -> str:
    """Put an already computed comparison in the store as this session's finished run, shown on the results pages."""
    from bridge.jobs import DONE, RunStore
    from bridge.jobs.worker import summary
    from bridge.outputs.report import to_json

    store = RunStore()
    at.session_state["bridge.owner"] = owner = "test-owner-" + dataset_key
    run = store.create(owner, dataset_key, comparison.dataset["name"], comparison_config(comparison))
    store.save_result(run.id, comparison)
    store.finish(run.id, DONE, "Done", summary=summary(comparison), report=to_json(comparison))
    at.session_state["bridge.current"] = run.token
    return run.token


def comparison_config(comparison):
    from bridge.config import CompareConfig

    return CompareConfig.from_dict(comparison.config)


def table_csv(rows: int = 120, seed: int = 0, formula_cells: bool = False) -> bytes:
    """Two noisy classes from two numbers and a colour; ``formula_cells`` spells colours like spreadsheet formulas."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 2))
    colours = ["=red", "+green", "@blue"] if formula_cells else ["red", "green", "blue"]
    colour = rng.choice(colours, size=rows)
    label = np.where(x[:, 0] + x[:, 1] + rng.normal(scale=0.7, size=rows) > 0, "yes", "no")
    return pd.DataFrame({"x0": x[:, 0].round(3), "x1": x[:, 1].round(3), "colour": colour, "label": label}).to_csv(index=False).encode()


def regression_csv(rows: int = 120, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 2))
    price = 100 + 20 * x[:, 0] - 5 * x[:, 1] ** 2 + rng.normal(scale=2, size=rows)
    return pd.DataFrame({"x0": x[:, 0].round(3), "x1": x[:, 1].round(3), "price": price.round(2)}).to_csv(index=False).encode()


def images_zip() -> bytes:
    """data/sample_images as a user would zip it: shapes/<class>/<image>.png."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((ROOT / "data" / "sample_images").rglob("*.png")):
            archive.write(path, Path("shapes") / path.relative_to(ROOT / "data" / "sample_images"))
    return buffer.getvalue()


def new_app() -> AppTest:
    """A new session on the Data page."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def opened_link(token: str) -> AppTest:
    """A new session opened on a run link (``?run=<token>``): a reload of the page, or someone the link was sent to."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["run"] = token
    at.run()
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(PAGES[page]).run()
    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    return at


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    go(at, "data")
    at.file_uploader[0].set_value((name, data, mime)).run()
    assert not at.exception
    return at


def widget(at: AppTest, label: str):
    """The Train page control with this label, whatever kind it is."""
    for kind in (at.slider, at.select_slider, at.selectbox, at.radio, at.toggle, at.number_input):
        for item in kind:
            if item.label == label:
                return item
    raise AssertionError(f"no control labelled {label!r}")


def set_settings(at: AppTest, settings: dict) -> AppTest:
    for label, value in settings.items():
        widget(at, label).set_value(value)
    return at


def press_run(at: AppTest) -> AppTest:
    """Click Run and return at once, as a person does: the run is queued, not finished."""
    next(b for b in at.button if b.label == "Run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click_run(at: AppTest) -> AppTest:
    """Click Run and wait for the run to end, as a person who watches it does."""
    return await_runs(press_run(at))


def train(at: AppTest, settings: dict | None = None) -> AppTest:
    """Open Train, set a tiny network (plus ``settings``) and click Run."""
    go(at, "train")
    return click_run(set_settings(at, {**TINY, **(settings or {})}))


def on_train(name: str = "labels.csv", data: bytes | None = None) -> AppTest:
    """A new session that uploaded a small CSV and opened Train: nothing set, nothing run yet."""
    return go(upload(new_app(), name, data if data is not None else table_csv()), "train")


def trained_app(name: str = "labels.csv", data: bytes | None = None) -> AppTest:
    """A session that uploaded a small CSV and ran one tiny comparison on it."""
    at = upload(new_app(), name, data if data is not None else table_csv())
    return train(at)


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_frames(at: AppTest) -> list:
    """The tables behind every chart on the page shown (Arrow streams inside the Vega-Lite specs)."""
    return [pa.ipc.open_stream(d.data.data).read_pandas() for c in at.get("vega_lite_chart") for d in c.proto.datasets]


def unescaped(text: str) -> str:
    """Markdown source as a person reads it: the backslashes that keep user strings plain are not shown."""
    return re.sub(r"\\(.)", r"\1", text)


def texts(elements) -> list[str]:
    return [unescaped(e.value) for e in elements]


def sidebar_text(at: AppTest) -> str:
    return " | ".join(texts(at.sidebar.caption))
