-- list_by_type_region — "list resources of type T in region R": the first page, by CSTR id.
-- @param resource_type VARCHAR two-digit resource-type code, e.g. '02'
-- @param region VARCHAR GBA region code, e.g. 'HK'
-- @param page_size INTEGER rows per page
-- Returns: up to page_size rows ordered by CSTR_ID; fetch the next page with
-- list_by_type_region_after.sql, passing the last CSTR_ID of this page.
-- Phoenix: one range scan over the row-key prefix RESOURCE_TYPE, REGION.
SELECT RESOURCE_TYPE, REGION, CSTR_ID, NAME, NAME_EN, OWNER_ORG, UPDATED_DATE
FROM BAYRES_RESOURCE_BY_TYPE_REGION
WHERE RESOURCE_TYPE = ? AND REGION = ?
ORDER BY CSTR_ID
LIMIT ?
