"""Bridge: does this dataset need scikit-learn's simplicity or PyTorch's control?

The entry point: navigation over the screens in pages/, and the sidebar that
shows the current dataset and the last run. Run with: streamlit run app.py
"""

import streamlit as st

from pages.common import PAGES, ensure_default_dataset, sidebar, sidebar_lines

st.set_page_config(page_title="Bridge: scikit-learn or PyTorch?", page_icon=":material/compare_arrows:", layout="wide")

navigation = st.navigation([
    st.Page(PAGES["data"], title="Data", icon=":material/table_chart:", default=True),
    st.Page(PAGES["train"], title="Train", icon=":material/model_training:"),
    st.Page(PAGES["compare"], title="Compare", icon=":material/compare_arrows:"),
    st.Page(PAGES["errors"], title="Errors", icon=":material/rule:"),
    st.Page(PAGES["recommendation"], title="Recommendation", icon=":material/recommend:"),
    st.Page(PAGES["note"], title="Bridge note", icon=":material/school:"),
])
ensure_default_dataset()
# The sidebar is drawn before the page, and redrawn in place after it so it shows a run or dataset the
# page just set. A page that stops early (st.stop: "run a comparison first") keeps the first drawing,
# since Streamlit draws nothing after st.stop, not even in a finally block.
lines = sidebar_lines()
sidebar(lines)
navigation.run()
sidebar(lines)
