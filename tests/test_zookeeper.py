"""ZkCoordinator against the real test ZooKeeper (``tests/servers/start.sh zookeeper``) and the
3-node ensemble (``tests/servers/start.sh zk-ensemble``, started here when not running)."""
from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest
from kazoo.client import KazooClient

from bayres.connectors.state_store import ZkStateStore
from bayres.connectors.zookeeper import (ConfigNotFound, LockLost, LockTimeout, ZkCoordinator,
                                         ZkUnavailable)

try:
    from tests import server_endpoints as ep
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    import server_endpoints as ep

pytestmark = pytest.mark.servers
SERVERS = ep.REPO / "tests" / "servers"


def wait_for(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


@pytest.fixture
def zk_root():
    ep.require("zookeeper")
    root = f"/bayres-test/zk-{uuid.uuid4().hex[:10]}"
    yield root
    with ZkCoordinator(ep.ZK_HOSTS, root=root) as zk:
        zk.client.delete(root, recursive=True)


@pytest.fixture
def connect(zk_root):
    """``connect(**kw)`` → a started coordinator on the test root; all closed at teardown."""
    opened = []

    def make(**kw):
        zk = ZkCoordinator(ep.ZK_HOSTS, root=zk_root, **kw).start()
        opened.append(zk)
        return zk

    yield make
    for zk in opened:
        zk.close()


# --------------------------------------------------------------- configuration
def test_config_push_get_and_versions(connect, zk_root):
    zk = connect()
    assert zk.push_config("linkage", {"threshold": 0.9, "区域": "香港"}) == 0
    assert zk.get_config("linkage") == ({"threshold": 0.9, "区域": "香港"}, 0)
    assert zk.push_config("linkage", {"threshold": 0.95}) == 1
    assert zk.push_config("linkage", {"threshold": 0.97}) == 2
    assert zk.get_config("linkage") == ({"threshold": 0.97}, 2)
    assert zk.client.exists(f"{zk_root}/config/linkage").version == 2
    assert connect().get_config("linkage")[0] == {"threshold": 0.97}  # another session sees it
    assert zk.config_names() == ["linkage"]
    with pytest.raises(ConfigNotFound):
        zk.get_config("nope")
    for bad in ("a/b", "", "../x", "with space"):
        with pytest.raises(ValueError):
            zk.push_config(bad, {})
    with pytest.raises(TypeError):
        zk.push_config("x", [1, 2])


def test_watch_sees_a_change_pushed_by_another_client(connect):
    worker, operator = connect(), connect()
    seen: queue.Queue = queue.Queue()
    worker.watch_config("quality", lambda data, version: seen.put((data, version)))
    assert seen.get(timeout=5) == (None, None)  # not there yet
    operator.push_config("quality", {"min_score": 0.8})
    assert seen.get(timeout=5) == ({"min_score": 0.8}, 0)
    operator.push_config("quality", {"min_score": 0.9})
    assert seen.get(timeout=5) == ({"min_score": 0.9}, 1)


# --------------------------------------------------------------- locks
def test_lock_mutual_exclusion_between_clients(connect):
    inside, overlaps, entries = [0], [], []
    guard = threading.Lock()

    def publisher(zk, tag):
        for i in range(6):
            with zk.lock("publish", identifier=f"{tag}-{i}", timeout=10):
                with guard:
                    inside[0] += 1
                    overlaps.append(inside[0])
                    entries.append(tag)
                time.sleep(0.01)
                with guard:
                    inside[0] -= 1

    a, b = connect(), connect()
    threads = [threading.Thread(target=publisher, args=(zk, tag)) for zk, tag in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(entries) == ["a"] * 6 + ["b"] * 6
    assert max(overlaps) == 1, "two clients were inside the lock at once"
    assert a.lock_status() == {}  # all released


def test_lock_timeout_names_the_holder(connect):
    holder, other = connect(identifier="loader@node-1"), connect()
    with holder.lock("publish") as held:
        assert held.identifier == "loader@node-1" and not held.lost
        started = time.monotonic()
        with pytest.raises(LockTimeout) as err:
            with other.lock("publish", identifier="loader@node-2", timeout=0.5):
                pass
        assert 0.4 < time.monotonic() - started < 3
        assert err.value.holder == "loader@node-1" and "loader@node-1" in str(err.value)
        assert other.lock_status() == {"publish": ["loader@node-1"]}
    with other.lock("publish", timeout=2):  # released on exit
        pass


CHILD = textwrap.dedent("""
    import sys, time
    from bayres.connectors.zookeeper import ZkCoordinator
    hosts, root = sys.argv[1], sys.argv[2]
    zk = ZkCoordinator(hosts, root=root, timeout=4, identifier="doomed-loader").start()
    zk.register_service("loader", {"host": "doomed"})
    with zk.lock("publish"):
        print("holding", flush=True)
        time.sleep(120)
""")


def test_lock_and_registry_of_a_killed_process_go_with_its_session(connect, zk_root):
    """SIGKILL a process holding the lock: once its 4 s session expires, the lock is free and
    its registry entry is gone."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, ep.ZK_HOSTS, zk_root],
                             stdout=subprocess.PIPE, text=True)
    try:
        line = queue.Queue()
        threading.Thread(target=lambda: line.put(child.stdout.readline()), daemon=True).start()
        assert line.get(timeout=20).strip() == "holding"
        zk = connect()
        assert zk.services() == {"loader": [{"host": "doomed", "_registered_by": "doomed-loader"}]}
        with pytest.raises(LockTimeout) as err:
            with zk.lock("publish", timeout=0.3):
                pass
        assert err.value.holder == "doomed-loader"

        os.kill(child.pid, signal.SIGKILL)
        child.wait(5)
        killed = time.monotonic()
        with zk.lock("publish", identifier="survivor", timeout=15):
            waited = time.monotonic() - killed
            assert zk.lock_status() == {"publish": ["survivor"]}
        assert 2 < waited < 12, f"lock freed after {waited:.1f} s (session timeout 4 s)"
        assert wait_for(lambda: zk.services() == {}, 5)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)


def test_lock_status_shows_waiters_and_the_lock_is_handed_over(connect):
    holder, waiter, observer = connect(identifier="h"), connect(), connect()
    outcome = []

    def wait_for_lock():
        try:
            with waiter.lock("load", identifier="w", timeout=5):
                outcome.append("acquired")
        except LockTimeout as exc:
            outcome.append(f"timeout, held by {exc.holder}")

    with holder.lock("load"):
        t = threading.Thread(target=wait_for_lock)
        t.start()
        assert wait_for(lambda: observer.lock_status().get("load") == ["h", "w"], 3)
    t.join(5)
    assert outcome == ["acquired"]


# --------------------------------------------------------------- service registry
def test_registry_entries_vanish_with_a_closed_session(connect):
    a, b, observer = connect(), connect(), connect()
    path = a.register_service("extractor", {"host": "w1", "platforms": ["gz", "sz"]})
    b.register_service("extractor", {"host": "w2"})
    b.register_service("api", {"url": "http://127.0.0.1:8080"})
    found = observer.services()
    assert [e["host"] for e in found["extractor"]] == ["w1", "w2"] and "api" in found
    assert a.client.exists(path).ephemeralOwner == a.session_id
    b.close()  # a clean close ends the session at once
    assert observer.services() == {"extractor": [{"host": "w1", "platforms": ["gz", "sz"],
                                                  "_registered_by": a.identifier}]}
    a.unregister_service(path)
    assert observer.services() == {}


def test_expired_session_reregisters_services_and_flags_held_locks(connect, zk_root):
    zk = connect(timeout=4)
    zk.register_service("loader", {"host": "w1"})
    with zk.lock("publish") as held:
        old_session = zk.session_id
        # expire zk's session from outside: another client attaches to it and closes it
        intruder = KazooClient(hosts=ep.ZK_HOSTS, client_id=zk.client.client_id)
        intruder.start(timeout=5)
        intruder.stop()
        intruder.close()
        assert wait_for(lambda: held.lost, 10), "the held lock was not flagged lost"
        with pytest.raises(LockLost):
            held.check()
    assert wait_for(lambda: zk.connected and zk.session_id != old_session, 10)
    observer = connect()
    assert wait_for(lambda: observer.services().get("loader") == [{"host": "w1", "_registered_by": zk.identifier}], 10)
    with observer.lock("publish", timeout=2):  # the lost lock does not linger
        pass


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_zookeeper_fails_fast():
    port = closed_port()
    started = time.monotonic()
    with pytest.raises(ZkUnavailable, match=f"127.0.0.1:{port}"):
        ZkCoordinator(f"127.0.0.1:{port}", connect_timeout=1).start()
    assert time.monotonic() - started < 3


# --------------------------------------------------------------- 3-node ensemble
@pytest.fixture(scope="module")
def ensemble():
    """The ensemble's hosts; started here (and stopped after) when it is not running."""
    started = False
    if not ep.reachable("zk_ensemble"):
        run = subprocess.run(["bash", str(SERVERS / "start.sh"), "zk-ensemble"],
                             capture_output=True, text=True, timeout=120)
        started = run.returncode == 0
        if not started:
            ep.require("zk_ensemble")  # skip (or fail under BAYRES_REQUIRE_SERVERS=1)
    yield ep.ZK_ENSEMBLE, started
    if started:
        subprocess.run(["bash", str(SERVERS / "zk-ensemble.sh"), "stop"], capture_output=True, timeout=60)


def ensemble_cmd(*args: str) -> str:
    return subprocess.run(["bash", str(SERVERS / "zk-ensemble.sh"), *args],
                          capture_output=True, text=True, timeout=60, check=True).stdout.strip()


def test_ensemble_writes_carry_on_when_the_leader_dies(ensemble):
    hosts, we_started = ensemble
    root = f"/bayres-test/ensemble-{uuid.uuid4().hex[:10]}"
    leader = ensemble_cmd("leader")
    try:
        with ZkCoordinator(hosts, root=root, timeout=10) as zk:
            states = []
            zk.client.add_listener(states.append)
            store = ZkStateStore(zk)
            for i in range(20):
                if i == 8:
                    ensemble_cmd("kill", leader)
                store.put(f"ensemble/k{i:02d}", {"i": i}, expected_version=0)
            zk.push_config("after-failover", {"ok": True})
            assert "SUSPENDED" in states, "the client never lost its connection: failover not exercised"
            assert "LOST" not in states  # the session survived the election
        with ZkCoordinator(hosts, root=root, timeout=10) as fresh:
            store = ZkStateStore(fresh)
            assert store.keys("ensemble/") == [f"ensemble/k{i:02d}" for i in range(20)]
            assert [store.get_versioned(f"ensemble/k{i:02d}") for i in range(20)] == \
                [({"i": i}, 1) for i in range(20)]
            assert fresh.get_config("after-failover") == ({"ok": True}, 0)
            new_leader = ensemble_cmd("leader")
            assert new_leader != leader
            fresh.client.delete(root, recursive=True)
    finally:
        if not we_started:  # leave a pre-existing ensemble as we found it
            ensemble_cmd("start", leader)


# --------------------------------------------------------------- CLI: bayres config / lock-status
@pytest.fixture
def cli(zk_root, monkeypatch):
    """``cli(*args)`` → click result of ``bayres --profile cluster …`` on the test ZooKeeper root."""
    from click.testing import CliRunner

    from bayres.jobs.run.cli import main
    from bayres.jobs.ops.cli_ops import register

    if "config" not in main.commands:  # until jobs/run/cli.py registers the operations commands
        register(main)
    monkeypatch.setenv("BAYRES__STATE__HOSTS", ep.ZK_HOSTS)
    monkeypatch.setenv("BAYRES__STATE__ROOT", zk_root)
    return lambda *args: CliRunner().invoke(main, ["--profile", "cluster", *args])


def test_cli_config_push_get(cli, tmp_path):
    doc = tmp_path / "linkage.yaml"
    doc.write_text("threshold: 0.9\nblocking: [name_key, region]\n名称: 香港科技大學\n", encoding="utf-8")
    pushed = cli("config", "push", "linkage", str(doc))
    assert pushed.exit_code == 0, pushed.output
    assert pushed.stdout.strip().endswith("/config/linkage version 0")
    (tmp_path / "v2.json").write_text('{"threshold": 0.95}', encoding="utf-8")
    assert cli("config", "push", "linkage", str(tmp_path / "v2.json")).stdout.strip().endswith("version 1")

    got = cli("config", "get", "linkage")
    assert got.exit_code == 0 and json.loads(got.stdout) == {"threshold": 0.95}
    assert got.stderr.strip() == "version 1"

    missing = cli("config", "get", "nope")
    assert missing.exit_code == 1 and "no configuration 'nope'" in missing.stderr
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    refused = cli("config", "push", "x", str(tmp_path / "list.yaml"))
    assert refused.exit_code == 1 and "mapping" in refused.stderr


def test_cli_zk_option_overrides_the_profile(cli, monkeypatch, zk_root):
    monkeypatch.setenv("BAYRES__STATE__HOSTS", f"127.0.0.1:{closed_port()}")
    with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as zk:
        zk.push_config("quality", {"min": 1})
    assert json.loads(cli("config", "--zk", ep.ZK_HOSTS, "get", "quality").stdout) == {"min": 1}


def test_cli_config_watch_prints_changes(cli, zk_root):
    stop = threading.Event()

    def operator():  # keeps changing the configuration until the watcher has seen enough
        with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as zk:
            n = 0
            while not stop.is_set():
                zk.push_config("quality", {"min_score": n})
                n += 1
                stop.wait(0.1)

    with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as zk:
        zk.push_config("quality", {"min_score": -1})
    pusher = threading.Thread(target=operator)
    pusher.start()
    try:
        result = cli("config", "watch", "quality", "--count", "2", "--timeout", "10")
    finally:
        stop.set()
        pusher.join(5)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3  # the current value, then two changes
    versions = [line["version"] for line in lines]
    assert versions == sorted(set(versions))
    assert all(set(line) == {"version", "data"} for line in lines)


def test_cli_config_watch_times_out(cli):
    result = cli("config", "watch", "never-pushed", "--count", "1", "--timeout", "0.5")
    assert result.exit_code == 1
    assert json.loads(result.stdout.splitlines()[0]) == {"version": None, "data": None}
    assert "saw 0 of 1 changes" in result.stderr


def test_cli_lock_status(cli, connect):
    assert cli("lock-status").stdout.strip() == "no lock is held"
    holder = connect(identifier="publisher@host-1")
    with holder.lock("publish"):
        result = cli("lock-status", "--json")
        assert json.loads(result.stdout) == {"publish": ["publisher@host-1"]}
        assert cli("lock-status").stdout.strip() == "publish: held by publisher@host-1"


def test_cli_without_zookeeper_is_a_clear_error(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from bayres.jobs.run.cli import main
    from bayres.jobs.ops.cli_ops import register

    if "config" not in main.commands:
        register(main)
    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["config", "get", "x"])  # local profile: no state.hosts
    assert result.exit_code == 1 and "--zk" in result.stderr
    monkeypatch.setenv("BAYRES__STATE__CONNECT_TIMEOUT", "1")
    started = time.monotonic()
    down = CliRunner().invoke(main, ["config", "--zk", f"127.0.0.1:{closed_port()}", "get", "x"])
    assert time.monotonic() - started < 3
    assert down.exit_code == 1 and "no ZooKeeper server reachable" in down.stderr
