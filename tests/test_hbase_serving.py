"""The HBase serving writer against the real HBase Thrift1 server and Phoenix Query Server of
the stack (``tests/servers/start.sh stack``): exact cell bytes, row-key layouts, idempotency;
and against the Thrift1 test double only for faults a real server cannot be made to show on
demand (transport errors, lost acknowledgements, dropped connections, call counts).

Expected bytes are written out here by hand from Phoenix's documented encodings — not computed
with ``derive_hbase`` — so these tests check the encoders too.

The write/read tests (``-m cluster``) use the stack's Thrift1 gateway (buffered transport, binary
protocol; another one with ``BAYRES_TEST_HBASE_THRIFT=host:port``) in tables named
``PYTEST_<random>_BAYRES_*``, dropped afterwards; the Phoenix views are created over them and
read through phoenixdb at the stack's Query Server (or ``BAYRES_TEST_PHOENIX_URL``).
"""
from __future__ import annotations

import os
import re
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import happybase
import pytest

from bayres.connectors.hbase_store import (HBaseWriteError, HBaseWriter, _put_partition,
                                           ensure_tables)
from bayres.schemas.derive_hbase import (SERVING_TABLES, SERVING_TABLES_BY_NAME, qualifier,
                                         recency, salt_bucket)
from tests.hbase_thrift_double import HBaseThriftDouble, hbase_thrift_double  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- golden-like sample
HRTEM = {  # an instrument with every kind of value: CJK text, dates, doubles, a long, nulls
    "cstr_id": "CSTR:ABCDE.02.000123", "resource_type": "02", "region": "HK",
    "name": "高分辨率透射電子顯微鏡", "name_lang": "zh-Hant", "name_en": "HR-TEM",
    "description": "", "keywords": None, "owner_org": "香港科技大學",
    "created_date": date(2019, 3, 1), "updated_date": "2024-06-30",
    "inst_original_value": 12_500_000.0, "inst_currency": "HKD", "inst_value_cny": 11_562_500.5,
    "member_count": 3, "source_platforms": "HK,GZ", "run_date": "2024-07-01",
}
HRTEM_CELLS = {
    b"c:RESOURCE_TYPE": b"02",
    b"c:NAME": "高分辨率透射電子顯微鏡".encode("utf-8"),
    b"c:NAME_LANG": b"zh-Hant",
    b"c:NAME_EN": b"HR-TEM",
    b"c:OWNER_ORG": "香港科技大學".encode("utf-8"),
    b"c:CREATED_DATE": b"2019-03-01",
    b"c:UPDATED_DATE": b"2024-06-30",
    b"c:REGION": b"HK",
    b"t:INST_ORIGINAL_VALUE": bytes.fromhex("4167d78400000000"),  # Bytes.toBytes(12500000.0)
    b"t:INST_CURRENCY": b"HKD",
    b"t:INST_VALUE_CNY": bytes.fromhex("41660dc090000000"),      # Bytes.toBytes(11562500.5)
    b"l:MEMBER_COUNT": b"\x00\x00\x00\x00\x00\x00\x00\x03",      # Bytes.toBytes(3L)
    b"l:SOURCE_PLATFORMS": b"HK,GZ",
    b"l:RUN_DATE": b"2024-07-01",
}  # no DESCRIPTION (''), no KEYWORDS (None), no CSTR_ID (it is the row key)


def _golden(cstr_id, rtype, region, name, updated=None, **more):
    return {"cstr_id": cstr_id, "resource_type": rtype, "region": region, "name": name,
            "updated_date": updated, "member_count": 1, "run_date": "2024-07-01", **more}


GOLDEN = [
    HRTEM,
    _golden("CSTR:ABCDE.02.000128", "02", "HK", "X射线衍射仪", "2024-07-15"),   # bucket 1, newer
    _golden("CSTR:ABCDE.02.000124", "02", "HK", "核磁共振波谱仪", "2023-12-31"),  # bucket 2
    _golden("CSTR:ABCDE.02.000200", "02", "SZ", "冷冻电镜", "2024-06-30"),        # bucket 0
    _golden("CSTR:ABCDE.02.000127", "02", "GZ", "质谱仪", "2024-01-02"),          # bucket 0
    _golden("CSTR:ABCDE.03.000001", "03", "HK", "香港科技大學", "2024-03-01",      # bucket 6
            org_name_en="The Hong Kong University of Science and Technology"),
    # a region code that extends "HK": not in the vocabulary, but the key layout must not
    # depend on code lengths — a scan for HK must not return it
    _golden("CSTR:ABCDE.02.000300", "02", "HKX", "流式细胞仪"),                  # no updated_date
]
LINEAGE = [
    {"cstr_id": "CSTR:ABCDE.02.000123", "record_id": "hk:instruments:42", "src_platform": "HK",
     "src_source": "instruments", "src_record_id": "42", "name": "高分辨率透射電子顯微鏡",
     "match_rule": "official_no", "is_survivor": True, "run_date": "2024-07-01"},
    {"cstr_id": "CSTR:ABCDE.02.000123", "record_id": "gz:yqsb:7", "src_platform": "GZ",
     "src_source": "yqsb", "src_record_id": "7", "name": "高分辨率透射电子显微镜",
     "match_rule": "official_no", "is_survivor": False, "run_date": "2024-07-01"},
]


def serving_rows() -> dict[str, list[dict]]:
    """Rows per serving table, as jobs/publish/load.serving_frames shapes them."""
    return {
        "BAYRES_RESOURCE": GOLDEN,
        "BAYRES_RESOURCE_BY_TYPE_REGION": GOLDEN,
        "BAYRES_RESOURCE_RECENT": [g for g in GOLDEN if g["updated_date"]],
        "BAYRES_LINEAGE": LINEAGE,
    }


# ---------------------------------------------------------------- endpoints: the stack (double for faults)
@dataclass
class Endpoint:
    host: str
    port: int
    prefix: str | None = None  # happybase table_prefix: tables <prefix>_<TABLE>

    def connection(self) -> happybase.Connection:
        return happybase.Connection(self.host, self.port, table_prefix=self.prefix, timeout=60_000)

    def writer(self, **options) -> HBaseWriter:
        return HBaseWriter(self.host, self.port, table_prefix=self.prefix, **options)

    def hbase_name(self, table: str) -> str:
        return f"{self.prefix}_{table}" if self.prefix else table


def _env_endpoint(name: str) -> str:
    """The stack's endpoint (tests/server_endpoints.py); skipped, or failed under
    BAYRES_REQUIRE_SERVERS=1, when it does not answer."""
    from tests import server_endpoints

    server, value = {"BAYRES_TEST_HBASE_THRIFT": ("hbase_thrift", server_endpoints.HBASE_THRIFT),
                     "BAYRES_TEST_PHOENIX_URL": ("phoenix", server_endpoints.PHOENIX_URL)}[name]
    server_endpoints.require(server)
    return value


def _cluster_endpoint() -> Endpoint:
    host, _, port = _env_endpoint("BAYRES_TEST_HBASE_THRIFT").rpartition(":")
    return Endpoint(host, int(port), prefix="PYTEST_" + uuid.uuid4().hex[:8].upper())


def _drop_tables(endpoint: Endpoint) -> None:
    connection = endpoint.connection()
    try:
        for name in connection.tables():
            connection.delete_table(name, disable=True)
    finally:
        connection.close()


@pytest.fixture(params=[pytest.param("cluster", marks=pytest.mark.cluster)])
def hbase(request):
    """The stack's HBase Thrift endpoint with the serving tables, in tables of this test's own."""
    endpoint = _cluster_endpoint()
    connection = endpoint.connection()
    try:
        ensure_tables(connection)
        yield endpoint
    finally:
        connection.close()
        _drop_tables(endpoint)


@pytest.fixture
def double_endpoint(hbase_thrift_double):
    """The double with the serving tables (for tests that inject faults or count calls)."""
    connection = happybase.Connection(hbase_thrift_double.host, hbase_thrift_double.port)
    ensure_tables(connection)
    connection.close()
    return Endpoint(hbase_thrift_double.host, hbase_thrift_double.port)


@pytest.fixture
def loaded(hbase):
    """``hbase`` with every serving table written from the sample; yields (endpoint, connection)."""
    with hbase.writer() as writer:
        for table, rows in serving_rows().items():
            assert writer.put_rows(table, rows) == len(rows)
    connection = hbase.connection()
    yield hbase, connection
    connection.close()


def _recent_key(cstr_id: str, updated: str) -> bytes:
    bucket = zlib.crc32(cstr_id.encode()) % 8
    recency = 99999999 - int(updated.replace("-", ""))
    return f"{bucket}\x00{recency:08d}\x00{cstr_id}".encode()


# ---------------------------------------------------------------- bytes and row keys
def test_resource_row_has_exactly_the_phoenix_bytes(loaded):
    _, connection = loaded
    table = connection.table("BAYRES_RESOURCE")
    assert table.row(b"CSTR:ABCDE.02.000123") == HRTEM_CELLS
    assert table.row(b"CSTR:ABCDE.03.000001")[b"t:ORG_NAME_EN"] == \
        b"The Hong Kong University of Science and Technology"
    assert [k for k, _ in table.scan()] == sorted(g["cstr_id"].encode() for g in GOLDEN)


def test_lineage_rows_composite_key_and_boolean_byte(loaded):
    _, connection = loaded
    rows = dict(connection.table("BAYRES_LINEAGE").scan(row_prefix=b"CSTR:ABCDE.02.000123\x00"))
    assert rows == {
        b"CSTR:ABCDE.02.000123\x00gz:yqsb:7": {
            b"l:SRC_PLATFORM": b"GZ", b"l:SRC_SOURCE": b"yqsb", b"l:SRC_RECORD_ID": b"7",
            b"c:NAME": "高分辨率透射电子显微镜".encode(), b"l:MATCH_RULE": b"official_no",
            b"l:IS_SURVIVOR": b"\x00", b"l:RUN_DATE": b"2024-07-01"},
        b"CSTR:ABCDE.02.000123\x00hk:instruments:42": {
            b"l:SRC_PLATFORM": b"HK", b"l:SRC_SOURCE": b"instruments", b"l:SRC_RECORD_ID": b"42",
            b"c:NAME": "高分辨率透射電子顯微鏡".encode(), b"l:MATCH_RULE": b"official_no",
            b"l:IS_SURVIVOR": b"\x01", b"l:RUN_DATE": b"2024-07-01"},
    }


def test_by_type_region_prefix_scan_returns_exactly_the_matching_rows(loaded):
    _, connection = loaded
    table = connection.table("BAYRES_RESOURCE_BY_TYPE_REGION")
    rows = list(table.scan(row_prefix=b"02\x00HK\x00"))
    assert [k for k, _ in rows] == [
        b"02\x00HK\x00CSTR:ABCDE.02.000123",
        b"02\x00HK\x00CSTR:ABCDE.02.000124",
        b"02\x00HK\x00CSTR:ABCDE.02.000128",
    ]  # not 02/HKX, 02/SZ, 03/HK
    assert rows[0][1] == {b"c:NAME": HRTEM_CELLS[b"c:NAME"], b"c:NAME_EN": b"HR-TEM",
                          b"c:OWNER_ORG": HRTEM_CELLS[b"c:OWNER_ORG"],
                          b"c:UPDATED_DATE": b"2024-06-30"}
    assert [k for k, _ in table.scan(row_prefix=b"02\x00HK")][-1] == \
        b"02\x00HKX\x00CSTR:ABCDE.02.000300"  # why the prefix ends with the separator
    assert len(list(table.scan(row_prefix=b"03\x00"))) == 1


def test_recent_rows_are_newest_first_within_each_bucket(loaded):
    _, connection = loaded
    table = connection.table("BAYRES_RESOURCE_RECENT")
    keys = [k for k, _ in table.scan()]
    recent = [g for g in GOLDEN if g["updated_date"]]
    assert sorted(keys) == keys == sorted(_recent_key(g["cstr_id"], g["updated_date"]) for g in recent)
    assert b"1\x0079759369\x00CSTR:ABCDE.02.000123" in keys  # the README's example

    by_bucket: dict[bytes, list[str]] = {}
    for key in keys:
        bucket, _, cstr_id = key.split(b"\x00")
        by_bucket.setdefault(bucket, []).append(cstr_id.decode())
    updated = {g["cstr_id"]: g["updated_date"] for g in recent}
    for bucket, ids in by_bucket.items():  # a forward scan of one bucket: newest first
        dates = [updated[i] for i in ids]
        assert dates == sorted(dates, reverse=True), bucket
    assert by_bucket[b"1"] == ["CSTR:ABCDE.02.000128", "CSTR:ABCDE.02.000123"]
    assert table.row(keys[0])[b"c:REGION"] in (b"HK", b"SZ", b"GZ")

    # "the latest 3": the first rows of each bucket's scan, merged
    heads = [k for b in range(8) for k, _ in table.scan(row_prefix=f"{b}\x00".encode(), limit=3)]
    latest = sorted(heads, key=lambda k: (k.split(b"\x00")[1], k.split(b"\x00")[2]))[:3]
    assert [k.split(b"\x00")[2] for k in latest] == [
        b"CSTR:ABCDE.02.000128", b"CSTR:ABCDE.02.000123", b"CSTR:ABCDE.02.000200"]


def test_values_phoenix_cannot_hold_are_refused_before_anything_is_sent(hbase_thrift_double,
                                                                      double_endpoint):
    bad = dict(HRTEM, inst_value_cny=-1.0)
    with double_endpoint.writer() as writer:
        with pytest.raises(ValueError, match="inst_value_cny"):
            writer.put_rows("BAYRES_RESOURCE", [GOLDEN[1], bad])
        with pytest.raises(ValueError, match="row-key part"):
            writer.put_rows("BAYRES_RESOURCE_RECENT", [GOLDEN[-1]])  # no updated_date, no key
    assert hbase_thrift_double.calls["mutateRows"] == 0


# ---------------------------------------------------------------- idempotency and deletes
def test_reputting_the_same_rows_leaves_identical_cells(loaded):
    endpoint, connection = loaded
    before = {t: dict(connection.table(t).scan()) for t in serving_rows()}
    with endpoint.writer(batch_size=2) as writer:
        for _ in range(4):
            for table, rows in serving_rows().items():
                writer.put_rows(table, rows)
    for t in serving_rows():
        assert dict(connection.table(t).scan()) == before[t], t
    max_versions = {fam.name: fam.versions for t in SERVING_TABLES for fam in t.families}
    table = connection.table("BAYRES_RESOURCE")
    for column, value in HRTEM_CELLS.items():  # 5 puts: at most VERSIONS versions, all equal
        versions = table.cells(b"CSTR:ABCDE.02.000123", column, versions=100)
        assert 1 <= len(versions) <= max_versions[column.split(b":")[0].decode()]
        assert set(versions) == {value}


def test_a_fixed_timestamp_rewrites_the_same_versions(hbase):
    ts = int(time.time()) // 86400 * 86400 * 1000  # e.g. the run's day, within the RECENT TTL
    connection = hbase.connection()
    table = connection.table("BAYRES_RESOURCE_RECENT")
    with hbase.writer() as writer:
        writer.put_rows("BAYRES_RESOURCE_RECENT", GOLDEN[:2], timestamp=ts)
        first = dict(table.scan(include_timestamp=True))
        writer.put_rows("BAYRES_RESOURCE_RECENT", GOLDEN[:2], timestamp=ts)
    assert dict(table.scan(include_timestamp=True)) == first
    key = _recent_key(HRTEM["cstr_id"], HRTEM["updated_date"])
    assert table.cells(key, b"c:NAME", versions=10, include_timestamp=True) == \
        [(HRTEM_CELLS[b"c:NAME"], ts)]
    connection.close()


def test_recent_ttl_hides_cells_written_with_an_old_timestamp(hbase):
    old = int(time.time() * 1000) - 181 * 86400 * 1000  # older than the family's 180 days
    connection = hbase.connection()
    with hbase.writer() as writer:
        writer.put_rows("BAYRES_RESOURCE_RECENT", [HRTEM], timestamp=old)
        writer.put_rows("BAYRES_RESOURCE", [HRTEM], timestamp=old)  # no TTL there
    assert list(connection.table("BAYRES_RESOURCE_RECENT").scan()) == []
    assert connection.table("BAYRES_RESOURCE").row(HRTEM["cstr_id"].encode()) == HRTEM_CELLS
    connection.close()


def test_delete_nulls_removes_values_that_became_null(loaded):
    endpoint, connection = loaded
    table = connection.table("BAYRES_RESOURCE")
    changed = dict(HRTEM, name_en=None, inst_currency="", member_count=4)
    with endpoint.writer() as writer:
        writer.put_rows("BAYRES_RESOURCE", [changed])
        assert table.row(b"CSTR:ABCDE.02.000123")[b"c:NAME_EN"] == b"HR-TEM"  # stale without it
        writer.put_rows("BAYRES_RESOURCE", [changed], delete_nulls=True)
    expected = {k: v for k, v in HRTEM_CELLS.items() if k not in (b"c:NAME_EN", b"t:INST_CURRENCY")}
    expected[b"l:MEMBER_COUNT"] = b"\x00\x00\x00\x00\x00\x00\x00\x04"
    assert table.row(b"CSTR:ABCDE.02.000123") == expected


def test_delete_rows_by_key_or_record_moves_an_index_row(loaded):
    endpoint, connection = loaded
    table = connection.table("BAYRES_RESOURCE_BY_TYPE_REGION")
    moved = dict(GOLDEN[1], region="SZ")  # the record's region changed: HK → SZ
    with endpoint.writer() as writer:
        writer.put_rows("BAYRES_RESOURCE_BY_TYPE_REGION", [moved])
        assert writer.delete_rows("BAYRES_RESOURCE_BY_TYPE_REGION", [GOLDEN[1]]) == 1
        assert writer.delete_rows("BAYRES_RESOURCE_BY_TYPE_REGION",
                                  [b"02\x00HK\x00CSTR:ABCDE.02.000124", "no-such-row"]) == 2
        writer.delete_rows("BAYRES_RESOURCE_BY_TYPE_REGION", [GOLDEN[1]])  # again: a no-op
    assert [k for k, _ in table.scan(row_prefix=b"02\x00HK\x00")] == [b"02\x00HK\x00CSTR:ABCDE.02.000123"]
    assert [k for k, _ in table.scan(row_prefix=b"02\x00SZ\x00")] == [
        b"02\x00SZ\x00CSTR:ABCDE.02.000128", b"02\x00SZ\x00CSTR:ABCDE.02.000200"]


def test_hbase_errors_are_not_retried(hbase):
    sleeps = []
    missing = Endpoint(hbase.host, hbase.port, prefix="NOPE" + uuid.uuid4().hex[:8].upper())
    with missing.writer(retries=3, sleep=sleeps.append) as writer, \
            pytest.raises(HBaseWriteError, match="refused: .*BAYRES_RESOURCE"):
        writer.put_rows("BAYRES_RESOURCE", [HRTEM])  # the table does not exist
    assert sleeps == []


# ---------------------------------------------------------------- retries (double only)
def test_transport_errors_are_retried_with_exponential_backoff(hbase_thrift_double, double_endpoint):
    hbase_thrift_double.fail_mutations(3)
    sleeps = []
    with double_endpoint.writer(retries=4, backoff_s=0.5, sleep=sleeps.append) as writer:
        assert writer.put_rows("BAYRES_RESOURCE", GOLDEN) == len(GOLDEN)
    assert sleeps == [0.5, 1.0, 2.0]
    assert hbase_thrift_double.calls["mutateRows"] == 4
    connection = double_endpoint.connection()
    assert connection.table("BAYRES_RESOURCE").row(b"CSTR:ABCDE.02.000123") == HRTEM_CELLS
    connection.close()


def test_a_lost_acknowledgement_is_retried_without_changing_the_cells(hbase_thrift_double,
                                                                      double_endpoint):
    hbase_thrift_double.fail_mutations(1, after_apply=True)  # written, but the reply is lost
    with double_endpoint.writer(sleep=lambda s: None) as writer:
        writer.put_rows("BAYRES_RESOURCE", [HRTEM])
    assert hbase_thrift_double.calls["mutateRows"] == 2
    for column, value in HRTEM_CELLS.items():
        versions = hbase_thrift_double.versions("BAYRES_RESOURCE", b"CSTR:ABCDE.02.000123", column)
        assert {v for _, v in versions} == {value} and len(versions) <= 3


def test_the_writer_gives_up_after_the_configured_retries(hbase_thrift_double, double_endpoint):
    hbase_thrift_double.fail_mutations(100)
    sleeps = []
    with double_endpoint.writer(retries=2, backoff_s=1, max_backoff_s=1.5,
                                sleep=sleeps.append) as writer:
        with pytest.raises(HBaseWriteError, match=r"BAYRES_LINEAGE .*failed after 3 attempts"):
            writer.put_rows("BAYRES_LINEAGE", LINEAGE)
    assert sleeps == [1, 1.5]  # capped at max_backoff_s
    assert hbase_thrift_double.calls["mutateRows"] == 3
    connection = double_endpoint.connection()
    assert list(connection.table("BAYRES_LINEAGE").scan()) == []
    connection.close()


def test_connections_dropped_by_the_gateway_are_reopened(hbase_thrift_double, double_endpoint):
    sleeps = []
    with double_endpoint.writer(sleep=sleeps.append) as writer:
        writer.put_rows("BAYRES_RESOURCE", GOLDEN[:1])
        hbase_thrift_double.drop_connections()  # a gateway restart / idle timeout
        writer.put_rows("BAYRES_RESOURCE", GOLDEN[1:])
    assert len(sleeps) == 1
    connection = double_endpoint.connection()
    assert len(list(connection.table("BAYRES_RESOURCE").scan())) == len(GOLDEN)
    connection.close()


def test_an_unreachable_gateway_fails_clearly():
    with HBaseThriftDouble() as double:
        port = double.port  # free once stopped
    with HBaseWriter("127.0.0.1", port, retries=1, sleep=lambda s: None) as writer, \
            pytest.raises(HBaseWriteError, match="failed after 2 attempts"):
        writer.put_rows("BAYRES_RESOURCE", [HRTEM])


def test_threads_share_the_pool(hbase_thrift_double, double_endpoint):
    with double_endpoint.writer(pool_size=2, batch_size=1) as writer:
        threads = [threading.Thread(target=writer.put_rows, args=(t, rows))
                   for t, rows in serving_rows().items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    connection = double_endpoint.connection()
    for t, rows in serving_rows().items():
        assert len(list(connection.table(t).scan())) == len(rows)
    connection.close()


def test_spark_partition_writer_takes_rows_with_asdict(hbase_thrift_double, double_endpoint):
    class Row:  # what pyspark hands to mapPartitions (only asDict is used)
        def __init__(self, d):
            self._d = d

        def asDict(self):
            return dict(self._d)

    counts = list(_put_partition(iter(Row(g) for g in GOLDEN), "BAYRES_RESOURCE",
                                 double_endpoint.host, double_endpoint.port, 2, 1, {}, {}))
    assert counts == [len(GOLDEN)]
    assert hbase_thrift_double.calls["mutateRows"] == 4  # 7 rows in batches of 2


# ---------------------------------------------------------------- tables
def test_ensure_tables_creates_the_declared_families_once(hbase):
    connection = hbase.connection()
    assert ensure_tables(connection) == []  # the fixture created them
    import json

    spec = json.loads((REPO / "hbase" / "tables.json").read_text())["tables"]
    for t in spec:
        families = connection.table(t["name"]).families()
        assert sorted(families) == sorted(f["name"].encode() for f in t["families"])
        for f in t["families"]:
            got = families[f["name"].encode()]
            assert got["max_versions"] == f["versions"]
            assert got["bloom_filter_type"] == f["bloomfilter"].encode()
            assert got["block_cache_enabled"] is True
            if "ttl_seconds" in f:
                assert got["time_to_live"] == f["ttl_seconds"]
    connection.close()


@pytest.fixture(params=["double", pytest.param("hbase", marks=pytest.mark.cluster)])
def double_or_hbase(request):
    """The same happybase calls on the double and on the real server: the double, kept for the
    fault tests above, must answer as HBase does."""
    if request.param == "double":
        with HBaseThriftDouble() as double:
            yield happybase.Connection(double.host, double.port)
        return
    endpoint = _cluster_endpoint()
    connection = endpoint.connection()
    try:
        yield connection
    finally:
        connection.close()
        _drop_tables(endpoint)


def test_the_double_behaves_like_hbase_where_happybase_relies_on_it(double_or_hbase):
    connection = double_or_hbase
    connection.create_table("T", {"c": dict(max_versions=2)})
    with pytest.raises(Exception, match="already in use"):
        connection.create_table("T", {"c": {}})
    table = connection.table("T")
    for v in (b"1", b"2", b"3"):
        table.put(b"r", {b"c:a": v})
        time.sleep(0.002)
    assert table.cells(b"r", b"c:a", versions=5) == [b"3", b"2"]  # maxVersions
    with pytest.raises(Exception, match="NoSuchColumnFamily"):
        table.put(b"r", {b"x:a": b"1"})
    table.put(b"s", {b"c:a": b"1", b"c:b": b"2"})
    assert table.row(b"s", columns=[b"c:b"]) == {b"c:b": b"2"}
    assert [k for k, _ in table.scan(row_start=b"r", row_stop=b"s")] == [b"r"]
    assert [k for k, _ in table.scan(reverse=True)] == [b"s", b"r"]
    assert [k for k, _ in table.scan(batch_size=1)] == [b"r", b"s"]  # several scannerGetList
    assert [k for k, _ in table.scan(limit=1)] == [b"r"]
    assert list(table.scan(row_start=b"s", sorted_columns=True))[0][1] == {b"c:a": b"1", b"c:b": b"2"}
    (_, ts), = table.cells(b"s", b"c:b", include_timestamp=True)
    assert table.row(b"s", timestamp=ts) == {} and table.row(b"s", timestamp=ts + 1) != {}
    assert table.counter_inc(b"n", b"c:hits", 5) == 5 and table.counter_inc(b"n", b"c:hits") == 6
    table.delete(b"s", columns=[b"c:a"])
    assert table.row(b"s") == {b"c:b": b"2"}
    table.delete(b"s")
    assert table.row(b"s") == {} and table.rows([b"r", b"s"]) == [(b"r", {b"c:a": b"3"})]
    with pytest.raises(Exception, match="TableNotDisabled"):
        connection.delete_table("T")
    connection.delete_table("T", disable=True)
    assert connection.tables() == []
    connection.close()


# ---------------------------------------------------------------- Phoenix (cluster only)
def _logical(field, value):
    """What phoenixdb returns for a written value: None for null and ''."""
    if value is None or value == "":
        return None
    if field.type == "date":
        return value.isoformat() if isinstance(value, date) else value
    if field.type == "double":
        return float(value)
    return value


def _view_ddl(table: str, name: str) -> str:
    """hbase/phoenix/<table>.sql as one statement for phoenixdb, over HBase table ``name``."""
    text = (REPO / "hbase" / "phoenix" / f"{table}.sql").read_text()
    sql = "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip()
    return sql.rstrip(";").replace(f'"{table}"', f'"{name}"', 1)


@pytest.mark.cluster
def test_phoenix_views_read_what_the_writer_put():
    url = _env_endpoint("BAYRES_TEST_PHOENIX_URL")
    endpoint = _cluster_endpoint()
    import phoenixdb

    connection = endpoint.connection()
    phoenix = phoenixdb.connect(url, autocommit=True)
    views = []
    try:
        ensure_tables(connection)
        with endpoint.writer() as writer:
            for table, rows in serving_rows().items():
                writer.put_rows(table, rows)
        cursor = phoenix.cursor()
        for table, rows in serving_rows().items():
            view = endpoint.hbase_name(table)
            cursor.execute(_view_ddl(table, view))
            views.append(view)
            t = SERVING_TABLES_BY_NAME[table]
            cursor.execute(f'SELECT * FROM "{view}"')
            names = [d[0] for d in cursor.description]
            got = sorted(tuple(r) for r in cursor.fetchall())
            expected = []
            for row in rows:
                if table == "BAYRES_RESOURCE_RECENT":
                    row = dict(row, bucket=salt_bucket(row["cstr_id"]),
                               recency=recency(row["updated_date"]))
                values = {qualifier(f): _logical(f, row.get(f.name)) for f in t.key + t.columns}
                expected.append(tuple(values[n] for n in names))
            assert got == sorted(expected), table
    finally:
        cursor = phoenix.cursor()
        for view in views:
            cursor.execute(f'DROP VIEW IF EXISTS "{view}"')
        phoenix.close()
        connection.close()
        _drop_tables(endpoint)


def test_view_ddl_is_renamed_for_isolated_tables():
    ddl = _view_ddl("BAYRES_LINEAGE", "PYTEST_X_BAYRES_LINEAGE")
    assert ddl.startswith('CREATE VIEW IF NOT EXISTS "PYTEST_X_BAYRES_LINEAGE" (')
    assert ddl.endswith("COLUMN_ENCODED_BYTES=0") and not re.search(r"--|;", ddl)


# ---------------------------------------------------------------- a second day: stale rows go
def _day_two() -> dict[str, list[dict]]:
    """The sample's next day: 000124 merged into 000123 (gone), 000200 moved from SZ to GZ and
    updated (its type/region and recent index rows move), gz:yqsb:7 left 000123's cluster."""
    golden = [g for g in GOLDEN if g["cstr_id"] != "CSTR:ABCDE.02.000124"]
    golden = [dict(g, region="GZ", updated_date="2024-08-01")
              if g["cstr_id"] == "CSTR:ABCDE.02.000200" else g for g in golden]
    return {"BAYRES_RESOURCE": golden, "BAYRES_RESOURCE_BY_TYPE_REGION": golden,
            "BAYRES_RESOURCE_RECENT": [g for g in golden if g["updated_date"]],
            "BAYRES_LINEAGE": LINEAGE[:1]}


def _keys(table: str, rows: list[dict]) -> set[bytes]:
    from bayres.schemas.derive_hbase import row_key

    return {row_key(table, r) for r in rows}


@pytest.mark.cluster
def test_delete_stale_leaves_exactly_the_second_days_rows(hbase):
    with hbase.writer(batch_size=2) as writer:
        for table, rows in serving_rows().items():
            writer.put_rows(table, rows)
        for table, rows in _day_two().items():
            writer.put_rows(table, rows)
            keep = _keys(table, rows)
            gone = writer.delete_stale(table, keep)
            assert gone == len(_keys(table, serving_rows()[table]) - keep)
            assert set(writer.scan_keys(table)) == keep
            assert writer.delete_stale(table, keep) == 0  # idempotent
    connection = hbase.connection()
    by_region = connection.table("BAYRES_RESOURCE_BY_TYPE_REGION")
    assert by_region.row(b"02\x00SZ\x00CSTR:ABCDE.02.000200") == {}  # the moved index row
    assert by_region.row(b"02\x00GZ\x00CSTR:ABCDE.02.000200")[b"c:NAME"] == "冷冻电镜".encode()
    connection.close()


@pytest.mark.cluster
def test_the_loader_replaces_the_serving_tables_with_the_runs_state(hbase, spark):
    """jobs/publish/load.to_serving's HBase path (replace_frames) on Spark frames, two days in a
    row and the second again: by difference — only new and changed rows written."""
    from bayres.connectors.hbase_store import cells_digest, replace_frames
    from bayres.schemas.derive_hbase import mutation

    from pyspark.sql.types import StringType, StructField, StructType

    def frames(day: dict[str, list[dict]]):  # the string columns only: enough for the keys
        out = {}
        for table, rows in day.items():
            names = list(dict.fromkeys([f.name for f in SERVING_TABLES_BY_NAME[table].key]
                                       + ["cstr_id", "name", "updated_date"]))
            derived = {"bucket": lambda r: salt_bucket(r["cstr_id"]),
                       "recency": lambda r: recency(r["updated_date"])}
            data = [tuple(derived[n](r) if n in derived else r.get(n) for n in names) for r in rows]
            schema = StructType([StructField(n, StringType()) for n in names])
            out[table] = spark.createDataFrame(data, schema)
        return out

    def cells(day: dict[str, list[dict]]) -> dict[str, dict[bytes, dict]]:
        """What each table should hold: row key → cells (the frame's columns only)."""
        return {table: dict(mutation(table, row.asDict()) for row in frame.collect())
                for table, frame in frames(day).items()}

    def replace(day):
        return replace_frames(frames(day), host=hbase.host, port=hbase.port, table_prefix=hbase.prefix)

    # a row written without a digest (as an earlier BayRes wrote them) is rewritten, not trusted
    with hbase.writer() as writer:
        writer.put_rows("BAYRES_LINEAGE", LINEAGE[:1])
    first = replace(serving_rows())
    assert first["deleted"] == {t: 0 for t in serving_rows()}
    assert first["put"] == {t: len(rows) for t, rows in cells(serving_rows()).items()}
    # publishing by difference: day 2 writes only its new and changed rows, deletes the rest
    second = replace(_day_two())
    one, two = cells(serving_rows()), cells(_day_two())
    for table in two:
        assert second["put"][table] == sum(1 for k, c in two[table].items() if one[table].get(k) != c), table
        assert second["unchanged"][table] == sum(1 for k, c in two[table].items() if one[table].get(k) == c)
        assert second["deleted"][table] == len(set(one[table]) - set(two[table])), table
    assert second["put"]["BAYRES_RESOURCE"] == 1 and second["unchanged"]["BAYRES_RESOURCE"] > 0
    assert second["deleted"]["BAYRES_RESOURCE"] == 1
    assert second["deleted"]["BAYRES_LINEAGE"] == 1
    # the same day again writes nothing and deletes nothing
    third = replace(_day_two())
    assert third["put"] == {t: 0 for t in two} and third["deleted"] == {t: 0 for t in two}
    with hbase.writer() as writer:
        for table, rows in _day_two().items():
            assert set(writer.scan_keys(table)) == _keys(table, rows), table
            assert {k: d for k, d in writer.scan_digests(table)} == \
                {k: cells_digest(c) for k, c in two[table].items()}, table
    connection = hbase.connection()
    row = connection.table("BAYRES_RESOURCE").row(b"CSTR:ABCDE.02.000200")
    assert row[b"c:UPDATED_DATE"] == b"2024-08-01"
    connection.close()
