"""Recommendation: the verdict, how sure it is, why, and the report to take away."""

import pandas as pd
import streamlit as st

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
st.table(pd.DataFrame(rec["tradeoffs"]).set_index("aspect").rename(columns={"sklearn": f"scikit-learn: {sk.name}",
                                                                          "pytorch": f"PyTorch: {pt.name}"}))

st.subheader("What would change the answer")
for item in rec.get("would_change", []):
    st.markdown(f"- {item}")

evidence = rec.get("evidence", {})
if evidence:
    st.caption(f"Gap PyTorch - scikit-learn: {evidence['gap']:+.3f} {metric}, 95% bootstrap interval "
               f"{evidence['gap_low']:+.3f} to {evidence['gap_high']:+.3f} over {comparison.split['test']} test rows.")
st.download_button("Download the JSON report", to_json(comparison), file_name=f"bridge-{comparison.dataset['name']}.json",
                   mime="application/json", type="primary")
