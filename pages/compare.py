"""Compare: the two sides' test scores, learning curves, confusion matrices and costs, side by side."""

import streamlit as st

from bridge.decision.evaluate import metric_label
from pages import charts, views
from pages.charts import CELL_SELECTION
from pages.common import CELL, PAGES, delta_color, need_comparison

SIDES = {"sklearn": "scikit-learn", "pytorch": "PyTorch"}


def open_cell(side: str, event) -> None:
    """A click on a confusion cell opens exactly those test rows on the Errors page."""
    picked = (event or {}).get("selection", {}).get(CELL_SELECTION) or []
    if picked:
        st.session_state[CELL] = (side, str(picked[0]["true"]), str(picked[0]["predicted"]))
        st.switch_page(PAGES["errors"])


def key_note(keys) -> str:
    """The report's short name beside each readable one, for a reader matching the screen to report.json."""
    return "Names in report.json: " + "; ".join(f"{metric_label(key)} = {key}" for key in keys) + "."


st.title("Compare")
comparison = need_comparison()
metric = comparison.metric
label = metric_label(metric)
models = comparison.models
dummy, sk, pt = (models[k].metrics[metric] for k in ("dummy", "sklearn", "pytorch"))
key_help = f"{label} on the test split; report.json calls it {metric}."

st.caption(f"Test split: {comparison.split['test']} rows that neither side saw while learning. Main score: **{label}**.")
c1, c2, c3 = st.columns(3)
# Model names are estimator class names from Bridge's own code, never from the data.
c1.metric(f"Dummy floor: {models['dummy'].name}", f"{dummy:.3f}",
          help=f"Predicts the most likely answer whatever the input. {key_help}")
# Every delta goes grey when it prints as +0.000: a tie is no lead, and a green up arrow would say it was.
c2.metric(f"scikit-learn: {models['sklearn'].name}", f"{sk:.3f}", f"{sk - dummy:+.3f} vs Dummy",
          delta_color=delta_color(sk - dummy), help=key_help)
c3.metric(f"PyTorch: {models['pytorch'].name}", f"{pt:.3f}", f"{pt - sk:+.3f} vs scikit-learn ({pt - dummy:+.3f} vs Dummy)",
          delta_color=delta_color(pt - sk), help=key_help)

# Quality here, costs in their own table below: each number shows once.
quality = views.metrics_table(comparison, "quality")
st.dataframe(views.labelled(quality), width="stretch")
st.caption(key_note(quality.index))

st.subheader("Learning curves")
left, right = st.columns(2)
left.altair_chart(charts.loss_chart(views.loss_curve(comparison), comparison.training["best_epoch"]), width="stretch")
left.caption("Validation loss rising while train loss falls is overfitting; the dashed line marks the epoch that was kept.")
right.altair_chart(charts.size_chart(views.size_curve(comparison), label), width="stretch")
right.caption("Both sides refitted on the same growing subsets of the training rows (shaded: one standard deviation over "
              "seeds, where affordable). A line still climbing at the right says more rows would help that side; lines "
              "closing in say more data could change the answer.")

if comparison.confusion:
    st.subheader("Confusion matrices")
    st.caption("Rows are the true class, columns the prediction. Click a cell to open exactly those test rows on Errors.")
    columns = st.columns(2)
    for column, (side, side_label) in zip(columns, SIDES.items()):
        with column:
            event = st.altair_chart(charts.confusion_chart(views.confusion_frame(comparison, side), side_label),
                                    on_select="rerun", key=f"confusion-{side}", width="content")
            open_cell(side, event)

st.subheader("Cost")
st.dataframe(views.metrics_table(comparison, "cost"), width="stretch")
training = comparison.training
st.caption(f"PyTorch trained on the {training['device'].upper()} for {training['epochs_run']} epochs "
           f"(best epoch {training['best_epoch']}{', stopped early' if training['stopped_early'] else ''}).")
