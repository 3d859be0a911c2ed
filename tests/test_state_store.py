"""The state store (watermarks, run state): LocalStateStore on disk, ZkStateStore on the real
test ZooKeeper (``tests/servers/start.sh zookeeper``)."""
from __future__ import annotations

import json
import threading
import uuid

import pytest

from bayres.connectors.state_store import (ABSENT, LocalStateStore, StateConflict, ZkStateStore,
                                           state_store_for, watermark_key)
from bayres.connectors.zookeeper import ZkCoordinator
from bayres.jobs.run.config import load_profile

try:
    from tests import server_endpoints as ep
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    import server_endpoints as ep


# --------------------------------------------------------------- the contract, both backends
def contract(store) -> None:
    key = watermark_key("gz", "instruments")
    assert store.get(key) is None and store.get_versioned(key) == (None, ABSENT)
    assert store.put(key, {"value": "2026-11-01T00:00:00", "run_id": "r1"}, expected_version=0) == 1
    assert store.get_versioned(key) == ({"value": "2026-11-01T00:00:00", "run_id": "r1"}, 1)
    with pytest.raises(StateConflict) as err:  # create-only on an existing key
        store.put(key, {"value": "x"}, expected_version=0)
    assert (err.value.expected, err.value.actual) == (0, 1)
    assert store.put(key, {"value": "2026-11-02T00:00:00"}, expected_version=1) == 2
    with pytest.raises(StateConflict):  # a stale version loses
        store.put(key, {"value": "stale"}, expected_version=1)
    assert store.get(key) == {"value": "2026-11-02T00:00:00"}
    assert store.put(key, {"value": "forced", "名": "香港科技大學"}) == 3  # unconditional
    assert store.get(key)["名"] == "香港科技大學"

    store.put("watermarks/sz/patents", {"value": 7})
    store.put("runs/gz/2026-11-01T00:00:00+00:00", {"state": "committed"})
    assert store.keys("watermarks/") == ["watermarks/gz/instruments", "watermarks/sz/patents"]
    assert store.keys() == ["runs/gz/2026-11-01T00:00:00+00:00", "watermarks/gz/instruments",
                            "watermarks/sz/patents"]
    assert store.keys("nothing") == []

    with pytest.raises(StateConflict):
        store.delete(key, expected_version=2)
    assert store.delete(key, expected_version=3) is True
    assert store.delete(key) is False and store.get_versioned(key) == (None, ABSENT)
    assert store.put(key, {"value": "again"}, expected_version=0) == 1

    for bad in ("", "/a", "a/", "a//b", "a/../b", "a b", "a%2Fb", "x" * 401):
        with pytest.raises(ValueError):
            store.put(bad, {})
    with pytest.raises(TypeError):
        store.put("ok", ["not", "a", "dict"])


def concurrent_increments(make_store, threads: int = 4, each: int = 10) -> int:
    """``threads`` writers each add ``each`` to one counter by read + compare-and-set."""
    def work():
        store = make_store()
        try:
            for _ in range(each):
                while True:
                    value, version = store.get_versioned("counter")
                    try:
                        store.put("counter", {"n": (value or {"n": 0})["n"] + 1}, expected_version=version)
                        break
                    except StateConflict:
                        continue
        finally:
            store.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    store = make_store()
    try:
        return store.get("counter")["n"]
    finally:
        store.close()


# --------------------------------------------------------------- local
def test_local_contract(tmp_path):
    contract(LocalStateStore(tmp_path / "state"))


def test_local_files_are_whole_json_documents(tmp_path):
    store = LocalStateStore(tmp_path)
    store.put("watermarks/hk/projects", {"value": 42})
    (path,) = [p for p in tmp_path.iterdir() if p.suffix == ".json"]
    assert path.name == "watermarks%2Fhk%2Fprojects.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["key"] == "watermarks/hk/projects" and doc["version"] == 1 and doc["value"] == {"value": 42}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]  # no temp file left


def test_local_compare_and_set_under_contention(tmp_path):
    assert concurrent_increments(lambda: LocalStateStore(tmp_path)) == 40


def test_state_store_for_local_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    with state_store_for(load_profile("local")) as store:
        assert isinstance(store, LocalStateStore) and store.root == tmp_path / "state"


# --------------------------------------------------------------- ZooKeeper
@pytest.fixture
def zk_root():
    ep.require("zookeeper")
    root = f"/bayres-test/state-{uuid.uuid4().hex[:10]}"
    yield root
    with ZkCoordinator(ep.ZK_HOSTS, root=root) as zk:
        zk.client.delete(root, recursive=True)


@pytest.mark.servers
def test_zk_contract(zk_root):
    with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as zk:
        contract(ZkStateStore(zk))
        assert zk.client.exists(f"{zk_root}/state/watermarks%2Fgz%2Finstruments")


@pytest.mark.servers
def test_zk_compare_and_set_between_clients(zk_root):
    """Four writers, each with its own session: no lost update."""
    def make():
        return ZkStateStore(ZkCoordinator(ep.ZK_HOSTS, root=zk_root).start(), owns_coordinator=True)

    assert concurrent_increments(make) == 40


@pytest.mark.servers
def test_zk_cas_conflict_between_two_clients(zk_root):
    with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as a, ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as b:
        sa, sb = ZkStateStore(a), ZkStateStore(b)
        key = watermark_key("mo", "projectos")
        sa.put(key, {"value": 1}, expected_version=0)
        _, seen_by_a = sa.get_versioned(key)
        _, seen_by_b = sb.get_versioned(key)
        assert sb.put(key, {"value": 2}, expected_version=seen_by_b) == 2  # b advances first
        with pytest.raises(StateConflict) as err:  # a's read is stale now
            sa.put(key, {"value": 3}, expected_version=seen_by_a)
        assert (err.value.expected, err.value.actual) == (1, 2)
        assert sa.get(key) == {"value": 2}


@pytest.mark.servers
def test_zk_watermark_survives_reconnects(zk_root):
    key = watermark_key("sz", "instruments")
    with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as first:
        assert ZkStateStore(first).put(key, {"value": "2026-11-01", "run_id": "run-1"}) == 1
    # a new session (another worker, or the same one after a restart) sees the committed watermark
    with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as second:
        store = ZkStateStore(second)
        assert store.get_versioned(key) == ({"value": "2026-11-01", "run_id": "run-1"}, 1)
        assert store.put(key, {"value": "2026-11-02", "run_id": "run-2"}, expected_version=1) == 2
    with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as third:
        assert ZkStateStore(third).get(key)["value"] == "2026-11-02"


@pytest.mark.servers
def test_state_store_for_zookeeper_profile(zk_root, monkeypatch):
    monkeypatch.setenv("BAYRES__STATE__HOSTS", ep.ZK_HOSTS)
    monkeypatch.setenv("BAYRES__STATE__ROOT", zk_root)
    profile = load_profile("cluster")
    with state_store_for(profile) as store:
        assert isinstance(store, ZkStateStore) and store.base == f"{zk_root}/state"
        store.put("k", {"v": 1})
        coordinator = store.coordinator
    assert not coordinator.connected  # the store owned its session and closed it


class _DropsReplyOnce:
    """A kazoo client whose first conditional write lands on the server but whose reply is
    lost (ConnectionLoss), as when the server dies right after committing."""

    def __init__(self, client):
        self._client, self.dropped = client, 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def set(self, path, value, version=-1):
        stat = self._client.set(path, value, version=version)
        if not self.dropped:
            from kazoo.exceptions import ConnectionLoss

            self.dropped += 1
            raise ConnectionLoss()
        return stat

    def create(self, path, value=b"", **kwargs):
        created = self._client.create(path, value, **kwargs)
        if not self.dropped:
            from kazoo.exceptions import ConnectionLoss

            self.dropped += 1
            raise ConnectionLoss()
        return created


@pytest.mark.servers
def test_zk_retried_write_that_landed_is_not_a_conflict(zk_root):
    with ZkCoordinator(ep.ZK_HOSTS, root=zk_root) as zk:
        store = ZkStateStore(zk)
        store.client = _DropsReplyOnce(zk.client)
        assert store.put("a", {"v": 1}, expected_version=0) == 1  # create landed, reply lost
        store.client.dropped = 0
        assert store.put("a", {"v": 2}, expected_version=1) == 2  # set landed, reply lost
        assert store.get_versioned("a") == ({"v": 2}, 2)
        # a real conflict is still one, retried or not
        store.client.dropped = 0
        ZkStateStore(zk).put("a", {"v": "other"})
        with pytest.raises(StateConflict):
            store.put("a", {"v": 3}, expected_version=2)
