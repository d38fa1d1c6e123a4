"""compute: the figures of DOMAIN.md and every page's data, read from the database and never written to it.

It holds the scope of a view (`scope`: sites, as-of date, start, host countries, and its SQL WHERE) and
what a view can choose from (`choices`); the database's arrays, kept per change counter (`aggregates`,
read by `columns`, one `site` each, on the shared `arithmetic` of day numbers and rounding); the headline
figures and their 30-day changes (`headline`); the pages' series and tables (`series`, `relocation`,
`medical`, `incidents`, `sources`); the reconciliation of counts and flows (`reconciliation`); a table's
rows in a scope (`table_rows`); the N largest by a key (`ranking`); and public mode's small-number
suppression (`disclosure`). It may use `resettle.store` and `resettle.domain`.
"""
