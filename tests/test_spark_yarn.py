"""Spark on the stack's YARN: ``spark-submit --master yarn`` (pyspark's own, whose jars carry
spark-yarn) with the HADOOP_CONF_DIR that ``tests/servers/start.sh stack`` writes, a job that
writes Parquet to ``hdfs://`` and reads it back; the test checks the application in the
ResourceManager and the files through WebHDFS."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import urllib.request
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hdfs import InsecureClient

from tests import server_endpoints

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parent.parent


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def yarn_submit_args(name: str) -> list[str]:
    """What the pipeline's SparkSubmitOperator sets for YARN on this one machine: the jars and
    Python are the same files on the "nodes" (local:), so nothing big is uploaded."""
    sh = spark_home()
    return [
        str(sh / "bin" / "spark-submit"), "--master", "yarn", "--deploy-mode", "client",
        "--name", name, "--num-executors", "1", "--executor-cores", "1",
        "--executor-memory", "512m", "--driver-memory", "512m",
        "--conf", "spark.yarn.am.memory=384m",
        "--conf", f"spark.yarn.jars=local:{sh}/jars/*",
        "--conf", f"spark.pyspark.python={sys.executable}",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.sql.shuffle.partitions=2",
        "--conf", "spark.yarn.submit.waitAppCompletion=true",
    ]


def yarn_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HADOOP_CONF_DIR=str(server_endpoints.HADOOP_CONF_DIR),
               YARN_CONF_DIR=str(server_endpoints.HADOOP_CONF_DIR),
               SPARK_HOME=str(spark_home()), PYSPARK_PYTHON=sys.executable,
               HADOOP_USER_NAME="bayres", SPARK_LOCAL_IP="127.0.0.1")
    env.pop("SPARK_CONF_DIR", None)
    return env


JOB = textwrap.dedent("""
    import sys
    from pyspark.sql import SparkSession
    out = sys.argv[1]
    spark = SparkSession.builder.getOrCreate()
    assert spark.sparkContext.master == "yarn", spark.sparkContext.master
    rows = [(i, f"机构{i}", i * 0.5) for i in range(1000)]
    df = spark.createDataFrame(rows, "id long, name string, score double").repartition(3)
    df.write.mode("overwrite").parquet(out)
    back = spark.read.parquet(out)
    # an aggregation runs in the executor on YARN, not in the driver
    total = back.groupBy().sum("id").collect()[0][0]
    print("RESULT", back.count(), total, spark.sparkContext.applicationId, flush=True)
    spark.stop()
""")


def test_spark_submit_to_yarn_writes_parquet_on_hdfs(tmp_path):
    server_endpoints.require("yarn")
    server_endpoints.require("hdfs")
    assert (server_endpoints.HADOOP_CONF_DIR / "yarn-site.xml").is_file()
    job = tmp_path / "yarn_job.py"
    job.write_text(JOB, encoding="utf-8")
    path = f"/tmp/bayres-test-yarn-{uuid.uuid4().hex[:10]}"
    out = f"{server_endpoints.HDFS_URI}{path}/scores"
    proc = subprocess.run([*yarn_submit_args("bayres-test-yarn"), str(job), out],
                          env=yarn_env(), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    [line] = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    _, count, total, app_id = line.split()
    assert int(count) == 1000 and int(total) == sum(range(1000))
    assert app_id.startswith("application_")

    # the ResourceManager ran it
    with urllib.request.urlopen(f"{server_endpoints.YARN_RM_URL}/ws/v1/cluster/apps/{app_id}",
                                timeout=10) as r:
        app = json.load(r)["app"]
    assert app["name"] == "bayres-test-yarn" and app["finalStatus"] == "SUCCEEDED"

    # and the Parquet files are on HDFS, readable by another client
    client = InsecureClient(server_endpoints.WEBHDFS_URL, user="bayres")
    try:
        names = client.list(f"{path}/scores")
        parts = [n for n in names if n.endswith(".parquet")]
        assert "_SUCCESS" in names and len(parts) == 3
        tables = []
        for part in parts:
            with client.read(f"{path}/scores/{part}") as reader:
                tables.append(pq.read_table(io.BytesIO(reader.read())))
        ids = sorted(i for t in tables for i in t.column("id").to_pylist())
        names_ = {n for t in tables for n in t.column("name").to_pylist()}
        assert ids == list(range(1000)) and "机构7" in names_
    finally:
        client.delete(path, recursive=True)
