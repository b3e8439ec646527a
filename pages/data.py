"""Data: pick or upload a dataset, look at it, and settle the target and the task."""

import numpy as np
import streamlit as st

from bridge import charts, views
from bridge.data import BUILTINS
from bridge.errors import BridgeError
from pages.common import PAGES, SOURCE, TARGET, TASK, builtin_label, cached_builtin, cached_upload, need_dataset, set_dataset, upload_key

THUMBNAILS_PER_CLASS = 8

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
UPLOAD_ERROR = "bridge.upload_error"


def use_upload() -> None:
    """Runs only when the uploaded file changes, so a stale upload never replaces a later choice."""
    st.session_state.pop(UPLOAD_ERROR, None)
    upload = st.session_state.get("bridge.upload")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        set_dataset(cached_upload(data, upload.name), upload_key(data))
    except BridgeError as exc:
        st.session_state[UPLOAD_ERROR] = f"Could not use {upload.name}: {exc}. Your previous dataset is still loaded."


with upload_tab:
    st.file_uploader(
        "A CSV file, or a .zip of an image folder laid out as root/<class>/<image>",
        type=["csv", "tsv", "txt", "zip"],
        key="bridge.upload",
        on_change=use_upload,
        help="CSV: any common encoding, separator and decimal comma. Images: PNG, JPEG, BMP, GIF or WebP.",
    )
if UPLOAD_ERROR in st.session_state:
    st.error(st.session_state[UPLOAD_ERROR])

dataset = need_dataset()
st.subheader(dataset.name)
if dataset.description:
    st.caption(dataset.description)
for note in dataset.notes:
    st.caption(f"- {note}")

if dataset.kind == "images":
    images = dataset.images
    st.write(f"{dataset.rows} images, {images.height}x{images.width} pixels, "
             f"{'grayscale' if images.channels == 1 else 'colour'}, {len(images.classes)} classes")
    for label in images.classes[:12]:
        rows = np.flatnonzero(images.labels == label)[:THUMBNAILS_PER_CLASS]
        pictures = [np.clip(images.images[i].transpose(1, 2, 0).squeeze(), 0, 1) for i in rows]
        st.markdown(f"**{label}** ({int(np.sum(images.labels == label))} images)")
        st.image(pictures, width=64, caption=[images.files[i].rsplit("/", 1)[-1] for i in rows])
    task, balance = views.target_balance(dataset)
    st.altair_chart(charts.balance_chart(balance), width="stretch")
    st.stop()

frame = dataset.frame
st.write(f"{len(frame)} rows x {frame.shape[1]} columns, {int(frame.isna().sum().sum())} missing values")
st.dataframe(frame.head(20), width="stretch")

left, right = st.columns(2)
columns = list(frame.columns)
target = left.selectbox("Target column (what to predict)", columns,
                        index=columns.index(st.session_state.get(TARGET) or dataset.default_target))
task_choice = right.radio("Task", ["auto", "classification", "regression"], horizontal=True,
                          index=["auto", "classification", "regression"].index(st.session_state.get(TASK, "auto")),
                          help="auto: classification for labels and few whole numbers, regression otherwise")
try:
    task, balance = views.target_balance(dataset, target, task_choice)
except BridgeError as exc:
    st.error(f"{exc}. The previous target stays in use.")
else:
    st.session_state[TARGET], st.session_state[TASK] = target, task_choice
    right.markdown(f"Detected task: **{task}**" if task_choice == "auto" else f"Task: **{task}** (your choice)")
    st.altair_chart(charts.balance_chart(balance), width="stretch")

st.markdown("**Columns and the role Bridge gives each**")
st.dataframe(views.column_summary(dataset, st.session_state[TARGET]), width="stretch", hide_index=True)
st.page_link(PAGES["train"], label="Next: set up the run on Train", icon=":material/arrow_forward:")
