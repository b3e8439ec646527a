"""Train: choose the PyTorch network and the scikit-learn baseline, see the split, run both, and compare runs.

Run queues a job (pages/jobs_ui.py); a fragment shows it training, with Cancel, while the page
stays usable. Below: the run shown, marked when the controls have moved since, and every run on
this dataset with what changed between any two.
"""

from dataclasses import replace

import streamlit as st

from bridge.config import CLASS_WEIGHTS, TEXT_ENCODERS, CNNConfig, CompareConfig, MLPConfig, TextConfig, TrainConfig, TuneConfig
from bridge.errors import BridgeError
from bridge.io import limits
from bridge.jobs import DONE
from bridge.models.classical import baseline_choices
from pages import charts, history, jobs_ui, views
from pages.common import (
    IMAGE_NETWORK,
    PAGES,
    SETTINGS,
    SOURCE,
    TARGET,
    TASK,
    TEXT_COLUMNS,
    TRAIN_WIDGETS,
    delta_color,
    need_dataset,
    plain,
    target_unconfirmed,
    verdict_label,
)

LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
WEIGHT_DECAYS = [0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
BATCH_SIZES = [16, 32, 64, 128, 256, 512]
WIDTHS = [8, 16, 32, 64, 128, 256, 512]
CHANNELS = [4, 8, 16, 32, 64]
EMBEDDING_SIZES = [n for n in (8, 16, 32, 64, 128, 256) if n <= limits.MAX_EMBEDDING_DIM]  # numbers per word
TOKENS = [n for n in (8, 16, 32, 64, 128, 256, 512) if n <= limits.MAX_TOKENS]  # words read per row and text column
TEXT_LAYERS = min(4, limits.MAX_HIDDEN_LAYERS)  # a text network past a few hidden layers only overfits small text data
ENCODER_HELP = {"bag": "the mean of the word vectors: word order ignored, fastest",
                "conv": "a 1-D convolution over neighbouring words: short phrases",
                "transformer": "one self-attention layer: each word looks at every other"}
SUBMIT_NOTICE = "bridge.submit_notice"  # (kind, line): what the last press of Run did
BASELINE_LABELS = {"auto": "auto (best on validation)", "hog": "hog (HOG features + linear)"}
KEY = TRAIN_WIDGETS  # widget keys: a control keeps its identity while its default follows the last run's settings
TUNE_TRIALS = (4, 100, 20)  # trials per side the form offers: least, most, first offered


def settings_ui(images: bool, text: list[str]) -> CompareConfig:
    """The controls, read live: moving one never trains (only Run does), but it does mark the shown result as older.

    The controls start from the settings last run in this session, so coming back to this page
    shows them (and their result) again instead of the defaults. Each control has a key: without
    one, a changed default would make it a new widget and drop what the user had just set.
    ``text``: the text columns the run will read (the Data page's choice); with any, the network is the text network.
    """
    last: CompareConfig = st.session_state.get(SETTINGS) or CompareConfig()
    mlp, cnn, train, words = last.mlp, last.cnn, last.train, last.text
    with st.container(border=True):
        st.markdown("**PyTorch network**")
        network = "mlp"
        if images:
            # A table run always says "mlp"; only an image run's own choice carries over, else images start on the CNN
            network = st.radio("Network", ["cnn", "mlp"], index=int(st.session_state.get(IMAGE_NETWORK) == "mlp"), key=KEY + "network",
                               horizontal=True, format_func=str.upper,
                               help="The MLP sees pixels as a flat list, like the baseline; the CNN slides filters over the image.")
        elif text:
            # The one network that reads words (auto picks it too): the MLP reads numbers only
            network = st.radio("Network", ["text"], key=KEY + "network.text", format_func=lambda n: "text (learned word vectors)",
                               help="The text network learns a vector for each word, then the layers below. The MLP cannot read "
                               "text columns: switch them off on the Data page to train it on the other columns.")
        left, right = st.columns(2)
        layers = mlp.hidden_layers
        if not text:  # the text network's hidden layers have their own slider below
            layers = left.slider("Hidden layers (MLP)", 0, 6, mlp.hidden_layers, key=KEY + "layers", help="0 = logistic/linear regression in PyTorch")
        width = left.select_slider("Width (units per layer)", with_value(WIDTHS, mlp.width), mlp.width, key=KEY + "width")
        dropout = left.slider("Dropout", 0.0, 0.6, mlp.dropout, 0.05, key=KEY + "dropout")
        decay = left.select_slider("Weight decay", with_value(WEIGHT_DECAYS, train.weight_decay), train.weight_decay,
                                   format_func=lambda v: f"{v:.3g}", key=KEY + "weight_decay", help="L2 penalty on the weights (AdamW)")
        lr = right.select_slider("Learning rate (log scale)", with_value(LEARNING_RATES, train.lr), train.lr, format_func=lambda v: f"{v:.3g}",
                                 key=KEY + "lr")
        epochs = right.slider("Epochs (at most)", 1, 300, train.epochs, key=KEY + "epochs")
        batch = right.select_slider("Batch size", with_value(BATCH_SIZES, train.batch_size), train.batch_size, key=KEY + "batch")
        stopping = right.toggle("Early stopping", train.patience > 0, key=KEY + "stopping",
                                help="Stop when validation loss has not improved for 'patience' epochs")
        patience = right.slider("Patience (epochs)", 1, 50, train.patience or TrainConfig.patience, key=KEY + "patience")
        if images:
            st.markdown("**CNN**")
            c1, c2, c3 = st.columns(3)
            blocks = c1.slider("Conv blocks", 1, 4, cnn.blocks, key=KEY + "blocks")
            channels = c1.select_slider("Channels (first block)", with_value(CHANNELS, cnn.channels), cnn.channels, key=KEY + "channels")
            kernel = c2.select_slider("Kernel size", [1, 3, 5, 7], cnn.kernel_size, key=KEY + "kernel")
            pooling = c2.radio("Pooling", ["max", "avg"], index=int(cnn.pooling == "avg"), horizontal=True, key=KEY + "pooling")
            batch_norm = c3.toggle("Batch norm", cnn.batch_norm, key=KEY + "batch_norm")
            augment = c3.toggle("Augment (small shifts)", cnn.augment, key=KEY + "augment")
            cnn = CNNConfig(blocks=blocks, channels=channels, kernel_size=kernel, pooling=pooling, dropout=dropout,
                            batch_norm=batch_norm, augment=augment)
        if text:
            words = text_settings_ui(words)
        st.markdown("**scikit-learn baseline**")
        b1, b2, b3 = st.columns(3)
        choices = baseline_choices(images)  # HOG features only for images; each kind keeps its own pick (its own key)
        if text:  # gradient boosting's trees read dense tables only, and TF-IDF columns are sparse
            choices = [c for c in choices if c != "gradient_boosting"]
        baseline = b1.selectbox("Baseline", choices, index=choices.index(last.baseline) if last.baseline in choices else 0,
                                key=KEY + ("baseline.images" if images else "baseline.text" if text else "baseline"),
                                format_func=lambda b: BASELINE_LABELS.get(b, b))
        class_weight = b2.selectbox("Class weighting", CLASS_WEIGHTS, index=CLASS_WEIGHTS.index(last.class_weight), key=KEY + "class_weight",
                                    help="Both sides. balanced: each class counts as much in all, whatever its size (scikit-learn's "
                                    "class_weight, a weighted loss in PyTorch). auto: tried where classes are imbalanced, kept if "
                                    "better on validation. Classification only.")
        seed = b3.number_input("Seed", 0, 10_000, last.seed, key=KEY + "seed", help="The same seed and settings give the same numbers")
        tune = tune_ui(last.tune)
    return replace(  # a run leaves the settings of networks it does not train at their defaults, so they stay out of its key
        last, target=st.session_state.get(TARGET), task=st.session_state.get(TASK, "auto"), baseline=baseline, network=network,
        class_weight=class_weight, text_columns=None if images else st.session_state.get(TEXT_COLUMNS),
        mlp=MLPConfig(MLPConfig.hidden_layers if text else layers, width, dropout), cnn=cnn if images else CNNConfig(),
        text=words if text else TextConfig(),
        train=replace(train, lr=lr, epochs=epochs, batch_size=batch, patience=patience if stopping else 0, weight_decay=decay),
        seed=int(seed), tune=tune,
    )


def text_settings_ui(words: TextConfig) -> TextConfig:
    """The text network's own controls: how it reads the words (encoder), the size of a word's vector, its layers, and words read."""
    st.markdown("**Text network**")
    t1, t2 = st.columns(2)
    encoder = t1.radio("Text encoder", TEXT_ENCODERS, index=TEXT_ENCODERS.index(words.encoder), key=KEY + "encoder", horizontal=True,
                       captions=[ENCODER_HELP[e] for e in TEXT_ENCODERS],
                       help="How the network turns a row's word vectors into one vector before its hidden layers")
    embedding = t1.select_slider("Embedding size (numbers per word)", EMBEDDING_SIZES, nearest(EMBEDDING_SIZES, words.embedding_dim),
                                 key=KEY + "embedding", help="Each word's learned vector; larger vectors need more rows to learn")
    text_layers = t2.slider("Hidden layers (text network)", 0, TEXT_LAYERS, min(words.layers, TEXT_LAYERS), key=KEY + "text_layers",
                            help="Layers between the text's vector and the answer, of the width and dropout above; "
                            "0 = a linear model on learned word vectors (fastText's shape)")
    tokens = t2.select_slider("Max tokens per row", TOKENS, nearest(TOKENS, words.max_tokens), key=KEY + "tokens",
                              help="Words the network reads per row and text column; the rest of a longer text is cut off "
                              "(TF-IDF counts every word)")
    return replace(words, encoder=encoder, embedding_dim=embedding, layers=text_layers, max_tokens=tokens)


def tune_ui(tune: TuneConfig) -> TuneConfig:
    """Tune mode: both sides searched with the same number of trials (``bridge.tuning``), where BRIDGE_EXECUTOR says."""
    st.markdown("**Tuning**")
    left, right = st.columns(2)
    on = left.toggle("Tune both sides (same budget)", tune.on, key=KEY + "tune",
                     help="Optuna searches each side's settings; the verdict then weighs tuned against tuned")
    least, most, first = TUNE_TRIALS
    trials = right.number_input("Trials per side", least, most, min(max(tune.trials or first, least), most), key=KEY + "trials", disabled=not on)
    if not on:
        return TuneConfig()
    st.caption(f"Each side gets {trials} trials (picked on the validation rows; test rows score only each side's best, once): "
               f"about {trials} times as long as one run. Trials run on {plain(jobs_ui.trials_run_on())}.")
    return TuneConfig(trials=int(trials))


def with_value(values: list[float], value: float) -> list[float]:
    """The slider's steps plus ``value``: a setting applied from a tuned run (or run elsewhere) shows as it is, not moved to a step."""
    return sorted({*values, value})


def nearest(values: list[int], value: int) -> int:
    """The slider's step closest to ``value``: a setting from elsewhere (a link, the CLI) need not be one of the steps."""
    return min(values, key=lambda v: abs(v - value))


def run_clicked(config: CompareConfig, images: bool, text: bool) -> None:
    """Queue the run (or reuse or refuse it, with the reason) and remember its settings for the form.

    The form remembers the controls a run had no use for as they were: the CNN's after a table run, the text network's after a
    run without text, the MLP's hidden layers after a text run (the text network has its own).
    """
    previous = st.session_state.get(SETTINGS)
    kept = config
    if previous is not None:
        kept = replace(kept, cnn=kept.cnn if images else previous.cnn, text=kept.text if text else previous.text,
                       mlp=replace(kept.mlp, hidden_layers=previous.mlp.hidden_layers) if text else kept.mlp)
    st.session_state[SETTINGS] = kept
    if images:
        st.session_state[IMAGE_NETWORK] = config.network
    st.session_state[SUBMIT_NOTICE] = jobs_ui.submit(dataset, st.session_state[SOURCE], config)
    # Redraw the whole app: the sidebar's monitor, drawn before this click was handled, then shows the new run too.
    st.rerun()


def live_panel() -> None:
    """Each waiting run of this session: queue place or stage with its clock, the loss as epochs end, and Cancel."""
    if jobs_ui.settle():
        st.rerun(scope="app")
    for run in jobs_ui.waiting_runs():
        with st.container(border=True):
            epochs = jobs_ui.store().epochs(run.id)
            st.progress(jobs_ui.progress_fraction(run), text=f"{plain(run.dataset_name)}: {plain(jobs_ui.status_line(run, epochs=epochs))}")
            if epochs:
                frame = history.loss_frame({"this run": epochs})
                st.altair_chart(charts.loss_chart(frame, epochs[-1]["best_epoch"]), width="stretch")
            st.button("Cancel this run", key=f"bridge.cancel.train.{run.token}", on_click=jobs_ui.cancel, args=(run.token,),
                      icon=":material/cancel:", help="Stops it after the current epoch or model fit; earlier results are kept")


def shown_result(config: CompareConfig, source: str) -> None:
    """The run the results pages show, if it is on this dataset; marked when the controls have moved since it ran."""
    run = jobs_ui.current_run()
    if run is None or run.state != DONE or run.dataset_key != source:
        return
    s = run.summary
    c1, c2, c3 = st.columns(3)
    c1.metric(f"scikit-learn: {s['sklearn_name']}", f"{s['sklearn']:.3f}", help=s["metric"])
    gap = s["pytorch"] - s["sklearn"]
    c2.metric(f"PyTorch: {s['pytorch_name']}", f"{s['pytorch']:.3f}", f"{gap:+.3f} vs scikit-learn", delta_color=delta_color(gap))
    c3.metric("Verdict", verdict_label(s["verdict"]))
    if run.config.tune.on:  # the cards above are the default settings' scores; the verdict is the tuned one
        tuned_cards(s)
    changed = history.settings_diff(run.config, config)
    if changed:
        moved = "; ".join(f"{c['setting']} {c['before']} -> {c['after']}" for c in changed)
        st.warning(f"From earlier settings: the controls have moved since this run ({plain(moved)}). Press Run to train with them.",
                   icon=":material/history:")
    st.page_link(PAGES["compare"], label="See the full comparison", icon=":material/arrow_forward:")


def tuned_cards(s: dict) -> None:
    """A tuned run's second row: each side's best trial scored on the test rows, which the verdict weighs."""
    tuned, names = s.get("tuned"), s.get("tuned_names", {})
    if tuned:  # runs stored before the summary kept tuned scores show the caption alone
        c1, c2, _ = st.columns(3)
        c1.metric(f"scikit-learn tuned: {names.get('sklearn', '').removeprefix('tuned ')}", f"{tuned['sklearn']:.3f}",
                  f"{tuned['sklearn'] - s['sklearn']:+.3f} vs default", delta_color=delta_color(tuned["sklearn"] - s["sklearn"]), help=s["metric"])
        gap = tuned["pytorch"] - tuned["sklearn"]
        c2.metric(f"PyTorch tuned: {names.get('pytorch', '').removeprefix('tuned ')}", f"{tuned['pytorch']:.3f}",
                  f"{gap:+.3f} vs scikit-learn tuned", delta_color=delta_color(gap), help=s["metric"])
    st.caption("A tuned run: the first row is the default settings' scores, the second each side's best trial refitted and "
               "scored once on the test rows; the verdict weighs both sides tuned. Compare shows the sweep, under Tuning.")


def run_history(source: str) -> None:
    """Every run of this session on this dataset; two picked runs side by side: settings, scores, loss curves."""
    runs = jobs_ui.my_runs(source)
    if not runs:
        return
    st.subheader("Runs on this dataset")
    st.dataframe(history.history_frame(runs), hide_index=True, width="stretch", column_config={
        "scikit-learn": st.column_config.NumberColumn(format="%.3f"), "PyTorch": st.column_config.NumberColumn(format="%.3f"),
        "gap": st.column_config.NumberColumn("gap", format="%+.3f", help="PyTorch minus scikit-learn"),
    })
    done = [r for r in runs if r.state == DONE]
    numbers = history.numbered(runs)
    labels = {history.run_label(r, numbers[r.token]): r for r in done}
    if len(done) < 2:
        return
    picked = st.multiselect("Pick two runs to see what changed", list(labels), default=list(labels)[1::-1], max_selections=2,
                            key="pages.history.pick")
    if len(picked) != 2:
        return
    before, after = sorted((labels[p] for p in picked), key=lambda r: r.id)
    left, right = st.columns(2)
    left.markdown(f"**Settings that differ** (#{numbers[before.token]} -> #{numbers[after.token]})")
    diff = history.settings_diff(before.config, after.config)
    if diff:
        left.dataframe(diff, hide_index=True, width="stretch")
    else:
        left.caption("Same settings.")
    right.markdown("**Scores**")
    right.dataframe(history.score_changes(before, after), hide_index=True, width="stretch", column_config={
        k: st.column_config.NumberColumn(format="%+.3f" if k == "change" else "%.3f") for k in ("before", "after", "change")})
    curves = {f"#{numbers[r.token]}": jobs_ui.store().epochs(r.id) for r in (before, after)}
    st.altair_chart(history.loss_comparison_chart(history.loss_frame(curves)), width="stretch")
    if st.button(f"Show #{numbers[after.token]} on the results pages", key="pages.history.show"):
        jobs_ui.show_run(after.token)
        st.rerun()


st.title("Train")
dataset = need_dataset()
images = dataset.kind == "images"
text = views.text_columns_used(dataset, st.session_state.get(TARGET), st.session_state.get(TEXT_COLUMNS))
read_as_text = f", text columns **{plain(', '.join(text))}**" if text else ""
st.caption(f"Dataset **{plain(dataset.name)}**, target **{plain(st.session_state.get(TARGET) or dataset.default_target)}**{read_as_text}. "
           "Change them on the Data page.")
config = settings_ui(images, text)
waiting_for_target = target_unconfirmed(dataset)  # a weak guess at the target trains nothing until the user answers on Data
if st.button("Run", type="primary", help="Queues a run of both sides with these settings; moving a control alone trains nothing",
             disabled=waiting_for_target):
    run_clicked(config, images, bool(text))
if waiting_for_target:
    st.warning(f"Run waits for the target: Bridge only guessed '{plain(dataset.target_guess.column)}'; confirm it or pick another on the Data page.")
    st.page_link(PAGES["data"], label="Go to Data", icon=":material/arrow_forward:")
if SUBMIT_NOTICE in st.session_state:  # what Run did, shown once, right under the button
    kind, message = st.session_state.pop(SUBMIT_NOTICE)
    getattr(st, kind)(message)
st.fragment(live_panel, run_every=jobs_ui.watch_every(0.5))()
shown_result(config, st.session_state[SOURCE])

st.markdown("**The split**: the network learns from *train*, early stopping and the baseline choice watch *validation*, "
            "and both sides are scored once on *test*, rows neither has seen.")
try:
    st.altair_chart(charts.split_chart(views.split_preview(dataset, config)), width="stretch")
except BridgeError as exc:
    st.error(f"{plain(exc)}.")
run_history(st.session_state[SOURCE])
