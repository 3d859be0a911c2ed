"""Shared fixtures: one Spark session per test run, one small generated sample per test run."""
from __future__ import annotations

import os

import pytest

from bayres.jobs.config import load_profile


@pytest.fixture(scope="session")
def test_home(tmp_path_factory):
    """A BAYRES_HOME of the test run's own: lake, metastore, serving store, reports."""
    return tmp_path_factory.mktemp("bayres_home")


@pytest.fixture(scope="session")
def local_profile(test_home):
    env = dict(os.environ, BAYRES_HOME=str(test_home))
    os.environ["BAYRES_HOME"] = str(test_home)
    return load_profile("local", environ=env)


@pytest.fixture(scope="session")
def spark(local_profile):
    """The run's only SparkSession (Hive support, embedded metastore under test_home)."""
    from bayres.jobs.spark_session import build_spark

    session = build_spark(local_profile, app_name="bayres-tests")
    yield session
    session.stop()
