"""The cluster profile on this machine's Hadoop stack against the local profile, same sample.

``python -m tests.bench.stack_cluster_vs_local [--scale 5000] [--seed 42]`` — the stack must be
up (``make stack-up``: MariaDB, ZooKeeper, the Hive metastore, HDFS, YARN, HBase + Thrift,
Phoenix QS). Writes ``.bench/stack_cluster_vs_local.json``:

* the stack: start-up seconds per server (the last start recorded in
  ``.servers/startup-times.log``) and resident memory per server now (RSS of its process group);
* the cluster run: sources generated and loaded as docker/'s ``mariadb-init`` does
  (``docker/init/load_sources.py``: MariaDB databases, feeds uploaded to the HDFS drop folder),
  HBase tables and Phoenix views created, then ``bayres --profile cluster run`` with the
  environment of ``stack/cluster-env.sh`` (Spark on YARN, lake on HDFS, serving on HBase);
* the local run: ``bayres generate`` + ``bayres run`` on the same seed and scale;
* ``cluster_seconds``, ``local_seconds`` (wall time of the run command), ``ratio`` = cluster /
  local, and the same per stage from each run's report.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .record import wait_with_peak_rss, write_result

REPO = Path(__file__).resolve().parents[2]
STACK_SERVERS = ["namenode", "datanode", "resourcemanager", "nodemanager", "hbase-master",
                 "hbase-regionserver", "hbase-thrift", "phoenix-qs", "zookeeper", "mariadb",
                 "hive-metastore", "hiveserver2"]


def servers_dir() -> Path:
    return Path(os.environ.get("BAYRES_SERVERS_DIR", REPO / ".servers"))


def stack_figures() -> dict:
    """Start-up seconds (last recorded start) and RSS (MiB, process group) per server."""
    import psutil

    startup: dict[str, float] = {}
    log = servers_dir() / "startup-times.log"
    if log.exists():
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[2] in STACK_SERVERS:
                startup[parts[2]] = float(parts[3])
    rss: dict[str, float] = {}
    for name in STACK_SERVERS:
        pidfile = servers_dir() / "run" / f"{name}.pid"
        try:
            pid = int(pidfile.read_text().strip())
            total = sum(p.memory_info().rss for p in psutil.process_iter()
                        if _sid(p.pid) == pid)
            rss[name] = round(total / 2**20, 1)
        except (OSError, ValueError, psutil.Error):
            continue
    return {"startup_seconds": startup, "rss_mib": rss,
            "stack_rss_mib_total": round(sum(v for k, v in rss.items() if k in STACK_SERVERS[:8]), 1)}


def _sid(pid: int) -> int:
    try:
        return os.getsid(pid)
    except OSError:
        return -1


#: the pseudonymisation key of both runs (jobs/publish/governance.py): the cluster profile publishes
#: only with a key, and the same key in both profiles gives the same pseudonyms. NOT SECRET.
GOVERNANCE_KEY = "bayres-stack-comparison-key-not-secret"


def cluster_env(home: Path) -> dict[str, str]:
    """The environment of stack/cluster-env.sh (sourced by bash), with BAYRES_HOME = home and
    the comparison's pseudonymisation key unless one is set."""
    out = subprocess.run(["bash", "-c", f'export BAYRES_HOME="{home}"; source stack/cluster-env.sh; env -0'],
                         cwd=REPO, check=True, capture_output=True).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    env["PATH"] = str(Path(sys.executable).parent) + ":" + env.get("PATH", "/usr/bin:/bin")
    if not env.get("BAYRES_GOVERNANCE_KEY") and not env.get("BAYRES_GOVERNANCE_KEY_FILE"):
        env["BAYRES_GOVERNANCE_KEY"] = GOVERNANCE_KEY
    return env


def local_env(cluster: dict[str, str], home: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The local profile's environment beside ``cluster``'s: ``base`` (default: only PATH) without
    any ``BAYRES__`` override, BAYRES_HOME = home, the cluster run's pseudonymisation key."""
    env = {k: v for k, v in (base or {"PATH": cluster["PATH"]}).items() if not k.startswith("BAYRES__")}
    env.update({"BAYRES_HOME": str(home), "SPARK_LOCAL_DIRS": str(home / "spark-tmp")})
    for var in ("BAYRES_GOVERNANCE_KEY", "BAYRES_GOVERNANCE_KEY_FILE"):
        env.pop(var, None)
        if cluster.get(var):
            env[var] = cluster[var]
    return env


def _timed(cmd: list[str], env: dict, log: Path) -> tuple[float, float]:
    started = time.perf_counter()
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        peak = wait_with_peak_rss(proc, interval=0.5)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd, f"see {log}")
    return time.perf_counter() - started, peak


def prepare_cluster(env: dict, home: Path, scale: int, seed: int) -> None:
    """Sources into MariaDB and the HDFS drop folder; a clean lake; HBase tables, Phoenix views."""
    import happybase
    from hdfs import InsecureClient

    from bayres.connectors.hbase_store import ensure_tables

    cnf = servers_dir() / "mariadb" / "my.cnf"
    for platform in ("gz", "sz", "hk", "mo"):
        subprocess.run(["mariadb", f"--defaults-file={cnf}", "-uroot", "-e",
                        f"DROP DATABASE IF EXISTS bayres_{platform}; "
                        f"CREATE DATABASE bayres_{platform} CHARACTER SET utf8mb4"], check=True)
    client = InsecureClient(f"http://127.0.0.1:{env['BAYRES_WEBHDFS_PORT']}", user="bayres")
    for path in ("/bayres/lake", "/bayres/drop"):
        client.delete(path, recursive=True)
    # the cluster profile's state store (conf/profiles/cluster.yaml state.root): an earlier run's
    # watermarks would leave the incremental sources (append / lastmodified) with nothing to read
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=env["BAYRES_ZK_HOSTS"])
    zk.start(timeout=30)
    try:
        zk.delete("/bayres", recursive=True)
    except Exception as exc:  # noqa: BLE001 — no state yet
        if type(exc).__name__ != "NoNodeError":
            raise
    finally:
        zk.stop()
        zk.close()
    # the Phoenix views go first: CREATE VIEW IF NOT EXISTS over a view of the same name whose
    # HBase table was re-created spins the Query Server (Phoenix 5.2.0's client walks the view's
    # parent chain forever in verifyIfAnyParentHasIndexesAndViewExtendsPk)
    import phoenixdb

    pqs = f"http://127.0.0.1:{os.environ.get('BAYRES_PHOENIX_QS_PORT', '8765')}/"
    phoenix = phoenixdb.connect(pqs, autocommit=True)
    cursor = phoenix.cursor()
    for view in ("BAYRES_RESOURCE", "BAYRES_RESOURCE_BY_TYPE_REGION", "BAYRES_RESOURCE_RECENT",
                 "BAYRES_LINEAGE"):
        cursor.execute(f'DROP VIEW IF EXISTS "{view}"')
    phoenix.close()
    connection = happybase.Connection("127.0.0.1", int(os.environ.get("BAYRES_HBASE_THRIFT_PORT", 9090)))
    for table in connection.tables():
        if table.startswith(b"BAYRES_"):
            connection.delete_table(table, disable=True)
    ensure_tables(connection)
    connection.close()
    prep = {**env, "BAYRES_SOURCES_DIR": str(home / "sources"), "BAYRES_SCALE": str(scale),
            "BAYRES_SEED": str(seed), "BAYRES_FORCE_RELOAD": "1"}
    subprocess.run([sys.executable, "docker/init/load_sources.py"], env=prep, cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "docker/init/create_phoenix_views.py", "--url", pqs,
                    "hbase/phoenix"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def _report(home: Path) -> dict:
    return json.loads(max((home / "reports").glob("*/report.json"),
                          key=lambda p: p.stat().st_mtime).read_text())


def dedup_steps(report: dict) -> dict:
    """The dedup stage's step seconds, and its linkage's (prepare, train — estimation or reuse
    of the model —, predict) summed over the type configurations, from a run's report."""
    dedup = report["stages"].get("dedup") or {}
    linkage: dict[str, float] = {}
    trained_on, seen = set(), set()
    for rtype, st in (dedup.get("linkage") or {}).items():
        if not isinstance(st, dict) or st.get("type_config", rtype) in seen:
            continue  # one entry per resource type, the same stats for the types of one config
        seen.add(st.get("type_config", rtype))
        for step, seconds in (st.get("step_seconds") or {}).items():
            if isinstance(seconds, (int, float)):
                linkage[step] = round(linkage.get(step, 0.0) + seconds, 2)
        if st.get("trained"):
            trained_on.add(st.get("trained_on") or st.get("backend"))
    return {"steps": dedup.get("step_seconds"), "linkage": linkage, "model_trained_on": sorted(trained_on)}


def run(scale: int = 5000, seed: int = 42, day: str = "2026-11-01") -> Path:
    bayres = str(Path(sys.executable).parent / "bayres")
    load_before = list(os.getloadavg())
    stack = stack_figures()
    with tempfile.TemporaryDirectory(prefix=f"bayres-bench-stack-{scale}-", dir=REPO / "var") as tmp:
        tmp = Path(tmp)
        chome, lhome = tmp / "cluster", tmp / "local"
        chome.mkdir()
        lhome.mkdir()
        env = cluster_env(chome)
        prepare_cluster(env, chome, scale, seed)
        cluster_s, cluster_mib = _timed([bayres, "--profile", "cluster", "run", "--date", day],
                                        env, tmp / "cluster.log")
        creport = _report(chome)
        lenv = local_env(env, lhome)
        _timed([bayres, "generate", "--seed", str(seed), "--scale", str(scale)], lenv, tmp / "local.log")
        local_s, local_mib = _timed([bayres, "run", "--date", day], lenv, tmp / "local.log")
        lreport = _report(lhome)
    cstages = {k: v.get("seconds") for k, v in creport["stages"].items()}
    lstages = {k: v.get("seconds") for k, v in lreport["stages"].items()}
    figures = {
        "scale": scale, "seed": seed,
        "cluster_seconds": round(cluster_s, 1), "local_seconds": round(local_s, 1),
        "ratio": round(cluster_s / local_s, 2),
        "stage_seconds": {k: {"cluster": cstages.get(k), "local": lstages.get(k),
                              "ratio": round(cstages[k] / lstages[k], 2)
                              if cstages.get(k) and lstages.get(k) else None}
                          for k in sorted(set(cstages) | set(lstages))},
        "cluster_driver_peak_rss_mib": round(cluster_mib, 1),
        "local_peak_rss_mib": round(local_mib, 1),
        "golden_records": {"cluster": creport["stages"].get("dedup", {}).get("golden"),
                           "local": lreport["stages"].get("dedup", {}).get("golden")},
        "records_linked": {"cluster": creport["stages"].get("dedup", {}).get("records"),
                           "local": lreport["stages"].get("dedup", {}).get("records")},
        "dedup": {"cluster": dedup_steps(creport), "local": dedup_steps(lreport)},
        "stack": stack,
    }
    # the check reads the 5,000-record file; other scales beside it
    name = "stack_cluster_vs_local" if scale == 5000 else f"stack_cluster_vs_local_{scale}"
    return write_result(name, figures, load_average=list(os.getloadavg()),
                        load_average_at_start=load_before)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    run(args.scale, args.seed)
