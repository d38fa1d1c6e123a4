"""The dashboard's Streamlit entry script, installed with the package: `resettle serve` runs this file.
It sits beside cli.py, not in ui/: Streamlit would take the ui/pages/ folder beside an entry script for
pages of its own and run each module there as one."""

from resettle.ui import app

app.main()
