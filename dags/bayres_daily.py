"""The daily BayRes run as an Airflow 3 DAG: one task per pipeline stage.

The DAG file is thin: every task calls the package (``bayres.jobs.pipeline``) for the run's
logical date, so a task re-run or a backfill re-runs the same idempotent stage. The profile
comes from the ``BAYRES_PROFILE`` environment variable (default ``local``).
"""
from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

STAGES = ("extract", "conform", "dedup", "load", "quality", "publish")


def _run_stage(stage: str, logical_date) -> dict:
    from bayres.jobs.config import load_profile
    from bayres.jobs.pipeline import run_pipeline

    profile = load_profile(os.environ.get("BAYRES_PROFILE", "local"))
    report = run_pipeline(profile, logical_date.date(), stages=[stage])
    info = report["stages"].get(stage, {})
    if stage == "publish" and not info.get("published"):
        raise RuntimeError(f"publication refused: {info.get('why_not')}")
    if stage == "conform" and not report["balanced"]:
        raise RuntimeError(f"record accounting does not balance: {report['accounting']}")
    return {"stage": stage, "seconds": info.get("seconds")}


@dag(
    dag_id="bayres_daily",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,  # two runs never load the same tables at once
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5),
                  "retry_exponential_backoff": True, "execution_timeout": timedelta(hours=3)},
    tags=["bayres"],
)
def bayres_daily():
    previous = None
    for stage in STAGES:
        @task(task_id=stage)
        def run(stage: str = stage, logical_date=None) -> dict:
            return _run_stage(stage, logical_date)

        current = run()
        if previous is not None:
            previous >> current
        previous = current


bayres_daily()
