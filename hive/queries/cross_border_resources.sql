-- cross_border_resources.sql — resources published on both sides of the border, per type
--
-- Answers:    how many de-duplicated resources are published both by a mainland platform
--             (gz = Guangzhou/rest of Guangdong, sz = Shenzhen) and by a Hong Kong or Macao
--             platform (hk, mo) — i.e. resources shared across the border — per resource type
--             and combination of platforms, and which share of all resources of that type
--             that is. Cross-border is decided on the golden record’s source_platforms (the
--             comma-separated, sorted platforms of the merged source records). (Projects whose
--             PI sits on the other side of the border are not counted: the catalogue has no PI
--             affiliation field.)
-- Parameters: run_date  ISO date of the run_date partition to read, e.g. 2026-11-01
-- Reads:      bayres.golden_resource
-- Returns:    resource_type, source_platforms (e.g. gz,hk), resources, type_resources (all
--             resources of that type), share_of_type (fraction 0..1, to 6 decimals). Only cross-border
--             combinations, ordered by resource_type, source_platforms.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar run_date=2026-11-01 -f hive/queries/cross_border_resources.sql
SELECT resource_type, source_platforms, resources, type_resources,
       CAST(resources / type_resources AS DECIMAL(9,6)) AS share_of_type
FROM (
  SELECT
    resource_type,
    source_platforms,
    COUNT(*) AS resources,
    SUM(COUNT(*)) OVER (PARTITION BY resource_type) AS type_resources,
    (array_contains(split(source_platforms, ','), 'gz')
       OR array_contains(split(source_platforms, ','), 'sz'))
    AND (array_contains(split(source_platforms, ','), 'hk')
       OR array_contains(split(source_platforms, ','), 'mo')) AS cross_border
  FROM bayres.golden_resource
  WHERE run_date = DATE '${hivevar:run_date}'
  GROUP BY resource_type, source_platforms
) combos
WHERE cross_border
ORDER BY resource_type, source_platforms;
