-- list_by_type_region_after — the next page of "list resources of type T in region R".
-- @param resource_type VARCHAR two-digit resource-type code, e.g. '02'
-- @param region VARCHAR GBA region code, e.g. 'HK'
-- @param after_cstr_id VARCHAR the last CSTR_ID of the previous page (keyset paging)
-- @param page_size INTEGER rows per page
-- Returns: up to page_size rows with CSTR_ID > after_cstr_id, ordered by CSTR_ID.
-- A separate query rather than "CSTR_ID > ''" for the first page: Phoenix reads '' as NULL.
SELECT RESOURCE_TYPE, REGION, CSTR_ID, NAME, NAME_EN, OWNER_ORG, UPDATED_DATE
FROM BAYRES_RESOURCE_BY_TYPE_REGION
WHERE RESOURCE_TYPE = ? AND REGION = ? AND CSTR_ID > ?
ORDER BY CSTR_ID
LIMIT ?
