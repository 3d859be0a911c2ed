-- generated from schemas/ by `bayres schema render` — do not edit

CREATE DATABASE IF NOT EXISTS `bayres` COMMENT 'BayRes S&T resource catalogue';

CREATE TABLE IF NOT EXISTS `bayres`.`quarantine` (
  `run_id` STRING,
  `src_platform` STRING,
  `src_source` STRING,
  `src_record_id` STRING,
  `src_location` STRING,
  `stage` STRING COMMENT 'Stage that refused it: extract / standardize / calibrate',
  `field` STRING COMMENT 'Field that failed, if one did',
  `reason` STRING,
  `payload` STRING COMMENT 'The raw record as JSON'
)
COMMENT 'Records refused by standardisation/calibration, with the reason; nothing is dropped silently'
PARTITIONED BY (`run_date` DATE COMMENT 'Logical date of the pipeline run (partition)')
STORED AS PARQUET
TBLPROPERTIES ('bayres.key'='src_platform,src_source,src_location', 'bayres.mandatory'='run_id,src_platform,src_source,src_location,stage,reason,run_date');
