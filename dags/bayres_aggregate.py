"""The central aggregation DAG ``bayres_aggregate``: conform → dedup → load → quality → publish → logs
(the service logs; the task fails, raising the alert, when a platform crosses its thresholds).

Scheduled on the platforms' raw assets, partition-aware: a run starts when every platform's
``bayres://raw/<platform>`` has an event for the same date (partition key), and works on that
date. A manual run works on ``conf["run_date"]`` or its logical date. Stages are idempotent for
their date (run id derived from it): re-running a date replaces its outputs. The tasks that load
tables share the one-slot pool ``bayres_load``; one run at a time. ``publish`` fails when
quality refused publication; on success it emits ``bayres://curated/golden_resource``.

Profile ``cluster`` (BAYRES_PROFILE): every stage is a ``SparkSubmitOperator`` task —
``spark-submit …/bayres/jobs/run/submit.py --profile cluster run --stage <stage> --date <date>`` on
the Airflow connection ``spark_bayres`` (master, deploy mode, queue; BAYRES_SPARK_CONN_ID names
another). Other profiles: ``@task`` functions calling the package in the task's process.
"""
from __future__ import annotations

import os
import sys

if os.path.dirname(os.path.abspath(__file__)) not in sys.path:  # bayres_common beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from datetime import timedelta  # noqa: E402

from airflow.sdk import (AssetAll, PartitionedAssetTimetable, chain, dag,  # noqa: E402
                         get_current_context, task)

import bayres_common as common  # noqa: E402

PLATFORMS = list(common.configured_platforms())


def spark_submit_task(stage: str, **options):
    """The stage as a spark-submit of the bayres CLI (cluster profile)."""
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    return SparkSubmitOperator(
        task_id=stage, application=common.submit_application(),
        application_args=common.submit_args(stage), conn_id=common.spark_conn_id(),
        name=f"bayres-{stage}", env_vars={"BAYRES_PROFILE": common.SPARK_SUBMIT_PROFILE},
        execution_timeout=common.STAGE_TIMEOUTS[stage], **options)


def python_task(stage: str, **options):
    """The stage as a Python task calling the package (local profile)."""
    @task(task_id=stage, execution_timeout=common.STAGE_TIMEOUTS[stage], **options)
    def run(stage: str = stage) -> dict:
        return common.run_stage(stage, get_current_context())

    return run()


@dag(
    dag_id="bayres_aggregate",
    description="Conform, de-duplicate, load, check and publish the day all platforms landed",
    schedule=PartitionedAssetTimetable(assets=AssetAll(*(common.raw_asset(p) for p in PLATFORMS))),
    start_date=common.START_DATE,
    catchup=False,
    max_active_runs=1,  # two runs never load the same tables at once
    default_args=common.default_args(retries=2, retry_delay=timedelta(minutes=5)),
    tags=["bayres", "aggregate"],
    doc_md=__doc__,
    user_defined_macros={"bayres_run_date": common.run_date_macro},
)
def bayres_aggregate():
    make = spark_submit_task if common.uses_spark_submit() else python_task
    tasks = []
    for stage in common.AGGREGATE_STAGES:
        options = {"pool": common.LOAD_POOL} if stage in common.LOAD_STAGES else {}
        if stage == "publish":
            options["outlets"] = [common.GOLDEN_ASSET]
        tasks.append(make(stage, **options))
    chain(*tasks)


bayres_aggregate()
