"""What every page shares: the session's dataset, the sidebar, and 'do this first' notices.

All per-user state lives in ``st.session_state`` under ``bridge.*`` keys, so two people never see
each other's data; runs live in the run store (pages/jobs_ui.py). Only the built-in datasets are
cached across sessions: an upload is parsed once, written to the store and memory-mapped from there,
so no cache shared by sessions holds decoded images.
"""

from __future__ import annotations

import hashlib

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from bridge.comparison import Comparison
from bridge.config import CompareConfig
from bridge.decision.verdict_text import verdict_name
from bridge.io.data import BUILTINS, Dataset, load_builtin
from bridge.outputs.markdown import escape_markdown as plain
from pages import history, jobs_ui

DATASET = "bridge.dataset"  # the Dataset in use
SOURCE = "bridge.source"  # a key naming where it came from: "builtin:iris" or "upload:<sha256>"
TARGET, TASK = "bridge.target", "bridge.problem.task"  # the Data page's choices
TEXT_COLUMNS = "bridge.text_columns"  # the Data page's text columns: None = detected ones (CompareConfig.text_columns), else a tuple
TARGET_CONFIRMED = "bridge.target_confirmed"  # the SOURCEs whose weak target guess the user confirmed on Data (a set)
CELL = "bridge.cell"  # (side, true, predicted) picked on a confusion matrix
SETTINGS = "bridge.settings"  # the CompareConfig last submitted on Train: its form starts from it, so a return visit keeps them
TRAIN_WIDGETS = "bridge.train."  # prefix of the Train form's widget keys
IMAGE_NETWORK = "bridge.image_network"  # the network last run on images: the Train form's radio starts from it

DEFAULT_BUILTIN = "breast_cancer"
PAGES = {
    "data": "pages/data.py",
    "train": "pages/train.py",
    "compare": "pages/compare.py",
    "errors": "pages/errors.py",
    "recommendation": "pages/recommendation.py",
    "note": "pages/bridge_note.py",
}


@st.cache_data(show_spinner=False, max_entries=16)
def cached_builtin(name: str) -> Dataset:
    return load_builtin(name)


def upload_key(data: bytes, name: str) -> str:
    """Content and name: the same bytes uploaded under another name are another dataset to show."""
    return "upload:" + hashlib.sha256(name.encode() + b"\0" + data).hexdigest()[:24]


def set_dataset(dataset: Dataset, source: str) -> None:
    """Switch datasets; runs stay stored, and the target/task/text choices reset to the new data's defaults."""
    if st.session_state.get(SOURCE) != source:
        st.session_state[TARGET] = dataset.default_target
        st.session_state[TASK] = "auto"
        st.session_state[TEXT_COLUMNS] = None
        st.session_state.pop(CELL, None)
    st.session_state[DATASET] = dataset
    st.session_state[SOURCE] = source


def fill_train_form(config: CompareConfig, image_network: str | None = None) -> None:
    """Make the Train form show ``config`` when it is next drawn (the sweep's "Apply these settings").

    The form's widgets start from SETTINGS. Streamlit drops a widget's state once a run leaves the widget out, so on
    another page the form's keys are normally gone already; any still held would win over SETTINGS, so they go too.
    """
    for key in [k for k in st.session_state if str(k).startswith(TRAIN_WIDGETS)]:
        del st.session_state[key]
    st.session_state[SETTINGS] = config
    if image_network is not None:
        st.session_state[IMAGE_NETWORK] = image_network


def target_unconfirmed(dataset: Dataset) -> bool:
    """True while the target in use is a weak guess nobody confirmed: Run waits for a choice on the Data page.

    Picking a column in the Data page's selectbox or pressing its "Use this target" confirms it; a target other
    than the guess was chosen by someone already. Confirmations are kept per dataset, so switching back keeps them.
    """
    guess = dataset.target_guess if dataset.kind == "table" else None
    if guess is None or not guess.weak or (st.session_state.get(TARGET) or guess.column) != guess.column:
        return False
    return st.session_state.get(SOURCE) not in st.session_state.get(TARGET_CONFIRMED, set())


def confirm_target() -> None:
    st.session_state.setdefault(TARGET_CONFIRMED, set()).add(st.session_state.get(SOURCE))


def ensure_default_dataset() -> None:
    """A first visit starts with a built-in dataset, ready to run."""
    if DATASET not in st.session_state:
        set_dataset(cached_builtin(DEFAULT_BUILTIN), f"builtin:{DEFAULT_BUILTIN}")


def current_dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def current_comparison() -> Comparison | None:
    """The finished run the results pages show (the newest, or one picked or opened from a link)."""
    run = jobs_ui.current_run()
    return jobs_ui.load_comparison(run) if run is not None and run.state == jobs_ui.DONE else None


def sidebar_lines() -> list:
    """Four placeholders in the sidebar; each is one line that ``sidebar`` can redraw in place."""
    box = st.sidebar.container()
    return [box.empty() for _ in range(4)]


def sidebar(lines: list) -> None:
    """The current dataset and the last run, on every page, drawn into ``sidebar_lines()``."""
    dataset, run = current_dataset(), jobs_ui.current_run()
    lines[0].markdown("**Dataset**")
    if dataset is None:
        lines[1].caption("none yet")
    else:
        detail = f"{dataset.rows} images" if dataset.kind == "images" else f"{dataset.rows} rows x {len(dataset.columns)} columns"
        lines[1].caption(f"{plain(dataset.name)}: {detail}")
    lines[2].markdown("**Last run**")
    if run is None or run.state != jobs_ui.DONE:
        lines[3].caption("none yet: set up a run on the Train page")
    else:
        s = run.summary
        scores = history.weighed_scores(s)  # a tuned run's best trials, else the defaults
        said = f"{plain(run.dataset_name)}, both sides tuned: " if s.get("tuned") else f"{plain(run.dataset_name)}: "
        once = " once tuned" if run.config.tune.on and not s.get("tuned") else ""
        lines[3].caption(f"{said}scikit-learn {scores['sklearn']:.3f} vs PyTorch {scores['pytorch']:.3f} {s['metric']}; "
                         f"verdict{once}: **{verdict_label(s['verdict'])}**")


def through_app() -> None:
    """Leave Streamlit's old pages-folder mode before anything is drawn, on the same page.

    With a folder named pages/ beside app.py, a Streamlit server process starts in that mode: its
    first script run (whatever the URL) lists every file in pages/ as a menu, common.py included,
    and runs a page without app.py. The mode ends for good once st.navigation is called. Clearing
    it here and rerunning makes the very first run go through app.py's own six-page navigation;
    the rerun keeps the page asked for, since both modes name a page by its URL path (/compare).
    app.py calls this first; every page calls it too, for a first request that lands on a page.
    """
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def need_dataset() -> Dataset:
    through_app()
    dataset = current_dataset()
    if dataset is None:
        st.info("No dataset yet. Pick a built-in dataset or upload a file first.")
        st.page_link(PAGES["data"], label="Go to Data", icon=":material/arrow_forward:")
        st.stop()
    return dataset


def need_comparison() -> Comparison:
    through_app()
    comparison = current_comparison()
    if comparison is None:
        st.info("Nothing to show yet: run a comparison first.")
        st.page_link(PAGES["train"], label="Go to Train", icon=":material/arrow_forward:")
        st.stop()
    if comparison.dataset["name"] != getattr(current_dataset(), "name", None):
        st.caption(f"Showing the last run, on **{plain(comparison.dataset['name'])}**. Run again on the Train page for the current dataset.")
    return comparison


verdict_label = verdict_name  # the words live in bridge.decision.verdict_text, beside the rest of the verdict's wording


def delta_color(gap: float) -> str:
    """A gap that prints as +0.000 is no lead: grey, not a green 'up'."""
    return "off" if abs(gap) < 0.0005 else "normal"


def builtin_label(name: str) -> str:
    return f"{name}: {BUILTINS[name].description}"


def show_notice() -> None:
    """Once: how the last run ended, or why a link could not be opened."""
    notice = st.session_state.pop(jobs_ui.RUN_NOTICE, None)
    if notice:
        kind, text = notice
        getattr(st, kind)(text)
