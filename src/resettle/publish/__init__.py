"""publish: files a person takes away.

It holds static rendering (`rendering`: the kaleido browser; charts as PNG, SVG, PDF and offline HTML;
their sizes and MIME types), table exports (`tables`: CSV, XLSX and HXL, the reconciliation and the
sources beside them, the Data page's CSV, formula escaping), the briefing as HTML or PDF (`report`) and
the zip of everything (`bundle`). It may use `resettle.figures`, `resettle.compute`, `resettle.store`
and `resettle.domain`, but imports no file (no `resettle.ingest`).
"""
