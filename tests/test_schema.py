"""The representations derived from schemas/: Spark, Hive, HBase/Phoenix, serving store, files."""
from __future__ import annotations

import math
import re
import uuid
import zlib
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from bayres.schemas import derive_hbase as hb
from bayres.schemas.derive_hive import column_comment, hive_ddl, ordered_fields
from bayres.schemas.derive_serving import serving_columns, serving_ddl
from bayres.schemas.derive_spark import mandatory_fields, spark_ddl, spark_schema
from bayres.schemas.render import HEADER, check_stale, render_all, rendered
from bayres.schemas.resource import GOLDEN_RESOURCE, TABLES

ROOT = Path(__file__).resolve().parents[1]
SERVING = [t.name for t in hb.SERVING_TABLES]
#: Phoenix type → the serving store's type of the same logical values
PHOENIX_TO_DUCKDB = {"VARCHAR": "VARCHAR", "UNSIGNED_DOUBLE": "DOUBLE",
                     "UNSIGNED_LONG": "BIGINT", "BOOLEAN": "BOOLEAN"}
#: Phoenix grammar keywords: an unquoted column of one of these names would not parse
PHOENIX_KEYWORDS = set("""
SELECT FROM WHERE NOT AND OR NULL TRUE FALSE LIKE ILIKE AS OUTER ON OFF IN GROUP HAVING ORDER BY
ASC DESC NULLS LIMIT FIRST LAST CASE WHEN THEN ELSE END EXISTS IS DISTINCT JOIN INNER LEFT RIGHT
FULL BETWEEN UPSERT INTO VALUES DELETE CREATE DROP PRIMARY KEY ALTER COLUMN TABLE SCHEMA ADD SPLIT
EXPLAIN VIEW IF CONSTRAINT TABLES ALL INDEX INCLUDE WITHIN SET CAST ACTIVE USABLE UNUSABLE DISABLE
REBUILD ARRAY SEQUENCE START WITH INCREMENT NEXT CURRENT VALUE FOR CACHE LOCAL ANY SOME MINVALUE
MAXVALUE CYCLE CASCADE UPDATE STATISTICS COLUMNS TRACE ASYNC SAMPLING TABLESAMPLE UNION FUNCTION
TEMPORARY RETURNS USING JAR DEFAULTVALUE CONSTANT REPLACE LIST JARS ROW_TIMESTAMP USE OFFSET FETCH
DECLARE CURSOR OPEN CLOSE ROW ROWS ONLY EXECUTE UPGRADE DEFAULT DUPLICATE IGNORE IMMUTABLE
""".split())


def _statements(sql_file: str) -> list[str]:
    body = sql_file.split("\n", 1)[1]
    return [s.strip() for s in body.split(";\n") if s.strip()]


# ---------------------------------------------------------------- generated files
def test_generated_files_are_not_stale():
    assert check_stale(ROOT) == [], "run `bayres schema render` after changing schemas/"


def test_render_writes_checks_and_removes_orphans(tmp_path):
    written = render_all(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(rendered())
    assert check_stale(tmp_path) == [] and render_all(tmp_path) == []
    assert all(HEADER in text[:200] for text in rendered().values())
    edited = tmp_path / "hive/ddl/golden_resource.sql"
    edited.write_text(edited.read_text() + "-- hand edit\n")
    orphan = tmp_path / "hbase/phoenix/OLD_VIEW.sql"
    orphan.write_text(f"-- {HEADER}\nCREATE VIEW x\n")
    keep = tmp_path / "hbase/phoenix/notes.txt"  # not generated: never touched
    keep.write_text("mine\n")
    assert sorted(check_stale(tmp_path)) == ["hbase/phoenix/OLD_VIEW.sql", "hive/ddl/golden_resource.sql"]
    render_all(tmp_path)
    assert check_stale(tmp_path) == [] and not orphan.exists() and keep.exists()


# ---------------------------------------------------------------- Spark
@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_spark_schema_has_every_field_with_its_type(table):
    schema = spark_schema(table)
    assert sorted(schema.names) == sorted(table.names)
    for f in table.fields:
        assert schema[f.name].dataType.simpleString() == f.spark_type
        assert schema[f.name].nullable
    assert schema.names[-len(table.partition_by):] == list(table.partition_by)
    assert mandatory_fields(table) == [f.name for f in ordered_fields(table) if f.mandatory]
    assert spark_schema(table.name) == schema


def test_spark_ddl_parses_to_the_schema(spark):
    for table in TABLES:
        parsed = spark.createDataFrame([], spark_ddl(table)).schema
        assert [(c.name, c.dataType) for c in parsed] == [(c.name, c.dataType) for c in spark_schema(table)]


# ---------------------------------------------------------------- Hive
@pytest.fixture
def hive_db(spark, tmp_path):
    name = f"bayres_schema_test_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE DATABASE {name} LOCATION '{(tmp_path / 'db').as_uri()}'")
    yield name
    spark.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")


def _describe(spark, fq: str) -> list[tuple[str, str, str]]:
    rows = []
    for r in spark.sql(f"DESCRIBE TABLE {fq}").collect():
        if r.col_name.startswith("#") or not r.col_name.strip():
            break
        rows.append((r.col_name, r.data_type, r.comment or ""))
    return rows


@pytest.mark.parametrize("external", [False, True], ids=["managed", "external"])
def test_hive_ddl_creates_the_declared_tables(spark, hive_db, tmp_path, external):
    for table in TABLES:
        location = (tmp_path / "ext" / table.name).as_uri() if external else None
        ddl = hive_ddl(table, hive_db, location)
        spark.sql(ddl)
        spark.sql(ddl)  # IF NOT EXISTS: re-runnable
        fq = f"{hive_db}.{table.name}"
        assert _describe(spark, fq) == [(f.name, f.hive_type.lower(), column_comment(f))
                                        for f in ordered_fields(table)]
        parts = [c.name for c in spark.catalog.listColumns(fq) if c.isPartition]
        assert parts == list(table.partition_by)
        detail = {r.col_name: r.data_type for r in spark.sql(f"DESCRIBE TABLE EXTENDED {fq}").collect()}
        assert detail["Type"] == ("EXTERNAL" if external else "MANAGED")
        assert "Parquet" in detail["InputFormat"]


def test_rendered_hive_files_parse(spark):
    parser = spark._jsparkSession.sessionState().sqlParser()
    for table in TABLES:
        text = (ROOT / f"hive/ddl/{table.name}.sql").read_text("utf-8")
        statements = _statements(text)
        assert statements[-1] == hive_ddl(table)
        assert "USING" not in statements[-1]  # HiveQL, not a Spark datasource table
        for s in statements:
            parser.parsePlan(s)


# ---------------------------------------------------------------- HBase / Phoenix
def test_every_field_group_has_a_column_family():
    groups = {f.group for t in TABLES for f in t.fields}
    assert groups <= set(hb.GROUP_FAMILY)
    assert {fam.name: fam.versions for fam in hb.FAMILIES} == {"c": 3, "t": 1, "l": 1, "q": 1}


@pytest.mark.parametrize("name", SERVING)
def test_phoenix_view_uses_only_phoenix_safe_types(name):
    ddl = hb.phoenix_ddl(name)
    assert ddl.startswith(f'CREATE VIEW IF NOT EXISTS "{name}" (')
    assert ddl.rstrip().endswith("COLUMN_ENCODED_BYTES=0")
    for column, ptype in hb.phoenix_columns(name):
        assert ptype in hb.PHOENIX_TYPES
        assert column == column.upper() and column not in PHOENIX_KEYWORDS
    assert not re.search(r"\b(INTEGER|BIGINT|TINYINT|SMALLINT|FLOAT|DOUBLE|DECIMAL|DATE|TIME|TIMESTAMP)\b",
                         re.sub(r"UNSIGNED_\w+", "", ddl))
    spec = hb.SERVING_TABLES_BY_NAME[name]
    for f in spec.columns:
        assert f'"{hb.family_of(f)}"."{f.name.upper()}" {f.phoenix_type}' in ddl
    if len(spec.key) > 1:
        keys = ", ".join(f'"{f.name.upper()}"' for f in spec.key)
        assert f"CONSTRAINT pk PRIMARY KEY ({keys})" in ddl
    else:
        assert f'"{spec.key[0].name.upper()}" VARCHAR PRIMARY KEY' in ddl
    assert (ROOT / f"hbase/phoenix/{name}.sql").read_text("utf-8").endswith(ddl + ";\n")


def test_hbase_spec():
    spec = hb.hbase_spec("BAYRES_RESOURCE_BY_TYPE_REGION")
    assert [p["part"] for p in spec["row_key"]] == ["RESOURCE_TYPE", "REGION", "CSTR_ID"]
    assert spec["families"] == [{"name": "c", "versions": 3, "compression": "SNAPPY", "bloomfilter": "ROW"}]
    assert spec["splits"] == sorted(spec["splits"]) and spec["splits"][0] == "02"
    recent = hb.hbase_spec("BAYRES_RESOURCE_RECENT")
    assert recent["splits"] == [str(b) for b in range(1, hb.RECENT_BUCKETS)]
    resource = hb.hbase_spec("BAYRES_RESOURCE")
    assert {c["field"] for c in resource["columns"]} == set(GOLDEN_RESOURCE.names) - {"cstr_id"}


# ---------------------------------------------------------------- byte encoders
F = GOLDEN_RESOURCE.field


@pytest.mark.parametrize("field, value, expected", [
    ("member_count", 1, b"\x00" * 7 + b"\x01"),                      # UNSIGNED_LONG
    ("member_count", 0, b"\x00" * 8),
    ("member_count", 2**63 - 1, b"\x7f" + b"\xff" * 7),
    ("inst_value_cny", 1.0, bytes.fromhex("3ff0000000000000")),      # UNSIGNED_DOUBLE
    ("inst_value_cny", 300000.0, bytes.fromhex("41124f8000000000")),
    ("inst_value_cny", 2, bytes.fromhex("4000000000000000")),
    ("inst_value_cny", -0.0, b"\x00" * 8),
    ("name", "香港", "香港".encode("utf-8")),                          # VARCHAR
    ("name", "HKUST", b"HKUST"),
    ("updated_date", date(2024, 6, 30), b"2024-06-30"),               # dates: ISO VARCHAR
    ("updated_date", datetime(2024, 6, 30, 23, 59), b"2024-06-30"),
    ("updated_date", "2024-06-30", b"2024-06-30"),
    ("name", None, None),                                             # no cell
    ("name", "", None),                                               # Phoenix: '' is NULL
    ("member_count", None, None),
])
def test_encode_value_matches_phoenix(field, value, expected):
    assert hb.encode_value(F(field), value) == expected


def test_encode_boolean():
    is_survivor = hb.LINEAGE.columns[[c.name for c in hb.LINEAGE.columns].index("is_survivor")]
    assert hb.encode_value(is_survivor, True) == b"\x01"
    assert hb.encode_value(is_survivor, False) == b"\x00"
    with pytest.raises(ValueError):
        hb.encode_value(is_survivor, "yes")


@pytest.mark.parametrize("field, value", [
    ("member_count", -1), ("inst_value_cny", -0.01), ("proj_amount", math.nan),
    ("member_count", 2**63), ("updated_date", "30/06/2024"),
])
def test_encode_value_refuses_what_phoenix_cannot_hold(field, value):
    with pytest.raises(ValueError):
        hb.encode_value(F(field), value)


RECORD = {"cstr_id": "CSTR:ABCDE.02.000123", "record_id": "hk:instruments:42",
          "resource_type": "02", "region": "HK", "name": "香港科技大學", "name_en": None,
          "owner_org": "", "updated_date": date(2024, 6, 30), "member_count": 3,
          "inst_value_cny": 1.0, "run_date": date(2024, 7, 1), "is_survivor": True}


def test_row_keys():
    assert hb.row_key("BAYRES_RESOURCE", RECORD) == b"CSTR:ABCDE.02.000123"
    assert hb.row_key("BAYRES_RESOURCE_BY_TYPE_REGION", RECORD) == b"02\x00HK\x00CSTR:ABCDE.02.000123"
    assert hb.row_key("BAYRES_LINEAGE", RECORD) == b"CSTR:ABCDE.02.000123\x00hk:instruments:42"
    bucket = str(zlib.crc32(b"CSTR:ABCDE.02.000123") % hb.RECENT_BUCKETS).encode()
    assert hb.row_key("BAYRES_RESOURCE_RECENT", RECORD) == bucket + b"\x0079759369\x00CSTR:ABCDE.02.000123"
    assert hb.recency("2024-06-30") < hb.recency("2024-06-29")  # newer sorts first


@pytest.mark.parametrize("change", [{"region": None}, {"region": ""}, {"region": "H\x00K"},
                                    {"updated_date": None}])
def test_row_key_refuses_missing_or_broken_parts(change):
    table = "BAYRES_RESOURCE_RECENT" if "updated_date" in change else "BAYRES_RESOURCE_BY_TYPE_REGION"
    with pytest.raises(ValueError):
        hb.row_key(table, {**RECORD, **change})


def test_salt_bucket_matches_spark_crc32(spark):
    ids = [f"CSTR:ABCDE.{t:02d}.{i}" for t in (2, 5) for i in range(50)] + ["CSTR:ABCDE.04.香港"]
    df = spark.createDataFrame([(i,) for i in ids], "cstr_id STRING")
    got = {r.cstr_id: str(r.b) for r in
           df.selectExpr("cstr_id", f"crc32(cstr_id) % {hb.RECENT_BUCKETS} AS b").collect()}
    assert got == {i: hb.salt_bucket(i) for i in ids}


def test_mutation_cells():
    key, cells = hb.mutation("BAYRES_RESOURCE", RECORD)
    assert key == b"CSTR:ABCDE.02.000123"
    assert cells == {b"c:RESOURCE_TYPE": b"02", b"c:REGION": b"HK", b"c:NAME": "香港科技大學".encode(),
                     b"c:UPDATED_DATE": b"2024-06-30", b"l:MEMBER_COUNT": b"\x00" * 7 + b"\x03",
                     b"t:INST_VALUE_CNY": bytes.fromhex("3ff0000000000000"),
                     b"l:RUN_DATE": b"2024-07-01"}
    with pytest.raises(ValueError, match="BAYRES_RESOURCE.member_count"):
        hb.cells("BAYRES_RESOURCE", {**RECORD, "member_count": -1})


# ---------------------------------------------------------------- serving store (DuckDB)
@pytest.fixture
def duck():
    con = duckdb.connect()
    yield con
    con.close()


def test_serving_ddl_mirrors_the_phoenix_views(duck):
    duck.execute((ROOT / "hbase/serving_duckdb.sql").read_text("utf-8"))
    reserved = {r[0].upper() for r in duck.execute(
        "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'").fetchall()}
    for name in SERVING:
        duck.execute(serving_ddl(name))  # IF NOT EXISTS: re-runnable
        got = duck.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ? ORDER BY ordinal_position", [name]).fetchall()
        want = [(c, PHOENIX_TO_DUCKDB[t]) for c, t in hb.phoenix_columns(name)]
        assert got == want == serving_columns(name)
        assert not {c for c, _ in got} & reserved


def test_serving_store_enforces_keys_and_unsigned(duck):
    for name in SERVING:
        duck.execute(serving_ddl(name))
    duck.execute("INSERT INTO BAYRES_RESOURCE_BY_TYPE_REGION (RESOURCE_TYPE, REGION, CSTR_ID, NAME) "
                 "VALUES ('02', 'HK', 'CSTR:ABCDE.02.1', '香港')")
    with pytest.raises(duckdb.ConstraintException):
        duck.execute("INSERT INTO BAYRES_RESOURCE_BY_TYPE_REGION (RESOURCE_TYPE, REGION, CSTR_ID) "
                     "VALUES ('02', 'HK', 'CSTR:ABCDE.02.1')")
    with pytest.raises(duckdb.ConstraintException):
        duck.execute("INSERT INTO BAYRES_RESOURCE (CSTR_ID, MEMBER_COUNT) VALUES ('CSTR:ABCDE.02.1', -1)")
    # a portal query in the common subset of Phoenix and DuckDB SQL
    assert duck.execute("SELECT CSTR_ID, NAME FROM BAYRES_RESOURCE_BY_TYPE_REGION "
                        "WHERE RESOURCE_TYPE = '02' AND REGION = 'HK' ORDER BY CSTR_ID LIMIT 20"
                        ).fetchall() == [("CSTR:ABCDE.02.1", "香港")]


def test_every_logical_type_has_an_arrow_type():
    from bayres.schemas.derive_arrow import ARROW_TYPES
    from bayres.schemas.fields import LOGICAL_TYPES

    assert set(ARROW_TYPES) == set(LOGICAL_TYPES)


def test_a_table_of_an_earlier_bayres_gains_the_columns_declared_since(spark, hive_db):
    """A Hive table made before two fields were declared (one in the middle of the schema, one
    at its end) is evolved in place by the load: the old partition keeps its rows and reads the
    new columns as null, the new partition is written by name, not by position."""
    from dataclasses import replace

    from pyspark.sql import functions as F

    from bayres.jobs.publish.load import ensure_table, to_hive
    from bayres.schemas.resource import RESOURCE_RECORD as table

    data = [f for f in ordered_fields(table) if f.name not in table.partition_by]
    added = [data[len(data) // 2].name, data[-1].name]
    old = replace(table, fields=tuple(f for f in table.fields if f.name not in added))
    spark.sql(hive_ddl(old, hive_db))
    fq = f"{hive_db}.{table.name}"
    key = table.key[0]

    def frame(day, value):
        row = spark.createDataFrame([(1,)], ["x"])
        for f in ordered_fields(table):
            v = F.lit(str(day)) if f.name == "run_date" else \
                F.lit(f"{value}-{f.name}") if f.hive_type.lower() == "string" else F.lit(None)
            row = row.withColumn(f.name, v.cast(f.hive_type))
        return row.drop("x")

    frame(date(2026, 11, 1), "old").select(*[f.name for f in ordered_fields(old)]) \
        .write.insertInto(fq, overwrite=True)
    ensure_table(spark, table, hive_db)
    ensure_table(spark, table, hive_db)  # once evolved, nothing more to add
    columns = [c.name for c in spark.catalog.listColumns(fq)]
    assert sorted(columns) == sorted(f.name for f in ordered_fields(table))
    assert columns[-len(table.partition_by) - 2:-len(table.partition_by)] == added
    to_hive(spark, frame(date(2026, 11, 2), "new"), table, hive_db, date(2026, 11, 2), ensure=False)
    rows = {str(r.run_date): r.asDict() for r in spark.table(fq).collect()}
    assert rows["2026-11-01"][key] == f"old-{key}"
    for name in added:
        assert rows["2026-11-01"][name] is None
        expected = f"new-{name}" if table.field(name).hive_type.lower() == "string" else None
        assert rows["2026-11-02"][name] == expected
    assert rows["2026-11-02"][key] == f"new-{key}"


def test_a_table_laid_out_otherwise_is_refused_naming_the_fix(spark, hive_db):
    from dataclasses import replace

    from bayres.jobs.publish.load import ensure_table
    from bayres.schemas.fields import Field
    from bayres.schemas.resource import RESOURCE_RECORD as table

    extra = replace(table, fields=table.fields[:1] + (Field("dropped_since", description="gone"),)
                    + table.fields[1:])
    spark.sql(hive_ddl(extra, hive_db))
    with pytest.raises(RuntimeError, match=r"dropped_since.*DROP TABLE"):
        ensure_table(spark, table, hive_db)
