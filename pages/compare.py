"""Compare: the two sides' test scores, learning curves, confusion matrices and costs, side by side; for a tuned run, the sweep.

The sweep lives here, under "Tuning", rather than on a page of its own: it only exists for tuned runs (a page
would stand empty in the menu for every other run), and its point is the tuned scores beside the default ones
that this page already shows. It reads ``comparison.tuning`` from the stored run, so a reload or a run link shows it.
"""

from dataclasses import replace

import pandas as pd
import streamlit as st

from bridge.config import CompareConfig, TuneConfig
from bridge.decision.evaluate import metric_label
from bridge.outputs.tuning_text import studies_line
from bridge.tuning.spaces import network_config
from pages import charts, views
from pages.charts import CELL_SELECTION
from pages.common import CELL, PAGES, delta_color, fill_train_form, need_comparison, plain

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


def tuned_settings(comparison) -> CompareConfig:
    """The run's settings with the best trials in place, for the Train form: the network's from PyTorch's best trial, the baseline
    family from scikit-learn's, and tuning off, so Run trains them once.

    The family's own knobs (C, depth, ...) have no control on Train. Class weighting is one setting for both sides there:
    it follows the best trials where they agree, and stays as the run had it where they differ.
    """
    run, best = CompareConfig.from_dict(comparison.config), comparison.tuning["best"]
    network, baseline = best["pytorch"]["params"], best["sklearn"]["params"]
    weights = {network.get("class_weight"), baseline.get("class_weight")}
    class_weight = weights.pop() if len(weights) == 1 and None not in weights else run.class_weight
    return replace(network_config(run, network), baseline=baseline["family"], class_weight=class_weight,
                   network=comparison.training["network"], tune=TuneConfig())


def tuning_section(comparison, metric: str, label: str) -> None:
    """What the tuned run searched: tuned scores beside the defaults, every trial, which knobs mattered, the best settings."""
    tuning, models = comparison.tuning, comparison.models
    st.subheader("Tuning")
    count = {side: sum(t["side"] == side for t in tuning["trials"]) for side in SIDES}
    st.caption(f"Both sides had the same budget: {count['sklearn']} scikit-learn and {count['pytorch']} PyTorch trials, on "
               f"{plain(tuning['budget'].get('executor', 'the local pool'))}. Each trial was scored on the validation rows; only each "
               f"side's best touched the test rows, once. The sections below this one show the default models.")
    columns = st.columns(len(SIDES))
    for column, (side, side_label) in zip(columns, SIDES.items()):
        tuned, default = tuning["test"][side], models[side].metrics[metric]
        score = tuned["metrics"][metric]
        column.metric(f"{side_label} tuned: {tuned['name'].removeprefix('tuned ')}", f"{score:.3f}", f"{score - default:+.3f} vs default",
                      delta_color=delta_color(score - default), help=f"{label} on the test split; the default model scored {default:.3f}.")
    reason = next((r for r in comparison.recommendation.get("reasons", []) if r.startswith("[tuning]")), None)
    if reason:
        st.markdown(f"`tuning` {plain(reason.removeprefix('[tuning]').strip())}")

    st.altair_chart(charts.sweep_chart(charts.sweep_frame(tuning["trials"]), label), width="stretch")
    st.caption("Trial 0 of each side is the default run's own settings. A cross is a network trial pruned before its last epoch "
               "(its validation loss was worse than the median of earlier trials', or diverged): it has no score and sits at the bottom.")
    kept = studies_line(tuning)
    if kept:  # the study names and a path on the server: plain text, like everything that reaches a page
        st.caption(plain(kept))

    st.markdown("**Which knobs mattered** (Optuna's fANOVA importance over the finished trials)")
    columns = st.columns(len(SIDES))
    for column, (side, side_label) in zip(columns, SIDES.items()):
        importance = tuning["importance"].get(side) or {}
        if importance:
            column.altair_chart(charts.importance_chart(importance, side_label), width="stretch")
        else:
            column.caption(f"{side_label}: too few finished trials, or no knob that varied, to say which mattered.")

    st.markdown("**Best settings** (picked on the validation rows)")
    columns = st.columns(len(SIDES))
    for column, (side, side_label) in zip(columns, SIDES.items()):
        found = tuning["best"][side]
        column.caption(f"{side_label}: trial {found['number']}, {label} on validation {found['value']:.3f}")
        column.dataframe(pd.DataFrame({"setting": [charts.knob_label(k) for k in found["params"]],
                                       "value": [charts.knob_value(v) for v in found["params"].values()]}),
                         hide_index=True, width="stretch")
    if st.button("Apply these settings", icon=":material/tune:", key="apply-tuned",
                 help="Fills the Train form with PyTorch's best trial (learning rate, batch size, weight decay, dropout, the network's "
                 "shape) and scikit-learn's best model family, with tuning off: Run then trains them once."):
        images = comparison.dataset.get("kind") == "images"
        fill_train_form(tuned_settings(comparison), comparison.training["network"] if images else None)
        st.switch_page(PAGES["train"])


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
if comparison.tuning:  # a run without tuning shows nothing of it
    tuning_section(comparison, metric, label)

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
