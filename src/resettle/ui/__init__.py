"""The Streamlit dashboard: pages lay out widgets and call the library; no SQL and no arithmetic here."""
