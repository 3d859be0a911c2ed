"""Stage 1 — extract: every source of conf/sources/, as published, into the raw zone.

Enters: a source's description (conf/sources/*.yaml) and its data — the files of its drop folder
(feed_ledger: new, changed, unchanged, removed) or the rows of its database (sql: modes, splits;
watermark: incremental windows kept in the state store).
Leaves: one manifest per source and day (rows, checksums, files, window).
Writes: the raw zone, ``raw/<platform>/<source>/<run_date>/`` (all-string parquet parts,
``_manifest.json``; parts), published whole or not at all (stage); the watermark only after it.
"""
