"""End-to-end tests: the dashboard served by Streamlit, driven in Debian's Chromium through Playwright."""
