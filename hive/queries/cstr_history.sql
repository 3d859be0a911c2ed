-- cstr_history.sql — what happened to one golden identifier across runs
--
-- Answers:    the history of one CSTR id: every run that issued, kept, split off, merged or
--             retired it, and every other id that split off from it or merged into it — so an
--             analyst holding an old id finds the resource that carries on.
-- Parameters: cstr_id   the CSTR id, e.g. CSTR:GBA01.04.A56A91F2EB712D00
--             to_date   ISO date: the history up to and including this run_date, e.g. 2026-11-30
-- Reads:      bayres.cstr_change
-- Returns:    run_date, cstr_id, change (new / kept / split / merged / retired),
--             related_cstr_id (split: the id it split from, merged: the id that carries on),
--             resource_type, members_before, members_after,
--             role (self: a change of this id, related: another id whose change names it),
--             ordered by run_date, self before related, then cstr_id.
--             No rows: the id was never issued.
-- Usage:      parameters are Hive variables (hive/README.md): beeline -u jdbc:hive2://127.0.0.1:10000
--             -n $USER --hivevar cstr_id=CSTR:GBA01.04.A56A91F2EB712D00 --hivevar to_date=2026-11-30
--             -f hive/queries/cstr_history.sql
SELECT
  c.run_date,
  c.cstr_id,
  c.change,
  c.related_cstr_id,
  c.resource_type,
  c.members_before,
  c.members_after,
  CASE WHEN c.cstr_id = '${hivevar:cstr_id}' THEN 'self' ELSE 'related' END AS role
FROM bayres.cstr_change c
WHERE c.run_date <= DATE '${hivevar:to_date}'
  AND (c.cstr_id = '${hivevar:cstr_id}' OR c.related_cstr_id = '${hivevar:cstr_id}')
ORDER BY c.run_date, role DESC, c.cstr_id;
