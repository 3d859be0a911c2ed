"""The portal's query library (hbase/queries/) through PortalQueries: exact results on the embedded
serving store (DuckDB), and a static check that the text only uses what the Phoenix views have —
so the same SQL is valid for Phoenix. With ``BAYRES_TEST_HBASE_THRIFT`` and
``BAYRES_TEST_PHOENIX_URL`` set (``-m cluster``), every query also runs on Phoenix over rows
written by HBaseWriter and must return what DuckDB returns.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from bayres.connectors.phoenix_portal import QUERIES_DIR, Page, PortalQueries, load_queries, recency
from bayres.schemas import derive_hbase
from bayres.schemas.derive_hbase import SERVING_TABLES_BY_NAME, qualifier, salt_bucket
from bayres.schemas.derive_serving import serving_ddl

REPO = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- a small crafted catalogue
def _g(cstr_id, rtype, region, name, updated=None, **more):
    return {"cstr_id": cstr_id, "resource_type": rtype, "region": region, "name": name,
            "updated_date": updated, "member_count": 1, "run_date": "2024-07-01", **more}


GOLDEN = [
    _g("CSTR:ABCDE.02.000123", "02", "HK", "高分辨率透射電子顯微鏡", "2024-06-30", name_en="HR-TEM",
       owner_org="香港科技大學", inst_original_value=12_500_000.0, inst_currency="HKD",
       inst_value_cny=11_562_500.5, member_count=2, source_platforms="HK,GZ",
       survivor_record_id="hk:instruments:42", created_date="2019-03-01"),
    _g("CSTR:ABCDE.02.000124", "02", "HK", "核磁共振波谱仪", "2023-12-31"),
    _g("CSTR:ABCDE.02.000125", "02", "HK", "X射线衍射仪", "2024-07-15", name_en="XRD"),
    _g("CSTR:ABCDE.02.000126", "02", "HK", "扫描电镜", "2024-06-30"),
    _g("CSTR:ABCDE.02.000127", "02", "HK", "质谱仪"),
    _g("CSTR:ABCDE.02.000200", "02", "SZ", "冷冻电镜", "2024-06-02"),
    _g("CSTR:ABCDE.03.000001", "03", "HK", "香港科技大學", "2024-07-01",
       org_name_en="The Hong Kong University of Science and Technology"),
    _g("CSTR:MOIPO.12.MO-2023-7", "12", "MO", "Processo de fabrico", "2024-05-31", name_pt="Processo"),
]
LINEAGE = [
    {"cstr_id": "CSTR:ABCDE.02.000123", "record_id": "hk:instruments:42", "src_platform": "HK",
     "src_source": "instruments", "src_record_id": "42", "name": "高分辨率透射電子顯微鏡",
     "match_rule": "official_no", "is_survivor": True, "run_date": "2024-07-01"},
    {"cstr_id": "CSTR:ABCDE.02.000123", "record_id": "gz:yqsb:7", "src_platform": "GZ",
     "src_source": "yqsb", "src_record_id": "7", "name": "高分辨率透射电子显微镜",
     "match_rule": "official_no", "is_survivor": False, "run_date": "2024-07-01"},
    {"cstr_id": "CSTR:ABCDE.02.000124", "record_id": "gz:yqsb:9", "src_platform": "GZ",
     "src_source": "yqsb", "src_record_id": "9", "name": "核磁共振波谱仪",
     "match_rule": "singleton", "is_survivor": True, "run_date": "2024-07-01"},
]


def serving_rows() -> dict[str, list[dict]]:
    recent = [dict(g, bucket=salt_bucket(g["cstr_id"]), recency=derive_hbase.recency(g["updated_date"]))
              for g in GOLDEN if g["updated_date"]]
    return {"BAYRES_RESOURCE": GOLDEN, "BAYRES_RESOURCE_BY_TYPE_REGION": GOLDEN,
            "BAYRES_RESOURCE_RECENT": recent, "BAYRES_LINEAGE": LINEAGE}


def _columns(table: str):
    t = SERVING_TABLES_BY_NAME[table]
    return t.key + t.columns


def _value(row: dict, field):
    value = row.get(field.name)
    return None if value == "" else value  # Phoenix reads '' as NULL


@pytest.fixture
def serving_db(tmp_path):
    """A serving-store file with the serving tables (derive_serving DDL) and the catalogue."""
    path = tmp_path / "serving.duckdb"
    con = duckdb.connect(str(path))
    for table, rows in serving_rows().items():
        con.execute(serving_ddl(table))
        fields = _columns(table)
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(fields))})",
                        [[_value(r, f) for f in fields] for r in rows])
    con.close()
    return path


@pytest.fixture
def portal(serving_db):
    with PortalQueries.open(str(serving_db)) as queries:
        yield queries


# ---------------------------------------------------------------- results on the serving store
def test_resource_by_cstr_returns_every_column(portal):
    row = portal.resource("CSTR:ABCDE.02.000123")
    assert list(row) == [qualifier(f) for f in _columns("BAYRES_RESOURCE")]
    assert row == {qualifier(f): _value(GOLDEN[0], f) for f in _columns("BAYRES_RESOURCE")}
    assert row["INST_VALUE_CNY"] == 11_562_500.5 and row["MEMBER_COUNT"] == 2
    assert row["NAME"] == "高分辨率透射電子顯微鏡" and row["KEYWORDS"] is None
    assert portal.resource("CSTR:ABCDE.02.999999") is None


def test_list_by_type_region_pages_by_cstr_id(portal):
    first = portal.list_by_type_region("02", "HK", page_size=2)
    assert first == Page([
        {"RESOURCE_TYPE": "02", "REGION": "HK", "CSTR_ID": "CSTR:ABCDE.02.000123",
         "NAME": "高分辨率透射電子顯微鏡", "NAME_EN": "HR-TEM", "OWNER_ORG": "香港科技大學",
         "UPDATED_DATE": "2024-06-30"},
        {"RESOURCE_TYPE": "02", "REGION": "HK", "CSTR_ID": "CSTR:ABCDE.02.000124",
         "NAME": "核磁共振波谱仪", "NAME_EN": None, "OWNER_ORG": None,
         "UPDATED_DATE": "2023-12-31"},
    ], next_after="CSTR:ABCDE.02.000124")
    second = portal.list_by_type_region("02", "HK", page_size=2, after=first.next_after)
    assert [r["CSTR_ID"] for r in second.rows] == ["CSTR:ABCDE.02.000125", "CSTR:ABCDE.02.000126"]
    third = portal.list_by_type_region("02", "HK", page_size=2, after=second.next_after)
    assert third == Page([dict(third.rows[0], CSTR_ID="CSTR:ABCDE.02.000127")], next_after=None)
    assert third.rows[0]["UPDATED_DATE"] is None
    assert [r["CSTR_ID"] for r in portal.list_by_type_region("03", "HK").rows] == ["CSTR:ABCDE.03.000001"]
    assert portal.list_by_type_region("02", "MO").rows == []


def test_recent_changes_newest_first(portal):
    rows = portal.recent_changes("2024-06-01", limit=10)
    assert [(r["UPDATED_DATE"], r["CSTR_ID"]) for r in rows] == [
        ("2024-07-15", "CSTR:ABCDE.02.000125"),
        ("2024-07-01", "CSTR:ABCDE.03.000001"),
        ("2024-06-30", "CSTR:ABCDE.02.000123"),
        ("2024-06-30", "CSTR:ABCDE.02.000126"),
        ("2024-06-02", "CSTR:ABCDE.02.000200"),
    ]  # not 2024-05-31, 2023-12-31, nor the record without updated_date
    assert rows[0] == {"CSTR_ID": "CSTR:ABCDE.02.000125", "UPDATED_DATE": "2024-07-15",
                       "RESOURCE_TYPE": "02", "REGION": "HK", "NAME": "X射线衍射仪",
                       "NAME_EN": "XRD", "OWNER_ORG": None, "RECENCY": "79759284"}
    assert portal.recent_changes(date(2024, 6, 30), limit=3) == rows[:3]
    assert len(portal.recent_changes("2000-01-01", limit=100)) == 7


def test_counts_by_region_and_type(portal):
    assert portal.counts_by_region_type() == [
        {"REGION": "HK", "RESOURCE_TYPE": "02", "RESOURCE_COUNT": 5},
        {"REGION": "HK", "RESOURCE_TYPE": "03", "RESOURCE_COUNT": 1},
        {"REGION": "MO", "RESOURCE_TYPE": "12", "RESOURCE_COUNT": 1},
        {"REGION": "SZ", "RESOURCE_TYPE": "02", "RESOURCE_COUNT": 1},
    ]


def test_lineage_of_a_resource(portal):
    assert portal.lineage("CSTR:ABCDE.02.000123") == [
        {"CSTR_ID": "CSTR:ABCDE.02.000123", "RECORD_ID": "gz:yqsb:7", "SRC_PLATFORM": "GZ",
         "SRC_SOURCE": "yqsb", "SRC_RECORD_ID": "7", "NAME": "高分辨率透射电子显微镜",
         "MATCH_RULE": "official_no", "IS_SURVIVOR": False, "RUN_DATE": "2024-07-01"},
        {"CSTR_ID": "CSTR:ABCDE.02.000123", "RECORD_ID": "hk:instruments:42", "SRC_PLATFORM": "HK",
         "SRC_SOURCE": "instruments", "SRC_RECORD_ID": "42", "NAME": "高分辨率透射電子顯微鏡",
         "MATCH_RULE": "official_no", "IS_SURVIVOR": True, "RUN_DATE": "2024-07-01"},
    ]
    assert portal.lineage("CSTR:ABCDE.02.999999") == []


def test_run_by_name_and_parameter_checks(portal, serving_db):
    assert portal.run("lineage_of_resource", cstr_id="CSTR:ABCDE.02.000124")[0]["RECORD_ID"] == "gz:yqsb:9"
    with pytest.raises(TypeError, match="takes 1 parameters"):
        portal.run("lineage_of_resource")
    with pytest.raises(TypeError, match="parameters"):
        portal.run("lineage_of_resource", id="x")
    with pytest.raises(ValueError):
        portal.recent_changes("30/06/2024")
    with PortalQueries.open(f"duckdb://{serving_db}") as other:  # duckdb:///abs/path
        assert other.counts_by_region_type() == portal.counts_by_region_type()


def test_recency_bound_matches_the_row_key_encoder():
    for day in ("2024-06-30", "2000-01-01", date(2031, 12, 31)):
        assert recency(day) == derive_hbase.recency(day)


def test_table_prefix_renames_only_the_tables(portal):
    prefixed = PortalQueries(portal.connection, table_prefix="PYTEST_X")
    sql = prefixed.sql("lineage_of_resource")
    assert "FROM PYTEST_X_BAYRES_LINEAGE" in sql and "SRC_PLATFORM" in sql


# ---------------------------------------------------------------- static: valid for Phoenix
KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "ORDER", "BY",
            "GROUP", "LIMIT", "AS", "ASC", "DESC"}
FUNCTIONS = {"COUNT"}  # standard aggregates only; no vendor functions


def phoenix_views() -> dict[str, set[str]]:
    """{view: {column, ...}} parsed from the generated DDL in hbase/phoenix/."""
    views = {}
    for path in sorted((REPO / "hbase" / "phoenix").glob("*.sql")):
        text = path.read_text("utf-8")
        name = re.search(r'CREATE VIEW IF NOT EXISTS "(\w+)"', text).group(1)
        views[name] = set(re.findall(r'^\s*(?:"\w+"\.)?"(\w+)"\s+[A-Z_]+', text, re.M))
    return views


def test_phoenix_views_parse():
    views = phoenix_views()
    assert set(views) == set(SERVING_TABLES_BY_NAME)
    for name, columns in views.items():
        assert columns == {qualifier(f) for f in _columns(name)}, name


def static_problems(sql: str, views: dict[str, set[str]]) -> list[str]:
    """Why ``sql`` might not run on Phoenix as on DuckDB: quoting, case, unknown tables or
    columns, functions outside the common subset, ORDER BY on nullable columns."""
    sql = re.sub(r"'[^']*'", "''", sql)  # string literals are not identifiers
    problems = [f"uses {c!r}" for c in ('"', ";", "--", "/*") if c in sql]
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\S", sql)
    words = {t for t in tokens if re.match(r"[A-Za-z_]", t)}
    problems += [f"{w}: not upper-case" for w in sorted(words) if w != w.upper()]
    tables = {tokens[i + 1] for i, t in enumerate(tokens[:-1]) if t.upper() in ("FROM", "JOIN")}
    problems += [f"{t}: no such Phoenix view" for t in sorted(tables - set(views))]
    columns = set().union(*(views.get(t, set()) for t in tables))
    aliases = {tokens[i + 1] for i, t in enumerate(tokens[:-1]) if t == "AS"}
    for i, word in enumerate(tokens):
        if word not in words or word in tables | aliases | KEYWORDS:
            continue
        if i + 1 < len(tokens) and tokens[i + 1] == "(":
            if word not in FUNCTIONS:
                problems.append(f"{word}: function outside the common subset")
        elif word not in columns:
            problems.append(f"{word}: not a column of {sorted(tables)}")
    # ORDER BY only row-key columns: never NULL, so Phoenix and DuckDB order alike
    order = re.search(r"ORDER BY (.*?)(?: LIMIT|$)", " ".join(sql.split()))
    if order:
        keys = {qualifier(f) for t in tables & set(SERVING_TABLES_BY_NAME)
                for f in SERVING_TABLES_BY_NAME[t].key}
        problems += [f"ORDER BY {c}: not a row-key column" for c in
                     (c.strip() for c in order.group(1).split(",")) if c not in keys]
    return problems


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_query_uses_only_phoenix_view_columns_and_the_common_subset(name):
    assert static_problems(load_queries()[name].sql, phoenix_views()) == []


@pytest.mark.parametrize("sql, problem", [
    ("SELECT name FROM BAYRES_RESOURCE", "name: not upper-case"),
    ('SELECT "NAME" FROM BAYRES_RESOURCE', "uses '\"'"),
    ("SELECT NAME FROM BAYRES_RESOURCES", "BAYRES_RESOURCES: no such Phoenix view"),
    ("SELECT SRC_PLATFORM FROM BAYRES_RESOURCE", "SRC_PLATFORM: not a column of ['BAYRES_RESOURCE']"),
    ("SELECT NVL(NAME_EN, NAME) FROM BAYRES_RESOURCE", "NVL: function outside the common subset"),
    ("SELECT NAME FROM BAYRES_RESOURCE ORDER BY NAME LIMIT ?", "ORDER BY NAME: not a row-key column"),
])
def test_the_static_check_catches(sql, problem):
    assert problem in static_problems(sql, phoenix_views())


def test_every_query_is_documented():
    queries = load_queries()
    assert {"resource_by_cstr", "list_by_type_region", "list_by_type_region_after",
            "recent_changes", "count_by_region_type", "lineage_of_resource"} <= set(queries)
    for query in queries.values():
        assert query.doc.startswith(query.name + " — "), query.name
        for param in query.params:
            assert re.search(rf"@param {param} [A-Z]+ \S", query.doc), (query.name, param)


def test_recent_changes_scans_every_salt_bucket():
    sql = (QUERIES_DIR / "recent_changes.sql").read_text()
    buckets = re.search(r"BUCKET IN \(([^)]*)\)", sql).group(1)
    assert [b.strip(" '") for b in buckets.split(",")] == \
        [str(b) for b in range(derive_hbase.RECENT_BUCKETS)]


# ---------------------------------------------------------------- the same text on Phoenix
@pytest.mark.cluster
def test_every_query_gives_the_same_rows_on_phoenix(portal):
    from tests.test_hbase_serving import _cluster_endpoint, _drop_tables, _env_endpoint, _view_ddl

    url = _env_endpoint("BAYRES_TEST_PHOENIX_URL")
    endpoint = _cluster_endpoint()
    from bayres.connectors.hbase_store import ensure_tables

    connection = endpoint.connection()
    phoenix = PortalQueries.open(url, table_prefix=endpoint.prefix)
    views = []
    try:
        ensure_tables(connection)
        with endpoint.writer() as writer:
            for table, rows in serving_rows().items():
                writer.put_rows(table, rows)
        cursor = phoenix.connection.cursor()
        for table in serving_rows():
            cursor.execute(_view_ddl(table, endpoint.hbase_name(table)))
            views.append(endpoint.hbase_name(table))
        calls = [("resource", "CSTR:ABCDE.02.000123"), ("resource", "CSTR:ABCDE.02.000124"),
                 ("lineage", "CSTR:ABCDE.02.000123"), ("counts_by_region_type",),
                 ("recent_changes", "2024-06-01"), ("recent_changes", "2000-01-01")]
        for method, *args in calls:
            assert getattr(phoenix, method)(*args) == getattr(portal, method)(*args), method
        after = None
        while True:  # every page
            got = phoenix.list_by_type_region("02", "HK", page_size=2, after=after)
            assert got == portal.list_by_type_region("02", "HK", page_size=2, after=after)
            if got.next_after is None:
                break
            after = got.next_after
    finally:
        cursor = phoenix.connection.cursor()
        for view in views:
            cursor.execute(f'DROP VIEW IF EXISTS "{view}"')
        phoenix.close()
        connection.close()
        _drop_tables(endpoint)
