"""Recommendation: the verdict, how sure it is, why, and the report to take away."""

import pandas as pd
import streamlit as st

from bridge.recommend import seconds
from bridge.report import to_json
from pages.common import need_comparison

VERDICTS = {
    "sklearn": "Use scikit-learn",
    "pytorch": "Use PyTorch",
    "no-signal": "No usable signal yet: check the data before choosing a tool",
}

st.title("Recommendation")
comparison = need_comparison()
rec = comparison.recommendation
metric = comparison.metric
sk, pt = comparison.models["sklearn"], comparison.models["pytorch"]

st.header(VERDICTS[rec["verdict"]])
st.progress(rec["confidence"], text=f"Confidence {rec['confidence']:.0%}: the share of resampled test sets on which this verdict holds")
if rec.get("next_action"):
    st.success(f"**Next:** {rec['next_action']}")

st.subheader("Why")
for reason in rec["reasons"]:
    rule, _, text = reason.partition("] ")
    st.markdown(f"- `{rule.strip('[')}` {text}" if text else f"- {reason}")

st.subheader("Trade-offs")
trade = pd.DataFrame(
    {
        f"scikit-learn: {sk.name}": [f"{sk.metrics[metric]:.3f}", seconds(sk.fit_seconds), seconds(sk.predict_seconds),
                                     f"{sk.parameters:,}", "fit() / predict()", "CPU"],
        f"PyTorch: {pt.name}": [f"{pt.metrics[metric]:.3f}", seconds(pt.fit_seconds), seconds(pt.predict_seconds),
                                f"{pt.parameters:,}", "your own loop: forward, loss, backward, step", comparison.training["device"].upper()],
    },
    index=[f"test {metric}", "fit time", "predict time", "learned parameters", "code you own", "ran on"],
)
st.table(trade)

evidence = rec.get("evidence", {})
if evidence:
    st.caption(f"Gap PyTorch - scikit-learn: {evidence['gap']:+.3f} {metric}, 95% bootstrap interval "
               f"{evidence['gap_low']:+.3f} to {evidence['gap_high']:+.3f} over {comparison.split['test']} test rows.")
st.download_button("Download the JSON report", to_json(comparison), file_name=f"bridge-{comparison.dataset['name']}.json",
                   mime="application/json", type="primary")
