"""Recommendation: the verdict, how sure it is, why, and the report to take away."""

import pandas as pd
import streamlit as st

from bridge.decision.evaluate import metric_label
from bridge.decision.verdict_text import verdict_headline
from bridge.outputs import export
from bridge.outputs.html_report import to_html
from bridge.outputs.report import to_json
from bridge.outputs.scripts import render_pytorch, render_sklearn
from pages.common import need_comparison

st.title("Recommendation")
comparison = need_comparison()
rec = comparison.recommendation
metric = comparison.metric
sk, pt = comparison.models["sklearn"], comparison.models["pytorch"]

st.header(verdict_headline(rec["verdict"]))
st.progress(rec["confidence"], text=f"Confidence {rec['confidence']:.0%}: {rec.get('confidence_words', '')}")
if rec.get("confidence_means"):  # what the number is a share of; reports saved before it existed lack it
    st.caption(rec["confidence_means"])
if rec.get("next_action"):
    st.success(f"**Next:** {rec['next_action']}")

st.subheader("Why")
for reason in rec["reasons"]:
    rule, _, text = reason.partition("] ")
    st.markdown(f"- `{rule.strip('[')}` {text}" if text else f"- {reason}")

st.subheader("Trade-offs")
st.table(pd.DataFrame(rec["tradeoffs"]).set_index("aspect").rename(columns={"sklearn": f"scikit-learn: {sk.name}",
                                                                          "pytorch": f"PyTorch: {pt.name}"}))

st.subheader("What would change the answer")
for item in rec.get("would_change", []):
    st.markdown(f"- {item}")

evidence = rec.get("evidence", {})
if evidence:
    st.caption(f"Gap PyTorch - scikit-learn: {evidence['gap']:+.3f} {metric_label(metric)} ({metric} in report.json), "
               f"95% bootstrap interval {evidence['gap_low']:+.3f} to {evidence['gap_high']:+.3f} over {comparison.split['test']} test rows.")

st.subheader("Take it with you")
st.markdown("Everything to reproduce or reuse this run without Bridge: two standalone scripts that repeat the split, the "
            "preprocessing and the training (each prints its test metrics), the PyTorch checkpoint, the fitted scikit-learn "
            "pipeline, a report to share and a README that says how to run each file.")
# Files are built in memory when a button is clicked (a callable), never written to the server's disk; names are fixed.
st.download_button("Download everything (.zip)", lambda: export.export_zip(comparison), file_name="bridge-export.zip",
                   mime="application/zip", type="primary", on_click="ignore", icon=":material/folder_zip:")
DOWNLOADS = [
    ("train_sklearn.py", lambda: render_sklearn(comparison), "text/x-python",
     "Standalone script: the same split and preprocessing, fits the scikit-learn baseline, prints its test metrics."),
    ("train_pytorch.py", lambda: render_pytorch(comparison), "text/x-python",
     "Standalone script: the same split, the network and its training loop written out, prints its test metrics."),
    ("model.pt", lambda: export.checkpoint_bytes(comparison), "application/octet-stream",
     "The PyTorch checkpoint: the weights of the epoch that was kept."),
    ("sklearn_model.skops", lambda: export.sklearn_skops(comparison), "application/octet-stream",
     "The fitted scikit-learn pipeline, saved with skops: it loads trusting only the types the export lists, never running code."),
    ("report.html", lambda: to_html(comparison), "text/html", "This run's report as one web page, to share."),
    ("report.json", lambda: to_json(comparison), "application/json", "Every number of this run, for a program to read."),
]
# Two files a row: six narrow columns cut the longer names ("sklearn_model.sk..."); each keeps a line saying what it is.
PER_ROW = 2
for start in range(0, len(DOWNLOADS), PER_ROW):
    for column, (name, build, mime, what) in zip(st.columns(PER_ROW), DOWNLOADS[start : start + PER_ROW]):
        column.download_button(name, build, file_name=name, mime=mime, on_click="ignore", key=f"download-{name}",
                               icon=":material/download:")
        column.caption(what)
st.caption("Unless the data is one of scikit-learn's built-ins, the scripts read it from data.csv (images.npz for images) "
           "beside them, which comes in the zip.")
st.caption("The scikit-learn model is a skops file, not a pickle: the full export's README and sklearn_model.json list the exact "
           "types to trust when loading it, and predict_sklearn.py loads it that way.")
