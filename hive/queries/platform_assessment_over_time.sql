-- platform_assessment_over_time.sql — the platform performance assessment across runs
--
-- Answers:    how each platform performed run after run in a date range: its failure rate
--             (share of its extracted records refused into quarantine), its service quality
--             (measured from its service logs: availability x (1 - error rate), or the share of its
--             sources that delivered a readable extract when the run collected no logs) with the
--             logs’ availability, failure rate (1 - availability), error rate, p95 latency and
--             user satisfaction, its data quality
--             (the quality score of the run), its GB/T 30523 conformance (share of its golden
--             records with every mandatory core element), whether the run published, which stages of
--             the run failed, and how much the failure rate moved since the platform’s
--             previous run in the range.
-- Parameters: from_date  first run_date to include (ISO date), e.g. 2026-01-01
--             to_date    last run_date to include (ISO date), e.g. 2026-12-31
-- Reads:      bayres.platform_assessment (one row per platform and run) and bayres.run_stage
--             (one row per stage and run)
-- Returns:    src_platform, run_date, run_id, extracted, quarantined, failure_rate,
--             failure_rate_change (NULL for a platform’s first run in the range),
--             sources_delivered, sources, service_quality, availability,
--             service_failure_rate, error_rate, latency_p95_ms, satisfaction, quality_score,
--             gbt30523_conformance, published,
--             stages_failed, failed_stages (comma-separated stage names, NULL when none
--             failed), ordered by src_platform, run_date, run_id.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar from_date=2026-01-01 --hivevar to_date=2026-12-31 -f hive/queries/platform_assessment_over_time.sql
SELECT
  a.src_platform,
  a.run_date,
  a.run_id,
  a.extracted,
  a.quarantined,
  a.failure_rate,
  a.failure_rate - LAG(a.failure_rate) OVER (PARTITION BY a.src_platform ORDER BY a.run_date, a.run_id)
    AS failure_rate_change,
  a.sources_delivered,
  a.sources,
  a.service_quality,
  a.availability,
  a.service_failure_rate,
  a.error_rate,
  a.latency_p95_ms,
  a.satisfaction,
  a.quality_score,
  a.gbt30523_conformance,
  a.published,
  a.stages_failed,
  f.failed_stages
FROM bayres.platform_assessment a
LEFT JOIN (
  SELECT run_id, run_date, concat_ws(',', sort_array(collect_list(stage))) AS failed_stages
  FROM bayres.run_stage
  WHERE status = 'failed'
  GROUP BY run_id, run_date
) f ON f.run_id = a.run_id AND f.run_date = a.run_date
WHERE a.run_date BETWEEN DATE '${hivevar:from_date}' AND DATE '${hivevar:to_date}'
ORDER BY a.src_platform, a.run_date, a.run_id;
