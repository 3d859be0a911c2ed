"""The central aggregation DAG ``bayres_aggregate``: conform → dedup → load → quality → publish.

Scheduled on the platforms' raw assets, partition-aware: a run starts when every platform's
``bayres://raw/<platform>`` has an event for the same date (partition key), and works on that
date. A manual run works on ``conf["run_date"]`` or its logical date. Stages are idempotent for
their date (run id derived from it): re-running a date replaces its outputs. The tasks that load
tables share the one-slot pool ``bayres_load``; one run at a time. ``publish`` fails when
quality refused publication; on success it emits ``bayres://curated/golden_resource``.
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
)
def bayres_aggregate():
    tasks = []
    for stage in common.AGGREGATE_STAGES:
        options = {"pool": common.LOAD_POOL} if stage in common.LOAD_STAGES else {}
        if stage == "publish":
            options["outlets"] = [common.GOLDEN_ASSET]

        @task(task_id=stage, execution_timeout=common.STAGE_TIMEOUTS[stage], **options)
        def run(stage: str = stage) -> dict:
            return common.run_stage(stage, get_current_context())

        tasks.append(run())
    chain(*tasks)


bayres_aggregate()
