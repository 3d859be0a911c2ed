-- instrument_value_by_owner.sql — top N owners of large scientific instruments by original value
--
-- Answers:    which organisations own the most large scientific instruments (resource type 02,
--             原值 ≥ 300,000 CNY) by total original value in CNY, counting each de-duplicated
--             instrument once. Organisations are grouped by their matching key (owner_org_key
--             of the golden record’s survivor: Simplified script, normalised, aliases resolved),
--             so 香港科技大學, 香港科技大学 and 港科大 count as one owner. owner_names lists the
--             names as published.
-- Parameters: run_date  ISO date of the run_date partition to read, e.g. 2026-11-01
--             top_n     how many owners to return, e.g. 20
-- Reads:      bayres.golden_resource, bayres.resource_record (survivor’s owner_org_key)
-- Returns:    owner_key, owner_names (distinct published names, sorted, joined by “ | ”),
--             instruments, total_value_cny, max_value_cny (DECIMAL, 2 decimals: CNY values
--             rounded half-up to the fen before summing, so totals are exact),
--             ordered by total_value_cny descending, ties by owner_key, at most top_n rows.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar run_date=2026-11-01 --hivevar top_n=20 -f hive/queries/instrument_value_by_owner.sql
SELECT
  owner_key,
  concat_ws(' | ', sort_array(collect_set(owner_org))) AS owner_names,
  COUNT(*) AS instruments,
  SUM(value_cny) AS total_value_cny,
  MAX(value_cny) AS max_value_cny
FROM (
  SELECT
    COALESCE(r.owner_org_key, g.owner_org) AS owner_key,
    g.owner_org,
    CAST(g.inst_value_cny AS DECIMAL(20,2)) AS value_cny
  FROM bayres.golden_resource g
  LEFT JOIN bayres.resource_record r
    ON r.record_id = g.survivor_record_id AND r.run_date = DATE '${hivevar:run_date}'
  WHERE g.run_date = DATE '${hivevar:run_date}'
    AND g.resource_type = '02'
    AND g.inst_value_cny IS NOT NULL
    AND g.owner_org IS NOT NULL
) instruments
GROUP BY owner_key
ORDER BY total_value_cny DESC, owner_key
LIMIT ${hivevar:top_n};
