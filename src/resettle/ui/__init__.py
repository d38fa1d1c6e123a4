"""ui: the Streamlit dashboard.

It holds the app (`app`: navigation from the page registry, the sidebar, each page run inside a guard),
the cached queries keyed by the database's change counter (`cache`), the sidebar filters kept in the URL
(`filters`), editors' sign-in (`access`), what pages share (`common`, `text`), and one module per page
under `pages/`. Pages lay out widgets and call the library: no SQL and no arithmetic. The only layer
that imports Streamlit; it may use every other layer.
"""
