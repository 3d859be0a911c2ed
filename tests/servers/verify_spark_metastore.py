#!/usr/bin/env python
"""Check that a separate PySpark session shares the test Hive metastore with HiveServer2.

Run with the servers up (``tests/servers/start.sh hive``)::

    .venv/bin/python tests/servers/verify_spark_metastore.py [--keep]

1. a PySpark session configured with ``server_endpoints.spark_hive_conf()`` (metastore
   ``thrift://127.0.0.1:9083`` + the shared warehouse dir) creates database ``bayres_verify``
   and a parquet table ``bayres_verify.from_spark`` holding CJK text;
2. through HiveServer2 (PyHive) a table ``bayres_verify.from_hs2`` is created (CTAS), and the
   Spark session reads it back;
3. after the Spark session stops, PyHive and pyspark's ``beeline`` both read ``from_spark``.

Standalone on purpose: the pytest suite owns exactly one Spark session (the lead's conftest).
Exits 0 when every step worked; the database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/ -> server_endpoints

import server_endpoints as ep  # noqa: E402

ROWS = [(1, "香港科技大學"), (2, "𨋢"), (3, "澳門大學")]
DB = "bayres_verify"


def step(msg: str) -> None:
    print(f"[verify] {msg}", flush=True)


def hive_conn():
    from pyhive import hive

    return hive.connect(host=ep.HIVESERVER2_HOST, port=ep.HIVESERVER2_PORT, username="bayres")


def hs2(sql: str) -> list[tuple]:
    conn = hive_conn()
    try:
        cur = conn.cursor()
        cur.execute(sql)
        try:
            return [tuple(r) for r in cur.fetchall()]
        except Exception:  # statements without a result set
            return []
    finally:
        conn.close()


def main() -> int:
    keep = "--keep" in sys.argv[1:]
    for name in ("hive_metastore", "hiveserver2"):
        if not ep.reachable(name):
            print(f"{ep.SERVERS[name][0]} not reachable: tests/servers/start.sh hive", file=sys.stderr)
            return 2

    os.environ.pop("SPARK_HOME", None)  # let pyspark find its own
    from pyspark.sql import SparkSession

    t0 = time.monotonic()
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("bayres-verify-metastore")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
    )
    for k, v in ep.spark_hive_conf().items():
        builder = builder.config(k, v)
    spark = builder.enableHiveSupport().getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    step(f"spark session up in {time.monotonic() - t0:.1f}s with {ep.spark_hive_conf()}")

    spark.sql(f"DROP DATABASE IF EXISTS {DB} CASCADE")
    spark.sql(f"CREATE DATABASE {DB}")
    df = spark.createDataFrame(ROWS, "id INT, name STRING")
    df.write.mode("overwrite").format("parquet").saveAsTable(f"{DB}.from_spark")
    got = sorted(tuple(r) for r in spark.table(f"{DB}.from_spark").collect())
    assert got == ROWS, got
    location = spark.sql(f"DESCRIBE TABLE EXTENDED {DB}.from_spark").filter("col_name = 'Location'").collect()
    step(f"spark wrote {DB}.from_spark at {location[0][1] if location else '?'}")

    hs2(f"CREATE TABLE {DB}.from_hs2 USING parquet AS SELECT id * 10 AS id, name FROM {DB}.from_spark")
    spark.catalog.refreshTable(f"{DB}.from_hs2")
    got = sorted(tuple(r) for r in spark.table(f"{DB}.from_hs2").collect())
    assert got == [(i * 10, n) for i, n in ROWS], got
    step(f"HiveServer2 created {DB}.from_hs2; the spark session reads it: {got}")
    spark.stop()

    tables = {r[1] if len(r) > 1 else r[0] for r in hs2(f"SHOW TABLES IN {DB}")}
    assert {"from_spark", "from_hs2"} <= tables, tables
    got = hs2(f"SELECT id, name FROM {DB}.from_spark ORDER BY id")
    assert got == ROWS, got
    step(f"PyHive sees {sorted(tables)} and reads from_spark: {got}")

    import pyspark

    beeline = Path(pyspark.__file__).parent / "bin" / "beeline"
    env = dict(os.environ, SPARK_HOME=str(beeline.parent.parent))
    out = subprocess.run(
        [
            str(beeline),
            "-u", f"jdbc:hive2://{ep.HIVESERVER2_HOST}:{ep.HIVESERVER2_PORT}/default",
            "-n", "bayres",
            "--silent=true", "--showHeader=false", "--outputformat=csv2",
            "-e", f"SELECT id, name FROM {DB}.from_spark ORDER BY id;",
        ],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln and not ln.startswith("WARNING")]
    assert lines == [f"{i},{n}" for i, n in ROWS], (out.returncode, out.stdout, out.stderr[-2000:])
    step(f"beeline ({beeline}) reads from_spark: {lines}")

    if not keep:
        hs2(f"DROP DATABASE {DB} CASCADE")
        step(f"dropped {DB}")
    step("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
