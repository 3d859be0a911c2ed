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
  `service_quality` DOUBLE COMMENT 'Measured from the service logs: availability x (1 - error_rate); sources_delivered / sources when the run collected no logs',
  `availability` DOUBLE COMMENT 'Service logs: minutes of the day the uptime probe was answered without a 5xx / 1440',
  `service_failure_rate` DOUBLE COMMENT 'Service logs: 1 - availability (the platform\'s failure rate)',
  `error_rate` DOUBLE COMMENT 'Service logs: user requests answered 5xx / user requests',
  `latency_p95_ms` DOUBLE COMMENT 'Service logs: 95th percentile of the request latency (ms)',
  `satisfaction` DOUBLE COMMENT 'Service logs: mean user rating on a 1-5 scale',
  `quality_score` DOUBLE COMMENT 'Data quality: quality_score.score of the run',
  `gbt30523_conformance` DOUBLE COMMENT 'Share of the platform\'s golden records (by survivor record) carrying every mandatory GB/T 30523 element',
  `published` BOOLEAN COMMENT 'The run published its golden records (null: publish did not run)',
  `stages_failed` BIGINT COMMENT 'Stages of the run that failed'
)
COMMENT 'Platform performance assessment per run (failure rate, service quality, data quality)'
PARTITIONED BY (`run_date` DATE COMMENT 'Logical date of the pipeline run (partition)', `run_id` STRING)
STORED AS PARQUET
TBLPROPERTIES ('bayres.key'='run_id,src_platform', 'bayres.mandatory'='src_platform,sources,sources_delivered,extracted,standardized,quarantined,files_quarantined,stages_failed,run_date,run_id');
