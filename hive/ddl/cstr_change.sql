-- generated from schemas/ by `bayres schema render` — do not edit

CREATE DATABASE IF NOT EXISTS `bayres` COMMENT 'BayRes S&T resource catalogue';

CREATE TABLE IF NOT EXISTS `bayres`.`cstr_change` (
  `cstr_id` STRING,
  `change` STRING COMMENT 'new / kept / split (issued for a part split off related_cstr_id) / merged (retired into related_cstr_id) / retired (no records left)',
  `related_cstr_id` STRING COMMENT 'split: the id it split from; merged: the id that carries on',
  `resource_type` STRING,
  `members_before` BIGINT COMMENT 'Records under this id in the previous run (0 for a new id)',
  `members_after` BIGINT COMMENT 'Records under this id in this run (0 when retired or merged)'
)
COMMENT 'Every change of golden identifiers per run: kept, new, split, merged, retired'
PARTITIONED BY (`run_date` DATE COMMENT 'Logical date of the pipeline run (partition)')
STORED AS PARQUET
TBLPROPERTIES ('bayres.key'='cstr_id', 'bayres.mandatory'='cstr_id,change,resource_type,members_before,members_after,run_date');
