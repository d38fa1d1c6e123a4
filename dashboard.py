"""The resettle dashboard: `resettle serve`, or `streamlit run dashboard.py` (database: $RESETTLE_DB)."""

from resettle.ui import app

app.main()
