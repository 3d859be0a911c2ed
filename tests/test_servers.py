"""Smoke tests of the real test servers started by ``tests/servers/start.sh``.

Each test skips when its server is not reachable, or fails if ``BAYRES_REQUIRE_SERVERS=1``
(``make test``). No Spark session is started here: HiveServer2 is exercised through PyHive.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

try:
    from tests import server_endpoints as ep
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    import server_endpoints as ep

pytestmark = pytest.mark.servers

HK_UST = "香港科技大學"
LIFT = "𨋢"  # U+282E2, outside the BMP: needs utf8mb4, not MySQL's 3-byte utf8


# --- MariaDB -----------------------------------------------------------------------------


@pytest.fixture
def mariadb_engine():
    ep.require("mariadb")
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine(ep.MARIADB_URL, pool_pre_ping=True)
    yield engine
    engine.dispose()


def test_mariadb_utf8mb4_round_trip(mariadb_engine):
    from sqlalchemy import text

    table = f"t_utf8mb4_{uuid.uuid4().hex[:8]}"
    with mariadb_engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL)"
                " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
            )
        )
    try:
        with mariadb_engine.begin() as conn:
            conn.execute(
                text(f"INSERT INTO {table} (id, name) VALUES (:id, :name)"),
                [{"id": 1, "name": HK_UST}, {"id": 2, "name": LIFT}, {"id": 3, "name": HK_UST + LIFT}],
            )
        with mariadb_engine.connect() as conn:
            rows = conn.execute(text(f"SELECT id, name, CHAR_LENGTH(name), LENGTH(name) FROM {table} ORDER BY id")).all()
            charset = conn.execute(text("SELECT @@character_set_server, @@collation_server")).one()
            found = conn.execute(text(f"SELECT id FROM {table} WHERE name = :n"), {"n": LIFT}).scalar_one()
        assert [tuple(r) for r in rows] == [
            (1, HK_UST, 6, 18),
            (2, LIFT, 1, 4),  # one character, four bytes
            (3, HK_UST + LIFT, 7, 22),
        ]
        assert tuple(charset) == ("utf8mb4", "utf8mb4_unicode_ci")
        assert found == 2
    finally:
        with mariadb_engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))


def test_mariadb_grants_for_benchmarks(mariadb_engine):
    """The bayres user may create bayres_* databases and write files (SELECT ... INTO OUTFILE)."""
    from sqlalchemy import text

    with mariadb_engine.connect() as conn:
        grants = "\n".join(r[0] for r in conn.execute(text("SHOW GRANTS")).all())
        secure_file_priv = conn.execute(text("SELECT @@secure_file_priv")).scalar_one()
    assert "FILE" in grants
    assert "`bayres\\_%`" in grants
    assert secure_file_priv, "secure_file_priv should name a directory, not be empty (= anywhere)"

    out = secure_file_priv.rstrip("/") + f"/outfile_{uuid.uuid4().hex[:8]}.tsv"
    with mariadb_engine.connect() as conn:
        conn.execute(text(f"SELECT 1, '{HK_UST}' INTO OUTFILE '{out}' CHARACTER SET utf8mb4"))
    try:  # the server may be elsewhere; when it is local the file is ours to check
        with open(out, encoding="utf-8") as f:
            assert f.read() == f"1\t{HK_UST}\n"
        os.remove(out)
    except FileNotFoundError:
        pass


# --- ZooKeeper ---------------------------------------------------------------------------


@pytest.fixture
def kazoo_client_factory():
    ep.require("zookeeper")
    kazoo_client = pytest.importorskip("kazoo.client")
    clients = []

    def make():
        c = kazoo_client.KazooClient(hosts=ep.ZK_HOSTS, timeout=10)
        c.start(timeout=15)
        clients.append(c)
        return c

    yield make
    for c in clients:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


def test_zookeeper_set_get_and_ephemeral(kazoo_client_factory):
    root = f"/bayres-test/{uuid.uuid4().hex[:8]}"
    watcher = kazoo_client_factory()
    writer = kazoo_client_factory()
    try:
        writer.ensure_path(root)
        value = f"{HK_UST} {LIFT}".encode()
        writer.create(f"{root}/data", value)
        assert watcher.get(f"{root}/data")[0] == value
        writer.set(f"{root}/data", b"v2")
        assert watcher.get(f"{root}/data")[0] == b"v2"

        writer.create(f"{root}/lock", b"", ephemeral=True)
        assert watcher.exists(f"{root}/lock") is not None
        writer.stop()  # closing the session deletes its ephemeral nodes
        writer.close()
        deadline = time.monotonic() + 15
        while watcher.exists(f"{root}/lock") is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert watcher.exists(f"{root}/lock") is None
        assert watcher.exists(f"{root}/data") is not None  # persistent node stays
    finally:
        watcher.delete(root, recursive=True)


# --- HiveServer2 (Spark Thrift server) ---------------------------------------------------


@pytest.fixture
def hive_cursor():
    ep.require("hiveserver2")
    hive = pytest.importorskip("pyhive.hive")
    conn = hive.connect(host=ep.HIVESERVER2_HOST, port=ep.HIVESERVER2_PORT, username="bayres")
    cur = conn.cursor()
    yield cur
    cur.close()
    conn.close()


def test_hiveserver2_select_1(hive_cursor):
    hive_cursor.execute("SELECT 1")
    assert hive_cursor.fetchall() == [(1,)]


def test_hiveserver2_show_databases(hive_cursor):
    hive_cursor.execute("SHOW DATABASES")
    databases = {row[0] for row in hive_cursor.fetchall()}
    assert "default" in databases
