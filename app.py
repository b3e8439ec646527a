"""Bridge's landing page: pick a built-in dataset or upload a CSV, run both sides, read the verdict.

A thin screen over bridge.experiment.run_comparison; the multipage dashboard
grows from here. Run with: streamlit run app.py
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bridge.config import CompareConfig, MLPConfig, TrainConfig
from bridge.data import BUILTINS, load_builtin, load_csv
from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from bridge.report import to_json

st.set_page_config(page_title="Bridge: scikit-learn or PyTorch?", layout="wide")


@st.cache_data(show_spinner=False, max_entries=16)
def cached_builtin(name: str):
    return load_builtin(name)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_csv(data: bytes, name: str):
    return load_csv(data, name=name)


def dataset_ui():
    """Where the data comes from; the dataset lives in session state so a bad upload loses nothing."""
    source = st.radio("Data", ["Built-in dataset", "Upload a CSV"], horizontal=True)
    if source == "Built-in dataset":
        name = st.selectbox("Dataset", list(BUILTINS), index=list(BUILTINS).index("breast_cancer"),
                            format_func=lambda n: f"{n}: {BUILTINS[n].description}")
        st.session_state["bridge.dataset"] = cached_builtin(name)
    else:
        upload = st.file_uploader("CSV file", type=["csv", "txt", "tsv"])
        if upload is not None:
            try:
                st.session_state["bridge.dataset"] = cached_csv(upload.getvalue(), upload.name)
            except BridgeError as exc:
                st.error(f"Could not read {upload.name}: {exc}")
    return st.session_state.get("bridge.dataset")


def settings_ui(dataset) -> CompareConfig | None:
    """Sliders sit in a form, so moving one never retrains; Run does."""
    with st.form("settings"):
        target = st.selectbox("Target column", dataset.columns, index=dataset.columns.index(dataset.default_target))
        left, right = st.columns(2)
        layers = left.slider("Hidden layers", 0, 4, MLPConfig.hidden_layers)
        width = left.select_slider("Width", [16, 32, 64, 128, 256], MLPConfig.width)
        dropout = left.slider("Dropout", 0.0, 0.5, MLPConfig.dropout, 0.05)
        lr = right.select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], TrainConfig.lr)
        epochs = right.slider("Epochs", 5, 200, TrainConfig.epochs, 5)
        batch = right.select_slider("Batch size", [16, 32, 64, 128, 256], TrainConfig.batch_size)
        if not st.form_submit_button("Run comparison", type="primary"):
            return None
    return CompareConfig(target=target, mlp=MLPConfig(layers, width, dropout),
                         train=TrainConfig(lr=lr, epochs=epochs, batch_size=batch))


def results_ui(comparison) -> None:
    rec = comparison.recommendation
    label = {"sklearn": "scikit-learn", "pytorch": "PyTorch", "no-signal": "no usable signal"}[rec["verdict"]]
    st.subheader(f"Recommendation: {label} (confidence {rec['confidence']:.0%})")
    for reason in rec["reasons"]:
        st.markdown(f"- {reason}")
    metric = comparison.metric
    cards = st.columns(3)
    for column, key in zip(cards, ("dummy", "sklearn", "pytorch")):
        model = comparison.models[key]
        column.metric(f"{key}: {model.name}", f"{model.metrics[metric]:.3f}", help=metric)
    table = pd.DataFrame({key: {**m.metrics, "fit seconds": m.fit_seconds, "parameters": m.parameters}
                          for key, m in comparison.models.items()})
    st.dataframe(table, width="stretch")
    st.download_button("Download the JSON report", to_json(comparison), "bridge-report.json", "application/json")


st.title("Bridge")
st.caption("Does this dataset need scikit-learn's simplicity or PyTorch's control? Same rows, same features, both sides.")
dataset = dataset_ui()
if dataset is None:
    st.info("Choose a built-in dataset or upload a CSV to begin.")
    st.stop()
st.write(f"**{dataset.name}**: {dataset.rows} rows, {len(dataset.columns)} columns")
st.dataframe(dataset.frame.head(8), width="stretch")
config = settings_ui(dataset)
if config is not None:
    bar = st.progress(0.0, text="Starting")
    try:
        st.session_state["bridge.comparison"] = run_comparison(dataset, config, on_progress=lambda p: bar.progress(p.fraction, text=p.message))
    except BridgeError as exc:
        st.error(f"The run stopped: {exc}")
comparison = st.session_state.get("bridge.comparison")
if comparison is not None:
    results_ui(comparison)
