-- quarantine_reasons.sql — refused records per platform, stage, field and kind of reason
--
-- Answers:    why records were refused (nothing is dropped silently): per platform, the stage
--             that refused them (extract / standardize / calibrate), the field that failed and
--             the kind of reason — the reason text with its numbers replaced by <n>, so that
--             “original value 251894.3 CNY is below … 300,000” and “… 72900.0 CNY …” are one
--             kind — with a count and one verbatim example.
-- Parameters: run_date  ISO date of the run_date partition to read, e.g. 2026-11-01
-- Reads:      bayres.quarantine
-- Returns:    src_platform, stage, field (NULL when no single field failed, e.g. a broken row),
--             reason_kind, records, sources (distinct src_source), example_reason (the
--             smallest reason text of the kind), share_of_platform (records / all refused
--             records of the platform, 0..1 to 6 decimals), ordered by src_platform, stage, field, reason_kind.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar run_date=2026-11-01 -f hive/queries/quarantine_reasons.sql
SELECT
  src_platform,
  stage,
  field,
  reason_kind,
  COUNT(*) AS records,
  COUNT(DISTINCT src_source) AS sources,
  MIN(reason) AS example_reason,
  CAST(COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY src_platform) AS DECIMAL(9,6)) AS share_of_platform
FROM (
  SELECT src_platform, src_source, stage, field, reason,
         regexp_replace(reason, '[0-9][0-9.,]*', '<n>') AS reason_kind
  FROM bayres.quarantine
  WHERE run_date = DATE '${hivevar:run_date}'
) q
GROUP BY src_platform, stage, field, reason_kind
ORDER BY src_platform, stage, field, reason_kind;
