-- gbt30523_nonconformant.sql — golden records lacking a mandatory GB/T 30523 element, by source
--
-- Answers:    which golden records a national platform would receive without a mandatory
--             GB/T 30523 core element (schemas/gbt30523.py: M, or C with its condition met, for
--             the category of the record), and which source they were taken from: one row per record
--             and missing element.
-- Parameters: run_date  ISO date of the run_date partition to read, e.g. 2026-11-01
-- Reads:      bayres.golden_resource (gbt_missing, survivor_record_id)
-- Returns:    src_platform, src_source (of the survivor record, the one most values came from),
--             element (the field name), cstr_id, resource_type, name, elements_missing (all
--             elements the record lacks), ordered by src_platform, src_source, element, cstr_id.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar run_date=2026-11-01 -f hive/queries/gbt30523_nonconformant.sql
SELECT
  split(g.survivor_record_id, ':')[0] AS src_platform,
  split(g.survivor_record_id, ':')[1] AS src_source,
  m.element,
  g.cstr_id,
  g.resource_type,
  g.name,
  g.gbt_missing AS elements_missing
FROM bayres.golden_resource g
LATERAL VIEW explode(split(g.gbt_missing, ';')) m AS element
WHERE g.run_date = DATE '${hivevar:run_date}'
  AND g.gbt_missing IS NOT NULL
ORDER BY src_platform, src_source, m.element, g.cstr_id;
