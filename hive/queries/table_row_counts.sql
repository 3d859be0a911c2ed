-- table_row_counts.sql — which run dates each table holds, and how many rows per run date
--
-- Answers:    what has been loaded: the run_date partitions of every BayRes table with their
--             row counts — the first query to run, to pick a run_date for the others (the
--             latest run is MAX(run_date)), and to check a load against its run report.
-- Parameters: none
-- Reads:      the catalogue tables of database bayres (golden_resource, quality_score,
--             quarantine, record_change, record_lineage, resource_record, cstr_change)
-- Returns:    table_name, run_date, row_count, ordered by table_name, run_date.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER -f hive/queries/table_row_counts.sql
SELECT table_name, run_date, row_count
FROM (
  SELECT 'cstr_change' AS table_name, run_date, COUNT(*) AS row_count
  FROM bayres.cstr_change GROUP BY run_date
  UNION ALL
  SELECT 'golden_resource' AS table_name, run_date, COUNT(*) AS row_count
  FROM bayres.golden_resource GROUP BY run_date
  UNION ALL
  SELECT 'quality_score' AS table_name, run_date, COUNT(*) AS row_count
  FROM bayres.quality_score GROUP BY run_date
  UNION ALL
  SELECT 'quarantine' AS table_name, run_date, COUNT(*) AS row_count
  FROM bayres.quarantine GROUP BY run_date
  UNION ALL
  SELECT 'record_change' AS table_name, run_date, COUNT(*) AS row_count
  FROM bayres.record_change GROUP BY run_date
  UNION ALL
  SELECT 'record_lineage' AS table_name, run_date, COUNT(*) AS row_count
  FROM bayres.record_lineage GROUP BY run_date
  UNION ALL
  SELECT 'resource_record' AS table_name, run_date, COUNT(*) AS row_count
  FROM bayres.resource_record GROUP BY run_date
) counts
ORDER BY table_name, run_date;
