-- lineage_of_resource — "which source records make up resource X".
-- @param cstr_id VARCHAR the CSTR identifier of the golden record
-- Returns: one row per merged source record, ordered by RECORD_ID; IS_SURVIVOR marks the
-- record the golden values were taken from. Phoenix: a range scan over the row-key prefix.
SELECT CSTR_ID, RECORD_ID, SRC_PLATFORM, SRC_SOURCE, SRC_RECORD_ID, NAME, MATCH_RULE,
       IS_SURVIVOR, RUN_DATE
FROM BAYRES_LINEAGE
WHERE CSTR_ID = ?
ORDER BY RECORD_ID
