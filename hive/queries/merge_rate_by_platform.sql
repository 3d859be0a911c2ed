-- merge_rate_by_platform.sql — duplicates merged per platform (de-duplication outcome)
--
-- Answers:    per source platform, how many accepted records went into de-duplication, how
--             many golden resources they make up, how many were merged with another record
--             (of the same or of another platform), and by which match rule.
-- Parameters: run_date  ISO date of the run_date partition to read, e.g. 2026-11-01
-- Reads:      bayres.record_lineage
-- Returns:    src_platform,
--             records                     lineage rows (= accepted source records),
--             golden_resources            distinct golden records (cstr_id) they belong to,
--             duplicates_within_platform  records − golden_resources,
--             survivors                   records whose values the golden record took,
--             merged_records              records in a golden record of more than one member,
--             merged_across_platforms     records in a golden record spanning several platforms,
--             singleton / strong_id / name_key   records per match_rule,
--             merge_rate                  merged_records / records (fraction 0..1, to 6 decimals).
--             Ordered by src_platform.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar run_date=2026-11-01 -f hive/queries/merge_rate_by_platform.sql
SELECT
  l.src_platform,
  COUNT(*) AS records,
  COUNT(DISTINCT l.cstr_id) AS golden_resources,
  COUNT(*) - COUNT(DISTINCT l.cstr_id) AS duplicates_within_platform,
  SUM(CASE WHEN l.is_survivor THEN 1 ELSE 0 END) AS survivors,
  SUM(CASE WHEN c.members > 1 THEN 1 ELSE 0 END) AS merged_records,
  SUM(CASE WHEN c.platforms > 1 THEN 1 ELSE 0 END) AS merged_across_platforms,
  SUM(CASE WHEN l.match_rule = 'singleton' THEN 1 ELSE 0 END) AS singleton,
  SUM(CASE WHEN l.match_rule = 'strong_id' THEN 1 ELSE 0 END) AS strong_id,
  SUM(CASE WHEN l.match_rule = 'name_key' THEN 1 ELSE 0 END) AS name_key,
  CAST(SUM(CASE WHEN c.members > 1 THEN 1 ELSE 0 END) / COUNT(*) AS DECIMAL(9,6)) AS merge_rate
FROM bayres.record_lineage l
JOIN (
  SELECT cstr_id, COUNT(*) AS members, COUNT(DISTINCT src_platform) AS platforms
  FROM bayres.record_lineage
  WHERE run_date = DATE '${hivevar:run_date}'
  GROUP BY cstr_id
) c ON c.cstr_id = l.cstr_id
WHERE l.run_date = DATE '${hivevar:run_date}'
GROUP BY l.src_platform
ORDER BY l.src_platform;
