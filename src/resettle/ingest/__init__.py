"""ingest: files people really have, turned into validated records.

It holds reading a file (encodings, delimiters, workbooks) and finding its table (`reading`), matching
columns to fields (`mapping`), turning values as people write them into stored values (`parsing`), the
rules across the fields of a row (`rules`), the general and the columnar (pyarrow) engines that validate
every row (`general`, `columnar`), the one entry that picks an engine and hands its rows to the store's
writer (`importer`), the dry-run review that the Import page and `--dry-run` show (`review`), and the
bundled sample data (`sample`). It may use `resettle.store` and `resettle.domain`.
"""
