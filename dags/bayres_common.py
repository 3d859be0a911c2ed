"""What the BayRes DAG files share (no DAG is defined here; see bayres_extract.py and
bayres_aggregate.py): the platforms and their schedules from conf/sources/, the Airflow assets,
the profile a task loads (with endpoints from Airflow connections), the run date of a DAG run,
the failure callback and the alert hook. Tasks call the package (``bayres.jobs``) and nothing
else: every stage is idempotent for its run date, so a retry, a re-run or a backfill of a date
runs the same stage again and replaces that date's outputs.
"""
from __future__ import annotations

import json
import logging
import os
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

import pendulum
from airflow.sdk import Asset

log = logging.getLogger("bayres.dags")

#: the four platforms are all on UTC+8: a DAG run's date is its logical date there
TIMEZONE = "Asia/Shanghai"
START_DATE = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)
DEFAULT_SCHEDULE = "@daily"
#: an Airflow pool with one slot: the tasks that load tables never overlap
LOAD_POOL = "bayres_load"
#: the aggregation stages, in order; the ones that write Hive tables or the serving store use LOAD_POOL
AGGREGATE_STAGES = ("conform", "dedup", "load", "quality", "publish", "logs")
LOAD_STAGES = ("load", "quality", "publish")
STAGE_TIMEOUTS = {"extract": timedelta(hours=1), "conform": timedelta(hours=2),
                  "dedup": timedelta(hours=2), "load": timedelta(hours=1),
                  "quality": timedelta(hours=1), "publish": timedelta(hours=1),
                  "logs": timedelta(hours=1)}
#: the environment variable naming a webhook that receives a JSON POST per failed task
ALERT_WEBHOOK_ENV = "BAYRES_ALERT_WEBHOOK"
#: the profile whose Spark stages go through ``spark-submit`` (SparkSubmitOperator); the others
#: run them in the task's own process (``@task``)
SPARK_SUBMIT_PROFILE = "cluster"
#: the Airflow connection of spark-submit (master, deploy mode, queue), e.g.
#: ``AIRFLOW_CONN_SPARK_BAYRES='spark://yarn?deploy-mode=client'``; another id: BAYRES_SPARK_CONN_ID
SPARK_CONN_ENV, SPARK_CONN_DEFAULT = "BAYRES_SPARK_CONN_ID", "spark_bayres"
#: the pipeline date of a DAG run, for templated fields (a DAG macro, see ``run_date_macro``)
RUN_DATE_TEMPLATE = "{{ bayres_run_date(dag_run, logical_date) }}"


def profile_name() -> str:
    return os.environ.get("BAYRES_PROFILE", "local")


def uses_spark_submit() -> bool:
    """Whether the aggregation DAG's Spark stages are SparkSubmitOperator tasks (cluster profile)."""
    return profile_name() == SPARK_SUBMIT_PROFILE


def spark_conn_id() -> str:
    return os.environ.get(SPARK_CONN_ENV) or SPARK_CONN_DEFAULT


def submit_application() -> str:
    """The file spark-submit runs (``bayres/jobs/run/submit.py`` of the installed package), found
    without importing it: parsing the DAG files stays light."""
    import importlib.util

    spec = importlib.util.find_spec("bayres.jobs.run.submit")
    if spec is None or not spec.origin:
        raise ImportError("bayres.jobs.run.submit not found: is the bayres package installed?")
    return spec.origin


def submit_args(stage: str) -> list[str]:
    """The application's arguments: ``bayres --profile cluster run --stage <stage> --date <date>``
    (the date templated: see ``run_date_macro``)."""
    return ["--profile", SPARK_SUBMIT_PROFILE, "run", "--stage", stage, "--date", RUN_DATE_TEMPLATE]


# ---------------------------------------------------------------- assets
def raw_asset(platform: str) -> Asset:
    """Emitted (partition key = run date) when a platform's raw data for the day has landed."""
    return Asset(name=f"bayres_raw_{platform}", uri=f"bayres://raw/{platform}", group="bayres")


#: emitted (partition key = run date) when the golden records were published
GOLDEN_ASSET = Asset(name="bayres_golden", uri="bayres://curated/golden_resource", group="bayres")


# ---------------------------------------------------------------- platforms and schedules
def platform_schedules(sources: list[dict]) -> dict[str, str]:
    """Platform → schedule (cron or preset). A source may carry ``schedule:``; the sources of
    one platform must agree (they are extracted together); default ``@daily``."""
    declared: dict[str, set[str]] = {}
    for s in sources:
        declared.setdefault(s["platform"], set())
        if s.get("schedule"):
            declared[s["platform"]].add(str(s["schedule"]).strip())
    out = {}
    for platform, schedules in sorted(declared.items()):
        if len(schedules) > 1:
            raise ValueError(f"sources of platform {platform} declare different schedules: "
                             f"{', '.join(sorted(schedules))}")
        out[platform] = schedules.pop() if schedules else DEFAULT_SCHEDULE
    return out


def configured_platforms() -> dict[str, str]:
    """Platform → schedule for the profile named by BAYRES_PROFILE (read when the DAGs are parsed)."""
    from bayres.jobs.run.config import load_profile

    return platform_schedules(load_profile(profile_name()).sources)


# ---------------------------------------------------------------- connections → profile overrides
def _host_port(conn) -> str:
    host = str(conn.host or "")
    return f"{host}:{conn.port}" if conn.port and ":" not in host else host


def _host_and_port(section: str, host_key: str, port_key: str) -> Callable[[Any], dict]:
    def env(conn) -> dict:
        out = {f"BAYRES__{section}__{host_key}": str(conn.host)}
        if conn.port:
            out[f"BAYRES__{section}__{port_key}"] = str(conn.port)
        return out
    return env


def _database_url(conn) -> str:
    """A SQLAlchemy URL for a MySQL/MariaDB source database (the cluster profile's driver)."""
    auth = quote(conn.login or "", safe="")
    if conn.password:
        auth += ":" + quote(conn.password, safe="")
    netloc = f"{auth}@{_host_port(conn)}" if auth else _host_port(conn)
    return f"mysql+pymysql://{netloc}/{conn.schema or ''}?charset=utf8mb4"


#: Airflow connection ``bayres_<name>`` → the profile overrides (BAYRES__SECTION__KEY) it sets
CONNECTIONS: dict[str, Callable[[Any], dict]] = {
    "hbase": _host_and_port("SERVING", "THRIFT_HOST", "THRIFT_PORT"),
    "phoenix": lambda c: {"BAYRES__SERVING__PHOENIX_URL": f"http://{_host_port(c)}/"},
    "zookeeper": lambda c: {"BAYRES__STATE__HOSTS": _host_port(c)},
    "hiveserver2": _host_and_port("HIVE", "HOST", "PORT"),
    "metastore": lambda c: {"BAYRES__SPARK__METASTORE_URI": f"thrift://{_host_port(c)}"},
    "webhdfs": lambda c: {"BAYRES__LAKE__URL": f"http://{_host_port(c)}",
                          **({"BAYRES__LAKE__USER": c.login} if c.login else {})},
}


def _airflow_connection(conn_id: str):
    """The Airflow connection (metadata DB, secrets backend or ``AIRFLOW_CONN_*``), or None."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def connection_overrides(platforms=(), lookup: Callable[[str], Any] | None = None) -> dict[str, str]:
    """``BAYRES__SECTION__KEY`` values from the Airflow connections that exist: ``bayres_hbase``,
    ``bayres_phoenix``, ``bayres_zookeeper``, ``bayres_hiveserver2``, ``bayres_metastore``,
    ``bayres_webhdfs`` and ``bayres_db_<platform>`` (a source database)."""
    lookup = lookup or _airflow_connection
    out: dict[str, str] = {}
    for name, to_env in CONNECTIONS.items():
        conn = lookup(f"bayres_{name}")
        if conn is not None and conn.host:
            out.update(to_env(conn))
    for platform in platforms:
        conn = lookup(f"bayres_db_{platform}")
        if conn is not None and conn.host:
            out[f"BAYRES__SOURCES__DATABASES__{platform.upper()}"] = _database_url(conn)
    return out


def task_profile(lookup: Callable[[str], Any] | None = None, environ: dict | None = None):
    """The profile a task runs with: BAYRES_PROFILE, then Airflow connections as overrides.
    A ``BAYRES__…`` variable already set in the environment wins over a connection. Nothing
    is written to ``os.environ``: the overrides go to the profile loader only."""
    from bayres.jobs.run.config import load_profile

    environ = dict(os.environ if environ is None else environ)
    platforms = sorted({s["platform"] for s in load_profile(profile_name(), environ=environ).sources})
    for key, value in connection_overrides(platforms, lookup).items():
        environ.setdefault(key, value)
    return load_profile(profile_name(), environ=environ)


# ---------------------------------------------------------------- the run date of a DAG run
def run_date_of(context) -> date:
    """The pipeline date a DAG run works on: the partition key of an asset-triggered run (the
    date the four platforms landed), else ``run_date`` of the run's conf, else the logical
    date in the platforms' time zone."""
    dag_run = context.get("dag_run")
    key = getattr(dag_run, "partition_key", None)
    if key:
        return date.fromisoformat(str(key)[:10])
    conf = getattr(dag_run, "conf", None) or {}
    if conf.get("run_date"):
        return date.fromisoformat(str(conf["run_date"]))
    logical = context.get("logical_date")
    if logical is None:
        raise ValueError("the DAG run has no partition key, no run_date in its conf and no "
                         "logical date: trigger it with a logical date or conf {\"run_date\": …}")
    return pendulum.instance(logical).in_timezone(TIMEZONE).date()


def run_date_macro(dag_run, logical_date=None) -> str:
    """``bayres_run_date`` in templates: ``run_date_of`` for the template's ``dag_run``."""
    return run_date_of({"dag_run": dag_run, "logical_date": logical_date}).isoformat()


# ---------------------------------------------------------------- the tasks' bodies
def extract_platform(platform: str, context) -> dict:
    """Extract every source of one platform for the run date; on success, the platform's raw
    asset event carries the date as partition key and the manifests' figures as extra."""
    from bayres.jobs.run.pipeline import run_pipeline

    profile = task_profile()
    day = run_date_of(context).isoformat()
    rep = run_pipeline(profile, date.fromisoformat(day), stages=["extract"], sources=[platform])
    manifests = [m for m in rep["stages"]["extract"]["manifests"]
                 if m["platform"] == platform and m["run_date"] == day]
    expected = {s["source"] for s in profile.sources if s["platform"] == platform}
    missing = expected - {m["source"] for m in manifests}
    if missing:
        raise RuntimeError(f"{platform} {day}: no manifest for {', '.join(sorted(missing))}")
    landed = {"run_date": day, "run_id": rep["run_id"], "platform": platform,
              "rows": sum(m["rows"] for m in manifests),
              "error_rows": sum(m.get("error_rows", 0) for m in manifests),
              "files_quarantined": sum(len(m.get("files_quarantined") or []) for m in manifests),
              "sources": {m["source"]: m["rows"] for m in manifests}}
    event = context["outlet_events"][raw_asset(platform)]
    event.extra = landed
    event.add_partitions(day)
    return landed


def check_stage(stage: str, rep: dict) -> None:
    """Raise when a stage finished but its result must fail the task."""
    info = rep["stages"].get(stage) or {}
    if stage == "conform" and not rep["balanced"]:
        raise RuntimeError(f"record accounting does not balance: {rep['accounting']}")
    if stage == "publish" and not info.get("published"):
        raise RuntimeError(f"publication refused: {info.get('why_not')}")


def run_stage(stage: str, context) -> dict:
    """One aggregation stage for the run date (run id derived from the date, as the CLI does)."""
    from bayres.jobs.run.pipeline import run_pipeline

    day = run_date_of(context)
    rep = run_pipeline(task_profile(), day, stages=[stage])
    check_stage(stage, rep)
    info = rep["stages"].get(stage) or {}
    out = {"stage": stage, "run_date": day.isoformat(), "run_id": rep["run_id"],
           "seconds": info.get("seconds")}
    if stage == "publish":
        event = context["outlet_events"][GOLDEN_ASSET]
        event.extra = {"run_date": day.isoformat(), "run_id": rep["run_id"],
                       "rows": (info.get("hive") or {}).get("rows")}
        event.add_partitions(day.isoformat())
    if stage == "logs":
        raise_service_alerts(rep)
    return out


def raise_service_alerts(rep: dict) -> None:
    """Fail the ``logs`` task (so the failure alert fires) when a platform's service figures
    crossed its thresholds (conf/logs/thresholds.yaml); the figures are in the run report."""
    alerts = rep.get("service_alerts") or []
    if alerts:
        raise RuntimeError(f"service thresholds crossed on {rep['run_date']} ({len(alerts)}): "
                           + "; ".join(alerts))


# ---------------------------------------------------------------- failures: run log and alert
def _one_line(text: str, limit: int = 2000) -> str:
    return " ".join(str(text).split())[:limit]


def run_of(context) -> tuple[str, Path]:
    """``(run id, <reports.root>/<run id>/run.log)`` — the log beside the run's report (run id
    from the date); ``("-", <reports.root>/run.log)`` when the date cannot be told."""
    from bayres.jobs.run.config import load_profile
    from bayres.jobs.run.context import RunContext

    profile = load_profile(profile_name())
    root = profile.path("reports.root")
    try:
        ctx = RunContext(profile=profile, run_date=run_date_of(context))
    except Exception:  # no date to be had: the profile's own log
        return "-", root / "run.log"
    return ctx.run_id, ctx.log_file


def run_log_path(context):
    return run_of(context)[1]


def post_alert(url: str, payload: dict, timeout: float = 10.0) -> int:
    """POST ``payload`` as JSON to the webhook; returns the HTTP status."""
    request = urllib.request.Request(url, data=json.dumps(payload, default=str).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status


def _record(context, event: str, alert: bool) -> None:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    error = context.get("exception")
    try:
        day = run_date_of(context).isoformat()
    except Exception:
        day = None
    payload = {"event": event, "dag_id": getattr(ti, "dag_id", None),
               "task_id": getattr(ti, "task_id", None), "dag_run_id": getattr(dag_run, "run_id", None),
               "try_number": getattr(ti, "try_number", None), "run_date": day,
               "profile": profile_name(),
               "error": _one_line(f"{type(error).__name__}: {error}") if error is not None else None}
    text = (f"{event.upper()} {payload['dag_id']}.{payload['task_id']} try {payload['try_number']} "
            f"run {payload['dag_run_id']} date {day}: {payload['error']}")
    try:
        from bayres.jobs.run.run_log import event_line

        run_id, path = run_of(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        # a line of the run's JSON-lines log (jobs/run/run_log.py)
        line = event_line(run_id, payload["task_id"], "ERROR" if event == "failed" else "WARNING",
                          "bayres.dags", text, **payload)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        payload["run_log"] = str(path)
    except Exception:  # a callback never raises: the task's own failure is what matters
        log.exception("could not write the run log line: %s", text)
    url = os.environ.get(ALERT_WEBHOOK_ENV)
    if alert and url:
        try:
            post_alert(url, payload)
        except Exception:
            log.exception("alert webhook %s failed", url)


def on_failure(context) -> None:
    """A task failed for good: a line in the run log, and an alert if BAYRES_ALERT_WEBHOOK is set."""
    _record(context, "failed", alert=True)


def on_retry(context) -> None:
    """A task will be retried: a line in the run log (no alert)."""
    _record(context, "retry", alert=False)


def default_args(retries: int, retry_delay: timedelta) -> dict:
    """Retries with exponential back-off (delay doubles, capped), and the callbacks above."""
    return {"owner": "bayres", "retries": retries, "retry_delay": retry_delay,
            "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(hours=1),
            "on_failure_callback": on_failure, "on_retry_callback": on_retry}
