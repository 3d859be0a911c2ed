-- generated from schemas/ by `bayres schema render` — do not edit

CREATE DATABASE IF NOT EXISTS `bayres` COMMENT 'BayRes S&T resource catalogue';

CREATE TABLE IF NOT EXISTS `bayres`.`record_lineage` (
  `record_id` STRING,
  `cstr_id` STRING,
  `src_platform` STRING,
  `match_rule` STRING COMMENT 'Why the record joined its cluster: singleton / strong_id / review (a steward\'s match) / name_key / probabilistic (Splink)',
  `is_survivor` BOOLEAN
)
COMMENT 'Merge edges: which source records make up each golden record'
PARTITIONED BY (`run_date` DATE COMMENT 'Logical date of the pipeline run (partition)')
STORED AS PARQUET
TBLPROPERTIES ('bayres.key'='record_id', 'bayres.mandatory'='record_id,cstr_id,src_platform,match_rule,is_survivor,run_date');
