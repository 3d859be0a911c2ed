"""Extraction into the raw zone: layout, manifest, atomic publication, quarantine, determinism."""
from __future__ import annotations

import hashlib
import os
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from bayres.connectors.lake import HdfsLake, LocalLake
from bayres.jobs.extract import files as extract_files
from bayres.jobs.extract.stage import extract_source
from bayres.jobs.extract.parts import SRC_COLUMNS

RUN_DATE = "2024-06-01"


def csv_source(**extra):
    return {"platform": "sz", "source": "grants", "format": "csv", "id_field": "id",
            "file": {"path": "sz/feeds/grants_*.csv", "encoding": "utf-8"}, **extra}


def xml_source():
    return {"platform": "gz", "source": "patents", "format": "xml", "id_field": "@id",
            "file": {"path": "gz/feeds/*.xml", "encoding": "gb18030", "record_path": "./patent"}}


@pytest.fixture
def feeds_root(tmp_path):
    root = tmp_path / "drop"
    (root / "sz" / "feeds").mkdir(parents=True)
    (root / "gz" / "feeds").mkdir(parents=True)
    return root


@pytest.fixture
def lake(tmp_path):
    return LocalLake(tmp_path / "lake")


def write_csv(root, name, rows, header="id,name,amount"):
    path = root / "sz" / "feeds" / name
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def write_xml(root, name, records, tail="</root>"):
    body = "".join(records)
    path = root / "gz" / "feeds" / name
    path.write_bytes(f'<?xml version="1.0" encoding="GB18030"?><root>{body}{tail}'.encode("gb18030"))
    return path


def run(source, feeds_root, lake, run_id="run-1", **kw):
    return extract_source(source, feeds_root=feeds_root, database_urls=kw.pop("database_urls", {}),
                          lake=lake, run_date=RUN_DATE, run_id=run_id, **kw)


def run_dir(lake, source):
    return lake.root / "raw" / source["platform"] / source["source"] / RUN_DATE


def read_parts(directory):
    return pa.concat_tables([pq.read_table(p) for p in sorted(directory.glob("part-*.parquet"))])


def test_csv_extraction_layout_and_manifest(feeds_root, lake):
    write_csv(feeds_root, "grants_2024a.csv", ["1,深圳大学,100", "2,南方科技大学", "3,哈工大深圳,50"])
    write_csv(feeds_root, "grants_2024b.csv", ["4,鹏城实验室,70,x"], header="id,name,amount,extra")
    source = csv_source()
    manifest = run(source, feeds_root, lake, batch_rows=2)
    directory = run_dir(lake, source)
    names = sorted(os.listdir(directory))
    assert names == ["_manifest.json", "part-00000.parquet", "part-00001.parquet"]
    assert sorted(os.listdir(directory.parent)) == [RUN_DATE]  # no staging leftovers
    assert lake.read_manifest(f"raw/sz/grants/{RUN_DATE}") == manifest

    table = read_parts(directory)
    assert table.column_names == ["id", "name", "amount", "extra", *SRC_COLUMNS]
    assert all(f.type == pa.string() for f in table.schema)
    for part in directory.glob("part-*.parquet"):  # every part has the full schema
        assert pq.read_schema(part).names == table.column_names
    assert manifest["rows"] == table.num_rows == 4
    assert manifest["error_rows"] == 1
    rows = table.to_pylist()
    assert rows[0] == {"id": "1", "name": "深圳大学", "amount": "100", "extra": None,
                       "_src_location": "sz/feeds/grants_2024a.csv line 2", "_src_error": None,
                       "_src_raw": None}
    assert rows[1]["_src_error"].startswith("wrong field count") and rows[1]["_src_raw"] == "2,南方科技大学"
    assert rows[3]["extra"] == "x"

    # checksums verify
    combined = hashlib.sha256()
    for part in manifest["parts"]:
        data = (directory / part["name"]).read_bytes()
        combined.update(data)
        assert hashlib.sha256(data).hexdigest() == part["sha256"] and len(data) == part["bytes"]
    assert combined.hexdigest() == manifest["sha256"]
    assert manifest["bytes"] == sum(p["bytes"] for p in manifest["parts"])
    src = feeds_root / "sz/feeds/grants_2024a.csv"
    assert manifest["files_read"][0] == {
        "name": "sz/feeds/grants_2024a.csv", "size": src.stat().st_size,
        "sha256": hashlib.sha256(src.read_bytes()).hexdigest(), "rows": 3, "error_rows": 1}
    assert manifest["files_quarantined"] == []
    for key in ("platform", "source", "run_date", "run_id", "format", "started", "finished"):
        assert manifest[key]
    assert manifest["watermark"] is None


def test_same_input_gives_identical_parquet(feeds_root, lake, tmp_path):
    write_csv(feeds_root, "grants_1.csv", [f"{i},机构{i},{i * 10}" for i in range(50)])
    first = run(csv_source(), feeds_root, lake, run_id="a", batch_rows=20)
    other = LocalLake(tmp_path / "other")
    second = run(csv_source(), feeds_root, other, run_id="b", batch_rows=20)
    assert first["sha256"] == second["sha256"]
    assert [p["sha256"] for p in first["parts"]] == [p["sha256"] for p in second["parts"]]


def test_rerun_replaces_the_run_directory(feeds_root, lake):
    source = csv_source()
    old = write_csv(feeds_root, "grants_1.csv", ["1,a,1", "2,b,2", "3,c,3"])
    run(source, feeds_root, lake, run_id="first", batch_rows=1)
    old.unlink()
    write_csv(feeds_root, "grants_2.csv", ["9,z,9"])
    manifest = run(source, feeds_root, lake, run_id="second")
    directory = run_dir(lake, source)
    assert sorted(os.listdir(directory.parent)) == [RUN_DATE]
    assert sorted(os.listdir(directory)) == ["_manifest.json", "part-00000.parquet"]
    assert read_parts(directory).column("id").to_pylist() == ["9"]
    assert manifest["run_id"] == "second" and manifest["rows"] == 1


def test_failure_midway_leaves_no_partial_directory(feeds_root, lake, monkeypatch):
    source = csv_source()
    write_csv(feeds_root, "grants_1.csv", ["1,a,1"])
    run(source, feeds_root, lake, run_id="good")
    write_csv(feeds_root, "grants_2.csv", [f"{i},b,{i}" for i in range(2, 30)])
    real = extract_files.read_feed

    def failing(*args, **kwargs):
        for n, record in enumerate(real(*args, **kwargs)):
            if n == 20:
                raise RuntimeError("connection lost")
            yield record

    monkeypatch.setattr(extract_files, "read_feed", failing)
    with pytest.raises(RuntimeError, match="connection lost"):
        run(source, feeds_root, lake, run_id="bad", batch_rows=5)
    directory = run_dir(lake, source)
    assert sorted(os.listdir(directory.parent)) == [RUN_DATE]  # no .tmp- / .old- leftovers
    assert lake.read_manifest(f"raw/sz/grants/{RUN_DATE}")["run_id"] == "good"  # old run intact
    assert read_parts(directory).num_rows == 1

    lake.delete(f"raw/sz/grants/{RUN_DATE}")
    with pytest.raises(RuntimeError):
        run(source, feeds_root, lake, run_id="bad", batch_rows=5)
    assert os.listdir(directory.parent) == []


def test_broken_files_are_quarantined_and_contribute_no_rows(feeds_root, lake):
    good = [f'<patent id="A{i}"><title>专利{i}</title></patent>' for i in range(3)]
    write_xml(feeds_root, "p1.xml", good)
    # many records, then broken: rows were already flushed when the error shows up
    write_xml(feeds_root, "p2.xml",
              [f'<patent id="B{i}"><title>坏{i}</title><only_in_bad>x</only_in_bad></patent>'
               for i in range(10)], tail="<patent>")
    (feeds_root / "gz/feeds/p3.xml").write_bytes(
        '<root><patent id="C1"><title>编码错误</title></patent></root>'.encode("utf-16"))  # not GB18030
    write_xml(feeds_root, "p4.xml", ['<patent id="D1"><title>最后</title><ipc>H01L</ipc></patent>'])
    source = xml_source()
    manifest = run(source, feeds_root, lake, batch_rows=4)
    table = read_parts(run_dir(lake, source))
    assert table.column("@id").to_pylist() == ["A0", "A1", "A2", "D1"]
    assert table.column_names == ["@id", "title", "ipc", *SRC_COLUMNS]  # nothing from p2
    assert manifest["rows"] == 4 and manifest["error_rows"] == 0
    assert [f["name"] for f in manifest["files_read"]] == ["gz/feeds/p1.xml", "gz/feeds/p4.xml"]
    quarantined = {q["name"]: q["reason"] for q in manifest["files_quarantined"]}
    assert set(quarantined) == {"gz/feeds/p2.xml", "gz/feeds/p3.xml"}
    assert "malformed XML" in quarantined["gz/feeds/p2.xml"]
    assert "does not decode" in quarantined["gz/feeds/p3.xml"]
    assert all(q["sha256"] and q["size"] for q in manifest["files_quarantined"])
    assert [p["rows"] for p in manifest["parts"]] == [4]


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 100])
def test_rollback_keeps_rows_of_earlier_files(feeds_root, lake, batch_rows):
    write_xml(feeds_root, "a.xml", ['<patent id="A1"><x>1</x></patent>', '<patent id="A2"/>'])
    write_xml(feeds_root, "b.xml", [f'<patent id="B{i}"><y>1</y></patent>' for i in range(5)],
              tail="")
    write_xml(feeds_root, "c.xml", ['<patent id="C1"><z>1</z></patent>'])
    manifest = run(xml_source(), feeds_root, lake, batch_rows=batch_rows)
    table = read_parts(run_dir(lake, xml_source()))
    assert table.column("@id").to_pylist() == ["A1", "A2", "C1"]
    assert table.column_names == ["@id", "x", "z", *SRC_COLUMNS]
    assert [p["name"] for p in manifest["parts"]] == [
        f"part-{i:05d}.parquet" for i in range(len(manifest["parts"]))]


def test_fields_appearing_late_get_a_uniform_schema(feeds_root, lake):
    write_xml(feeds_root, "a.xml", ['<patent id="1"><t>a</t></patent>'] * 3
              + ['<patent id="4"><t>d</t><late>!</late></patent>'])
    manifest = run(xml_source(), feeds_root, lake, batch_rows=2)
    directory = run_dir(lake, xml_source())
    schemas = {tuple(pq.read_schema(directory / p["name"]).names) for p in manifest["parts"]}
    assert schemas == {("@id", "t", "late", *SRC_COLUMNS)}
    assert read_parts(directory).column("late").to_pylist() == [None, None, None, "!"]


def test_no_files_still_writes_a_readable_run(feeds_root, lake):
    manifest = run(csv_source(), feeds_root, lake)
    table = read_parts(run_dir(lake, csv_source()))
    assert table.num_rows == 0 and table.column_names == list(SRC_COLUMNS)
    assert manifest["rows"] == 0 and manifest["files_read"] == []


def test_sql_source(tmp_path, lake):
    url = f"sqlite:///{tmp_path / 'gz.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE t_yqsb ("YQBH" TEXT PRIMARY KEY, "YQMC" TEXT, "YZ" REAL)')
        conn.exec_driver_sql("INSERT INTO t_yqsb VALUES ('B', '质谱仪', 350000.0), ('A', '电镜', NULL),"
                             " ('C', '离心机', 0.5)")
    engine.dispose()
    source = {"platform": "gz", "source": "instruments", "format": "sql", "id_field": "YQBH",
              "sql": {"database": "gz", "table": "t_yqsb"}}
    manifest = run(source, None, lake, database_urls={"gz": url}, batch_rows=2)
    table = read_parts(run_dir(lake, source))
    assert table.to_pylist()[:2] == [
        {"YQBH": "A", "YQMC": "电镜", "YZ": None, "_src_location": "table t_yqsb row 1",
         "_src_error": None, "_src_raw": None},
        {"YQBH": "B", "YQMC": "质谱仪", "YZ": "350000", "_src_location": "table t_yqsb row 2",
         "_src_error": None, "_src_raw": None}]
    assert manifest["rows"] == 3 and len(manifest["parts"]) == 2
    assert manifest["sql"] == {"database": "gz", "order_by": "YQBH", "table": "t_yqsb"}
    assert url not in str(manifest)  # no connection strings (credentials) in the manifest
    with pytest.raises(ValueError, match="unknown database"):
        run({**source, "sql": {"database": "nope", "table": "t"}}, None, lake)


def test_bad_names_are_refused(feeds_root, lake):
    with pytest.raises(ValueError):
        run(csv_source(platform="../x"), feeds_root, lake)
    with pytest.raises(ValueError):
        extract_source(csv_source(), feeds_root=feeds_root, database_urls={}, lake=lake,
                       run_date="2024/06/01", run_id="r")
    with pytest.raises(ValueError):
        run(csv_source(file={"path": "../*.csv"}), feeds_root, lake)


def test_local_lake_operations(tmp_path):
    lake = LocalLake(tmp_path / "lake")
    lake.write_bytes("a/b/c.bin", b"123")
    assert lake.exists("a/b/c.bin") and lake.read_bytes("a/b/c.bin") == b"123"
    assert lake.list("a/b") == ["c.bin"]
    assert lake.uri("a").startswith("file:///")
    with pytest.raises(ValueError):
        lake.join("a", "..", "..", "etc")
    with lake.staged_directory("runs/x", "scheduled__2024-06-01T00:00:00+00:00") as staging:
        assert ":" not in staging
        lake.write_bytes(lake.join(staging, "f"), b"new")
    assert lake.list("runs") == ["x"] and lake.read_bytes("runs/x/f") == b"new"


# the HDFS lake at the protocol level: tests/test_webhdfs.py (the stack's WebHDFS)


@pytest.mark.cluster
def test_hdfs_lake_round_trip(feeds_root):
    from tests import server_endpoints

    server_endpoints.require("hdfs")
    base = os.environ.get("BAYRES_TEST_WEBHDFS_ROOT", "/tmp").rstrip("/")
    lake = HdfsLake(server_endpoints.WEBHDFS_URL, f"{base}/bayres-test-{uuid.uuid4().hex}",
                    os.environ.get("BAYRES_TEST_WEBHDFS_USER", "bayres"))
    try:
        write_csv(feeds_root, "grants_1.csv", ["1,a,1", "2,b,2"])
        first = run(csv_source(), feeds_root, lake, run_id="h1", batch_rows=1)
        second = run(csv_source(), feeds_root, lake, run_id="h2", batch_rows=1)
        directory = f"raw/sz/grants/{RUN_DATE}"
        assert lake.list("raw/sz/grants") == [RUN_DATE]
        assert lake.read_manifest(directory)["run_id"] == "h2"
        assert lake.list(directory) == ["_manifest.json", "part-00000.parquet", "part-00001.parquet"]
        assert first["sha256"] == second["sha256"]
        data = lake.read_bytes(lake.join(directory, "part-00000.parquet"))
        assert hashlib.sha256(data).hexdigest() == second["parts"][0]["sha256"]
    finally:
        lake.delete("")
