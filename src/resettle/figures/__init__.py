"""figures: every chart, as a plotly Figure, and what each dashboard page shows.

It holds the theme (one template, one colour per host country on every chart, captions with units,
as-of date and sources), the chart builders (pure functions of tidy frames, no I/O), and the page
registry: per page its URL path, title, charts in order, how its data is gathered and how its figures
are drawn. The dashboard, the chart exports, the report and the bundle all draw from here, so an
exported chart is the chart on the page. It may use `resettle.compute` and `resettle.domain`.
"""
