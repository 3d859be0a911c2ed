-- resource_lineage.sql — which source records make up one golden resource
--
-- Answers:    for one CSTR identifier, every source record merged into it: platform, source
--             system and the record’s id there, its name as published, why it joined the
--             cluster, and which record the golden values were taken from.
-- Parameters: run_date  ISO date of the run_date partition to read, e.g. 2026-11-01
--             cstr_id   the golden record’s CSTR id, e.g. CSTR:GBA01.02.FE2E055BF1FA18E0
-- Reads:      bayres.record_lineage, bayres.resource_record, bayres.golden_resource
-- Returns:    cstr_id, golden_name (NULL if the run’s golden records were not published),
--             record_id, src_platform, src_source, src_record_id, name, name_lang, owner_org,
--             region, match_rule, is_survivor, src_location, survivor first, then by record_id.
--             No rows: the id is unknown on that run_date.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar run_date=2026-11-01 --hivevar cstr_id=CSTR:GBA01.02.FE2E055BF1FA18E0 -f hive/queries/resource_lineage.sql
SELECT
  l.cstr_id,
  g.name AS golden_name,
  l.record_id,
  l.src_platform,
  r.src_source,
  r.src_record_id,
  r.name,
  r.name_lang,
  r.owner_org,
  r.region,
  l.match_rule,
  l.is_survivor,
  r.src_location
FROM bayres.record_lineage l
LEFT JOIN bayres.resource_record r
  ON r.record_id = l.record_id AND r.run_date = DATE '${hivevar:run_date}'
LEFT JOIN bayres.golden_resource g
  ON g.cstr_id = l.cstr_id AND g.run_date = DATE '${hivevar:run_date}'
WHERE l.run_date = DATE '${hivevar:run_date}'
  AND l.cstr_id = '${hivevar:cstr_id}'
ORDER BY l.is_survivor DESC, l.record_id;
