-- resource_by_cstr — "show resource X": the golden record with a given CSTR identifier.
-- @param cstr_id VARCHAR the CSTR identifier, e.g. 'CSTR:ABCDE.02.000123'
-- Returns: no row or one row with every column of BAYRES_RESOURCE (NULL where the record has
-- no value; dates are 'YYYY-MM-DD' strings). Phoenix: a point get on the row key.
SELECT *
FROM BAYRES_RESOURCE
WHERE CSTR_ID = ?
