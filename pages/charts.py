"""Altair charts for the screens, built from the long-form tables in views.py.

Altair is a chart grammar, not a UI toolkit, so these stay in the core and
are tested without streamlit.

The tuning sweep's long-form table is built here from the stored trials (``sweep_frame``): it is the chart's own data.

Sizes along a category axis are steps (pixels per category), not totals: Streamlit fits a
numeric height around the axes and titles too, which squashed a three-class chart to a line.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

SPLIT_COLORS = alt.Scale(domain=["train", "validation", "test"], range=["#4c78a8", "#f58518", "#54a24b"])
SIDE_COLORS = alt.Scale(domain=["scikit-learn", "PyTorch"], range=["#4c78a8", "#e45756"])
CURVE_COLORS = alt.Scale(domain=["train", "validation"], range=["#4c78a8", "#f58518"])  # curves have no test line to list
CELL_SELECTION = "cell"  # the name the Compare and Errors pages read a clicked confusion cell from
SIDE_NAMES = {"sklearn": "scikit-learn", "pytorch": "PyTorch"}
KNOB_LABELS = {  # the tuning spaces' parameter names (bridge.tuning.spaces), as the Train form and the history name them
    "family": "model family", "linear_C": "C (linear)", "linear_alpha": "alpha (linear)", "hog_C": "C (HOG + linear)",
    "forest_max_depth": "max depth (forest)", "forest_max_features": "features per split (forest)",
    "forest_min_samples_leaf": "rows per leaf (forest)", "boosting_learning_rate": "learning rate (boosting)",
    "boosting_max_leaf_nodes": "leaf nodes (boosting)", "boosting_l2": "L2 (boosting)", "class_weight": "class weighting",
    "lr": "learning rate", "batch_size": "batch size", "weight_decay": "weight decay", "dropout": "dropout",
    "hidden_layers": "hidden layers", "width": "width", "blocks": "conv blocks", "channels": "channels", "kernel_size": "kernel size",
    "augment": "augment", "encoder": "text encoder", "embedding_dim": "embedding size", "text_layers": "text layers",
}


def knob_label(name: str) -> str:
    return KNOB_LABELS.get(name, name)


def knob_value(value) -> str:
    """A setting as the sweep shows it: three significant digits for a float, the rest as they are."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def loss_chart(long: pd.DataFrame, best_epoch: int | None = None) -> alt.Chart:
    """Train and validation loss per epoch; a rule marks the epoch that was kept."""
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=alt.Color("split:N", scale=CURVE_COLORS, title=None),
        tooltip=["epoch", "split", alt.Tooltip("loss:Q", format=".4f")],
    )
    if best_epoch:
        rule = alt.Chart(pd.DataFrame({"epoch": [best_epoch]})).mark_rule(strokeDash=[4, 4], color="gray").encode(
            x="epoch:Q", tooltip=[alt.Tooltip("epoch:Q", title="best epoch (kept)")])
        return (lines + rule).properties(title="PyTorch: loss per epoch", height=260)
    return lines.properties(title="PyTorch: loss per epoch", height=260)


def size_chart(long: pd.DataFrame, metric: str) -> alt.Chart:
    """Both sides' validation score as the training set grows, with the spread over seeds as a band where measured.

    Lines still climbing at the right say more rows would help; lines closing in say the answer may change with more data.
    """
    base = alt.Chart(long).encode(x=alt.X("train_size:Q", title="training rows"),
                                  color=alt.Color("side:N", scale=SIDE_COLORS, title=None))
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("low:Q", title=f"validation {metric}", scale=alt.Scale(zero=False)), y2="high:Q")
    lines = base.mark_line(point=True).encode(
        y=alt.Y("score:Q", title=f"validation {metric}", scale=alt.Scale(zero=False)),
        tooltip=["train_size", "side", alt.Tooltip("score:Q", format=".3f"), alt.Tooltip("low:Q", format=".3f", title="mean - sd"),
                 alt.Tooltip("high:Q", format=".3f", title="mean + sd")],
    )
    return (band + lines).properties(title=f"Both sides: validation {metric} by training size", height=260)


def confusion_chart(long: pd.DataFrame, title: str) -> alt.Chart:
    """A heatmap of true against predicted class; clicking a cell selects it (rows = truth)."""
    select = alt.selection_point(name=CELL_SELECTION, fields=["true", "predicted"], on="click")
    classes = max(1, long["true"].nunique()) if len(long) else 1
    short = long["predicted"].astype(str).str.len().max() <= 8 if len(long) else True
    base = alt.Chart(long).encode(
        x=alt.X("predicted:N", title="predicted", axis=alt.Axis(labelAngle=0 if short else -45, labelLimit=120)),
        y=alt.Y("true:N", title="true", axis=alt.Axis(labelLimit=120)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("rows:Q", scale=alt.Scale(scheme="blues"), legend=None),
        opacity=alt.condition(select, alt.value(1.0), alt.value(0.6)),
        tooltip=["true", "predicted", "rows"],
    ).add_params(select)
    labels = base.mark_text(fontSize=12).encode(
        text="rows:Q",
        color=alt.condition(alt.datum.rows > (long["rows"].max() / 2 if len(long) else 0), alt.value("white"), alt.value("black")),
    )
    cell = max(24, min(56, 400 // classes))  # pixels per class: square cells, the whole matrix at most ~400 px a side
    return (cells + labels).properties(title=title, width=alt.Step(cell), height=alt.Step(cell))


def balance_chart(frame: pd.DataFrame) -> alt.Chart:
    """Rows (or images) per class, or a histogram of a numeric target."""
    if "class" in frame:
        unit = "images" if "images" in frame else "rows"  # an image folder is counted in images, a table in rows
        return alt.Chart(frame).mark_bar().encode(
            x=alt.X(f"{unit}:Q", title=unit, axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("class:N", sort="-x", title=None, axis=alt.Axis(labelLimit=160)),
            tooltip=["class", unit],
        ).properties(title=f"{unit.capitalize()} per class", height=alt.Step(22))
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("value:Q", bin=alt.Bin(maxbins=30), title="target"), y=alt.Y("count():Q", title="rows"),
    ).properties(title="Target values", height=240)


def split_chart(sizes: dict[str, int]) -> alt.Chart:
    """One bar cut into train / validation / test, with the row counts written on it."""
    frame = pd.DataFrame({"part": ["train", "validation", "test"], "rows": [sizes["train"], sizes["val"], sizes["test"]],
                          "order": [0, 1, 2]})
    frame["label"] = frame["part"] + " " + frame["rows"].astype(str)
    frame["end"] = frame["rows"].cumsum()
    frame["start"] = frame["end"] - frame["rows"]
    frame["middle"] = frame["start"] + frame["rows"] / 2
    bar = alt.Chart(frame).mark_bar().encode(
        x=alt.X("start:Q", axis=None, scale=alt.Scale(domain=[0, int(frame["end"].iloc[-1])])), x2="end:Q",
        color=alt.Color("part:N", scale=SPLIT_COLORS, legend=None), tooltip=["part", "rows"],
    )
    text = alt.Chart(frame).mark_text(color="white", fontWeight="bold").encode(x="middle:Q", text="label:N")
    return (bar + text).properties(height=44)


def word_map_chart(frame: pd.DataFrame, classification: bool, target: str, labelled: int = 20) -> alt.Chart:
    """Words at their learned vectors in 2-D (text_view.word_map), coloured by what the network predicts for each alone.

    About ``labelled`` words drawn furthest from the middle (for classes, the furthest of each predicted class) are
    written beside their point, in Vega text marks (plain text, whatever the word): they are the ones the network
    pulled apart, where the most frequent words would be function words piled up in the middle. Every point names
    its word in the tooltip.
    """
    colour = (alt.Color("predicted:N", title=f"predicted {target}", scale=alt.Scale(scheme="category10")) if classification
              else alt.Color("predicted:Q", title=f"predicted {target}", scale=alt.Scale(scheme="viridis")))
    tooltip = ["word", alt.Tooltip("count:Q", title="times in training rows"), alt.Tooltip("predicted", title=f"predicted {target}"),
               alt.Tooltip("length:Q", format=".2f", title="vector length (how far training moved it)")]
    if "probability" in frame:
        tooltip.append(alt.Tooltip("probability:Q", format=".2f"))
    base = alt.Chart(frame).encode(x=alt.X("pc1:Q", title="first principal component"), y=alt.Y("pc2:Q", title="second principal component"))
    points = base.mark_point(filled=True, size=40, opacity=0.7).encode(color=colour, tooltip=tooltip)
    spread = frame.assign(spread=frame["pc1"] ** 2 + frame["pc2"] ** 2)
    if classification and len(frame):  # a few per class: the furthest overall can all be one class's, piled on each other
        each = max(2, labelled // max(1, frame["predicted"].nunique()))
        outer = spread[spread.groupby("predicted")["spread"].rank(ascending=False, method="first") <= each]
    else:
        outer = spread.nlargest(labelled, "spread")
    names = alt.Chart(outer).mark_text(align="left", dx=5, fontSize=11).encode(
        x="pc1:Q", y="pc2:Q", text="word:N", color=colour)
    return (points + names).properties(title="Words where the network put them (PCA of the word vectors)", height=380)


def sweep_frame(trials: list[dict]) -> pd.DataFrame:
    """One row per trial (``Tuning.trials``): side, trial number, validation score, state, and each side's best so far.

    A pruned trial has no score; ``shown`` puts it at the bottom of the chart (the lowest score drawn), marked apart.
    """
    columns = ["side", "trial", "score", "state", "best", "shown", "settings", "note", "seconds"]
    rows = [{"side": SIDE_NAMES[t["side"]], "trial": int(t["number"]), "score": t["value"], "state": t["state"],
             "settings": ", ".join(f"{knob_label(k)} {knob_value(v)}" for k, v in t["params"].items()), "note": t.get("note") or "",
             "seconds": t["seconds"]} for t in trials]
    frame = pd.DataFrame(rows, columns=columns).sort_values(["side", "trial"], kind="stable").reset_index(drop=True)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    frame["best"] = frame.groupby("side")["score"].cummax()
    frame["best"] = frame.groupby("side")["best"].ffill()  # a pruned trial (no score) keeps the best before it
    frame["shown"] = frame["score"].fillna(frame["score"].min())
    return frame


def sweep_chart(frame: pd.DataFrame, metric: str) -> alt.Chart:
    """Both sides' trials on one chart: a point per trial (a cross where it was pruned), each side's best so far as a step line."""
    title = f"{metric} (validation)"
    base = alt.Chart(frame).encode(x=alt.X("trial:Q", title="trial", axis=alt.Axis(tickMinStep=1)),
                                   color=alt.Color("side:N", scale=SIDE_COLORS, title=None))
    points = base.mark_point(filled=True, size=70).encode(
        y=alt.Y("shown:Q", title=title, scale=alt.Scale(zero=False)),
        shape=alt.Shape("state:N", title="trial", scale=alt.Scale(domain=["complete", "pruned"], range=["circle", "cross"])),
        tooltip=["side", "trial", alt.Tooltip("score:Q", format=".3f", title=title), "state", "settings", "note",
                 alt.Tooltip("seconds:Q", format=".2f")],
    )
    best = base.mark_line(interpolate="step-after", strokeWidth=2, opacity=0.7).encode(
        y=alt.Y("best:Q", title=title), tooltip=["side", "trial", alt.Tooltip("best:Q", format=".3f", title="best so far")])
    return (best + points).properties(title=f"Both sides: {metric} on the validation rows by trial (line: best so far)", height=300)


def importance_chart(importance: dict[str, float], side: str) -> alt.Chart:
    """Each knob's share of one side's score variance (Optuna's fANOVA), largest first, in the side's colour."""
    frame = pd.DataFrame({"knob": [knob_label(k) for k in importance], "share": [float(v) for v in importance.values()]})
    colour = dict(zip(SIDE_COLORS.domain, SIDE_COLORS.range))[side]
    return alt.Chart(frame).mark_bar(color=colour).encode(
        x=alt.X("share:Q", title="share of the score's variance", axis=alt.Axis(format="%")),
        y=alt.Y("knob:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
        tooltip=["knob", alt.Tooltip("share:Q", format=".1%")],
    ).properties(title=side, height=alt.Step(22))
