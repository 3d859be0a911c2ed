-- count_by_region_type — "how many resources of each type does each region have".
-- No parameters.
-- Returns: one row per (REGION, RESOURCE_TYPE) that has resources, with RESOURCE_COUNT,
-- ordered by REGION, RESOURCE_TYPE. Phoenix: a key-only scan of the type/region index.
SELECT REGION, RESOURCE_TYPE, COUNT(*) AS RESOURCE_COUNT
FROM BAYRES_RESOURCE_BY_TYPE_REGION
GROUP BY REGION, RESOURCE_TYPE
ORDER BY REGION, RESOURCE_TYPE
