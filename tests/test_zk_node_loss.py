"""A ZooKeeper node dies during a pipeline run, twice: the run carries on.

The whole local pipeline runs on the suite's sample with its coordination on the 3-node
ensemble (``tests/servers/start.sh zk-ensemble``): ``state.kind: zookeeper``, so two sources
extracted incrementally keep their watermarks in ZooKeeper (connectors/state_store.py) and
publish runs under the ZooKeeper lock (jobs/run/locks.py). The ensemble's leader is SIGKILLed

1. during extraction — after the first incremental source moved its watermark, before the
   second one reads and moves its own; the node is started again once extraction is over;
2. during publish — while the run holds the publish lock, between loading the golden table
   and writing the serving store.

Then: the run finished and published; the lock is free; both watermarks are there, at the
values the sources' tables give, written once each; and the run's own log shows the clients
losing their server, inside the extract and publish stages (so the kills did land mid-run).
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import uuid
from datetime import date

import pytest
import yaml

from bayres.connectors.state_store import ZkStateStore, watermark_key
from bayres.connectors.zookeeper import ZkCoordinator

try:
    from tests import server_endpoints as ep
    from tests.test_zookeeper import ensemble, ensemble_cmd  # noqa: F401 (the fixture)
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    import server_endpoints as ep
    from test_zookeeper import ensemble, ensemble_cmd  # noqa: F401

pytestmark = [pytest.mark.servers, pytest.mark.slow]
DAY = date(2026, 11, 7)  # a date of this test's own
DB = "bayres_zk_node_loss"
INCREMENTAL = {"sz_instruments": {"mode": "append", "check_column": "id"},
               "gz_instruments": {"mode": "lastmodified", "check_column": "GXSJ"}}


class KillLeaderOn(logging.Handler):
    """Fault injection (test only): on the first log line matching ``kill_on``, SIGKILL the
    ensemble's leader; on the first line matching ``restart_on``, start it again."""

    def __init__(self, kill_on: str, restart_on: str | None = None):
        super().__init__(logging.INFO)
        self.kill_on, self.restart_on = re.compile(kill_on), re.compile(restart_on) if restart_on else None
        self.killed: str | None = None
        self.restarted = False

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if self.killed is None and self.kill_on.search(text):
            self.killed = ensemble_cmd("leader")
            ensemble_cmd("kill", self.killed)
        elif self.killed and not self.restarted and self.restart_on and self.restart_on.search(text):
            ensemble_cmd("start", self.killed)
            self.restarted = True


@pytest.fixture(scope="module")
def zk_profile(local_profile, sample, spark, ensemble, tmp_path_factory):  # noqa: F811
    """The local profile with two incremental sources and its state and lock on the ensemble;
    lake, Hive database, serving store and reports of its own."""
    from bayres.jobs.run.config import load_profile

    hosts, _ = ensemble
    out = tmp_path_factory.mktemp("zk_node_loss")
    conf = out / "conf"
    shutil.copytree(ep.REPO / "conf", conf)
    for name, sql in INCREMENTAL.items():
        path = conf / "sources" / f"{name}.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["sql"].update(sql)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    root = f"/bayres-test/node-loss-{uuid.uuid4().hex[:10]}"
    overrides = {"BAYRES__LAKE__ROOT": str(out / "lake"), "BAYRES__SPARK__HIVE_DATABASE": DB,
                 "BAYRES__SERVING__PATH": str(out / "serving" / "bayres.duckdb"),
                 "BAYRES__QUALITY__ROOT": str(out / "quality"), "BAYRES__REPORTS__ROOT": str(out / "reports"),
                 "BAYRES__STATE__KIND": "zookeeper", "BAYRES__STATE__HOSTS": hosts,
                 "BAYRES__STATE__ROOT": root, "BAYRES__STATE__SESSION_TIMEOUT": "10"}
    profile = load_profile("local", conf_dir=conf, environ={**os.environ, **overrides})
    yield profile
    spark.sql(f"DROP DATABASE IF EXISTS {DB} CASCADE")
    with ZkCoordinator(hosts, root=root, timeout=10) as zk:
        zk.client.delete(root, recursive=True)


def table_top(profile, platform: str, sql: str):
    url = profile.get(f"sources.databases.{platform}")
    with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
        return con.execute(sql).fetchone()


def run_with_kills(profile, spark, handlers):
    from bayres.jobs.run.pipeline import run_pipeline

    package, kazoo = logging.getLogger("bayres"), logging.getLogger("kazoo.client")
    kazoo_level = kazoo.level
    kazoo.setLevel(logging.WARNING)  # its connection warnings (another test may have quietened it)
    for h in handlers:
        package.addHandler(h)
    try:
        return run_pipeline(profile, DAY, spark=spark)
    finally:
        for h in handlers:
            package.removeHandler(h)
        kazoo.setLevel(kazoo_level)


def test_pipeline_carries_on_when_zookeeper_nodes_die_mid_run(zk_profile, spark, ensemble):  # noqa: F811
    hosts, we_started = ensemble
    # 1. after gz/instruments moved its watermark, before sz/instruments; back once extraction is over
    during_extract = KillLeaderOn(r"extract \d+/\d+ gz/instruments:", restart_on=r"extract (done|failed) in")
    # 2. inside the publish lock: the golden table is loaded, the serving store not yet written
    during_publish = KillLeaderOn(rf"loaded {DB}\.golden_resource partition")
    try:
        rep = run_with_kills(zk_profile, spark, [during_extract, during_publish])
    finally:
        for handler in (during_extract, during_publish):  # leave the ensemble whole
            if handler.killed and not (handler is during_extract and handler.restarted):
                ensemble_cmd("start", handler.killed)
    assert during_extract.killed and during_extract.restarted and during_publish.killed

    # the run finished and published
    assert rep["status"] == "ok" and rep["balanced"], rep.get("failed_stages")
    assert rep["stages"]["publish"]["published"] is True
    assert rep["stages"]["publish"]["hive"]["rows"] == rep["stages"]["dedup"]["golden"] > 0

    # the kills landed mid-run: the run's own log shows the ZooKeeper client losing its server
    # while extracting and while publishing (lines of library loggers, with the run id)
    lines = [json.loads(line) for line in
             (zk_profile.path("reports.root") / rep["run_id"] / "run.log").read_text("utf-8").splitlines()]
    dropped = {line["stage"] for line in lines if line["logger"].startswith("kazoo")
               and re.search(r"(?i)connection dropped|connection time|lost", line["message"])}
    assert {"extract", "publish"} <= dropped, dropped
    assert {line["run_id"] for line in lines} == {rep["run_id"]}

    with ZkCoordinator(hosts, root=str(zk_profile.get("state.root")), timeout=10) as zk:
        # the publish lock is free
        assert zk.lock_status() == {}
        with zk.lock("publish", identifier="after-the-run", timeout=5):
            pass
        # the watermarks are intact: each written once, at the value its table gives
        store = ZkStateStore(zk)
        # every incremental source's: the two this test switches and those shipped incremental
        incremental = []
        for path in sorted((zk_profile.conf_dir / "sources").glob("*.yaml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            if (doc.get("sql") or {}).get("mode", "full") != "full":
                incremental.append(watermark_key(doc["platform"], doc["source"]))
        assert {watermark_key("gz", "instruments"), watermark_key("sz", "instruments")} <= set(incremental)
        assert store.keys("watermarks/") == sorted(incremental)
        sz, sz_version = store.get_versioned(watermark_key("sz", "instruments"))
        assert sz_version == 1
        assert (sz["value"], sz["run_id"], sz["run_date"]) == \
            (table_top(zk_profile, "sz", "SELECT MAX(id) FROM instrument")[0], rep["run_id"], DAY.isoformat())
        gz, gz_version = store.get_versioned(watermark_key("gz", "instruments"))
        assert gz_version == 1 and gz["run_id"] == rep["run_id"] and gz["mode"] == "lastmodified"
        assert str(gz["value"]) >= table_top(zk_profile, "gz", "SELECT MAX(GXSJ) FROM T_YQSB")[0][:10]
    # and both sources landed in full (first incremental run: every row)
    manifests = {f"{m['platform']}/{m['source']}": m for m in rep["stages"]["extract"]["manifests"]}
    assert manifests["sz/instruments"]["rows"] == table_top(zk_profile, "sz", "SELECT COUNT(*) FROM instrument")[0]
    assert manifests["gz/instruments"]["rows"] == table_top(zk_profile, "gz", "SELECT COUNT(*) FROM T_YQSB")[0]
    assert manifests["sz/instruments"]["watermark"]["run"] == "first"
    assert ensemble_cmd("leader") in {"1", "2", "3"}  # a quorum again
