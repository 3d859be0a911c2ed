"""Sqoop-style extraction from a real MariaDB (``tests/servers/start.sh mariadb zookeeper``):
full, append and lastmodified runs of a generated platform, parallel splits, the fast protocol
reader against the generic one, the commit protocol under crashes, and watermarks in ZooKeeper.

Each module run gets its own database ``bayres_ext_<random>``; tables are re-loaded from the
generated platform by the tests that change them. The few tests at the end use SQLite only.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from bayres.connectors import mysql_protocol
from bayres.connectors.lake import LocalLake
from bayres.connectors.sql_source import SqlReader
from bayres.connectors.state_store import LocalStateStore, StateConflict, ZkStateStore, watermark_key
from bayres.connectors.zookeeper import ZkCoordinator
from bayres.jobs.extract import stage as extract_mod
from bayres.jobs.extract import parts as extract_parts
from bayres.jobs.run.config import load_yaml
from bayres.jobs.extract.stage import extract_source
from bayres.jobs.extract.parts import raw_path
from bayres.jobs.extract.sql import sql_config
from bayres.jobs.generate import generate
from bayres.jobs.generate.sqlite_db import load_into_database

try:
    from tests import server_endpoints as ep
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    import server_endpoints as ep

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "conf" / "sources"
DAY1, DAY2, DAY3 = "2026-11-01", "2026-11-02", "2026-11-03"


# ------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def mariadb_url():
    """A fresh database for this module; dropped afterwards."""
    ep.require("mariadb")
    name = f"bayres_ext_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ep.MARIADB_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    url = sa.engine.make_url(ep.MARIADB_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
    admin.dispose()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The four platforms, small (a few hundred rows per table)."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, seed=11, scale=1500)
    return out


@pytest.fixture
def sz(mariadb_url, generated):
    """sz.instrument freshly loaded (integer id, updated_at DATETIME)."""
    load_into_database(generated, "sz", mariadb_url, tables=["instrument"])
    return mariadb_url


@pytest.fixture
def gz(mariadb_url, generated):
    """gz.T_YQSB freshly loaded (text key YQBH, YZ DECIMAL, GXSJ DATETIME)."""
    load_into_database(generated, "gz", mariadb_url, tables=["T_YQSB"])
    return mariadb_url


@pytest.fixture
def lake(tmp_path):
    return LocalLake(tmp_path / "lake")


@pytest.fixture
def state(tmp_path):
    return LocalStateStore(tmp_path / "state")


def source(name: str, **sql) -> dict:
    """A source configuration of conf/sources with its ``sql:`` block amended."""
    conf = load_yaml(SOURCES / f"{name}.yaml")
    conf["sql"] = {**conf["sql"], **sql}
    return conf


def run(src, url, lake, state=None, run_date=DAY1, run_id=None, batch_rows=100_000):
    return extract_source(src, feeds_root=None, database_urls={src["sql"]["database"]: url}, lake=lake,
                          run_date=run_date, run_id=run_id or f"run-{run_date}-{uuid.uuid4().hex[:6]}",
                          batch_rows=batch_rows, state=state)


def read_rows(lake, src, run_date) -> list[dict]:
    directory = lake.root / raw_path(src["platform"], src["source"], run_date)
    tables = [pq.read_table(p) for p in sorted(directory.glob("part-*.parquet"))]
    return pa.concat_tables(tables).to_pylist()


def without_location(rows):
    return [{k: v for k, v in r.items() if k != "_src_location"} for r in rows]


def key_of(src):
    return src["id_field"]


def execute(url, *statements, params=None):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for stmt in statements:
                conn.execute(sa.text(stmt), params or {})
    finally:
        engine.dispose()


def scalar(url, stmt):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(stmt)).scalar()
    finally:
        engine.dispose()


def table_as_text(url, table, order_by):
    """The table through the generic reader (PyMySQL values → to_text): the reference."""
    with SqlReader(url, table=table, order_by=order_by, fast=False) as reader:
        tables = list(reader.read())
    return without_location(pa.concat_tables(tables).to_pylist()) if tables else []


def insert_instruments(url, first_id, n, updated="NOW()"):
    execute(url, *[f"INSERT INTO instrument (id, instrument_name, model, original_value, updated_at) "
                   f"VALUES ({i}, '新增仪器{i}', 'M-{i}', '1,000.00', {updated})"
                   for i in range(first_id, first_id + n)])


def wait_for_next_second(url):
    """lastmodified windows end at the database clock's whole second (exclusive)."""
    start = scalar(url, "SELECT NOW()")
    while scalar(url, "SELECT NOW()") <= start:
        time.sleep(0.05)


# ------------------------------------------------------------------------------ full mode

@pytest.mark.servers
def test_full_extraction_of_a_generated_platform(gz, lake):
    src = source("gz_instruments")
    manifest = run(src, gz, lake)
    rows = read_rows(lake, src, DAY1)
    expected = table_as_text(gz, "T_YQSB", "YQBH")
    assert without_location(rows) == expected and len(rows) == scalar(gz, "SELECT COUNT(*) FROM T_YQSB") > 100
    assert [r["_src_location"] for r in rows[:2]] == ["table T_YQSB row 1", "table T_YQSB row 2"]
    assert manifest["sql_read"]["path"] == "fast" and manifest["watermark"] is None
    assert manifest["sql"] == {"database": "gz", "order_by": "YQBH", "table": "T_YQSB"}
    assert manifest["rows"] == len(rows) and manifest["columns"][-3:] == list(extract_parts.SRC_COLUMNS)
    # values as published: decimals keep their scale, datetimes are ISO
    first = rows[0]
    assert Decimal(first["YZ"]) >= 0 and "." in first["YZ"]
    assert "T" in first["GXSJ"] or len(first["GXSJ"]) == 10
    dt.datetime.fromisoformat(first["GXSJ"])


@pytest.mark.servers
def test_fast_reader_equals_generic_reader_on_awkward_values(mariadb_url):
    """Every value type the fast path takes, with the values that break naive readers."""
    execute(mariadb_url, "DROP TABLE IF EXISTS awkward", """
        CREATE TABLE awkward (
          id INT PRIMARY KEY, s VARCHAR(100), t MEDIUMTEXT, d DATE, ts DATETIME, ts3 DATETIME(3),
          ts6 DATETIME(6), tstamp TIMESTAMP NULL, dec2 DECIMAL(12,2), f FLOAT, dbl DOUBLE,
          big BIGINT UNSIGNED, tiny TINYINT(1), yr YEAR, e ENUM('开放','closed'), j JSON,
          z INT(5) ZEROFILL, zd DECIMAL(6,2) ZEROFILL
        ) DEFAULT CHARSET=utf8mb4""")
    long_text = "長" * 30_000 + "\n" + "x" * 200     # > 65,535 bytes: a 3-byte length
    mid_text = "中文,\"quoted\"\r\n" * 30              # 251 … 65,535 bytes: a 2-byte length
    rows = [
        (1, "", "", "2024-02-29", "2024-01-01 00:00:00", "2024-01-01 00:00:00.000",
         "2024-01-01 10:00:00.000000", "2024-06-01 12:00:00", "-0.50", 0.1, 1e20, 18446744073709551615,
         1, 2024, "开放", '{"a": [1, "香港"]}', 7, "1.50"),
        (2, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None),
        (3, "NULL", "a,b\tc\\d'e\"f", "0999-12-31", "2024-03-01 23:59:59", "2024-03-01 10:00:00.500",
         "2024-03-01 00:00:00.000001", "2024-03-01 00:00:00", "0.00", 3.4e38, 1.5e-7, 0, 0, 1999,
         "closed", "[]", 0, "0.00"),
        (4, "𨋢 emoji 😀", long_text, "2024-01-01", "2024-01-01 00:00:01", "2024-12-31 23:59:59.999",
         "2024-12-31 23:59:59.999999", None, "9999999999.99", -0.0, -2.5, 7, None, None, None, None, 12345,
         "0.50"),
        (5, "x" * 100, mid_text, "1000-01-01", "1000-01-01 00:00:00", None, None, None, "-1.00",
         123456.7, 0.30000000000000004, 1, 1, 2155, "开放", "null", 100, "9999.99"),
    ]
    engine = sa.create_engine(mariadb_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO awkward VALUES " + ",".join(["(" + ",".join(["%s"] * 18) + ")"] * len(rows)),
                             tuple(v for r in rows for v in r))
        # zero dates (allowed by a permissive sql_mode): PyMySQL keeps their text
        conn.exec_driver_sql("SET SESSION sql_mode = ''")
        conn.exec_driver_sql("INSERT INTO awkward (id, d, ts, ts3, yr) VALUES (6, '0000-00-00', "
                             "'0000-00-00 00:00:00', '2024-00-00 00:00:00.000', 0)")
    engine.dispose()
    with SqlReader(mariadb_url, table="awkward", order_by="id", fetch_size=2) as fast, \
            SqlReader(mariadb_url, table="awkward", order_by="id", fetch_size=2, fast=False) as generic:
        assert fast.fast and not generic.fast
        got, want = pa.concat_tables(fast.read()), pa.concat_tables(generic.read())
    assert got.to_pylist() == want.to_pylist()
    by_id = {r["id"]: r for r in got.to_pylist()}
    assert by_id["1"]["s"] == "" and by_id["2"]["s"] is None and by_id["3"]["s"] == "NULL"
    assert by_id["4"]["t"] == long_text and by_id["5"]["t"] == mid_text
    assert by_id["1"]["ts"] == "2024-01-01" and by_id["3"]["ts3"] == "2024-03-01T10:00:00.500000"
    assert by_id["6"]["ts"] == "0000-00-00 00:00:00"  # not a datetime to PyMySQL: kept as text
    assert by_id["1"]["dbl"] == "100000000000000000000" and by_id["3"]["dbl"] == "0.00000015"
    assert (by_id["1"]["z"], by_id["3"]["z"], by_id["4"]["zd"], by_id["6"]["yr"]) == ("7", "0", "0.50", "0")

    # a column type the fast path does not take sends the whole read down the generic path
    execute(mariadb_url, "DROP TABLE IF EXISTS with_time",
            "CREATE TABLE with_time (id INT PRIMARY KEY, dur TIME, name VARCHAR(10))",
            "INSERT INTO with_time VALUES (1, '-01:00:00', 'a'), (2, '838:59:59', NULL)")
    with SqlReader(mariadb_url, table="with_time", order_by="id") as reader:
        assert not reader.fast and "dur" in reader.fast_reason
        assert [r["dur"] for r in pa.concat_tables(reader.read()).to_pylist()] == \
            ["-1 day, 23:00:00", "34 days, 22:59:59"]


@pytest.mark.servers
def test_query_source_with_where(sz, lake):
    src = source("sz_instruments", table=None, query="SELECT id, instrument_name, updated_at FROM instrument",
                 where="id % 2 = 0")
    src["sql"].pop("table")
    manifest = run(src, sz, lake)
    rows = read_rows(lake, src, DAY1)
    assert rows and all(int(r["id"]) % 2 == 0 for r in rows)
    assert len(rows) == scalar(sz, "SELECT COUNT(*) FROM instrument WHERE id % 2 = 0")
    assert list(rows[0]) == ["id", "instrument_name", "updated_at", *extract_parts.SRC_COLUMNS]
    assert rows[0]["_src_location"] == "query row 1"
    assert manifest["sql"]["where"] == "id % 2 = 0" and "query" in manifest["sql"]


# ------------------------------------------------------------------------------ splits

@pytest.mark.servers
@pytest.mark.parametrize("split_by", ["id", "updated_at", "serial_number"])
def test_splits_give_the_same_rows_as_one_split(sz, tmp_path, split_by):
    """Integer, datetime (arithmetic ranges) and text (quantile) split columns."""
    one = source("sz_instruments")
    many = source("sz_instruments", split_by=split_by, splits=4, fetch_size=7)
    lake1, lake4 = LocalLake(tmp_path / "one"), LocalLake(tmp_path / "many")
    run(one, sz, lake1)
    manifest = run(many, sz, lake4, batch_rows=10)
    rows1, rows4 = read_rows(lake1, one, DAY1), read_rows(lake4, many, DAY1)
    ids4 = [r["id"] for r in rows4]
    assert len(ids4) == len(set(ids4)) == len(rows1)  # no duplicates, no gaps
    key = lambda r: int(r["id"])  # noqa: E731
    assert sorted(without_location(rows4), key=key) == without_location(rows1)
    described = manifest["sql_read"]["splits"]
    assert len(described) == 4 and sum(s["rows"] for s in described) == len(rows1)
    assert all(s["rows"] > 0 for s in described)
    assert rows4[0]["_src_location"] == "table instrument split 1 row 1"
    assert manifest["sql"]["split_by"] == split_by and manifest["sql"]["splits"] == 4


@pytest.mark.servers
def test_split_output_does_not_depend_on_thread_timing(sz, tmp_path, monkeypatch):
    src = source("sz_instruments", splits=3, fetch_size=5)
    first = run(src, sz, LocalLake(tmp_path / "a"), batch_rows=8)
    write = extract_parts._write
    rng = random.Random(3)

    def jittery(table, path):  # splits finish their parts in another order
        time.sleep(rng.random() * 0.02)
        write(table, path)

    monkeypatch.setattr(extract_parts, "_write", jittery)
    second = run(src, sz, LocalLake(tmp_path / "b"), batch_rows=8)
    assert first["sha256"] == second["sha256"] and first["parts"] == second["parts"]
    assert len(first["parts"]) > 3


# ------------------------------------------------------------------------------ incremental

@pytest.mark.servers
def test_append_mode_takes_exactly_the_new_rows(sz, lake, state):
    src = source("sz_instruments", mode="append", check_column="id", splits=2)
    total = scalar(sz, "SELECT COUNT(*) FROM instrument")
    top = scalar(sz, "SELECT MAX(id) FROM instrument")
    m1 = run(src, sz, lake, state, DAY1)
    assert m1["rows"] == total and m1["watermark"]["run"] == "first"
    assert (m1["watermark"]["low"], m1["watermark"]["high"]) == (None, top)
    wm = state.get(watermark_key("sz", "instruments"))
    assert wm["value"] == top and wm["run_date"] == DAY1 and wm["run_id"] == m1["run_id"]

    insert_instruments(sz, top + 1, 5)
    execute(sz, f"UPDATE instrument SET model = 'changed' WHERE id = {top}")  # append ignores updates
    m2 = run(src, sz, lake, state, DAY2)
    assert sorted(int(r["id"]) for r in read_rows(lake, src, DAY2)) == list(range(top + 1, top + 6))
    assert m2["watermark"]["window"] == f"({top}, {top + 5}]" and m2["watermark"]["run"] == "next"
    assert m2["watermark"]["previous"]["value"] == top

    # the same day again, after more rows arrived: the day's window widens; nothing doubles
    insert_instruments(sz, top + 6, 2)
    m2b = run(src, sz, lake, state, DAY2)
    assert m2b["watermark"]["run"] == "rerun" and m2b["watermark"]["low"] == top
    assert sorted(int(r["id"]) for r in read_rows(lake, src, DAY2)) == list(range(top + 1, top + 8))
    # and once more with nothing new: the same rows, the same bytes
    m2c = run(src, sz, lake, state, DAY2)
    assert m2c["sha256"] == m2b["sha256"]

    m3 = run(src, sz, lake, state, DAY3)  # nothing new
    assert m3["rows"] == 0 and read_rows(lake, src, DAY3) == []
    version = state.get_versioned(watermark_key("sz", "instruments"))[1]

    # an older day again: exactly its recorded window; the watermark stays
    m1b = run(src, sz, lake, state, DAY1)
    assert m1b["watermark"]["run"] == "closed" and m1b["rows"] == total
    assert state.get_versioned(watermark_key("sz", "instruments"))[1] == version
    assert state.get(watermark_key("sz", "instruments"))["run_date"] == DAY3
    # a day that never ran, older than the watermark: its rows went to the next day
    assert run(src, sz, lake, state, "2026-10-15")["watermark"]["run"] == "empty"

    # every row once across all days
    all_ids = [r["id"] for d in (DAY1, DAY2, DAY3) for r in read_rows(lake, src, d)]
    assert len(all_ids) == len(set(all_ids)) == total + 7


@pytest.mark.servers
def test_lastmodified_mode_takes_exactly_the_changed_rows(gz, lake, state):
    src = source("gz_instruments", mode="lastmodified", check_column="GXSJ")
    total = scalar(gz, "SELECT COUNT(*) FROM T_YQSB")
    m1 = run(src, gz, lake, state, DAY1)
    assert m1["rows"] == total and m1["watermark"]["nulls"] is True
    assert m1["sql"]["merge_key"] == "YQBH" and m1["watermark"]["merge_key"] == "YQBH"
    assert m1["watermark"]["low"] is None and m1["watermark"]["type"] == "datetime"

    changed = ["GZYQ00000003", "GZYQ00000010", "GZYQ00000020"]
    engine = sa.create_engine(gz)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE T_YQSB SET YZ = YZ + 1, GXSJ = NOW() WHERE YQBH IN :ids")
                     .bindparams(sa.bindparam("ids", expanding=True)), {"ids": changed})
        conn.exec_driver_sql("INSERT INTO T_YQSB (YQBH, YQMC, YZ, GXSJ) VALUES "
                             "('GZYQ99999998', '新仪器甲', 500000, NOW()), ('GZYQ99999999', '新仪器乙', NULL, NOW())")
    engine.dispose()
    wait_for_next_second(gz)
    m2 = run(src, gz, lake, state, DAY2)
    rows = read_rows(lake, src, DAY2)
    assert sorted(r["YQBH"] for r in rows) == sorted(changed + ["GZYQ99999998", "GZYQ99999999"])
    assert m2["watermark"]["low"] == m1["watermark"]["high"]  # windows meet: [low, high)
    assert (m2["watermark"]["low_inclusive"], m2["watermark"]["high_inclusive"]) == (True, False)
    current = {r["YQBH"]: r for r in table_as_text(gz, "T_YQSB", "YQBH")}
    assert without_location(rows) == [current[r["YQBH"]] for r in rows]  # the new versions

    wait_for_next_second(gz)
    assert run(src, gz, lake, state, DAY3)["rows"] == 0  # nothing changed since


@pytest.mark.servers
def test_killed_extraction_leaves_nothing_and_a_rerun_is_exact(sz, lake, state, tmp_path):
    """SIGKILL in the middle of writing parts: no run directory, the watermark unmoved; the
    re-run of the day has every new row exactly once."""
    src = source("sz_instruments", mode="append", check_column="id", splits=2, fetch_size=5)
    top = scalar(sz, "SELECT MAX(id) FROM instrument")
    run(src, sz, lake, state, DAY1)
    before = state.get_versioned(watermark_key("sz", "instruments"))
    insert_instruments(sz, top + 1, 60)

    script = textwrap.dedent(f"""
        import json, sys, time
        from bayres.connectors.lake import LocalLake
        from bayres.connectors.state_store import LocalStateStore
        from bayres.jobs.extract import stage as extract, parts as extract_parts
        write = extract_parts._write
        def slow_write(table, path):
            write(table, path)
            print("part", path.name, flush=True)
            time.sleep(0.3)
        extract_parts._write = slow_write
        extract.extract_source(json.loads(sys.argv[1]), feeds_root=None,
                               database_urls={{"sz": sys.argv[2]}}, lake=LocalLake(sys.argv[3]),
                               run_date="{DAY2}", run_id="doomed", batch_rows=5,
                               state=LocalStateStore(sys.argv[4]))
        print("finished", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script, json.dumps(src), sz, str(lake.root),
                             str(state.root)], stdout=subprocess.PIPE, text=True)
    written = 0
    try:
        for line in proc.stdout:
            assert not line.startswith("finished"), "the extraction finished before it was killed"
            written += line.startswith("part")
            if written >= 3:
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL and written >= 3
    final = lake.root / raw_path("sz", "instruments", DAY2)
    assert not final.exists()  # nothing published
    assert state.get_versioned(watermark_key("sz", "instruments")) == before  # not advanced

    assert [p.name for p in final.parent.iterdir() if ".tmp-" in p.name] == [f"{DAY2}.tmp-doomed"]
    manifest = run(src, sz, lake, state, DAY2, run_id="retry")
    assert sorted(p.name for p in final.parent.iterdir()) == [DAY1, DAY2]  # the leftover is gone
    ids = [int(r["id"]) for r in read_rows(lake, src, DAY2)]
    assert sorted(ids) == list(range(top + 1, top + 61)) and len(ids) == len(set(ids))
    assert manifest["watermark"]["low"] == top and manifest["watermark"]["run"] == "next"
    assert state.get(watermark_key("sz", "instruments"))["value"] == top + 60


@pytest.mark.servers
def test_failing_split_stops_the_others_and_publishes_nothing(sz, lake, state, monkeypatch):
    src = source("sz_instruments", mode="append", check_column="id", splits=3, fetch_size=3)
    top = scalar(sz, "SELECT MAX(id) FROM instrument")
    run(src, sz, lake, state, DAY1)
    before = state.get_versioned(watermark_key("sz", "instruments"))
    insert_instruments(sz, top + 1, 40)

    read = SqlReader.read
    batches = {"total": 0}
    lock = threading.Lock()

    def failing_read(self, predicates=(), **kw):
        failing = "split 2 " in kw.get("location_prefix", "")
        for n, table in enumerate(read(self, predicates, **kw), 1):
            with lock:
                batches["total"] += 1
            if failing and n == 2:
                raise ConnectionResetError("injected: the database went away after 2 batches")
            if not failing:
                time.sleep(0.05)  # the healthy splits are slower: they are still reading
            yield table

    monkeypatch.setattr(SqlReader, "read", failing_read)
    with pytest.raises(ConnectionResetError, match="injected"):
        run(src, sz, lake, state, DAY2)
    assert not (lake.root / raw_path("sz", "instruments", DAY2)).exists()
    assert sorted(os.listdir(lake.root / "raw" / "sz" / "instruments")) == [DAY1]  # no staging left
    assert state.get_versioned(watermark_key("sz", "instruments")) == before
    assert batches["total"] <= 2 + 2 * 3  # the healthy splits (5 batches each) stopped early

    monkeypatch.setattr(SqlReader, "read", read)
    run(src, sz, lake, state, DAY2)
    assert sorted(int(r["id"]) for r in read_rows(lake, src, DAY2)) == list(range(top + 1, top + 41))


@pytest.mark.servers
def test_published_but_unrecorded_run_is_adopted_by_the_next(sz, lake, state, monkeypatch):
    """Death between publishing and moving the watermark: the next day must not read the same
    rows again (the lake records what was committed)."""
    src = source("sz_instruments", mode="append", check_column="id")
    top = scalar(sz, "SELECT MAX(id) FROM instrument")
    run(src, sz, lake, state, DAY1)
    insert_instruments(sz, top + 1, 4)

    put = LocalStateStore.put

    def dies(self, key, value, expected_version=None):
        raise KeyboardInterrupt("killed after publishing")

    monkeypatch.setattr(LocalStateStore, "put", dies)
    with pytest.raises(KeyboardInterrupt):
        run(src, sz, lake, state, DAY2)
    monkeypatch.setattr(LocalStateStore, "put", put)
    assert (lake.root / raw_path("sz", "instruments", DAY2)).exists()
    assert state.get(watermark_key("sz", "instruments"))["value"] == top  # behind the lake

    insert_instruments(sz, top + 5, 3)
    m3 = run(src, sz, lake, state, DAY3)
    assert m3["watermark"]["low"] == top + 4 and m3["watermark"]["previous"]["run_date"] == DAY2
    assert sorted(int(r["id"]) for r in read_rows(lake, src, DAY3)) == [top + 5, top + 6, top + 7]
    all_ids = [r["id"] for d in (DAY1, DAY2, DAY3) for r in read_rows(lake, src, d)]
    assert len(all_ids) == len(set(all_ids))


@pytest.mark.servers
def test_overlapping_run_is_refused_before_publishing(sz, lake, state, monkeypatch):
    """Another run moved the watermark while this one read: this one must not publish."""
    src = source("sz_instruments", mode="append", check_column="id")
    top = scalar(sz, "SELECT MAX(id) FROM instrument")
    run(src, sz, lake, state, DAY1)
    insert_instruments(sz, top + 1, 2)
    publish = extract_mod._publish_parts
    key = watermark_key("sz", "instruments")

    def meanwhile(*args):
        doc, version = state.get_versioned(key)
        state.put(key, {**doc, "value": top + 2, "run_date": DAY2, "run_id": "the-other-run"},
                  expected_version=version)
        return publish(*args)

    monkeypatch.setattr(extract_mod, "_publish_parts", meanwhile)
    with pytest.raises(StateConflict):
        run(src, sz, lake, state, DAY2)
    assert not (lake.root / raw_path("sz", "instruments", DAY2)).exists()
    assert state.get(key)["run_id"] == "the-other-run"


@pytest.mark.servers
def test_watermark_in_zookeeper_survives_reconnects(sz, lake):
    ep.require("zookeeper")
    root = f"/bayres-test/extract-{uuid.uuid4().hex[:10]}"
    src = source("sz_instruments", mode="append", check_column="id")
    top = scalar(sz, "SELECT MAX(id) FROM instrument")
    key = watermark_key("sz", "instruments")
    try:
        with ZkCoordinator(ep.ZK_HOSTS, root=root) as zk:
            m1 = run(src, sz, lake, ZkStateStore(zk), DAY1)
            assert ZkStateStore(zk).get_versioned(key)[1] == 1
        insert_instruments(sz, top + 1, 3)
        # another session — a worker on another host, or this one restarted
        with ZkCoordinator(ep.ZK_HOSTS, root=root) as zk:
            store = ZkStateStore(zk)
            assert store.get(key)["value"] == top and store.get(key)["run_id"] == m1["run_id"]
            zk.client.stop()  # the connection drops…
            zk.client.start()  # …and comes back
            m2 = run(src, sz, lake, store, DAY2)
            assert m2["watermark"]["low"] == top and m2["rows"] == 3
        with ZkCoordinator(ep.ZK_HOSTS, root=root) as zk:
            doc, version = ZkStateStore(zk).get_versioned(key)
            assert version == 2 and doc["value"] == top + 3 and doc["run_id"] == m2["run_id"]
    finally:
        with ZkCoordinator(ep.ZK_HOSTS, root=root) as zk:
            zk.client.delete(root, recursive=True)


# ------------------------------------------------------------------------------ SQLite (no server)

@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'sz.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE instrument (id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT)")
        conn.exec_driver_sql("INSERT INTO instrument VALUES " + ",".join(
            f"({i}, '仪器{i}', '2025-01-{i:02d} 08:00:00')" for i in range(1, 21)))
    engine.dispose()
    return url


def sqlite_source(**sql):
    return {"platform": "sz", "source": "instruments", "format": "sql", "id_field": "id",
            "sql": {"database": "sz", "table": "instrument", **sql}}


def test_incremental_on_sqlite_with_splits(sqlite_url, lake, state):
    src = sqlite_source(mode="append", check_column="id", splits=3)
    assert run(src, sqlite_url, lake, state, DAY1)["rows"] == 20
    execute(sqlite_url, "INSERT INTO instrument VALUES (21, 'x', '2025-02-01 00:00:00'), "
                        "(22, 'y', '2025-02-01 00:00:00')")
    manifest = run(src, sqlite_url, lake, state, DAY2)
    assert [r["id"] for r in read_rows(lake, src, DAY2)] == ["21", "22"]
    assert manifest["sql_read"]["path"] == "generic"


def test_sql_config_is_checked(sqlite_url, lake, state):
    with pytest.raises(ValueError, match="unknown sql keys"):
        sql_config(sqlite_source(split_column="id"))
    with pytest.raises(ValueError, match="is not one of"):
        sql_config(sqlite_source(mode="incremental"))
    with pytest.raises(ValueError, match="needs sql.check_column"):
        sql_config(sqlite_source(mode="append"))
    with pytest.raises(ValueError, match="positive integer"):
        sql_config(sqlite_source(splits=0))
    with pytest.raises(ValueError, match="needs sql.split_by"):
        sql_config({**sqlite_source(splits=2), "id_field": None})
    with pytest.raises(ValueError, match="needs a state store"):
        run(sqlite_source(mode="append", check_column="id"), sqlite_url, lake, None)
    cfg = sql_config(sqlite_source(mode="lastmodified", check_column="updated_at", splits=2))
    assert (cfg.merge_key, cfg.split_by, cfg.fetch_size) == ("id", "id", 50_000)
    # a watermark kept for another mode is not silently reused
    run(sqlite_source(mode="append", check_column="id"), sqlite_url, lake, state, DAY1)
    with pytest.raises(ValueError, match="delete the watermark"):
        run(sqlite_source(mode="lastmodified", check_column="updated_at"), sqlite_url, lake, state, DAY2)


# ------------------------------------------------------------------------------ the packet reader

class _Trickle(io.RawIOBase):
    """A socket that delivers at most ``step`` bytes per read (and blocks — fails — past the end)."""

    def __init__(self, data: bytes, step: int):
        self.data, self.pos, self.step = data, 0, step

    def readable(self):
        return True

    def readinto(self, b):
        if self.pos >= len(self.data):
            raise AssertionError("read past the end of the result: the reader would block")
        n = min(len(b), self.step, len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


def _lcs(value):
    if value is None:
        return b"\xfb"
    n = len(value)
    if n < 251:
        head = bytes([n])
    elif n < 1 << 16:
        head = b"\xfc" + n.to_bytes(2, "little")
    elif n < 1 << 24:
        head = b"\xfd" + n.to_bytes(3, "little")
    else:
        head = b"\xfe" + n.to_bytes(8, "little")
    return head + value


def _packets(payloads, seq=0):
    out = bytearray()
    for payload in payloads:
        while True:  # a payload of 16 MiB or more goes out in pieces of 0xFFFFFF bytes
            piece, payload = payload[:0xFFFFFF], payload[0xFFFFFF:]
            out += len(piece).to_bytes(3, "little") + bytes([seq & 0xFF]) + piece
            seq += 1
            if len(piece) < 0xFFFFFF:
                break
    return bytes(out)


def _fake_result(stream: bytes, step: int):
    class Conn:
        _next_seq_id = 1
        encoding = "utf8"
        _rfile = io.BufferedReader(_Trickle(stream, step), buffer_size=64)

    class Result:
        unbuffered_active = True

    return Conn(), Result()


def _read_all(stream: bytes, step: int, max_rows: int, columns):
    conn, result = _fake_result(stream, step)
    reader = mysql_protocol.RowChunks(conn, result, len(columns), chunk_bytes=4096)
    arrays = [mysql_protocol.cut_fields(data, starts, ends, columns)
              for data, starts, ends in reader.chunks(max_rows)]
    assert not result.unbuffered_active
    return [list(row) for a in arrays for row in zip(*(x.to_pylist() for x in a))]


EOF_PACKET = b"\xfe\x00\x00\x22\x00"


@pytest.mark.parametrize("step", [1, 7, 1 << 20])
def test_row_packet_reader_edge_cases(step):
    """Rows of every length class — up to one above 16 MiB split over two packets — NULLs, empty
    strings, a buffer that arrives a byte at a time; the reader never reads past the EOF packet."""
    columns = [mysql_protocol.FastColumn("a", "text"), mysql_protocol.FastColumn("b", "text")]
    huge = "巨" * 6_000_000  # 18 MB: an 8-byte length and a payload over two packets
    rows = [["1", None], ["", "x" * 300], ["中文", "y" * 70_000], ["2", huge], [None, "end"]]
    if step < 1024:
        rows = rows[:3] + rows[4:]  # a few bytes at a time: without the 18 MB row, to be quick
    payloads = [b"".join(_lcs(None if v is None else v.encode()) for v in row) for row in rows]
    stream = _packets(payloads, seq=1)
    stream += _packets([EOF_PACKET], seq=1 + sum(1 + len(p) // 0xFFFFFF for p in payloads))
    for max_rows in (1, 2, 100):
        assert _read_all(stream, step, max_rows, columns) == rows


def test_row_packet_reader_raises_server_errors_and_bad_sequences():
    import pymysql

    columns = [mysql_protocol.FastColumn("a", "text")]
    error = b"\xff" + (1317).to_bytes(2, "little") + b"#70100Query execution was interrupted"
    stream = _packets([_lcs(b"1"), _lcs(b"2"), error], seq=1)
    with pytest.raises(pymysql.err.OperationalError, match="interrupted"):
        _read_all(stream, 1 << 20, 100, columns)
    stream = _packets([_lcs(b"1")], seq=1) + _packets([_lcs(b"2")], seq=5)
    with pytest.raises(pymysql.err.InternalError, match="sequence"):
        _read_all(stream + _packets([EOF_PACKET], seq=6), 1 << 20, 100, columns)


def test_append_from_an_empty_table_and_null_check_values(tmp_path, lake, state):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    execute(url, "CREATE TABLE instrument (id INTEGER PRIMARY KEY, seq INTEGER, name TEXT)")
    src = sqlite_source(mode="append", check_column="seq")
    m1 = run(src, url, lake, state, DAY1)
    assert m1["rows"] == 0 and m1["watermark"]["window"] == "NULL only"
    execute(url, "INSERT INTO instrument VALUES (1, NULL, 'no sequence'), (2, 10, 'a'), (3, 11, 'b')")
    m1b = run(src, url, lake, state, DAY1)  # the first day again: its NULLs, and now values up to 11
    assert sorted(r["id"] for r in read_rows(lake, src, DAY1)) == ["1", "2", "3"]
    assert m1b["watermark"]["window"] == "(-inf, 11] or NULL"
    execute(url, "INSERT INTO instrument VALUES (4, 12, 'c'), (5, NULL, 'never taken')")
    run(src, url, lake, state, DAY2)
    assert [r["id"] for r in read_rows(lake, src, DAY2)] == ["4"]
    # the first window again, now closed: its bounds are fixed; NULLs belong to it alone, so the
    # NULL row that arrived since is there (and in no other day)
    m1c = run(src, url, lake, state, DAY1)
    assert m1c["watermark"]["run"] == "closed" and m1c["watermark"]["high"] == 11
    assert sorted(r["id"] for r in read_rows(lake, src, DAY1)) == ["1", "2", "3", "5"]


def test_pipeline_extract_keeps_watermarks_in_the_profiles_state_store(sqlite_url, tmp_path):
    """``bayres run --stage extract`` opens the profile's state store for incremental sources."""
    from bayres.jobs.run.config import Profile
    from bayres.jobs.run.pipeline import run_extract
    from bayres.jobs.run.context import RunContext

    profile = Profile("local", {
        "lake": {"kind": "local", "root": str(tmp_path / "lake")},
        "state": {"kind": "local", "root": str(tmp_path / "state")},
        "sources": {"feeds_root": str(tmp_path / "drop"), "databases": {"sz": sqlite_url}},
        "reports": {"root": str(tmp_path / "reports")}})
    profile.__dict__["sources"] = [sqlite_source(mode="append", check_column="id")]  # cached_property
    first = RunContext(profile, dt.date.fromisoformat(DAY1))
    run_extract(first)
    assert [m["rows"] for m in first.stages["extract"]["manifests"]] == [20]
    store = LocalStateStore(tmp_path / "state")
    assert store.get(watermark_key("sz", "instruments"))["run_date"] == DAY1
    execute(sqlite_url, "INSERT INTO instrument VALUES (21, 'x', '2025-02-01 00:00:00')")
    second = RunContext(profile, dt.date.fromisoformat(DAY2))
    run_extract(second)
    assert [m["rows"] for m in second.stages["extract"]["manifests"]] == [1]
    assert store.get(watermark_key("sz", "instruments"))["run_date"] == DAY2
