"""Data: pick or upload a dataset, look at it, and settle the target and the task."""

import logging
from pathlib import PurePosixPath

import numpy as np
import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from bridge.errors import BridgeError
from bridge.io.data import BUILTINS, Dataset, load_dataset
from bridge.memory import release_unused_memory
from pages import charts, jobs_ui, views
from pages.common import (
    PAGES,
    SOURCE,
    TARGET,
    TASK,
    TEXT_COLUMNS,
    builtin_label,
    cached_builtin,
    confirm_target,
    need_dataset,
    plain,
    set_dataset,
    target_unconfirmed,
    upload_key,
)

THUMBNAILS_PER_CLASS = 8
UPLOAD_GEN = "bridge.upload_gen"  # bumped after each upload, so the uploader starts empty and its bytes leave session state
UPLOAD_NOTICE = "bridge.upload_notice"  # ("error" | "success", one line) about the last upload
TEXT_PICK = "bridge.data.text_columns."  # + dataset source and target: the multiselect's own key (its options follow both)
TEXT_HELP = ("Free text (reviews, titles, messages): scikit-learn reads it as TF-IDF word and character counts, PyTorch learns a "
             "vector for each word. Bridge starts from the columns that read as free text; remove one to leave it out, or add a "
             "short-text column to read it as words.")
logger = logging.getLogger(__name__)


def uploader_key() -> str:
    return f"bridge.upload.{st.session_state.get(UPLOAD_GEN, 0)}"


def drop_server_copy(file_id: str) -> None:
    """Free Streamlit's own copy of the uploaded bytes too, as its chat input does once it has read a file."""
    ctx = get_script_run_ctx()
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id, file_id=file_id)


def parse_to_store(data: bytes, name: str):
    """Parse once, write the dataset to the run store and use it memory-mapped from there.

    Decoded images and big tables then live in the page cache, not in the server's heap, and no
    cache shared between sessions keeps a copy: when the session ends, its memory goes with it.
    """
    key = upload_key(data, name)
    store = jobs_ui.store()
    stored = store.load_dataset(key)
    if stored is None:
        parsed = load_dataset(data, name=name)
        store.save_dataset(key, parsed)
        del parsed
        release_unused_memory()
        stored = store.load_dataset(key)
    return stored, key


def use_upload() -> None:
    """Parse a new upload once; on failure the previous dataset and every stored run stay as they were.

    The uploader gets a new key afterwards: Streamlit then drops the old widget's value, so the raw
    bytes are not kept in session state once parsed (the parsed Dataset holds no bytes).
    """
    upload = st.session_state.get(uploader_key())
    if upload is None:
        return
    st.session_state[UPLOAD_GEN] = st.session_state.get(UPLOAD_GEN, 0) + 1
    data = upload.getvalue()
    drop_server_copy(upload.file_id)
    try:
        with st.spinner("Reading the file..."):
            set_dataset(*parse_to_store(data, upload.name))
    except BridgeError as exc:
        notice = ("error", f"Could not use {plain(upload.name)}: {plain(exc)}. Your previous dataset and results are kept.")
    except Exception:  # a reader bug must not cost the session its work, nor show a traceback; the log keeps it
        logger.exception("reading upload %s failed", upload.name)
        notice = ("error", f"Could not read {plain(upload.name)}: upload a CSV, or a .zip with one folder of images per class. "
                           "Your previous dataset and results are kept.")
    else:
        notice = ("success", f"Loaded {plain(upload.name)}.")
    st.session_state[UPLOAD_NOTICE] = notice


def text_columns_ui(dataset: Dataset, target: str) -> tuple[str, ...] | None:
    """The "Text columns" control: its answer becomes CompareConfig.text_columns (None while it holds the detected ones).

    The control has its own key per dataset and target, so picking several columns in a row keeps each pick; it starts
    from the choice kept in session state, which a run link also restores. A choice that leaves nothing to learn from
    is kept (it is what the user asked for) and explained in one line here; a run with it stops with the same line.
    """
    kept, columns = st.session_state.get(TEXT_COLUMNS), [str(c) for c in dataset.frame.columns]
    detected = views.text_columns_used(dataset, target)
    candidates = views.text_candidates(dataset, target)
    if kept is not None:  # a column since made the target cannot be a text feature too
        kept = views.text_choice([c for c in kept if c != target and c in columns], detected, columns)
    if candidates:
        key = f"{TEXT_PICK}{st.session_state[SOURCE]}.{target}"
        if key not in st.session_state:
            st.session_state[key] = detected if kept is None else [c for c in kept if c in candidates]
        picked = st.multiselect("Text columns", candidates, key=key, help=TEXT_HELP, placeholder="none: no column is read as text")
        kept = views.text_choice(picked, detected, columns)
    st.session_state[TEXT_COLUMNS] = kept
    problem = views.text_choice_error(dataset, target, st.session_state.get(TASK, "auto"), kept) if kept is not None else None
    if problem:
        st.error(f"With these text columns a run cannot start: {plain(problem)}.")
    return kept


st.title("Data")
st.caption("Every comparison starts here: the same rows and features will go to scikit-learn and to PyTorch.")

builtin_tab, upload_tab = st.tabs(["Built-in dataset", "Upload a file"])
with builtin_tab:
    names = list(BUILTINS)
    current = st.session_state.get(SOURCE, "")
    index = names.index(current.split(":", 1)[1]) if current.startswith("builtin:") else 0
    with st.form("builtin"):
        name = st.selectbox("Dataset", names, index=index, format_func=builtin_label)
        if st.form_submit_button("Use this dataset"):
            set_dataset(cached_builtin(name), f"builtin:{name}")
with upload_tab:
    st.file_uploader(
        "A CSV file, or a .zip of an image folder laid out as root/<class>/<image>",
        type=["csv", "tsv", "txt", "zip"],
        key=uploader_key(),
        on_change=use_upload,
        help="CSV: any common encoding, separator and decimal comma. Images: PNG, JPEG, BMP, GIF or WebP.",
    )
notice = st.session_state.pop(UPLOAD_NOTICE, None)  # shown once: it answers the upload that just happened
if notice:
    kind, text = notice
    (st.error if kind == "error" else st.success)(text)

dataset = need_dataset()
st.subheader(plain(dataset.name))
if dataset.description:
    st.caption(dataset.description)
for note in dataset.notes:
    st.caption(f"- {plain(note)}")

if dataset.kind == "images":
    images = dataset.images
    st.write(f"{dataset.rows} images, {images.height}x{images.width} pixels, "
             f"{'grayscale' if images.channels == 1 else 'colour'}, {len(images.classes)} classes")
    for label in images.classes[:12]:
        rows = np.flatnonzero(images.labels == label)[:THUMBNAILS_PER_CLASS]
        pictures = [images.image_float(i).transpose(1, 2, 0).squeeze() for i in rows]
        st.markdown(f"**{plain(label)}** ({int(np.sum(images.labels == label))} images)")
        st.image(pictures, width=72, caption=[PurePosixPath(images.files[i]).stem for i in rows])
    task, balance = views.target_balance(dataset)
    st.altair_chart(charts.balance_chart(balance), width="stretch")
    st.stop()

frame = dataset.frame
st.write(f"{len(frame)} rows x {frame.shape[1]} columns, {int(frame.isna().sum().sum())} missing values")
st.dataframe(frame.head(20), width="stretch")

left, right = st.columns(2)
columns = list(frame.columns)
guess = dataset.target_guess  # a CSV's guessed target and why; None for a built-in's fixed one
# Picking any column counts as an answer to "which column is the question?", even the guess itself
target = left.selectbox("Target column (what to predict)", columns, on_change=confirm_target,
                        index=columns.index(st.session_state.get(TARGET) or dataset.default_target))
why = left.empty()  # why this target: filled below, once the target in use is settled
ask = st.container()
task_choice = right.radio("Task", ["auto", "classification", "regression"], horizontal=True,
                          index=["auto", "classification", "regression"].index(st.session_state.get(TASK, "auto")),
                          help="auto: classification for labels and few whole numbers, regression otherwise")
try:
    task, balance = views.target_balance(dataset, target, task_choice)
except BridgeError as exc:
    st.error(f"{plain(exc)}. The previous target stays in use.")
else:
    st.session_state[TARGET], st.session_state[TASK] = target, task_choice
    right.markdown(f"Detected task: **{task}**" if task_choice == "auto" else f"Task: **{task}** (your choice)")
    st.altair_chart(charts.balance_chart(balance), width="stretch")
if guess is not None and target_unconfirmed(dataset):
    ask.warning(f"Which column should Bridge predict? {plain(guess.reason)} Pick another column above, or use this one; "
                "Run on the Train page waits until you do.", icon=":material/help:")
    ask.button("Use this target", on_click=confirm_target, key="bridge.confirm_target")
elif guess is not None:
    why.caption(plain(guess.reason) if st.session_state[TARGET] == guess.column else f"Your choice; Bridge guessed '{plain(guess.column)}'.")

text_columns = text_columns_ui(dataset, st.session_state[TARGET])
st.markdown("**Columns and the role Bridge gives each**")
st.dataframe(views.column_summary(dataset, st.session_state[TARGET], text_columns), width="stretch", hide_index=True)
st.page_link(PAGES["train"], label="Next: set up the run on Train", icon=":material/arrow_forward:")
