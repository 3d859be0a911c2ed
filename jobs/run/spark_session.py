"""The one SparkSession a pipeline run (or a test session) uses, configured from the profile."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from .config import Profile


#: JVM options of a session that only writes a run's own tables (a few rows each): the JIT's first
#: tier only and the serial collector.  Measured on 2 cores: start plus first metastore query took
#: 13 CPU-seconds against 25 with the defaults, which compile for long jobs that never come.
LIGHT_JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def driver_java_options(profile: Profile, light: bool = False) -> str:
    """``spark.driver.extraJavaOptions``: where the embedded Derby metastore lives (when no
    ``spark.metastore_uri`` is set) and, for a ``light`` session, :data:`LIGHT_JVM_OPTIONS`."""
    options = [] if profile.get("spark.metastore_uri") else [
        f"-Dderby.system.home={Path(str(profile.get('spark.metastore_dir'))).resolve()}"]
    if LOG4J_CONF.exists():  # errors only on the console (conf/log4j2.properties)
        options.append(f"-Dlog4j2.configurationFile={LOG4J_CONF.as_uri()}")
    return " ".join(options + (list(LIGHT_JVM_OPTIONS) if light else []))


#: the driver's log4j configuration: errors only, one line each
LOG4J_CONF = Path(__file__).resolve().parents[2] / "conf" / "log4j2.properties"


def profile_spark_conf(profile: Profile) -> dict[str, str]:
    """The profile's own Spark properties (``spark.conf``: {property: value}), as Spark strings
    (YAML's ``true`` is Spark's ``true``, not Python's ``True``)."""
    conf = profile.get("spark.conf") or {}
    if not isinstance(conf, dict):
        raise ValueError(f"profile {profile.name}: spark.conf must be a mapping of Spark properties")
    return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in conf.items()}


def build_spark(profile: Profile, app_name: str = "bayres", light: bool = False) -> SparkSession:
    """A Hive-enabled session: embedded Derby metastore under the profile's home, or a shared
    metastore when ``spark.metastore_uri`` is set.  ``light``: a JVM tuned to start cheaply, for
    a run whose only Spark work is its run tables (the JVM is launched only if this process has
    none yet)."""
    # Python workers must run this interpreter (the venv with the package installed)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if str(profile.get("spark.master", "local[*]")).startswith("local"):
        # one machine: bind to loopback (else Spark warns that the hostname resolves to it)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = str(profile.get("spark.warehouse_dir"))
    if "://" not in warehouse:
        warehouse = Path(warehouse).resolve().as_uri()
    builder = (
        SparkSession.builder.appName(app_name)
        .master(str(profile.get("spark.master", "local[*]")))
        .config("spark.driver.memory", str(profile.get("spark.driver_memory", "4g")))
        .config("spark.sql.shuffle.partitions", str(profile.get("spark.shuffle_partitions", 8)))
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", "UTC")
        # sources name columns in their own case ("NAME" and "name" are different fields)
        .config("spark.sql.caseSensitive", "true")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.hadoop.hive.exec.dynamic.partition", "true")
        .config("spark.hadoop.hive.exec.dynamic.partition.mode", "nonstrict")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.compression.codec", "snappy")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .enableHiveSupport()
    )
    for key, value in profile_spark_conf(profile).items():
        builder = builder.config(key, value)
    uri = profile.get("spark.metastore_uri")
    if uri:
        builder = builder.config("spark.hadoop.hive.metastore.uris", str(uri))
    else:
        metastore = Path(str(profile.get("spark.metastore_dir"))).resolve()
        metastore.mkdir(parents=True, exist_ok=True)
        builder = builder.config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={metastore / 'metastore_db'};create=true")
    java_options = driver_java_options(profile, light)
    if java_options:
        builder = builder.config("spark.driver.extraJavaOptions", java_options)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SessionOnDemand:
    """The run's SparkSession, started in the background while stages that do not need it run.

    A JVM with Hive support takes 5-15 s to start and to open its metastore.  A run whose stages
    are DuckDB work (``bayres run --stage dedup`` on the local profile) only needs Spark for the
    run tables at the end, so the session starts beside the stage instead of before it, and
    ``then`` (given the new session: the run's progress in run_stage) runs in the background
    too; ``yielding`` starts the JVM at a lower CPU priority than the stage beside it, ``light``
    with :data:`LIGHT_JVM_OPTIONS` (when Spark will only write the run tables).
    :meth:`get` waits for both (and raises what they raised); ``given`` is a session the
    caller already has (tests, notebooks), used as is.
    """

    def __init__(self, profile: Profile, given: SparkSession | None = None, then=None,
                 yielding: bool = False, light: bool = False) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        if given is not None:
            self._future: Future = Future()
            self._future.set_result(given)
            return
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spark-start")
        self._future = pool.submit(self._start, profile, then, yielding, light)
        pool.shutdown(wait=False)  # the start runs on; no other work is queued

    @staticmethod
    def _start(profile: Profile, then, yielding: bool, light: bool) -> SparkSession:
        if yielding:
            _lower_this_thread()
        spark = build_spark(profile, light=light)
        if then is not None:
            then(spark)
        return spark

    def get(self) -> SparkSession:
        spark = self._future.result()
        # Spark keeps the active session per thread and reads its SQL settings from the calling
        # thread's (spark.sql.caseSensitive among them: without it, sources' "IPC" and "ipc" are
        # one ambiguous column).  The session was made in another thread: make it active here.
        spark._jvm.SparkSession.setActiveSession(spark._jsparkSession)
        return spark


#: how much lower the priority of a JVM started beside a stage that does not need it yet
YIELDING_NICE = 10


def _lower_this_thread() -> None:
    """Give this thread, and so the JVM it launches (a child inherits its thread's niceness on
    Linux), a lower CPU priority, so that it starts on the cores the running stage leaves free.
    Measured at 1M records on 2 cores: the DuckDB dedup stage took 48-51 s beside a yielding
    JVM start and 61-74 s beside one at the same priority.  Where threads have no niceness of
    their own (not Linux), nothing changes."""
    import threading

    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + YIELDING_NICE, 19))
    except (AttributeError, OSError):
        pass
