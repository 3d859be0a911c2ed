"""The current state of every source: each day's standardized records merged into one table.

Enters: the standardized zone of a day (full snapshots or deltas of each source).
Leaves: the catalogue as it stands — inserts, updates (a late, older version never overwrites a
newer one), deletes kept as tombstones — and every change of the day with the fields it changed.
Writes: ``state/current`` (a Delta Lake table, one commit per day) and ``changes/run_date=<day>/``.
"""
