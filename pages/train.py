"""Train: choose the PyTorch network and the scikit-learn baseline, see the split, and run both."""

import time

import pandas as pd
import streamlit as st

from bridge import charts, views
from bridge.classical import BASELINE_CHOICES
from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from pages.common import PAGES, SOURCE, TARGET, TASK, need_dataset, store_run, stored_run

LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
BATCH_SIZES = [16, 32, 64, 128, 256, 512]
RUNNING = "bridge.running"


def settings_ui(images: bool) -> tuple[bool, CompareConfig]:
    """Every control sits in one form, so moving a slider never retrains: only Run does."""
    with st.form("settings"):
        st.markdown("**PyTorch network**")
        network = "mlp"
        if images:
            network = st.radio("Network", ["cnn", "mlp"], horizontal=True, format_func=str.upper,
                               help="The MLP sees pixels as a flat list, like the baseline; the CNN slides filters over the image.")
        left, right = st.columns(2)
        layers = left.slider("Hidden layers (MLP)", 0, 6, MLPConfig.hidden_layers, help="0 = logistic/linear regression in PyTorch")
        width = left.select_slider("Width (units per layer)", [8, 16, 32, 64, 128, 256, 512], MLPConfig.width)
        dropout = left.slider("Dropout", 0.0, 0.6, MLPConfig.dropout, 0.05)
        lr = right.select_slider("Learning rate (log scale)", LEARNING_RATES, TrainConfig.lr, format_func=lambda v: f"{v:g}")
        epochs = right.slider("Epochs (at most)", 1, 300, TrainConfig.epochs)
        batch = right.select_slider("Batch size", BATCH_SIZES, TrainConfig.batch_size)
        stopping = right.toggle("Early stopping", True, help="Stop when validation loss has not improved for 'patience' epochs")
        patience = right.slider("Patience (epochs)", 1, 50, TrainConfig.patience)
        cnn = CNNConfig()
        if images:
            st.markdown("**CNN**")
            c1, c2, c3 = st.columns(3)
            blocks = c1.slider("Conv blocks", 1, 4, CNNConfig.blocks)
            channels = c1.select_slider("Channels (first block)", [4, 8, 16, 32, 64], CNNConfig.channels)
            kernel = c2.select_slider("Kernel size", [1, 3, 5, 7], CNNConfig.kernel_size)
            pooling = c2.radio("Pooling", ["max", "avg"], horizontal=True)
            batch_norm = c3.toggle("Batch norm", CNNConfig.batch_norm)
            augment = c3.toggle("Augment (small shifts)", CNNConfig.augment)
            cnn = CNNConfig(blocks=blocks, channels=channels, kernel_size=kernel, pooling=pooling, dropout=dropout,
                            batch_norm=batch_norm, augment=augment)
        st.markdown("**scikit-learn baseline**")
        b1, b2 = st.columns(2)
        baseline = b1.selectbox("Baseline", BASELINE_CHOICES, format_func=lambda b: "auto (best on validation)" if b == "auto" else b)
        seed = b2.number_input("Seed", 0, 10_000, 0, help="The same seed and settings give the same numbers")
        submitted = st.form_submit_button("Run", type="primary")
    config = CompareConfig(
        target=st.session_state.get(TARGET), task=st.session_state.get(TASK, "auto"), baseline=baseline, network=network,
        mlp=MLPConfig(layers, width, dropout), cnn=cnn,
        train=TrainConfig(lr=lr, epochs=epochs, batch_size=batch, patience=patience if stopping else 0), seed=int(seed),
    )
    return submitted, config


def run_with_progress(dataset, config: CompareConfig):
    """Run the comparison, drawing a progress bar and the loss chart as each epoch ends."""
    bar = st.progress(0.0, text="Starting")
    chart = st.empty()
    losses = []
    started = time.perf_counter()

    def on_progress(step):
        text = step.message
        if step.epoch is not None:
            e = step.epoch
            losses.extend([{"epoch": e.epoch, "split": "train", "loss": e.train_loss},
                           {"epoch": e.epoch, "split": "validation", "loss": e.val_loss}])
            left = e.seconds / e.epoch * (e.epochs - e.epoch)
            text = f"PyTorch epoch {e.epoch}/{e.epochs}, about {left:.0f} s left at most (early stopping may end sooner)"
            chart.altair_chart(charts.loss_chart(pd.DataFrame(losses), e.best_epoch), width="stretch")
        bar.progress(min(step.fraction, 1.0), text=text)

    comparison = run_comparison(dataset, config, on_progress=on_progress)
    bar.progress(1.0, text=f"Done in {time.perf_counter() - started:.1f} s")
    return comparison


st.title("Train")
dataset = need_dataset()
images = dataset.kind == "images"
st.caption(f"Dataset **{dataset.name}**, target **{st.session_state.get(TARGET) or dataset.default_target}**. "
           "Change them on the Data page.")
submitted, config = settings_ui(images)

st.markdown("**The split**: the network learns from *train*, early stopping and the baseline choice watch *validation*, "
            "and both sides are scored once on *test*, rows neither has seen.")
try:
    st.altair_chart(charts.split_chart(views.split_preview(dataset, config)), width="stretch")
except BridgeError as exc:
    st.error(f"{exc}.")

if submitted:
    source = st.session_state[SOURCE]
    if stored_run(source, config) is not None:
        store_run(source, config, stored_run(source, config))
        st.success("Same dataset and settings as an earlier run: here is its stored result, nothing retrained.")
    elif st.session_state.get(RUNNING):
        st.warning("A run is already going in this session; wait for it to finish.")
    else:
        st.session_state[RUNNING] = True
        try:
            store_run(source, config, run_with_progress(dataset, config))
        except BridgeError as exc:
            st.error(f"The run stopped: {exc}. Earlier results are kept.")
        finally:
            st.session_state[RUNNING] = False

comparison = st.session_state.get("bridge.runs", {}).get((st.session_state.get(SOURCE), config))
if comparison is not None:
    metric = comparison.metric
    sk, pt = comparison.models["sklearn"], comparison.models["pytorch"]
    c1, c2, c3 = st.columns(3)
    c1.metric(f"scikit-learn: {sk.name}", f"{sk.metrics[metric]:.3f}", help=metric)
    c2.metric(f"PyTorch: {pt.name}", f"{pt.metrics[metric]:.3f}", f"{pt.metrics[metric] - sk.metrics[metric]:+.3f} vs scikit-learn")
    c3.metric("Verdict", comparison.recommendation["verdict"])
    st.page_link(PAGES["compare"], label="See the full comparison", icon=":material/arrow_forward:")
