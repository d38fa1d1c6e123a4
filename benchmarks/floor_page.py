"""The floor of issue 6's page-load benchmark: a trivial Streamlit page with one small plotly chart.

`streamlit run benchmarks/floor_page.py`: what Streamlit and plotly.js cost on their own (the server's
session start, the front end, plotly.js drawing one line), so the overview's load time is judged against
it, measured in the same run (benchmarks/browser.py). Nothing is fetched: plotly.js ships with Streamlit.
"""

import math

import plotly.graph_objects as go
import streamlit as st

x = list(range(100))
fig = go.Figure(go.Scatter(x=x, y=[math.sin(i / 10) for i in x], mode="lines", name="sin"))
fig.update_layout(title="One line, 100 points")
st.plotly_chart(fig, key="floor_chart")
