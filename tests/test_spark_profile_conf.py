"""The profile's own Spark properties (spark.conf) reach the session builder as Spark strings."""
from __future__ import annotations

import pytest

from bayres.jobs.run.config import Profile, load_profile
from bayres.jobs.run.spark_session import profile_spark_conf


def test_the_cluster_profile_never_holds_a_task_for_locality():
    conf = profile_spark_conf(load_profile("cluster", environ={}))
    assert conf["spark.locality.wait"] == "0s"
    assert conf["spark.sql.adaptive.enabled"] == "true"  # YAML true, as Spark spells it


def test_no_spark_conf_is_no_property_and_a_list_is_refused():
    assert profile_spark_conf(Profile("p", {"spark": {"master": "local[1]"}})) == {}
    with pytest.raises(ValueError, match="spark.conf"):
        profile_spark_conf(Profile("p", {"spark": {"conf": ["spark.locality.wait=0s"]}}))
