"""Errors: the test rows the models got wrong, filtered and sorted, with thumbnails for images and the words of text rows.

Text from the data is shown as plain text only (a dataframe cell, ``st.text``), never as Markdown or HTML.
"""

import numpy as np
import streamlit as st

from bridge.outputs.safe_csv import safe_csv_bytes
from bridge.outputs.thumbnails import data_uri
from pages import views
from pages.common import CELL, need_comparison, plain

MAX_THUMBNAILS = 300  # images drawn into the table; the rest of the rows still show without one
MAX_TEXT_ROWS = 500  # rows offered in the full-text picker: the most worth a look come first, the CSV has them all


def full_text(table, text_columns: list[str]) -> None:
    """One row's whole text (the table cuts long ones), with its true label and both answers, as plain text."""
    rows = table["row"].tolist()[:MAX_TEXT_ROWS]
    row = st.selectbox("Row", rows, help="The table's rows, in its order (the first 500)")
    record = table[table["row"] == row].iloc[0]
    st.caption(f"True: **{plain(record['true'])}**; scikit-learn says **{plain(record['sklearn'])}**, "
               f"PyTorch says **{plain(record['pytorch'])}**.")
    for column in text_columns:
        value = record.get(f"feature: {column}")
        st.caption(plain(column))
        st.text("(missing)" if value is None or value != value else str(value))  # value != value: NaN


st.title("Errors")
comparison = need_comparison()
classification = comparison.dataset["task"] == "classification"
images = comparison.dataset["kind"] == "images"
cell = st.session_state.get(CELL)

if not classification:
    st.caption("Regression: every test row, largest miss first (error = prediction - truth).")
    table = views.filter_predictions(comparison)
else:
    if cell:
        side, truth, predicted = cell
        who = "scikit-learn" if side == "sklearn" else "PyTorch"
        st.info(f"Confusion cell: true **{plain(truth)}**, {who} predicted **{plain(predicted)}**.")
        if st.button("Show all errors again"):
            st.session_state.pop(CELL)
            st.rerun()
    left, right = st.columns([2, 1])
    which = left.radio("Show", views.ERROR_FILTERS, horizontal=True, disabled=bool(cell))
    true_class = right.selectbox("True class", ["(any)", *comparison.dataset["classes"]])
    table = views.filter_predictions(comparison, which, None if true_class == "(any)" else true_class, cell)

st.write(f"{len(table)} row(s)")
text_columns = [c for c in comparison.dataset.get("text_columns", []) if f"feature: {c}" in table.columns]  # the first 20 columns ride along
# The CSV goes through safe_csv: a cell from the uploaded data cannot run as a spreadsheet formula.
st.download_button("Download these rows (CSV)", safe_csv_bytes(table), file_name=f"bridge-{comparison.dataset['name']}-rows.csv",
                   mime="text/csv", disabled=table.empty, on_click="ignore")
if images and len(table):
    rows = table["row"].to_numpy()[:MAX_THUMBNAILS]
    positions = np.searchsorted(comparison.prepared.test_rows, rows)
    thumbs = [data_uri(comparison.prepared.X_test[i]) for i in positions]
    table.insert(0, "image", thumbs + [None] * (len(table) - len(thumbs)))
st.dataframe(
    views.text_for_display(table, text_columns),  # long texts cut with "…" for the table; the download and the picker below keep them whole
    width="stretch",
    hide_index=True,
    column_config={  # the frame keeps the report's short names; people read these
        "image": st.column_config.ImageColumn("image", width="small"),
        "row": st.column_config.NumberColumn("row", help="The row's number in the data (0 = first data row)"),
        "sklearn": "scikit-learn says",
        "pytorch": "PyTorch says",
        "sklearn_confidence": st.column_config.ProgressColumn("scikit-learn confidence", min_value=0.0, max_value=1.0, format="%.2f"),
        "pytorch_confidence": st.column_config.ProgressColumn("PyTorch confidence", min_value=0.0, max_value=1.0, format="%.2f"),
        "sklearn_correct": "scikit-learn right",
        "pytorch_correct": "PyTorch right",
        "agree": "sides agree",
        "sklearn_error": st.column_config.NumberColumn("scikit-learn error", format="%.3f"),
        "pytorch_error": st.column_config.NumberColumn("PyTorch error", format="%.3f"),
        **{f"feature: {c}": st.column_config.TextColumn(f"text: {c}", width="large", help=f"Cut at {views.TEXT_SHOWN_CHARS} characters here; "
                                                        "the whole text is under 'Full text of one row' and in the download")
           for c in text_columns},
    },
)
if text_columns and len(table):
    with st.expander("Full text of one row"):
        full_text(table, text_columns)

if classification:
    st.subheader("Per-class metrics")
    st.dataframe(views.per_class_table(comparison), width="stretch", hide_index=True)
