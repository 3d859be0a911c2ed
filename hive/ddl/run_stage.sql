-- generated from schemas/ by `bayres schema render` — do not edit

CREATE DATABASE IF NOT EXISTS `bayres` COMMENT 'BayRes S&T resource catalogue';

CREATE TABLE IF NOT EXISTS `bayres`.`run_stage` (
  `profile` STRING COMMENT 'local / cluster',
  `stage` STRING COMMENT 'extract / conform / dedup / load / quality / publish',
  `started_at` STRING COMMENT 'UTC, ISO-8601',
  `seconds` DOUBLE,
  `status` STRING COMMENT 'running / ok / failed (running: written while the run works, replaced at its end)',
  `error` STRING COMMENT 'Exception of a failed stage'
)
COMMENT 'Every stage of every run: when, how long, ok or failed and why'
PARTITIONED BY (`run_date` DATE COMMENT 'Logical date of the pipeline run (partition)', `run_id` STRING)
STORED AS PARQUET
TBLPROPERTIES ('bayres.key'='run_id,stage', 'bayres.mandatory'='profile,stage,status,run_date,run_id');
