"""Shared fixtures: one Spark session per test run, one small generated sample per test run."""
from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest

from bayres.jobs.run.config import load_profile

#: the logical date of the end-to-end runs
RUN_DATE = date(2026, 11, 1)


@pytest.fixture(scope="session")
def test_home(tmp_path_factory):
    """A BAYRES_HOME of the test run's own: lake, metastore, serving store, reports."""
    return tmp_path_factory.mktemp("bayres_home")


@pytest.fixture
def own_home_env(tmp_path):
    """The environment of a ``bayres`` process with a home of its own (``tmp_path``) on the plain
    local profile: embedded metastore, none of the suite's ``BAYRES__`` overrides (such as
    make test's shared metastore)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAYRES__")}
    env.update(BAYRES_HOME=str(tmp_path), SPARK_LOCAL_DIRS=str(tmp_path / "spark-tmp"))
    return env


@pytest.fixture(scope="session")
def local_profile(test_home):
    env = dict(os.environ, BAYRES_HOME=str(test_home))
    os.environ["BAYRES_HOME"] = str(test_home)
    return load_profile("local", environ=env)


@pytest.fixture(scope="session")
def spark(local_profile):
    """The run's only SparkSession (Hive support, embedded metastore under test_home)."""
    from bayres.jobs.run.spark_session import build_spark

    session = build_spark(local_profile, app_name="bayres-tests")
    if local_profile.get("spark.metastore_uri"):  # a shared metastore outlives test runs
        session.sql(f"DROP DATABASE IF EXISTS {local_profile.get('spark.hive_database')} CASCADE")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sample(local_profile):
    """The four sample platforms, small (seed 7, about 2,000 records), with ground truth."""
    from bayres.jobs.generate import generate

    out = local_profile.path("sources.feeds_root")
    generate(out, seed=7, scale=2000)
    return out


@pytest.fixture(scope="session")
def runs(spark, local_profile, sample):
    """The same day run twice: (first report, snapshot after it, second report, snapshot)."""
    from bayres.jobs.run.pipeline import run_pipeline

    first = run_pipeline(local_profile, RUN_DATE, spark=spark)
    snap1 = _snapshot(spark, local_profile)
    second = run_pipeline(local_profile, RUN_DATE, spark=spark)
    snap2 = _snapshot(spark, local_profile)
    return first, snap1, second, snap2


def _snapshot(spark, profile):
    db = profile.get("spark.hive_database")
    out = {}
    for table in ("resource_record", "golden_resource", "record_lineage", "quarantine", "quality_score"):
        out[table] = spark.table(f"{db}.{table}").toPandas()
    with duckdb.connect(str(profile.path("serving.path")), read_only=True) as con:
        out["serving"] = con.execute("SELECT * FROM BAYRES_RESOURCE ORDER BY CSTR_ID").df()
    return out


# ---------------------------------------------------------------- a test that runs long is named
#: seconds after which a running test is named on the terminal (make test: SLOW_TEST_NOTICE),
#: and again every as many seconds; 0 turns the notices off
SLOW_TEST_NOTICE = float(os.environ.get("BAYRES_SLOW_TEST_NOTICE", "60") or 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Progress dots say nothing for minutes while one end-to-end test works: after
    ``SLOW_TEST_NOTICE`` seconds, print the running test's id (and how long it has run) on its
    own line, once per period, so a long wait names what it waits for."""
    import threading
    import time

    reporter = item.config.pluginmanager.get_plugin("terminalreporter")
    if not SLOW_TEST_NOTICE or reporter is None:
        yield
        return
    done, started = threading.Event(), time.monotonic()

    # the terminal itself: while a test runs, pytest captures file descriptors 1 and 2
    capturing = getattr(item.config.pluginmanager.get_plugin("capturemanager"), "_global_capturing", None)
    terminal_fd = getattr(getattr(capturing, "out", None), "targetfd_save", None)

    def notice():
        while not done.wait(SLOW_TEST_NOTICE):
            line = f"… still running after {time.monotonic() - started:.0f} s: {item.nodeid}"
            if terminal_fd is not None:
                os.write(terminal_fd, f"\n{line}\n".encode())
            else:
                reporter.write_line(line)

    watcher = threading.Thread(target=notice, name="slow-test-notice", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join(1)
