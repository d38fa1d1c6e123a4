"""`streamlit run dashboard.py` in a checkout (database: $RESETTLE_DB); `resettle serve` runs the package's
own copy, resettle/dashboard.py, from any folder."""

from resettle.ui import app

app.main()
