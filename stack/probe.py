"""Readiness probes of the single-machine stack (called by stack/servers.sh; exit 0 = ready).

    probe.py webhdfs HOST WEBHDFS_PORT      NameNode answers WebHDFS LISTSTATUS on /
    probe.py hdfs-ready HOST WEBHDFS_PORT   a DataNode is live and safe mode is off
    probe.py rm HOST RM_WEB_PORT            the ResourceManager's REST API answers
    probe.py nm HOST RM_WEB_PORT            the RM lists a RUNNING NodeManager with memory
    probe.py hbase-master ZK_HOSTS ZNODE    an active HBase master has registered in ZooKeeper
    probe.py hbase-rs ZK_HOSTS ZNODE PORT   the region server on PORT has registered in ZooKeeper
    probe.py thrift HOST PORT               a table round trip through HBase Thrift (happybase)
    probe.py phoenix HOST PORT              a query and a CREATE VIEW through the Phoenix Query
                                            Server (phoenixdb), on the Thrift probe's table

Only the Python standard library plus happybase / phoenixdb / kazoo (all in the project's venv).
"""

from __future__ import annotations

import json
import sys
import urllib.request


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def webhdfs(host: str, port: str) -> None:
    d = _get(f"http://{host}:{port}/webhdfs/v1/?op=LISTSTATUS&user.name=probe")
    assert "FileStatuses" in d, d


def hdfs_ready(host: str, port: str) -> None:
    d = _get(f"http://{host}:{port}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState")
    bean = d["beans"][0]
    assert bean["NumLiveDataNodes"] >= 1, bean["NumLiveDataNodes"]
    d = _get(f"http://{host}:{port}/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo")
    assert not d["beans"][0]["Safemode"], d["beans"][0]["Safemode"]
    # and a DataNode can take a block: write and read a small file through WebHDFS
    import requests

    base = f"http://{host}:{port}/webhdfs/v1/tmp/.bayres-probe"
    r = requests.put(base + "?op=CREATE&overwrite=true&user.name=probe", allow_redirects=False, timeout=10)
    r.raise_for_status()
    r = requests.put(r.headers["Location"], data=b"ok", timeout=10)
    r.raise_for_status()
    r = requests.get(base + "?op=OPEN&user.name=probe", timeout=10)
    assert r.content == b"ok", r.content


def rm(host: str, port: str) -> None:
    d = _get(f"http://{host}:{port}/ws/v1/cluster/info")
    assert d["clusterInfo"]["state"] == "STARTED", d


def nm(host: str, port: str) -> None:
    d = _get(f"http://{host}:{port}/ws/v1/cluster/nodes")
    nodes = (d.get("nodes") or {}).get("node") or []
    assert any(n["state"] == "RUNNING" and n.get("availMemoryMB", 0) > 0 for n in nodes), nodes


def _zk(hosts: str):
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=hosts, timeout=5)
    zk.start(timeout=5)
    return zk


def hbase_master(zk_hosts: str, znode: str) -> None:
    """The active master's znode exists: the master has created the cluster's base znodes
    (``znode`` and its children), which a region server must find when it starts (below)."""
    zk = _zk(zk_hosts)
    try:
        assert zk.exists(f"{znode}/master"), f"no active master under {znode}"
    finally:
        zk.stop()


def hbase_rs(zk_hosts: str, znode: str, port: str) -> None:
    zk = _zk(zk_hosts)
    try:
        servers = zk.get_children(f"{znode}/rs")
        assert any(s.split(",")[1] == port for s in servers), servers
    finally:
        zk.stop()


def thrift(host: str, port: str) -> None:
    import happybase

    conn = happybase.Connection(host, int(port), timeout=30000, autoconnect=True)
    try:
        name = "bayres_stack_probe"
        if name.encode() not in conn.tables():
            conn.create_table(name, {"f": {}})
        t = conn.table(name)
        t.put(b"r", {b"f:c": b"ok"})
        assert t.row(b"r") == {b"f:c": b"ok"}
    finally:
        conn.close()


def phoenix(host: str, port: str) -> None:
    import phoenixdb

    conn = phoenixdb.connect(f"http://{host}:{port}/", autocommit=True, max_retries=1)
    try:
        cur = conn.cursor()
        # Phoenix has no FROM-less SELECT: SYSTEM.CATALOG exists once Phoenix is initialised
        cur.execute("SELECT COUNT(*) FROM SYSTEM.CATALOG")
        assert cur.fetchone()[0] > 0
        # and the metadata endpoint in the region server can create a view (the first CREATE VIEW
        # is where a region server that cannot find hbase:meta from inside hangs): a view of the
        # Thrift probe's table (the Thrift server is ready before this probe runs). Only when the
        # view is not there yet (a stack restarted over its data keeps it): Phoenix 5.2's client
        # compiling CREATE VIEW IF NOT EXISTS over an existing view of the same name walks the
        # view's parent chain forever (CreateTableCompiler.verifyIfAnyParentHasIndexesAndViewExtendsPk),
        # a Query Server thread spinning until it stops
        cur.execute("SELECT COUNT(*) FROM SYSTEM.CATALOG WHERE TABLE_SCHEM IS NULL "
                    "AND TABLE_NAME = 'bayres_stack_probe' AND TABLE_TYPE = 'v'")
        if not cur.fetchone()[0]:
            cur.execute('CREATE VIEW IF NOT EXISTS "bayres_stack_probe" (pk VARCHAR PRIMARY KEY, "f"."c" VARCHAR)')
        cur.execute('SELECT "c" FROM "bayres_stack_probe" LIMIT 1')
        cur.fetchall()
    finally:
        conn.close()


PROBES = {"webhdfs": webhdfs, "hdfs-ready": hdfs_ready, "rm": rm, "nm": nm,
          "hbase-master": hbase_master, "hbase-rs": hbase_rs, "thrift": thrift, "phoenix": phoenix}

if __name__ == "__main__":
    PROBES[sys.argv[1]](*sys.argv[2:])
