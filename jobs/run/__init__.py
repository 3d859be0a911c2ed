"""The run's machinery: one pipeline run from the command line or a DAG task.

Enters: a profile (conf/profiles/, environment overrides: config), a logical date, a stage or
the whole run (pipeline), the ``bayres`` command line (cli) or spark-submit (submit).
Leaves: each stage run in turn with its context (context: zone paths, timings, status), its
Spark session or DuckDB connection, the publish lock (locks), the run id on every log line
(run_log).
Writes: nothing of its own but the run's log (``reports/<run id>/run.log``); the stages write
their zones.
"""
