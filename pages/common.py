"""What every page shares: the session's dataset and runs, the sidebar, and 'do this first' notices.

All per-user state lives in ``st.session_state`` under ``bridge.*`` keys, so two
people never see each other's data; only parsing is cached across sessions
(same bytes in, same table out).
"""

from __future__ import annotations

import hashlib

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from bridge.config import CompareConfig
from bridge.data import BUILTINS, Dataset, load_builtin, load_dataset
from bridge.experiment import Comparison

DATASET = "bridge.dataset"  # the Dataset in use
SOURCE = "bridge.source"  # a key naming where it came from: "builtin:iris" or "upload:<sha256>"
TARGET, TASK = "bridge.target", "bridge.task"  # the Data page's choices
RUNS = "bridge.runs"  # {(source, CompareConfig): Comparison}: reruns with the same settings are instant
LAST_RUN = "bridge.last_run"  # the (source, CompareConfig) key of the newest run
CELL = "bridge.cell"  # (side, true, predicted) picked on a confusion matrix
SETTINGS = "bridge.settings"  # the CompareConfig last submitted on Train: its form starts from it, so a return visit keeps them
RUNNING = "bridge.running"  # True while this session trains: at most one training job per session
MAX_RUNS = 6  # per session; the oldest stored run is dropped first

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


@st.cache_data(show_spinner="Reading the file...", max_entries=8)
def cached_upload(data: bytes, name: str) -> Dataset:
    """Parse uploaded bytes once per content; the result holds no raw bytes."""
    return load_dataset(data, name=name)


def upload_key(data: bytes) -> str:
    return "upload:" + hashlib.sha256(data).hexdigest()[:16]


def set_dataset(dataset: Dataset, source: str) -> None:
    """Switch datasets; runs stay stored, and the target/task choices reset to the new data's defaults."""
    if st.session_state.get(SOURCE) != source:
        st.session_state[TARGET] = dataset.default_target
        st.session_state[TASK] = "auto"
        st.session_state.pop(CELL, None)
    st.session_state[DATASET] = dataset
    st.session_state[SOURCE] = source


def ensure_default_dataset() -> None:
    """A first visit starts with a built-in dataset, ready to run."""
    if DATASET not in st.session_state:
        set_dataset(cached_builtin(DEFAULT_BUILTIN), f"builtin:{DEFAULT_BUILTIN}")


def current_dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def current_comparison() -> Comparison | None:
    key = st.session_state.get(LAST_RUN)
    return st.session_state.get(RUNS, {}).get(key) if key else None


def stored_run(source: str, config: CompareConfig) -> Comparison | None:
    return st.session_state.get(RUNS, {}).get((source, config))


def store_run(source: str, config: CompareConfig, comparison: Comparison) -> None:
    runs = st.session_state.setdefault(RUNS, {})
    runs[(source, config)] = comparison
    while len(runs) > MAX_RUNS:
        runs.pop(next(iter(runs)))
    st.session_state[LAST_RUN] = (source, config)
    st.session_state.pop(CELL, None)


def sidebar_lines() -> list:
    """Four placeholders in the sidebar; each is one line that ``sidebar`` can redraw in place."""
    box = st.sidebar.container()
    return [box.empty() for _ in range(4)]


def sidebar(lines: list) -> None:
    """The current dataset and the last run, on every page, drawn into ``sidebar_lines()``."""
    dataset, comparison = current_dataset(), current_comparison()
    lines[0].markdown("**Dataset**")
    if dataset is None:
        lines[1].caption("none yet")
    else:
        detail = f"{dataset.rows} images" if dataset.kind == "images" else f"{dataset.rows} rows x {len(dataset.columns)} columns"
        lines[1].caption(f"{dataset.name}: {detail}")
    lines[2].markdown("**Last run**")
    if comparison is None:
        lines[3].caption("none yet: set up a run on the Train page")
    else:
        metric = comparison.metric
        lines[3].caption(f"{comparison.dataset['name']}: scikit-learn {comparison.models['sklearn'].metrics[metric]:.3f} vs "
                         f"PyTorch {comparison.models['pytorch'].metrics[metric]:.3f} {metric}; "
                         f"verdict: **{verdict_label(comparison.recommendation['verdict'])}**")


def through_app() -> None:
    """Send a page that runs without app.py back through it.

    With a folder named pages/ beside app.py, each Streamlit server process starts in the old
    pages-folder mode and leaves it for good once app.py calls st.navigation. Until then (the
    first request after a restart, e.g. a reconnecting tab on /compare) a page runs alone: no
    default dataset, no sidebar, and a menu listing every file in pages/, common.py included.
    """
    if getattr(PagesManager, "uses_pages_directory", False):
        st.switch_page("app.py")


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
        st.caption(f"Showing the last run, on **{comparison.dataset['name']}**. Run again on the Train page for the current dataset.")
    return comparison


VERDICT_LABELS = {"sklearn": "scikit-learn", "pytorch": "PyTorch", "no-signal": "no usable signal yet"}


def verdict_label(verdict: str) -> str:
    """The verdict as a person reads it: 'scikit-learn', not the report's key 'sklearn'."""
    return VERDICT_LABELS.get(verdict, verdict)


def delta_color(gap: float) -> str:
    """A gap that prints as +0.000 is no lead: grey, not a green 'up'."""
    return "off" if abs(gap) < 0.0005 else "normal"


def builtin_label(name: str) -> str:
    return f"{name}: {BUILTINS[name].description}"
