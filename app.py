"""Bridge: does this dataset need scikit-learn's simplicity or PyTorch's control?

The entry point: navigation over the screens in pages/, and the sidebar that shows the current
dataset, the last run and any run still training. Run with: streamlit run app.py
"""

import streamlit as st

from bridge.memory import serve_with_bounded_heap
from pages import jobs_ui
from pages.common import PAGES, ensure_default_dataset, show_notice, sidebar, sidebar_lines, through_app

through_app()  # the first run after a server start must not draw Streamlit's automatic menu of pages/
serve_with_bounded_heap()  # once per server: memory that uploads and closed sessions freed goes back to the system
st.set_page_config(page_title="Bridge: scikit-learn or PyTorch?", page_icon=":material/compare_arrows:", layout="wide")

navigation = st.navigation([
    st.Page(PAGES["data"], title="Data", icon=":material/table_chart:", default=True),
    st.Page(PAGES["train"], title="Train", icon=":material/model_training:"),
    st.Page(PAGES["compare"], title="Compare", icon=":material/compare_arrows:"),
    st.Page(PAGES["errors"], title="Errors", icon=":material/rule:"),
    st.Page(PAGES["recommendation"], title="Recommendation", icon=":material/recommend:"),
    st.Page(PAGES["note"], title="Bridge note", icon=":material/school:"),
])
jobs_ui.restore_from_link()  # ?run=<token>: a reload or a shared link opens that run, with its data
ensure_default_dataset()
jobs_ui.settle()  # a run that ended while no fragment was watching (another page, a reload)
show_notice()  # how that run ended, or why a link could not be opened: once, on whatever page is open
with st.sidebar:
    jobs_ui.run_monitor()
# The sidebar is drawn before the page, and redrawn in place after it so it shows a run or dataset the
# page just set. A page that stops early (st.stop: "run a comparison first") keeps the first drawing,
# since Streamlit draws nothing after st.stop, not even in a finally block.
lines = sidebar_lines()
sidebar(lines)
navigation.run()
sidebar(lines)
