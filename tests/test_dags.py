"""The Airflow DAGs (dags/): they import cleanly, have the expected graphs, and run.

Unit tests check the DAGs' shape and the helpers of dags/bayres_common.py (schedules from conf,
connections → profile overrides, the run date of a DAG run, the failure callback and its alert).
The end-to-end tests (``slow``) run the DAGs with ``dag.test()`` on the local profile against a
throw-away Airflow (AIRFLOW_HOME and its SQLite metadata DB in a temp dir): the four platform
DAGs for 2026-11-03, the scheduler's decision to start ``bayres_aggregate`` for that date once
all four raw assets have landed, then ``bayres_aggregate`` itself, and a failing run.

The DAG runs write to a lake, Hive database, serving store and reports of their own
(``BAYRES__…`` overrides), so the other end-to-end tests' tables — checked partition by
partition — never see this date. Sources (the ``sample`` fixture) and the Spark session are the
suite's: tasks run in-process under ``dag.test()`` and ``build_spark`` returns that session.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pendulum
import pytest

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
PLATFORMS = ("gz", "hk", "mo", "sz")
EXTRACT_DAGS = {f"bayres_extract_{p}" for p in PLATFORMS}
AGGREGATE_ORDER = ["conform", "dedup", "load", "quality", "publish", "logs"]
#: not the other end-to-end tests' 2026-11-01 (nor test_pipeline_e2e's 2026-11-02)
DAY = date(2026, 11, 3)
LOGICAL = pendulum.datetime(2026, 11, 3, tz="Asia/Shanghai")
#: a date no platform has landed: the aggregation fails there
BAD_DAY = pendulum.datetime(2026, 11, 5, tz="Asia/Shanghai")
HIVE_DB = "bayres_dagtest"


# ---------------------------------------------------------------- a throw-away Airflow
def _set_env(values: dict) -> dict:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    return saved


def _restore_env(saved: dict) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory):
    """AIRFLOW_HOME in a temp dir, SQLite metadata DB, dags_folder = the repository's dags/.
    Set before Airflow is first imported (its configuration is read then)."""
    home = tmp_path_factory.mktemp("airflow_home")
    env = {"AIRFLOW_HOME": str(home),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
           "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           # the scheduler only queues asset-triggered runs of unpaused DAGs
           "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
           "BAYRES_PROFILE": "local"}
    saved = _set_env(env)
    sys.path.insert(0, str(DAGS))
    root = logging.getLogger()
    root_level, root_handlers = root.level, root.handlers[:]
    from airflow.configuration import conf  # configures logging: root at INFO to this test's stdout

    assert conf.get("core", "dags_folder") == str(DAGS), "Airflow was imported before this module set it up"
    yield env
    root.handlers[:] = root_handlers  # the rest of the suite logs as before
    root.setLevel(root_level)
    sys.path.remove(str(DAGS))
    _restore_env(saved)


@pytest.fixture(scope="module")
def common(airflow_env):
    import bayres_common

    return bayres_common


@pytest.fixture(scope="module")
def dagbag(airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def airflow_db(airflow_env, common):
    """The metadata DB created from the ORM (``initdb``, a few seconds) and the load pool."""
    from airflow.models.pool import Pool
    from airflow.utils.db import initdb

    initdb()
    Pool.create_or_update_pool(common.LOAD_POOL, slots=1, description="BayRes loads, one at a time",
                               include_deferred=False)
    return airflow_env


# ---------------------------------------------------------------- imports and graphs
def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXTRACT_DAGS | {"bayres_aggregate"}


def test_cli_lists_no_import_errors_and_parsing_stays_light(airflow_db):
    """``airflow dags list-import-errors --local`` as a user runs it; parsing the DAG files
    (every 30 s in the DAG processor) does not import Spark or the pipeline."""
    env = dict(os.environ)
    out = subprocess.run([str(Path(sys.executable).parent / "airflow"), "dags", "list-import-errors",
                          "--local", "-o", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    probe = ("import json, sys\nfrom airflow.dag_processing.dagbag import DagBag\n"
             f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
             "print(json.dumps([sorted(bag.dag_ids), 'pyspark' in sys.modules,"
             " 'bayres.jobs.run.pipeline' in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    ids, spark_loaded, pipeline_loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(ids) == EXTRACT_DAGS | {"bayres_aggregate"}
    assert not spark_loaded and not pipeline_loaded


def _callbacks(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def test_extract_dags(dagbag, common):
    from airflow.sdk import CronTriggerTimetable

    for platform in PLATFORMS:
        dag = dagbag.dags[f"bayres_extract_{platform}"]
        assert dag.task_ids == ["extract"]
        assert dag.max_active_runs == 1 and not dag.catchup
        assert isinstance(dag.timetable, CronTriggerTimetable)  # "@daily" unless conf says otherwise
        assert dag.timetable.expression == "0 0 * * *" and str(dag.timetable.timezone.name) == common.TIMEZONE
        task = dag.get_task("extract")
        assert task.outlets == [common.raw_asset(platform)]
        assert task.outlets[0].uri == f"bayres://raw/{platform}"
        assert task.retries >= 1 and task.retry_exponential_backoff > 1 and task.max_retry_delay
        assert task.execution_timeout == timedelta(hours=1)
        assert common.on_failure in _callbacks(task.on_failure_callback)
        assert common.on_retry in _callbacks(task.on_retry_callback)


def test_aggregate_dag(dagbag, common):
    from airflow.sdk import AssetAll, PartitionedAssetTimetable

    dag = dagbag.dags["bayres_aggregate"]
    assert sorted(dag.task_ids) == sorted(AGGREGATE_ORDER)
    for upstream, downstream in zip(AGGREGATE_ORDER, AGGREGATE_ORDER[1:]):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    assert dag.max_active_runs == 1
    # runs per date (partition key) once all four raw assets have an event for it
    assert isinstance(dag.timetable, PartitionedAssetTimetable)
    assert isinstance(dag.timetable.asset_condition, AssetAll)
    assert {a.uri for a in dag.timetable.asset_condition.objects} == {f"bayres://raw/{p}" for p in PLATFORMS}
    pools = {t.task_id: t.pool for t in dag.tasks}
    assert pools == {"conform": "default_pool", "dedup": "default_pool", "load": "bayres_load",
                     "quality": "bayres_load", "publish": "bayres_load", "logs": "default_pool"}
    assert dag.get_task("publish").outlets == [common.GOLDEN_ASSET]
    for task in dag.tasks:
        assert task.retries >= 1 and task.retry_exponential_backoff > 1
        assert task.execution_timeout is not None
        assert common.on_failure in _callbacks(task.on_failure_callback)


def test_aggregate_dag_local_profile_runs_stages_as_python_tasks(dagbag, common):
    from airflow.providers.standard.operators.python import PythonOperator

    assert not common.uses_spark_submit()
    for task in dagbag.dags["bayres_aggregate"].tasks:
        assert isinstance(task, PythonOperator) and callable(task.python_callable), task.task_id
        assert type(task).__name__ != "SparkSubmitOperator"


@pytest.fixture
def cluster_dagbag(airflow_env, monkeypatch):
    """The DAG files parsed as the cluster profile's DAG processor parses them, with the
    spark-submit connection from an ``AIRFLOW_CONN_*`` variable."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("BAYRES_PROFILE", "cluster")
    monkeypatch.delenv("BAYRES_SPARK_CONN_ID", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_BAYRES", "spark://yarn?deploy-mode=client&queue=bayres")
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag


def test_aggregate_dag_cluster_profile_spark_submits_every_stage(cluster_dagbag, common):
    from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    import bayres.jobs.run.submit

    dag = cluster_dagbag.dags["bayres_aggregate"]
    assert sorted(dag.task_ids) == sorted(AGGREGATE_ORDER)
    for upstream, downstream in zip(AGGREGATE_ORDER, AGGREGATE_ORDER[1:]):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    context = {"dag_run": SimpleNamespace(partition_key="2026-11-03", conf={}), "logical_date": None}
    for stage in AGGREGATE_ORDER:
        task = dag.get_task(stage)
        assert isinstance(task, SparkSubmitOperator), stage
        assert task.application == bayres.jobs.run.submit.__file__
        assert task.application_args == ["--profile", "cluster", "run", "--stage", stage, "--date",
                                         "{{ bayres_run_date(dag_run, logical_date) }}"]
        assert task._conn_id == "spark_bayres"
        assert task.pool == ("bayres_load" if stage in ("load", "quality", "publish") else "default_pool")
        assert common.on_failure in _callbacks(task.on_failure_callback) and task.retries >= 1
        # the date a run works on, as for the @task stages: the partition key of the asset events
        rendered = task.render_template(task.application_args, context, dag.get_template_env())
        assert rendered[-2:] == ["--date", "2026-11-03"]
        conf_date = {"dag_run": SimpleNamespace(partition_key=None, conf={"run_date": "2026-11-04"}),
                     "logical_date": None}
        assert task.render_template(task.application_args, conf_date, dag.get_template_env())[-1] == "2026-11-04"
    assert dag.get_task("publish").outlets == [common.GOLDEN_ASSET]
    # the command spark-submit gets: master, deploy mode and queue from the Airflow connection
    hook = SparkSubmitHook(conn_id="spark_bayres", name="bayres-dedup",
                           application_args=["--profile", "cluster", "run", "--stage", "dedup"])
    command = hook._build_spark_submit_command(bayres.jobs.run.submit.__file__)
    assert command[:1] == ["spark-submit"]
    for flag, value in (("--master", "yarn"), ("--deploy-mode", "client"), ("--queue", "bayres")):
        assert command[command.index(flag) + 1] == value
    assert command[-6:] == [bayres.jobs.run.submit.__file__, "--profile", "cluster", "run", "--stage", "dedup"]


def test_spark_submit_application_is_the_bayres_cli(tmp_path):
    """What spark-submit runs is the bayres command line (here: its help, no Spark needed)."""
    import bayres.jobs.run.submit

    out = subprocess.run([sys.executable, bayres.jobs.run.submit.__file__, "run", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Usage: bayres run" in out.stdout and "--stage" in out.stdout and "--date" in out.stdout


def test_pyspark_is_not_replaced_by_the_spark_provider():
    """The provider is installed without its pyspark-client dependency (Makefile)."""
    from importlib import metadata

    import pyspark

    assert pyspark.__version__ == "4.3.0"
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.version("pyspark-client")
    assert metadata.version("apache-airflow-providers-apache-spark")


# ---------------------------------------------------------------- helpers of bayres_common
def test_platform_schedules(common):
    sources = [{"platform": "gz", "source": "a"}, {"platform": "gz", "source": "b", "schedule": "0 6 * * *"},
               {"platform": "hk", "source": "c"}]
    assert common.platform_schedules(sources) == {"gz": "0 6 * * *", "hk": "@daily"}
    with pytest.raises(ValueError, match="different schedules"):
        common.platform_schedules(sources + [{"platform": "gz", "source": "d", "schedule": "@hourly"}])


def test_connections_become_profile_overrides(common, monkeypatch):
    from airflow.sdk import Connection

    def conn(conn_id, host, port, **more):
        return Connection(conn_id=conn_id, conn_type="generic", host=host, port=port, **more)

    conns = {c.conn_id: c for c in (
        conn("bayres_hbase", "hbase-1.example", 9191),
        conn("bayres_zookeeper", "zk-1.example", 2182),
        conn("bayres_hiveserver2", "hs2.example", 10001),
        conn("bayres_metastore", "hms.example", 9084),
        conn("bayres_db_gz", "db.example", 3307, login="etl", password="p@ss:w/rd", schema="bayres_gz"))}
    for name in [k for k in os.environ if k.startswith("BAYRES__")]:  # e.g. make test's metastore
        monkeypatch.delenv(name)
    for name in ("BAYRES_PHOENIX_QS", "BAYRES_PHOENIX_QS_PORT"):  # an engineer's port file
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BAYRES_PROFILE", "cluster")
    monkeypatch.setenv("BAYRES__HIVE__PORT", "10099")  # an explicit override wins over the connection
    profile = common.task_profile(lookup=conns.get)
    assert profile.get("serving.thrift_host") == "hbase-1.example"
    assert profile.get("serving.thrift_port") == 9191
    assert profile.get("state.hosts") == "zk-1.example:2182"
    assert profile.get("hive.host") == "hs2.example" and profile.get("hive.port") == 10099
    assert profile.get("spark.metastore_uri") == "thrift://hms.example:9084"
    assert profile.get("sources.databases.gz") == \
        "mysql+pymysql://etl:p%40ss%3Aw%2Frd@db.example:3307/bayres_gz?charset=utf8mb4"
    # no connection: the profile's own value; nothing leaked into the process environment
    assert profile.get("serving.phoenix_url") == "http://phoenix-qs:8765/"
    assert "sz" in profile.get("sources.databases.sz")
    assert not any(k.startswith("BAYRES__SERVING") for k in os.environ)


def test_connection_from_airflow_conn_env_var(common, monkeypatch):
    """``AIRFLOW_CONN_BAYRES_…`` works as well as a connection in the metadata DB."""
    monkeypatch.delenv("BAYRES__STATE__HOSTS", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_BAYRES_ZOOKEEPER", "zookeeper://zk-a.example:2181")
    monkeypatch.setenv("BAYRES_PROFILE", "cluster")
    assert common.connection_overrides() == {"BAYRES__STATE__HOSTS": "zk-a.example:2181"}
    assert common.task_profile().get("state.hosts") == "zk-a.example:2181"


def test_run_date_of_a_dag_run(common):
    def ctx(partition_key=None, conf=None, logical=None):
        return {"dag_run": SimpleNamespace(partition_key=partition_key, conf=conf or {}), "logical_date": logical}

    assert common.run_date_of(ctx(partition_key="2026-11-03")) == DAY  # asset-triggered, per date
    assert common.run_date_of(ctx(conf={"run_date": "2026-11-03"}, logical=BAD_DAY)) == DAY
    # midnight in Shanghai is the previous day in UTC: the date is the platforms' date
    assert common.run_date_of(ctx(logical=pendulum.datetime(2026, 11, 2, 16, tz="UTC"))) == DAY
    with pytest.raises(ValueError, match="logical date"):
        common.run_date_of(ctx())


def test_check_stage_fails_refused_publication_and_unbalanced_accounting(common):
    common.check_stage("publish", {"stages": {"publish": {"published": True}}, "balanced": True})
    with pytest.raises(RuntimeError, match="publication refused"):
        common.check_stage("publish", {"stages": {"publish": {"published": False, "why_not": ["x"]}},
                                       "balanced": True})
    with pytest.raises(RuntimeError, match="does not balance"):
        common.check_stage("conform", {"stages": {"conform": {}}, "balanced": False, "accounting": {}})


@pytest.fixture
def webhook(monkeypatch):
    """A local HTTP endpoint standing in for the alert webhook: what it received."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"content_type": self.headers["Content-Type"], "json": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    monkeypatch.setenv("BAYRES_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/alert")
    yield received
    server.shutdown()
    server.server_close()


def test_failure_callback_writes_run_log_and_alerts(common, webhook, monkeypatch, tmp_path):
    monkeypatch.setenv("BAYRES__REPORTS__ROOT", str(tmp_path / "reports"))
    context = {"ti": SimpleNamespace(dag_id="bayres_extract_hk", task_id="extract", try_number=4),
               "dag_run": SimpleNamespace(run_id="scheduled__x", partition_key=None, conf={}),
               "logical_date": LOGICAL, "exception": RuntimeError("feed unreadable\nsecond line")}
    common.on_failure(context)
    common.on_retry(context)  # a retry is logged, not alerted
    # lines of the run's JSON-lines log (jobs/run/run_log.py), with the run id
    lines = [json.loads(line) for line in (tmp_path / "reports" / "local-2026-11-03" / "run.log")
             .read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2
    assert lines[0]["message"] == "FAILED bayres_extract_hk.extract try 4 run scheduled__x date 2026-11-03: " \
                                  "RuntimeError: feed unreadable second line"
    assert (lines[0]["run_id"], lines[0]["stage"], lines[0]["level"]) == ("local-2026-11-03", "extract", "ERROR")
    assert lines[0]["dag_id"] == "bayres_extract_hk" and lines[0]["try_number"] == 4
    assert lines[1]["message"].startswith("RETRY bayres_extract_hk.extract ") and lines[1]["level"] == "WARNING"
    assert len(webhook) == 1 and webhook[0]["content_type"] == "application/json"
    alert = webhook[0]["json"]
    assert alert["event"] == "failed" and alert["dag_id"] == "bayres_extract_hk"
    assert alert["run_date"] == "2026-11-03" and "feed unreadable" in alert["error"]
    # an unreachable webhook never raises out of the callback
    monkeypatch.setenv("BAYRES_ALERT_WEBHOOK", "http://127.0.0.1:9/unreachable")
    common.on_failure(context)


# ---------------------------------------------------------------- end to end: dag.test()
@pytest.fixture(scope="module")
def dag_profile(local_profile, sample, tmp_path_factory):
    """Lake, Hive database, serving store, quality and reports of the DAG runs' own (sources:
    the suite's sample). Returns the profile the tasks load."""
    from bayres.jobs.run.config import load_profile

    out = tmp_path_factory.mktemp("dag_runs")
    saved = _set_env({"BAYRES__LAKE__ROOT": str(out / "lake"), "BAYRES__SPARK__HIVE_DATABASE": HIVE_DB,
                      "BAYRES__SERVING__PATH": str(out / "serving" / "bayres.duckdb"),
                      "BAYRES__QUALITY__ROOT": str(out / "quality"),
                      "BAYRES__REPORTS__ROOT": str(out / "reports"),
                      "BAYRES__STATE__ROOT": str(out / "state")})
    yield load_profile("local")
    _restore_env(saved)


def run_dag(dagbag, dag_id: str, logical_date):
    """``dag.test()`` with retries off (a failure fails now instead of waiting for the back-off);
    returns the DagRun and its task instances' states."""
    dag = dagbag.dags[dag_id]
    for task in dag.tasks:
        task.retries = 0
    run = dag.test(logical_date=logical_date)
    return run, {ti.task_id: ti.state for ti in run.get_task_instances()}


def start_partitioned_runs() -> set:
    """What the scheduler does each loop for partition-aware asset DAGs: the dag ids it started."""
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.utils.session import create_session

    with create_session() as session:
        return SchedulerJobRunner(job=Job())._create_dagruns_for_partitioned_asset_dags(session)


@pytest.fixture(scope="module")
def extracted(airflow_db, dagbag, dag_profile):
    """The four platform DAGs for DAY (gz first, and gz again at the end: a re-run), with what
    the scheduler would start after each."""
    from bayres.jobs.extract.parts import raw_path

    runs, started = {}, {}
    for platform in PLATFORMS:
        runs[platform] = run_dag(dagbag, f"bayres_extract_{platform}", LOGICAL)
        started[platform] = start_partitioned_runs()
    lake = dag_profile.path("lake.root")
    first = {s["source"]: json.loads((lake / raw_path("gz", s["source"], DAY.isoformat()) / "_manifest.json")
                                     .read_text(encoding="utf-8"))
             for s in dag_profile.sources if s["platform"] == "gz"}
    rerun = run_dag(dagbag, "bayres_extract_gz", LOGICAL)
    return {"runs": runs, "started": started, "gz_manifests": first, "gz_rerun": rerun}


def _asset_events(uri: str) -> list:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(select(AssetEvent.partition_key, AssetEvent.extra, AssetEvent.source_dag_id)
                               .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                               .where(AssetModel.uri == uri).order_by(AssetEvent.id)).all()
    return [r._asdict() for r in rows]


@pytest.mark.slow
def test_platform_dag_lands_raw_data_and_emits_its_asset(extracted, dag_profile):
    run, states = extracted["runs"]["gz"]
    assert run.state == "success" and states == {"extract": "success"}
    lake = dag_profile.path("lake.root")
    for source, manifest in extracted["gz_manifests"].items():
        raw = lake / "raw" / "gz" / source / DAY.isoformat()
        assert any(raw.glob("part-*.parquet")), raw
        assert manifest["run_date"] == DAY.isoformat() and manifest["run_id"] == "local-2026-11-03"
    events = _asset_events("bayres://raw/gz")
    assert events[0]["partition_key"] == DAY.isoformat() and events[0]["source_dag_id"] == "bayres_extract_gz"
    assert events[0]["extra"]["rows"] == sum(m["rows"] for m in extracted["gz_manifests"].values())
    assert set(events[0]["extra"]["sources"]) == set(extracted["gz_manifests"])


@pytest.mark.slow
def test_aggregation_starts_once_all_four_platforms_landed(extracted):
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    assert all(state == "success" for _, states in extracted["runs"].values() for state in states.values())
    assert [extracted["started"][p] for p in PLATFORMS] == [set(), set(), set(), {"bayres_aggregate"}]
    with create_session() as session:
        runs = session.scalars(select(DagRun).where(DagRun.dag_id == "bayres_aggregate")).all()
        assert [(r.run_type, r.partition_key, r.logical_date) for r in runs] == \
            [("asset_triggered", DAY.isoformat(), None)]
        assert sorted(e.source_dag_id for e in runs[0].consumed_asset_events) == sorted(EXTRACT_DAGS)


@pytest.mark.slow
def test_platform_dag_rerun_is_idempotent(extracted, dag_profile):
    """The same date again: same raw data, each source once in the run's report, the other
    platforms' manifests kept."""
    from bayres.jobs.extract.parts import raw_path

    run, states = extracted["gz_rerun"]
    assert run.state == "success" and states == {"extract": "success"}
    lake = dag_profile.path("lake.root")
    for source, before in extracted["gz_manifests"].items():
        after = json.loads((lake / raw_path("gz", source, DAY.isoformat()) / "_manifest.json").read_text("utf-8"))
        assert (after["rows"], after["sha256"]) == (before["rows"], before["sha256"])
    report = json.loads((dag_profile.path("reports.root") / "local-2026-11-03" / "report.json").read_text("utf-8"))
    keys = [(m["platform"], m["source"]) for m in report["stages"]["extract"]["manifests"]]
    assert len(keys) == len(set(keys)) == len(dag_profile.sources)


@pytest.fixture(scope="module")
def aggregated(extracted, spark, dagbag):
    yield run_dag(dagbag, "bayres_aggregate", LOGICAL)
    spark.sql(f"DROP DATABASE IF EXISTS {HIVE_DB} CASCADE")


@pytest.mark.slow
def test_aggregate_dag_publishes_the_day(aggregated, spark, dag_profile):
    import duckdb

    run, states = aggregated
    assert run.state == "success", states
    assert states == {stage: "success" for stage in AGGREGATE_ORDER}
    partitions = {r[0] for r in spark.sql(f"SHOW PARTITIONS {HIVE_DB}.golden_resource").collect()}
    assert f"run_date={DAY.isoformat()}" in partitions
    golden = spark.table(f"{HIVE_DB}.golden_resource").where(f"run_date = DATE'{DAY}'").count()
    with duckdb.connect(str(dag_profile.path("serving.path")), read_only=True) as con:
        served = con.execute("SELECT count(*) FROM BAYRES_RESOURCE").fetchone()[0]
    assert served == golden > 0
    report = json.loads((dag_profile.path("reports.root") / "local-2026-11-03" / "report.json").read_text("utf-8"))
    assert report["balanced"] and set(report["accounting"]) == set(PLATFORMS)
    assert report["stages"]["publish"]["published"] is True
    event = _asset_events("bayres://curated/golden_resource")[-1]
    assert event["partition_key"] == DAY.isoformat() and event["extra"]["rows"] == golden


@pytest.mark.slow
def test_aggregate_dag_fails_loudly_for_a_day_that_has_not_landed(aggregated, dagbag, dag_profile, webhook):
    run, states = run_dag(dagbag, "bayres_aggregate", BAD_DAY)
    assert run.state == "failed"
    assert states == {"conform": "failed", "dedup": "upstream_failed", "load": "upstream_failed",
                      "quality": "upstream_failed", "publish": "upstream_failed",
                      "logs": "upstream_failed"}
    folder = dag_profile.path("reports.root") / "local-2026-11-05"
    lines = [json.loads(line) for line in (folder / "run.log").read_text(encoding="utf-8").splitlines()]
    assert {line["run_id"] for line in lines} == {"local-2026-11-05"}
    failed = [line for line in lines if line["logger"] == "bayres.dags"]
    assert len(failed) == 1 and failed[0]["message"].startswith("FAILED bayres_aggregate.conform try 1 ")
    assert "date 2026-11-05" in failed[0]["message"]
    # the pipeline's own lines of the failing stage, and its report: conform failed, and why
    assert any(line["stage"] == "conform" and line["level"] == "ERROR" for line in lines if line is not failed[0])
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "failed" and report["failed_stages"] == ["conform"]
    assert report["stages"]["conform"]["status"] == "failed" and report["stages"]["conform"]["error"]
    assert [a["json"]["task_id"] for a in webhook] == ["conform"]


def test_logs_task_raises_the_service_alerts(common):
    """A platform over its thresholds fails the logs task (whose failure callback alerts)."""
    common.raise_service_alerts({"run_date": "2026-11-03", "service_alerts": []})
    with pytest.raises(RuntimeError, match="mo: availability"):
        common.raise_service_alerts({"run_date": "2026-11-03",
                                     "service_alerts": ["mo: availability 0.9 outside min_availability 0.93"]})
