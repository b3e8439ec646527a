"""Bridge note: from what you know (scikit-learn) to what PyTorch adds, filled in with this run, and made visible."""

import altair as alt
import streamlit as st

from bridge.comparison import Comparison
from bridge.errors import BridgeError
from bridge.outputs import representation, text_view
from bridge.outputs.note import bridge_note
from bridge.outputs.scripts import loop_code
from bridge.outputs.thumbnails import to_pil
from pages import charts
from pages.common import need_comparison, plain

MAX_FILTERS = 32
GAP = 3  # transparent pixels around each filter and map: drawn edge to edge they read as one picture


def projection_chart(frame, view: str, title: str, classification: bool, target: str, separation: float | None,
                     window: tuple[tuple[float, float], tuple[float, float]]) -> alt.Chart:
    """One view's test rows in 2-D, coloured by class (or by the target's value).

    The axes span ``window`` (the rows' range cut at far-out fences, see representation.axis_window);
    a row beyond it is clamped to the edge and drawn as a cross, its true coordinates in the tooltip.
    """
    colour = (alt.Color("label:N", title=target, scale=alt.Scale(scheme="category10")) if classification
              else alt.Color("label:Q", title=target, scale=alt.Scale(scheme="viridis")))
    title = f"{title} (PCA)" + (f": class separation {separation:.2f}" if separation is not None else "")
    (x_low, x_high), (y_low, y_high) = window
    return alt.Chart(frame[frame["view"] == view]).mark_point(filled=True, size=30, opacity=0.75).encode(
        x=alt.X("pc1:Q", title="first principal component", scale=alt.Scale(domain=[x_low, x_high], clamp=True, nice=False)),
        y=alt.Y("pc2:Q", title="second principal component", scale=alt.Scale(domain=[y_low, y_high], clamp=True, nice=False)),
        color=colour,
        shape=alt.condition("datum.outside", alt.value("cross"), alt.value("circle")),
        tooltip=["row", alt.Tooltip("label", title=target), alt.Tooltip("pc1:Q", format=".3g"), alt.Tooltip("pc2:Q", format=".3g")],
    ).properties(title=title, height=340)


WEIGHT_CAPTIONS = {  # (task, model's kind, classes): what the numbers in the table are
    ("classification", "coefficients", 2): "{model} keeps one row of weights for two classes: a word's positive weight pushes a text "
                                           "toward one class, a negative weight toward the other (the column says which).",
    ("classification", "coefficients", 3): "{model}'s weight on each counted word, per class: the words whose TF-IDF counts push a "
                                           "text most toward that class.",
    ("regression", "coefficients", 0): "{model}'s weight on each counted word: the words that raise the prediction most (higher) and "
                                       "lower it most (lower).",
    ("classification", "importances", 0): "A random forest weighs no word toward one class: these are the words its trees split on "
                                          "most (feature importance, over all classes).",
    ("regression", "importances", 0): "A random forest weighs no word up or down: these are the words its trees split on most "
                                      "(feature importance).",
}


def weight_caption(task: str, kind: str, classes: int) -> str:
    """What the numbers in the counted-words table mean, for this model and task (two classes share one row of weights)."""
    size = 0 if task == "regression" or kind == "importances" else min(classes, 3)
    return WEIGHT_CAPTIONS[(task, kind, size)]


def words_section(comparison: Comparison) -> None:
    """A text run: the words scikit-learn's model weighed beside the word vectors the network learned (issue #13).

    Every word comes from the user's data, so words reach the screen only in tables and chart marks (plain text).
    """
    classification = comparison.dataset["task"] == "classification"
    st.subheader("Words: counted or learned")
    st.markdown("*The linear model weighs words you counted; the network learned what the words are like.*")
    counted, learned = st.columns(2)
    counted.markdown("**What scikit-learn counted**")
    try:
        weights = text_view.tfidf_weights(comparison)
    except BridgeError as exc:
        counted.info(plain(exc))
    else:
        counted.caption(weight_caption(comparison.dataset["task"], weights.kind, len(comparison.dataset.get("classes") or []))
                        .format(model=weights.model) + " Words and two-word phrases from the TF-IDF; its character n-grams are left out.")
        counted.dataframe(text_view.weights_table(weights), hide_index=True, width="stretch")  # rows are in rank order
    learned.markdown("**What PyTorch learned**")
    try:
        neighbours, words = text_view.neighbour_table(text_view.neighbours(comparison)), text_view.word_map(comparison)
    except BridgeError as exc:  # texts of punctuation only: no word to show
        learned.info(plain(exc))
        return
    learned.caption("Each word started as a random vector; training moved the vectors of words that push the prediction the same "
                    "way close together. Here are the frequent words it moved furthest, with their nearest words.")
    learned.dataframe(neighbours, hide_index=True, width="stretch")
    learned.altair_chart(charts.word_map_chart(words, classification, comparison.dataset["target"]), width="stretch")
    learned.caption(f"The {len(words)} most frequent words at their learned vectors, coloured by what the network predicts for a "
                    "text of that word alone: the meaning it learned. The words furthest out are named; hover a point for any other.")


st.title("Bridge note")
comparison = need_comparison()
st.caption("The same skeleton on both sides; what changes is who learns the representation, and who holds the controls.")
for heading, line in bridge_note(comparison):
    st.markdown(f"**{heading}.** {line}")

text = bool(comparison.dataset.get("text_columns"))
if text:
    words_section(comparison)

st.subheader("Where representation learning happens")
projection = representation.projections(comparison)
classification = comparison.dataset["task"] == "classification"
if projection.hidden_units == 0:
    st.info("This network has no hidden layer, so it learns no representation of its own: both pictures show "
            + ("the pooled word vectors. " if text else "the inputs. ") + "Add hidden layers on the Train page to see one.")
st.caption("The same test rows twice: on the left " + (
    "each text as its learned word vectors pooled into one (word ids are labels, not quantities, so there is no raw picture to "
    "draw), " if text else "as both sides receive them, ") + "on the right as the network's last hidden layer "
           "re-describes them. " + ("Classes that overlap on the left and sit apart on the right are what the hidden layers learned; "
                                   "class separation is the silhouette score of the picture (1: apart, 0: overlapping)."
                                   if classification else "Colour is the target: a smooth gradient on the right means the "
                                   "network arranged the rows by what it predicts."))
left, right = st.columns(2)
for column, view in zip((left, right), representation.VIEWS):
    chart = projection_chart(projection.frame, view, projection.titles[view], classification, comparison.dataset["target"],
                             projection.separation.get(view), projection.window[view])
    column.altair_chart(chart, width="stretch")
    far = int(projection.frame.loc[projection.frame["view"] == view, "outside"].sum())
    column.caption(f"The two axes keep {projection.explained[view]:.0%} of the variance."
                   + (f" {far} row(s) lie more than three inter-quartile ranges beyond the rest: drawn as crosses at the "
                      "edge so the others are not squashed into a dot (the tooltip gives their true coordinates)." if far else ""))

filters = representation.first_layer_filters(comparison)
maps = representation.feature_maps(comparison)
if filters is not None and maps is not None:
    st.markdown("**What the first convolution looks for.** Each filter is a small pattern slid over every position of the image; "
                "training chose them (light = strong positive weight).")
    st.image([to_pil(f, 48, GAP) for f in filters[:MAX_FILTERS]], width=48 + 2 * GAP)
    image, activations = maps
    st.markdown("**One test image and its first-layer feature maps**: where each filter found its pattern (light = strong).")
    first, rest = st.columns([1, 6])
    first.image(to_pil(image, 96), caption="test image", width=96)
    rest.image([to_pil(m[None], 64, GAP) for m in activations[:MAX_FILTERS]], width=64 + 2 * GAP)

st.subheader("The loop that fit() hides")
sklearn_code, pytorch_code = loop_code(comparison)
left, right = st.columns([2, 3])
left.markdown("**scikit-learn**: one line does it all")
left.code(sklearn_code, language="python")
right.markdown("**PyTorch**: the same steps, written out (the labels name each one)")
right.code(pytorch_code, language="python")
st.caption("The downloadable train_pytorch.py on the Recommendation page runs this loop in full, without Bridge.")

st.subheader("Run it again, get the same numbers")
st.markdown(f"The split, the initial weights, the batch order and the dropout masks all come from the seed "
            f"(**{comparison.config['seed']}**). The same seed and settings give the same numbers when run again, "
            f"on this machine and in the exported scripts; another seed shows how much of a gap is luck.")
