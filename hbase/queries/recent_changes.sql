-- recent_changes — "what changed recently": resources updated on or after a date, newest first.
-- @param max_recency VARCHAR recency(since) = 99999999 - yyyymmdd of the date, 8 digits
-- @param max_rows INTEGER at most this many rows
-- Returns: rows ordered by RECENCY (newest UPDATED_DATE first), then CSTR_ID. Only records
-- updated within the table's 180-day TTL are there. The bucket list is every salt bucket
-- (derive_hbase.RECENT_BUCKETS = 8): Phoenix skip-scans them.
SELECT CSTR_ID, UPDATED_DATE, RESOURCE_TYPE, REGION, NAME, NAME_EN, OWNER_ORG, RECENCY
FROM BAYRES_RESOURCE_RECENT
WHERE BUCKET IN ('0', '1', '2', '3', '4', '5', '6', '7') AND RECENCY <= ?
ORDER BY RECENCY, CSTR_ID
LIMIT ?
