-- generated from schemas/ by `bayres schema render` — do not edit

CREATE DATABASE IF NOT EXISTS `bayres` COMMENT 'BayRes S&T resource catalogue';

CREATE TABLE IF NOT EXISTS `bayres`.`platform_assessment` (
  `src_platform` STRING,
  `sources` BIGINT COMMENT 'Sources configured for the platform',
  `sources_delivered` BIGINT COMMENT 'Sources whose extraction landed with no unreadable file',
  `extracted` BIGINT,
  `standardized` BIGINT,
  `quarantined` BIGINT,
  `files_quarantined` BIGINT,
  `failure_rate` DOUBLE COMMENT 'quarantined / extracted (null when nothing was extracted)',
  `service_quality` DOUBLE COMMENT 'sources_delivered / sources',
  `quality_score` DOUBLE COMMENT 'Data quality: quality_score.score of the run',
  `gbt30523_conformance` DOUBLE COMMENT 'Share of the platform\'s golden records (by survivor record) carrying every mandatory GB/T 30523 element',
  `published` BOOLEAN COMMENT 'The run published its golden records (null: publish did not run)',
  `stages_failed` BIGINT COMMENT 'Stages of the run that failed'
)
COMMENT 'Platform performance assessment per run (failure rate, service quality, data quality)'
PARTITIONED BY (`run_date` DATE COMMENT 'Logical date of the pipeline run (partition)', `run_id` STRING)
STORED AS PARQUET
TBLPROPERTIES ('bayres.key'='run_id,src_platform', 'bayres.mandatory'='src_platform,sources,sources_delivered,extracted,standardized,quarantined,files_quarantined,stages_failed,run_date,run_id');
