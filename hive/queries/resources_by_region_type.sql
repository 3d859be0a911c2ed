-- resources_by_region_type.sql — golden resources per city (region) and resource type, with shares
--
-- Answers:    how many de-duplicated resources each Greater Bay Area city holds per resource
--             type, how many source records they stand for, and which share that is of the
--             city, of the resource type across all cities, and of the whole catalogue.
-- Parameters: run_date  ISO date of the run_date partition to read, e.g. 2026-11-01
-- Reads:      bayres.golden_resource
-- Returns:    region (city code, conf/vocab/region.yaml), resource_type (two-digit code,
--             conf/vocab/resource_type.yaml), resources, source_records (sum of member_count),
--             share_of_region, share_of_type, share_of_catalogue (fractions 0..1 of resources, to 6 decimals),
--             one row per (region, resource_type) that has resources, ordered by region, type.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar run_date=2026-11-01 -f hive/queries/resources_by_region_type.sql
SELECT
  region,
  resource_type,
  COUNT(*) AS resources,
  SUM(member_count) AS source_records,
  CAST(COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY region) AS DECIMAL(9,6)) AS share_of_region,
  CAST(COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY resource_type) AS DECIMAL(9,6)) AS share_of_type,
  CAST(COUNT(*) / SUM(COUNT(*)) OVER () AS DECIMAL(9,6)) AS share_of_catalogue
FROM bayres.golden_resource
WHERE run_date = DATE '${hivevar:run_date}'
GROUP BY region, resource_type
ORDER BY region, resource_type;
