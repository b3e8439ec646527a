"""Train: choose the PyTorch network and the scikit-learn baseline, see the split, and run both."""

import logging
import time
from dataclasses import replace

import pandas as pd
import streamlit as st

from bridge import charts, views
from bridge.classical import BASELINE_CHOICES
from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from pages.common import PAGES, RUNNING, SETTINGS, SOURCE, TARGET, TASK, delta_color, need_dataset, store_run, stored_run, verdict_label

LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
BATCH_SIZES = [16, 32, 64, 128, 256, 512]
WIDTHS = [8, 16, 32, 64, 128, 256, 512]
CHANNELS = [4, 8, 16, 32, 64]
IMAGE_NETWORK = "bridge.image_network"  # the network last run on images
KEY = "bridge.train."  # widget keys: a control keeps its identity while its default follows the last run's settings
logger = logging.getLogger(__name__)


def settings_ui(images: bool) -> tuple[bool, CompareConfig]:
    """Every control sits in one form, so moving a slider never retrains: only Run does.

    The controls start from the settings last run in this session, so coming back to this page
    shows them (and their result) again instead of the defaults. Each control has a key: without
    one, a changed default would make it a new widget and drop what the user had just set.
    """
    last: CompareConfig = st.session_state.get(SETTINGS) or CompareConfig()
    mlp, cnn, train = last.mlp, last.cnn, last.train
    with st.form("settings"):
        st.markdown("**PyTorch network**")
        network = "mlp"
        if images:
            # A table run always says "mlp"; only an image run's own choice carries over, else images start on the CNN
            network = st.radio("Network", ["cnn", "mlp"], index=int(st.session_state.get(IMAGE_NETWORK) == "mlp"), key=KEY + "network",
                               horizontal=True, format_func=str.upper,
                               help="The MLP sees pixels as a flat list, like the baseline; the CNN slides filters over the image.")
        left, right = st.columns(2)
        layers = left.slider("Hidden layers (MLP)", 0, 6, mlp.hidden_layers, key=KEY + "layers", help="0 = logistic/linear regression in PyTorch")
        width = left.select_slider("Width (units per layer)", WIDTHS, mlp.width, key=KEY + "width")
        dropout = left.slider("Dropout", 0.0, 0.6, mlp.dropout, 0.05, key=KEY + "dropout")
        lr = right.select_slider("Learning rate (log scale)", LEARNING_RATES, train.lr, format_func=lambda v: f"{v:g}", key=KEY + "lr")
        epochs = right.slider("Epochs (at most)", 1, 300, train.epochs, key=KEY + "epochs")
        batch = right.select_slider("Batch size", BATCH_SIZES, train.batch_size, key=KEY + "batch")
        stopping = right.toggle("Early stopping", train.patience > 0, key=KEY + "stopping",
                                help="Stop when validation loss has not improved for 'patience' epochs")
        patience = right.slider("Patience (epochs)", 1, 50, train.patience or TrainConfig.patience, key=KEY + "patience")
        if images:
            st.markdown("**CNN**")
            c1, c2, c3 = st.columns(3)
            blocks = c1.slider("Conv blocks", 1, 4, cnn.blocks, key=KEY + "blocks")
            channels = c1.select_slider("Channels (first block)", CHANNELS, cnn.channels, key=KEY + "channels")
            kernel = c2.select_slider("Kernel size", [1, 3, 5, 7], cnn.kernel_size, key=KEY + "kernel")
            pooling = c2.radio("Pooling", ["max", "avg"], index=int(cnn.pooling == "avg"), horizontal=True, key=KEY + "pooling")
            batch_norm = c3.toggle("Batch norm", cnn.batch_norm, key=KEY + "batch_norm")
            augment = c3.toggle("Augment (small shifts)", cnn.augment, key=KEY + "augment")
            cnn = CNNConfig(blocks=blocks, channels=channels, kernel_size=kernel, pooling=pooling, dropout=dropout,
                            batch_norm=batch_norm, augment=augment)
        st.markdown("**scikit-learn baseline**")
        b1, b2 = st.columns(2)
        baseline = b1.selectbox("Baseline", BASELINE_CHOICES, index=list(BASELINE_CHOICES).index(last.baseline), key=KEY + "baseline",
                                format_func=lambda b: "auto (best on validation)" if b == "auto" else b)
        seed = b2.number_input("Seed", 0, 10_000, last.seed, key=KEY + "seed", help="The same seed and settings give the same numbers")
        submitted = st.form_submit_button("Run", type="primary", help="Trains both sides with these settings; moving a control alone changes nothing")
    config = replace(  # a table run ignores the CNN, so its settings stay out of the table run's key
        last, target=st.session_state.get(TARGET), task=st.session_state.get(TASK, "auto"), baseline=baseline, network=network,
        mlp=MLPConfig(layers, width, dropout), cnn=cnn if images else CNNConfig(),
        train=replace(train, lr=lr, epochs=epochs, batch_size=batch, patience=patience if stopping else 0), seed=int(seed),
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
    previous = st.session_state.get(SETTINGS)
    st.session_state[SETTINGS] = config if images or previous is None else replace(config, cnn=previous.cnn)  # keep CNN choices
    if images:
        st.session_state[IMAGE_NETWORK] = config.network
    source = st.session_state[SOURCE]
    if stored_run(source, config) is not None:
        store_run(source, config, stored_run(source, config))
        st.success("Same dataset and settings as an earlier run: here is its stored result, nothing retrained.")
    elif st.session_state.get(RUNNING):
        st.warning("A run is already going in this session; wait for it to finish.")
    else:
        st.session_state[RUNNING] = True
        note = st.empty()
        try:
            note.caption("Stay on this page until the run ends: leaving it stops the run.")
            store_run(source, config, run_with_progress(dataset, config))
        except BridgeError as exc:
            st.error(f"The run stopped: {exc}. Earlier results are kept.")
        except Exception as exc:  # a bug in the core must not show a traceback or lose earlier runs; the log keeps it
            logger.exception("run failed")
            st.error(f"The run failed ({type(exc).__name__}). Earlier results are kept; try other settings, or report this with your data.")
        finally:
            st.session_state[RUNNING] = False
        note.empty()

comparison = stored_run(st.session_state.get(SOURCE), config)
if comparison is not None:
    metric = comparison.metric
    sk, pt = comparison.models["sklearn"], comparison.models["pytorch"]
    c1, c2, c3 = st.columns(3)
    c1.metric(f"scikit-learn: {sk.name}", f"{sk.metrics[metric]:.3f}", help=metric)
    gap = pt.metrics[metric] - sk.metrics[metric]
    c2.metric(f"PyTorch: {pt.name}", f"{pt.metrics[metric]:.3f}", f"{gap:+.3f} vs scikit-learn", delta_color=delta_color(gap))
    c3.metric("Verdict", verdict_label(comparison.recommendation["verdict"]))
    st.page_link(PAGES["compare"], label="See the full comparison", icon=":material/arrow_forward:")
