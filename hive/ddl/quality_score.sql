-- generated from schemas/ by `bayres schema render` — do not edit

CREATE DATABASE IF NOT EXISTS `bayres` COMMENT 'BayRes S&T resource catalogue';

CREATE TABLE IF NOT EXISTS `bayres`.`quality_score` (
  `run_id` STRING,
  `src_platform` STRING,
  `records` BIGINT,
  `completeness` DOUBLE,
  `validity` DOUBLE,
  `uniqueness` DOUBLE,
  `timeliness` DOUBLE,
  `score` DOUBLE
)
COMMENT 'Per-platform data-quality scores per run, kept over time'
PARTITIONED BY (`run_date` DATE COMMENT 'Logical date of the pipeline run (partition)')
STORED AS PARQUET
TBLPROPERTIES ('bayres.key'='run_id,src_platform', 'bayres.mandatory'='run_id,src_platform,records,completeness,validity,uniqueness,timeliness,score,run_date');
