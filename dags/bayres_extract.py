"""One extraction DAG per platform — ``bayres_extract_<platform>`` — generated from conf/sources/.

Each runs on its platform's schedule (a source may carry ``schedule:``; default ``@daily``),
extracts every source of the platform for the run's date (``bayres.jobs.run.pipeline``, run id
derived from the date, so a re-run or a backfill replaces that day's raw zone) and, once the raw
files and manifests have landed, emits the platform's asset ``bayres://raw/<platform>`` with the
date as partition key. ``bayres_aggregate`` runs when all four have landed for a date.
"""
from __future__ import annotations

import os
import sys

if os.path.dirname(os.path.abspath(__file__)) not in sys.path:  # bayres_common beside this file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from datetime import timedelta  # noqa: E402

from airflow.sdk import dag, get_current_context, task  # noqa: E402

import bayres_common as common  # noqa: E402


def extraction_dag(platform: str, schedule: str):
    @dag(
        dag_id=f"bayres_extract_{platform}",
        description=f"Extract the {platform} platform's sources into the raw zone",
        schedule=schedule,
        start_date=common.START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=common.default_args(retries=3, retry_delay=timedelta(minutes=2)),
        tags=["bayres", "extract", platform],
        doc_md=__doc__,
    )
    def extract_platform_dag():
        @task(task_id="extract", outlets=[common.raw_asset(platform)],
              execution_timeout=common.STAGE_TIMEOUTS["extract"])
        def extract() -> dict:
            return common.extract_platform(platform, get_current_context())

        extract()

    return extract_platform_dag()


for _platform, _schedule in common.configured_platforms().items():
    globals()[f"bayres_extract_{_platform}"] = extraction_dag(_platform, _schedule)
