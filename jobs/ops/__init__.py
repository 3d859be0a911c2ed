"""Operations: what a run did, kept over time, and the health of what it depends on.

Enters: the run's context after (or during) its stages, the profile's endpoints.
Leaves: the run report (report: every input record accounted for; report_html: the page people
read), the assessment tables over time (assessment), endpoint checks (health), the operations
commands of ``bayres`` (cli_ops: shared configuration, health, locks).
Writes: ``reports/<run id>/`` (report.json, summary.txt, report.html) and the Hive tables
``run_stage`` and ``platform_assessment``.
"""
