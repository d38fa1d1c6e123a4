"""The resettle dashboard: `resettle serve`, or `streamlit run dashboard.py` (database: $RESETTLE_DB)."""

import streamlit as st

from resettle.ui import overview

# No page_icon: an emoji icon would be fetched from a CDN, and nothing here phones home.
st.set_page_config(page_title="resettle", layout="wide")
st.navigation([st.Page(overview.page, title="Overview", url_path="overview", default=True)]).run()
