"""ZkCoordinator against the real test ZooKeeper (``tests/servers/start.sh zookeeper``) and the
3-node ensemble (``tests/servers/start.sh zk-ensemble``, started here when not running)."""
from __future__ import annotations

import os
import queue
import signal
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


def test_lock_status_shows_waiters(connect):
    holder, waiter, observer = connect(identifier="h"), connect(), connect()
    with holder.lock("load"):
        t = threading.Thread(target=lambda: pytest.raises(
            LockTimeout, lambda: waiter.lock("load", identifier="w", timeout=2).__enter__()))
        t.start()
        assert wait_for(lambda: observer.lock_status().get("load") == ["h", "w"], 2)
        t.join(5)


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


def test_unreachable_zookeeper_fails_fast():
    with socket_closed_port() as port:
        started = time.monotonic()
        with pytest.raises(ZkUnavailable, match=f"127.0.0.1:{port}"):
            ZkCoordinator(f"127.0.0.1:{port}", connect_timeout=1).start()
        assert time.monotonic() - started < 3


class socket_closed_port:
    """A local port nothing listens on (bound, then released)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc):
        return False


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
            store = ZkStateStore(zk)
            for i in range(20):
                if i == 8:
                    ensemble_cmd("kill", leader)
                store.put(f"ensemble/k{i:02d}", {"i": i}, expected_version=0)
            zk.push_config("after-failover", {"ok": True})
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
