-- quality_scores_over_time.sql — per-platform data-quality scores across runs
--
-- Answers:    how each platform’s data quality (completeness, validity, uniqueness,
--             timeliness and the overall score, each 0..1, computed by quality/scores.py on
--             the accepted records of a run) developed over the runs in a date range, and how
--             much the score moved since the platform’s previous run in that range.
-- Parameters: from_date  first run_date to include (ISO date), e.g. 2026-01-01
--             to_date    last run_date to include (ISO date), e.g. 2026-12-31
-- Reads:      bayres.quality_score (one row per platform and run)
-- Returns:    src_platform, run_date, run_id, records, completeness, validity, uniqueness,
--             timeliness, score, score_change (score − previous run’s score in the range,
--             NULL for a platform’s first run in the range), ordered by src_platform, run_date.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar from_date=2026-01-01 --hivevar to_date=2026-12-31 -f hive/queries/quality_scores_over_time.sql
SELECT
  src_platform,
  run_date,
  run_id,
  records,
  completeness,
  validity,
  uniqueness,
  timeliness,
  score,
  score - LAG(score) OVER (PARTITION BY src_platform ORDER BY run_date, run_id) AS score_change
FROM bayres.quality_score
WHERE run_date BETWEEN DATE '${hivevar:from_date}' AND DATE '${hivevar:to_date}'
ORDER BY src_platform, run_date, run_id;
