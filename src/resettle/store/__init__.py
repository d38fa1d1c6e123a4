"""store: the database, and the one layer that writes to it.

It holds the connections and the modes they open in (`db`: where the database is, read-only mode), the
schema generated from the record definitions and its migrations (`schema`), the write lock taken with
bounded retries (`transaction`), an import's rows as typed columns and their fast insert (`columns`), the
one writer of import batches and their undo (`writer`), saved column mappings (`mappings`) and the audit
log (`audit`), consistent backups (`backup`), files written whole or not at all (`files`), and editors'
password hashes and access modes (`auth`). Every SQL statement that writes lives here, so that another
database engine could be put behind it. It may use `resettle.domain` and nothing else of ours.
"""
