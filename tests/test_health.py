"""``bayres health``: which checks a profile calls for, verdicts and latency, bounded time,
the CLI's table / JSON / exit code; real ZooKeeper, MariaDB and HiveServer2 report up."""
from __future__ import annotations

import os
import re

import json
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from bayres.jobs.ops import health
from bayres.jobs.run.cli import main
from bayres.jobs.ops.cli_ops import register
from bayres.jobs.run.config import load_profile

try:
    from tests import server_endpoints as ep
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    import server_endpoints as ep

if "health" not in main.commands:  # until jobs/run/cli.py registers the operations commands
    register(main)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_env(**extra: str) -> dict[str, str]:
    """Environment overrides pointing every endpoint of the cluster profile at closed ports."""
    c = closed_port
    env = {
        "BAYRES__LAKE__URL": f"http://127.0.0.1:{c()}",
        "BAYRES__STATE__HOSTS": f"127.0.0.1:{c()},127.0.0.1:{c()}",
        "BAYRES__SERVING__THRIFT_HOST": "127.0.0.1",
        "BAYRES__SERVING__THRIFT_PORT": str(c()),
        "BAYRES__SERVING__PHOENIX_URL": f"http://127.0.0.1:{c()}/",
        "BAYRES__SPARK__METASTORE_URI": f"thrift://127.0.0.1:{c()}",
        "BAYRES__HIVE__HOST": "127.0.0.1",
        "BAYRES__HIVE__PORT": str(c()),
        "BAYRES__AIRFLOW__API_URL": f"http://127.0.0.1:{c()}",
        "BAYRES_DB_HOST": "127.0.0.1",
    }
    env.update(extra)
    return env


@pytest.fixture
def closed_cluster(monkeypatch, tmp_path):
    """The cluster profile with every endpoint on a closed local port (MariaDB URLs too)."""
    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    port = closed_port()
    for key, value in cluster_env().items():
        monkeypatch.setenv(key, value)
    profile = load_profile("cluster")
    profile.settings["sources"]["databases"] = {
        p: f"mysql+pymysql://bayres:secret@127.0.0.1:{port}/bayres_{p}" for p in ("gz", "hk")}
    profile.settings["sources"]["feeds_root"] = str(tmp_path / "feeds")
    return profile


@contextmanager
def http_server(routes: dict[str, tuple[int, dict]]):
    """A tiny local HTTP server answering GET paths (query string ignored) with JSON."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = routes.get(self.path.split("?")[0], (404, {"error": "no route"}))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------- which checks
def test_probes_follow_the_profile(monkeypatch, tmp_path):
    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    for var in [v for v in os.environ if v.startswith("BAYRES__")  # the plain profile, on the
                or re.fullmatch(r"BAYRES_\w+_PORT", v)]:                # default ports
        monkeypatch.delenv(var)
    local = [p.name for p in health.probes_for(load_profile("local"))]
    assert local == ["java", "lake", "state", "source gz", "source hk", "source mo", "source sz",
                     "feeds", "serving", "metastore"]
    monkeypatch.setenv("BAYRES_ZK_HOSTS", "zk1:2181,zk2:2181,zk3:2181/bayres")
    cluster = health.probes_for(load_profile("cluster"))
    names = [p.name for p in cluster]
    assert names == (["java", "hdfs", "zookeeper", "zookeeper", "zookeeper", "source gz", "source hk",
                     "source mo", "source sz", "feeds", "hbase-thrift", "phoenix", "hive-metastore",
                     "hiveserver2", "airflow"])
    assert [p.target for p in cluster if p.name == "zookeeper"] == ["zk1:2181", "zk2:2181", "zk3:2181"]
    assert next(p.target for p in cluster if p.name == "hiveserver2") == "hiveserver2:10000"
    assert all("***" in p.target or ":@" in p.target for p in cluster if p.name.startswith("source"))
    monkeypatch.setenv("BAYRES__AIRFLOW__API_URL", "http://airflow:8080")
    assert health.probes_for(load_profile("cluster"))[-1].name == "airflow"


# --------------------------------------------------------------- everything down, quickly
def test_closed_ports_are_all_down_quickly_with_a_reason(closed_cluster):
    started = time.monotonic()
    checks = health.check_endpoints(closed_cluster, timeout=3)
    elapsed = time.monotonic() - started
    remote = [c for c in checks if c.name != "java"]
    assert {c.name for c in remote} == {"hdfs", "zookeeper", "source gz", "source hk", "feeds",
                                        "hbase-thrift", "phoenix", "hive-metastore", "hiveserver2",
                                        "airflow"}
    assert all(c.status == "down" and c.detail for c in remote), [c for c in remote if c.up]
    refused = [c for c in remote if c.name != "feeds"]
    assert all("refused" in c.detail.lower() or "connect" in c.detail.lower() for c in refused), refused
    assert "secret" not in json.dumps([c.to_dict() for c in checks])  # passwords masked
    assert elapsed < 3.5, f"health took {elapsed:.1f} s"


def test_a_hanging_endpoint_is_cut_off_at_the_timeout():
    listener = socket.socket()  # accepts TCP connections (backlog) but never answers
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    blocked = threading.Event()
    try:
        port = listener.getsockname()[1]
        probes = [health.Probe("zookeeper", f"127.0.0.1:{port}",
                               lambda t: health._zk_srvr("127.0.0.1", port, t)),
                  health.Probe("stuck", "nowhere", lambda t: blocked.wait(60) and "never"),
                  health.Probe("fine", "here", lambda t: "ok")]
        started = time.monotonic()
        checks = health.run_probes(probes, timeout=0.5)
        assert time.monotonic() - started < 1.5
        zk, stuck, fine = checks
        assert zk.status == "down" and "timed out" in zk.detail
        assert stuck.status == "down" and stuck.detail == "no answer within 0.5 s"
        assert fine.status == "up" and fine.detail == "ok"
    finally:
        blocked.set()
        listener.close()


def test_cli_health_exit_code_and_json_shape(closed_cluster, monkeypatch):
    # the same overrides through the CLI's own profile loading
    result = CliRunner().invoke(main, ["--profile", "cluster", "health", "--json", "--timeout", "2"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"profile", "ok", "checked_at", "checks"}
    assert doc["profile"] == "cluster" and doc["ok"] is False
    for check in doc["checks"]:
        assert set(check) == {"name", "target", "status", "latency_ms", "detail"}
        assert check["status"] in ("up", "down") and isinstance(check["latency_ms"], float)
    assert {c["name"] for c in doc["checks"] if c["status"] == "down"} >= {"hdfs", "zookeeper", "airflow"}

    table = CliRunner().invoke(main, ["--profile", "cluster", "health", "--timeout", "2"])
    assert table.exit_code == 1
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["CHECK", "STATUS", "LATENCY", "TARGET"]
    assert any(line.startswith("zookeeper") and " DOWN " in line for line in lines)
    assert lines[-1].endswith("down")


# --------------------------------------------------------------- local profile
def test_local_profile_before_and_after_generate(monkeypatch, tmp_path):
    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    for var in [v for v in os.environ if v.startswith("BAYRES__")]:  # the plain profile
        monkeypatch.delenv(var)
    profile = load_profile("local")
    before = {c.name: c for c in health.check_endpoints(profile)}
    assert before["lake"].up and "not created yet" in before["lake"].detail
    assert before["serving"].up and "not created yet" in before["serving"].detail
    assert not before["source gz"].up and "missing" in before["source gz"].detail
    assert not before["feeds"].up
    assert not (tmp_path / "sources").exists()  # a check never creates a source database

    for p in ("gz", "sz", "hk", "mo"):
        (tmp_path / "sources" / p).mkdir(parents=True)
        with sqlite3.connect(tmp_path / "sources" / p / f"{p}_platform.sqlite") as con:
            con.execute("CREATE TABLE t (id INTEGER)")
    import duckdb

    (tmp_path / "serving").mkdir()
    duckdb.connect(str(tmp_path / "serving" / "bayres.duckdb")).close()
    result = CliRunner().invoke(main, ["health"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "10 up, 0 down"
    assert "1 tables" in result.stdout


def test_a_locked_embedded_metastore_is_down_and_names_its_holder(monkeypatch, tmp_path):
    """Derby holds an fcntl lock on metastore_db/dbex.lck while a process has the database open
    (the Hive server of make hive-server, or a run): the check reads /proc/locks, never locks."""
    import fcntl
    import multiprocessing

    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    for var in [v for v in os.environ if v.startswith("BAYRES__")]:
        monkeypatch.delenv(var)
    profile = load_profile("local")
    probe = next(p for p in health.probes_for(profile) if p.name == "metastore")
    assert "not created yet" in probe.fn(1.0)
    db = tmp_path / "metastore" / "metastore_db"
    db.mkdir(parents=True)
    (db / "dbex.lck").write_text("")
    assert probe.fn(1.0) == "not locked"

    ctx = multiprocessing.get_context("fork")
    locked, release = ctx.Event(), ctx.Event()

    def hold():  # another process, as the Hive server's JVM is (FileChannel.tryLock = fcntl)
        with open(db / "dbex.lck", "r+") as f:
            fcntl.lockf(f, fcntl.LOCK_EX)
            locked.set()
            release.wait(30)

    holder = ctx.Process(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        check = {c.name: c for c in health.check_endpoints(profile)}["metastore"]
        assert not check.up
        assert f"pid {holder.pid}" in check.detail and "one process at a time" in check.detail
    finally:
        release.set()
        holder.join(10)
    assert probe.fn(1.0) == "not locked"


# --------------------------------------------------------------- HTTP answers
def test_airflow_and_webhdfs_answers(monkeypatch, tmp_path):
    healthy = {"metadatabase": {"status": "healthy"},
               "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-11-01T00:00:00"},
               "triggerer": {"status": None}}
    routes = {"/api/v2/monitor/health": (200, healthy),
              "/webhdfs/v1/": (200, {"FileStatus": {"type": "DIRECTORY", "owner": "hdfs"}})}
    with http_server(routes) as url:
        assert health._airflow(url, 2) == "metadatabase healthy, scheduler healthy, triggerer healthy"
        assert health._webhdfs(url, "bayres", 2) == "/ is a directory, owner hdfs"
        routes["/api/v2/monitor/health"] = (200, {**healthy, "scheduler": {"status": "unhealthy"}})
        checks = health.run_probes([health.Probe("airflow", url, lambda t: health._airflow(url, t))], 2)
        assert checks[0].status == "down" and checks[0].detail == "unhealthy: scheduler=unhealthy"
        routes["/api/v2/monitor/health"] = (503, {})
        with pytest.raises(health.Down, match="HTTP 503"):
            health._airflow(url, 2)


# --------------------------------------------------------------- real servers up
@pytest.mark.servers
def test_real_zookeeper_and_mariadb_report_up(closed_cluster):
    ep.require("zookeeper")
    ep.require("mariadb")
    closed_cluster.settings["state"]["hosts"] = ep.ZK_HOSTS
    closed_cluster.settings["sources"]["databases"] = {"test": ep.MARIADB_URL}
    checks = {c.name: c for c in health.check_endpoints(closed_cluster, timeout=3)}
    assert checks["zookeeper"].up and checks["zookeeper"].detail.startswith("standalone, ZooKeeper 3.")
    assert checks["source test"].up and "SELECT 1 ok" in checks["source test"].detail
    assert "bayres:***@" in checks["source test"].target
    assert not checks["hdfs"].up  # the rest is still closed


@pytest.mark.servers
def test_real_hiveserver2_reports_up(closed_cluster):
    ep.require("hiveserver2")
    closed_cluster.settings["hive"] = {"host": ep.HIVESERVER2_HOST, "port": ep.HIVESERVER2_PORT}
    (check,) = [c for c in health.check_endpoints(closed_cluster, timeout=10) if c.name == "hiveserver2"]
    assert check.up, check.detail


@pytest.mark.cluster
def test_real_hbase_thrift_reports_up(closed_cluster):
    """The health check against the stack's HBase Thrift server (tests/servers/start.sh stack)."""
    import happybase

    ep.require("hbase_thrift")
    host, _, port = ep.HBASE_THRIFT.rpartition(":")
    closed_cluster.settings["serving"]["thrift_host"] = host
    closed_cluster.settings["serving"]["thrift_port"] = int(port)
    (check,) = [c for c in health.check_endpoints(closed_cluster, timeout=10) if c.name == "hbase-thrift"]
    connection = happybase.Connection(host, int(port))
    tables = connection.tables()
    connection.close()
    assert check.up, check
    assert check.detail == f"{len(tables)} tables" and tables  # the stack's probe table at least
