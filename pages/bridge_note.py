"""Bridge note: five lines from what you know (scikit-learn) to what PyTorch adds, filled in with this run."""

import streamlit as st

from bridge.note import bridge_note
from pages.common import need_comparison

st.title("Bridge note")
comparison = need_comparison()
st.caption("The same skeleton on both sides; what changes is who learns the representation, and who holds the controls.")
for heading, line in bridge_note(comparison):
    st.markdown(f"**{heading}.** {line}")
st.caption("The same seed and settings give the same numbers when run again.")
