-- generated from schemas/ by `bayres schema render` — do not edit

CREATE DATABASE IF NOT EXISTS `bayres` COMMENT 'BayRes S&T resource catalogue';

CREATE TABLE IF NOT EXISTS `bayres`.`governance_publication` (
  `audience` STRING COMMENT 'Governance audience (conf/governance/rules.yaml)',
  `target` STRING COMMENT 'serving / hive / export',
  `published_table` STRING,
  `location` STRING COMMENT 'Store, database or file it went to',
  `rows` BIGINT,
  `rule_version` STRING,
  `published_at` STRING COMMENT 'UTC, ISO-8601',
  `masked` BIGINT,
  `pseudonymised` BIGINT,
  `generalised` BIGINT,
  `withheld` BIGINT
)
COMMENT 'What each publication gave each audience, under which governance rule version'
PARTITIONED BY (`run_date` DATE COMMENT 'Logical date of the pipeline run (partition)', `run_id` STRING)
STORED AS PARQUET
TBLPROPERTIES ('bayres.key'='run_id,audience,target,published_table', 'bayres.mandatory'='audience,target,published_table,rows,rule_version,masked,pseudonymised,generalised,withheld,run_date,run_id');
