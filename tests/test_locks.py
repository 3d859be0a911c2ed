"""The publish lock, local (flock) and cluster (ZooKeeper)."""
from __future__ import annotations

import pytest

from bayres.jobs.run.config import load_profile
from bayres.jobs.run.locks import PublishLockTimeout, publish_lock
from tests import server_endpoints


def test_local_lock_excludes_a_second_run_and_names_the_holder(tmp_path):
    profile = load_profile("local", environ={"BAYRES__STATE__ROOT": str(tmp_path)})
    with publish_lock(profile, "local-2026-11-01") as check:
        check()
        with pytest.raises(PublishLockTimeout, match="local-2026-11-01"):
            with publish_lock(profile, "local-2026-11-02", timeout=1):
                pass
    with publish_lock(profile, "local-2026-11-02", timeout=1):  # released
        pass


@pytest.mark.servers
def test_zookeeper_lock_excludes_a_second_run():
    server_endpoints.require("zookeeper")
    from bayres.connectors.zookeeper import LockTimeout

    env = {"BAYRES__STATE__KIND": "zookeeper", "BAYRES__STATE__HOSTS": server_endpoints.ZK_HOSTS,
           "BAYRES__STATE__ROOT": "/bayres-test-locks"}
    profile = load_profile("local", environ=env)
    with publish_lock(profile, "run-a") as check:
        check()
        with pytest.raises(LockTimeout, match="run-a"):
            with publish_lock(profile, "run-b", timeout=1):
                pass
    with publish_lock(profile, "run-b", timeout=5):
        pass
