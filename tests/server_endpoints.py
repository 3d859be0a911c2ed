"""Endpoints of the local test servers started by ``tests/servers/start.sh``.

Every value can be overridden from the environment, so the same tests can run against servers
started elsewhere. The ports default to the ones ``start.sh`` uses and follow the same
variables (``BAYRES_MARIADB_PORT``, ``BAYRES_ZK_PORT``, ``BAYRES_ZK_ENSEMBLE_PORTS``,
``BAYRES_HIVE_METASTORE_PORT``, ``BAYRES_HS2_PORT``, ``BAYRES_SERVERS_DIR``); a whole endpoint
can be replaced with ``BAYRES_MARIADB_URL``, ``BAYRES_ZK_HOSTS``, ``BAYRES_ZK_ENSEMBLE``,
``BAYRES_HIVE_METASTORE_URI``, ``BAYRES_HIVE_WAREHOUSE_DIR``, ``BAYRES_HS2_HOST``.

In a test::

    from tests.server_endpoints import MARIADB_URL, require

    @pytest.mark.servers
    def test_something():
        require("mariadb")          # skip if not reachable, fail under BAYRES_REQUIRE_SERVERS=1
        ...

Values are read once, at import time; ``endpoints()`` re-reads the environment.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent

__all__ = [
    "HOST",
    "SERVERS_DIR",
    "MARIADB_URL",
    "MARIADB_HOST",
    "MARIADB_PORT",
    "ZK_HOSTS",
    "ZK_ENSEMBLE",
    "HIVE_METASTORE_URI",
    "HIVE_WAREHOUSE_DIR",
    "HIVESERVER2_HOST",
    "HIVESERVER2_PORT",
    "HDFS_URI",
    "WEBHDFS_URL",
    "YARN_RM_URL",
    "HADOOP_CONF_DIR",
    "HBASE_THRIFT",
    "PHOENIX_URL",
    "SERVERS",
    "endpoints",
    "spark_hive_conf",
    "reachable",
    "require",
]


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value.strip() else default


def endpoints() -> dict[str, object]:
    """All endpoints, read from the environment now."""
    host = "127.0.0.1"
    servers_dir = Path(_env("BAYRES_SERVERS_DIR", str(REPO / ".servers")))
    mariadb_port = int(_env("BAYRES_MARIADB_PORT", "3307"))
    zk_port = int(_env("BAYRES_ZK_PORT", "2181"))
    ens_ports = _env("BAYRES_ZK_ENSEMBLE_PORTS", "2191 2192 2193").split()
    hms_port = int(_env("BAYRES_HIVE_METASTORE_PORT", "9083"))
    mariadb_url = _env(
        "BAYRES_MARIADB_URL",
        f"mysql+pymysql://bayres:bayres@{host}:{mariadb_port}/bayres_test?charset=utf8mb4",
    )
    url = urlsplit(mariadb_url)
    return {
        "HOST": host,
        "SERVERS_DIR": servers_dir,
        "MARIADB_URL": mariadb_url,
        "MARIADB_HOST": url.hostname or host,
        "MARIADB_PORT": url.port or 3306,
        "ZK_HOSTS": _env("BAYRES_ZK_HOSTS", f"{host}:{zk_port}"),
        "ZK_ENSEMBLE": _env("BAYRES_ZK_ENSEMBLE", ",".join(f"{host}:{p}" for p in ens_ports)),
        "HIVE_METASTORE_URI": _env("BAYRES_HIVE_METASTORE_URI", f"thrift://{host}:{hms_port}"),
        # the metastore server and every Spark session using it must agree on this
        "HIVE_WAREHOUSE_DIR": _env(
            "BAYRES_HIVE_WAREHOUSE_DIR", "file:" + str(servers_dir / "hive" / "warehouse")
        ),
        "HIVESERVER2_HOST": _env("BAYRES_HS2_HOST", host),
        "HIVESERVER2_PORT": int(_env("BAYRES_HS2_PORT", "10000")),
        # the Hadoop stack of stack/servers.sh (tests/servers/start.sh stack); the
        # BAYRES_TEST_* variables point the cluster tests at a stack started elsewhere
        "HDFS_URI": _env("BAYRES_TEST_HDFS_URI", f"hdfs://{host}:{_env('BAYRES_HDFS_PORT', '9000')}"),
        "WEBHDFS_URL": _env("BAYRES_TEST_WEBHDFS_URL",
                            f"http://{host}:{_env('BAYRES_WEBHDFS_PORT', '9870')}"),
        "YARN_RM_URL": _env("BAYRES_TEST_YARN_RM_URL",
                            f"http://{host}:{_env('BAYRES_YARN_WEB_PORT', '8088')}"),
        "HADOOP_CONF_DIR": Path(_env("BAYRES_TEST_HADOOP_CONF_DIR",
                                     str(servers_dir / "stack" / "conf" / "hadoop"))),
        "HBASE_THRIFT": _env("BAYRES_TEST_HBASE_THRIFT",
                             f"{host}:{_env('BAYRES_HBASE_THRIFT_PORT', '9090')}"),
        "PHOENIX_URL": _env("BAYRES_TEST_PHOENIX_URL",
                            f"http://{host}:{_env('BAYRES_PHOENIX_QS_PORT', '8765')}/"),
    }


_E = endpoints()
HOST: str = _E["HOST"]  # type: ignore[assignment]
SERVERS_DIR: Path = _E["SERVERS_DIR"]  # type: ignore[assignment]
MARIADB_URL: str = _E["MARIADB_URL"]  # type: ignore[assignment]
MARIADB_HOST: str = _E["MARIADB_HOST"]  # type: ignore[assignment]
MARIADB_PORT: int = _E["MARIADB_PORT"]  # type: ignore[assignment]
ZK_HOSTS: str = _E["ZK_HOSTS"]  # type: ignore[assignment]
ZK_ENSEMBLE: str = _E["ZK_ENSEMBLE"]  # type: ignore[assignment]
HIVE_METASTORE_URI: str = _E["HIVE_METASTORE_URI"]  # type: ignore[assignment]
HIVE_WAREHOUSE_DIR: str = _E["HIVE_WAREHOUSE_DIR"]  # type: ignore[assignment]
HIVESERVER2_HOST: str = _E["HIVESERVER2_HOST"]  # type: ignore[assignment]
HIVESERVER2_PORT: int = _E["HIVESERVER2_PORT"]  # type: ignore[assignment]
HDFS_URI: str = _E["HDFS_URI"]  # type: ignore[assignment]
WEBHDFS_URL: str = _E["WEBHDFS_URL"]  # type: ignore[assignment]
YARN_RM_URL: str = _E["YARN_RM_URL"]  # type: ignore[assignment]
HADOOP_CONF_DIR: Path = _E["HADOOP_CONF_DIR"]  # type: ignore[assignment]
HBASE_THRIFT: str = _E["HBASE_THRIFT"]  # type: ignore[assignment]
PHOENIX_URL: str = _E["PHOENIX_URL"]  # type: ignore[assignment]


def spark_hive_conf() -> dict[str, str]:
    """Spark settings for a session that shares the test metastore (pipeline, scripts).

    Use with ``SparkSession.builder.config(map=spark_hive_conf()).enableHiveSupport()``.
    Never point a second process at the metastore's Derby directory: Derby is embedded and
    single-process; everything goes through ``thrift://…:9083``.
    """
    return {
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.hive.metastore.uris": HIVE_METASTORE_URI,
        "spark.sql.warehouse.dir": HIVE_WAREHOUSE_DIR,
    }


def _hostports(spec: str) -> list[tuple[str, int]]:
    out = []
    for part in spec.split(","):
        part = part.strip().split("/")[0]  # a ZooKeeper chroot ("h:p/chroot") is not a port
        if part:
            h, _, p = part.rpartition(":")
            out.append((h or HOST, int(p)))
    return out


def _uri_hostport(uri: str) -> list[tuple[str, int]]:
    u = urlsplit(uri)
    return [(u.hostname or HOST, u.port or 0)]


# name -> (what it is, the (host, port) pairs that must all accept a TCP connection)
SERVERS: dict[str, tuple[str, list[tuple[str, int]]]] = {
    "mariadb": (f"MariaDB ({MARIADB_HOST}:{MARIADB_PORT})", [(MARIADB_HOST, MARIADB_PORT)]),
    "zookeeper": (f"ZooKeeper ({ZK_HOSTS})", _hostports(ZK_HOSTS)),
    "zk_ensemble": (f"ZooKeeper ensemble ({ZK_ENSEMBLE})", _hostports(ZK_ENSEMBLE)),
    "hive_metastore": (f"Hive metastore ({HIVE_METASTORE_URI})", _uri_hostport(HIVE_METASTORE_URI)),
    "hiveserver2": (
        f"HiveServer2 ({HIVESERVER2_HOST}:{HIVESERVER2_PORT})",
        [(HIVESERVER2_HOST, HIVESERVER2_PORT)],
    ),
    "hdfs": (f"HDFS ({HDFS_URI}, WebHDFS {WEBHDFS_URL})",
             _uri_hostport(HDFS_URI) + _uri_hostport(WEBHDFS_URL)),
    "yarn": (f"YARN ResourceManager ({YARN_RM_URL})", _uri_hostport(YARN_RM_URL)),
    "hbase_thrift": (f"HBase Thrift ({HBASE_THRIFT})", _hostports(HBASE_THRIFT)),
    "phoenix": (f"Phoenix Query Server ({PHOENIX_URL})", _uri_hostport(PHOENIX_URL)),
}
_ALIASES = {
    "mysql": "mariadb",
    "zk": "zookeeper",
    "zk-ensemble": "zk_ensemble",
    "metastore": "hive_metastore",
    "hive-metastore": "hive_metastore",
    "hs2": "hiveserver2",
    "hive": "hiveserver2",
    "webhdfs": "hdfs",
    "hbase": "hbase_thrift",
    "phoenix_qs": "phoenix",
}

_START_ARG = {
    "mariadb": "mariadb",
    "zookeeper": "zookeeper",
    "zk_ensemble": "zk-ensemble",
    "hive_metastore": "hive",
    "hiveserver2": "hive",
    "hdfs": "stack",
    "yarn": "stack",
    "hbase_thrift": "stack",
    "phoenix": "stack",
}


def _port_open(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def reachable(name: str, timeout: float = 2.0) -> bool:
    """True if every address of server ``name`` accepts a TCP connection."""
    key = _ALIASES.get(name, name)
    if key not in SERVERS:
        raise KeyError(f"unknown server {name!r}; known: {', '.join(SERVERS)}")
    return all(_port_open(h, p, timeout) for h, p in SERVERS[key][1])


def require(name: str, timeout: float = 2.0) -> None:
    """Skip the calling test if server ``name`` is not reachable.

    With ``BAYRES_REQUIRE_SERVERS=1`` (set by ``make test``) an unreachable server fails the
    test instead, so a CI run cannot pass by skipping everything.
    """
    import pytest

    key = _ALIASES.get(name, name)
    if reachable(key, timeout):
        return
    what = SERVERS[key][0]
    hint = f"start it with: tests/servers/start.sh {_START_ARG[key]}"
    if os.environ.get("BAYRES_REQUIRE_SERVERS", "").strip() in ("1", "true", "yes"):
        pytest.fail(f"{what} is not reachable and BAYRES_REQUIRE_SERVERS=1; {hint}", pytrace=False)
    pytest.skip(f"{what} is not reachable; {hint}")
