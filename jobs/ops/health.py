"""Health of every endpoint a profile names: one ``Check`` each, with latency and a verdict.

Which checks run follows the profile:

=========================  =========================================================
profile setting            check
=========================  =========================================================
``lake.kind: hdfs``        WebHDFS ``GETFILESTATUS /`` (``lake.url``, ``lake.user``)
``lake.kind: local``       ``lake.root`` writable (or creatable)
``state.kind: zookeeper``  ``srvr`` four-letter word to every host of ``state.hosts``
``state.kind: local``      ``state.root`` writable (or creatable)
``sources.databases``      ``SELECT 1`` per SQLAlchemy URL; SQLite: the file exists, opened read-only
``sources.feeds_root``     the drop folder exists
``serving.kind: hbase``    HBase Thrift ``tables()`` and Phoenix QS ``SELECT … SYSTEM.CATALOG``
``serving.kind: duckdb``   the serving database opens read-only (not created yet is fine)
``spark.metastore_uri``    the Hive metastore's Thrift port accepts connections
no ``spark.metastore_uri`` the embedded Derby metastore is not locked by another process
                           (the Hive server of ``make hive-server`` or a run holds it: one at a time)
``hive.host``              HiveServer2 ``SELECT 1`` (default ``hiveserver2:10000`` on HDFS lakes)
``airflow.api_url``        ``GET /api/v2/monitor/health``, every component healthy
always                     Java runs (the Spark driver needs it)
=========================  =========================================================

Every check runs in its own daemon thread under a hard deadline (``timeout``, default 3 s),
all in parallel: ``check_endpoints`` returns within about one timeout whatever the network does.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlsplit

UP, DOWN = "up", "down"
DEFAULT_TIMEOUT = 3.0


class Down(Exception):
    """A check's verdict "down", with the reason as message."""


@dataclass
class Check:
    name: str            # what: "zookeeper", "source gz", "hbase-thrift" …
    target: str          # where: host:port, URL (password masked) or path
    status: str          # "up" | "down"
    latency_ms: float
    detail: str          # the server's answer or why it is down

    @property
    def up(self) -> bool:
        return self.status == UP

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Probe:
    """A check to run: ``fn(timeout)`` returns a detail string (up) or raises (down)."""
    name: str
    target: str
    fn: Callable[[float], str]


# ------------------------------------------------------------------ the probes
def _tcp(host: str, port: int, timeout: float) -> str:
    with socket.create_connection((host, int(port)), timeout=timeout):
        return "port open"


def _writable_dir(path: Path, timeout: float) -> str:
    """Up when ``path`` is a writable directory, or could be created (nearest parent writable)."""
    if path.exists():
        if not path.is_dir():
            raise Down(f"{path} is not a directory")
        with tempfile.NamedTemporaryFile(dir=path, prefix=".health-"):
            return "writable"
    parent = next(p for p in path.parents if p.exists())
    if not os.access(parent, os.W_OK | os.X_OK):
        raise Down(f"missing, and {parent} is not writable")
    return f"not created yet ({parent} writable)"


def _zk_srvr(host: str, port: int, timeout: float) -> str:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(b"srvr")
        chunks = []
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    text = b"".join(chunks).decode("utf-8", "replace")
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    if "Mode" in fields:
        version = fields.get("Zookeeper version", "?").split("-")[0].split(",")[0]
        return f"{fields['Mode']}, ZooKeeper {version}, {fields.get('Node count', '?')} znodes"
    if "not in the whitelist" in text:  # 4lw disabled: fall back to a real session
        return _zk_session(f"{host}:{port}", timeout)
    raise Down(text.strip() or "no answer to srvr")


def _zk_session(hosts: str, timeout: float) -> str:
    from kazoo.client import KazooClient

    client = KazooClient(hosts=hosts, timeout=max(timeout, 2.0))
    try:
        client.start(timeout=timeout)
        client.get_children("/")
        return "session ok (srvr not whitelisted)"
    finally:
        client.stop()
        client.close()


def _sqlalchemy(url: str, timeout: float) -> str:
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    parsed = sqlalchemy.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(parsed.database or "", timeout)
    args = {}
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        t = max(1, int(timeout))
        args = {"connect_timeout": t, "read_timeout": t, "write_timeout": t}
    elif parsed.get_backend_name() == "postgresql":
        args = {"connect_timeout": max(1, int(timeout))}
    engine = sqlalchemy.create_engine(parsed, poolclass=NullPool, connect_args=args)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1")).scalar_one()
            version = conn.dialect.server_version_info
    finally:
        engine.dispose()
    return "SELECT 1 ok" + (f", server {'.'.join(map(str, version))}" if version else "")


def _sqlite(path: str, timeout: float) -> str:
    """A SQLite source must exist already: never let a check create an empty database."""
    if not path or not Path(path).is_file():
        raise Down(f"missing: {path or '(no path)'} (run `bayres generate`?)")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
    try:
        tables = con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        con.close()
    return f"{tables} tables"


def _webhdfs(url: str, user: Optional[str], timeout: float) -> str:
    from hdfs import InsecureClient

    parts = urlsplit(url)
    _tcp(parts.hostname or "localhost", parts.port or 9870, timeout)  # a short reason when closed
    status = InsecureClient(url, user=user or None, timeout=timeout).status("/")
    return f"/ is a {status['type'].lower()}, owner {status.get('owner', '?')}"


def _webhdfs_dir(url: str, user: Optional[str], path: str, timeout: float) -> str:
    """The HDFS drop folder exists (``sources.feeds_kind: hdfs``)."""
    from hdfs import InsecureClient

    parts = urlsplit(url)
    _tcp(parts.hostname or "localhost", parts.port or 9870, timeout)
    client = InsecureClient(url, user=user or None, timeout=timeout)
    if client.status(path, strict=False) is None:
        raise Down(f"missing: {path} on HDFS")
    return f"{len(client.list(path))} entries"


def _hbase_thrift(host: str, port: int, timeout: float) -> str:
    import happybase

    conn = happybase.Connection(host=host, port=int(port), timeout=int(timeout * 1000), autoconnect=False)
    try:
        conn.open()
        return f"{len(conn.tables())} tables"
    finally:
        conn.close()


def _phoenix(url: str, timeout: float) -> str:
    import phoenixdb

    parts = urlsplit(url)
    _tcp(parts.hostname or "localhost", parts.port or 8765, timeout)  # fail fast when closed
    conn = phoenixdb.connect(url, autocommit=True, max_retries=0)
    try:
        cur = conn.cursor()
        cur.execute("SELECT TABLE_NAME FROM SYSTEM.CATALOG LIMIT 1")
        cur.fetchall()
        return "SYSTEM.CATALOG readable"
    finally:
        conn.close()


def _hiveserver2(host: str, port: int, user: str, timeout: float) -> str:
    import thrift_sasl
    from pyhive import hive
    from thrift.transport.TSocket import TSocket

    sock = TSocket(host, int(port))
    sock.setTimeout(int(timeout * 1000))  # PyHive itself has no timeout: bring our own socket
    transport = thrift_sasl.TSaslClientTransport(
        lambda: hive.get_installed_sasl(host=host, sasl_auth="PLAIN", service=None,
                                        username=user, password="x"), "PLAIN", sock)
    conn = hive.connect(thrift_transport=transport, username=user)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1")
        cur.fetchall()
        return "SELECT 1 ok"
    finally:
        conn.close()


def _airflow(api_url: str, timeout: float) -> str:
    url = api_url.rstrip("/") + "/api/v2/monitor/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = json.load(resp)
    except urllib.error.HTTPError as exc:
        raise Down(f"HTTP {exc.code} from {url}") from None
    except urllib.error.URLError as exc:  # the socket's own error says more than the wrapper
        raise exc.reason if isinstance(exc.reason, BaseException) else Down(str(exc.reason)) from None
    states = {name: (part or {}).get("status") for name, part in body.items() if isinstance(part, dict)}
    bad = {name: state for name, state in states.items() if state not in ("healthy", None)}
    if bad:
        raise Down("unhealthy: " + ", ".join(f"{n}={s}" for n, s in sorted(bad.items())))
    return ", ".join(f"{n} healthy" for n in sorted(states)) or "answered"


def _duckdb(path: Path, timeout: float) -> str:
    if not path.exists():
        return "not created yet (the first publish creates it)"
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0]
    finally:
        con.close()
    return f"{tables} tables"


def _java(timeout: float) -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if not java:
        raise Down("no java on PATH or in JAVA_HOME (Spark needs Java 17)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=timeout)
    first = (out.stderr or out.stdout).strip().splitlines()
    if out.returncode != 0 or not first:
        raise Down(f"{java} -version failed (exit {out.returncode})")
    return first[0]


def posix_lock_holders(path: Path) -> list[int]:
    """Pids holding a POSIX (fcntl) lock on ``path``, from ``/proc/locks`` — read only, so the
    check never takes the lock itself (a Derby starting meanwhile would fail on it)."""
    try:
        st = path.stat()
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    holders = []
    for line in lines:
        parts = line.split()
        # "1: POSIX  ADVISORY  WRITE 4242 fd:01:123456 0 EOF" (a blocked waiter has "->" first)
        if len(parts) < 6 or parts[1] == "->" or parts[1] not in ("POSIX", "OFDLCK"):
            continue
        try:
            major, minor, inode = parts[5].split(":")
            if int(inode) == st.st_ino and (int(major, 16), int(minor, 16)) == (os.major(st.st_dev), os.minor(st.st_dev)):
                holders.append(int(parts[4]))
        except ValueError:
            continue
    return holders


def _command_of(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(c.decode(errors="replace") for c in cmd if c)
    if "HiveThriftServer2" in text:
        return "the Hive server (make hive-server-stop)"
    if "pyspark" in text or "SparkSubmit" in text:
        return "a Spark driver (a bayres run or a notebook)"
    return text[:80]


def _derby_metastore(db_dir: Path, timeout: float) -> str:
    """Embedded Derby admits one process: while another holds ``dbex.lck``, a run cannot open
    the metastore (hive/README.md)."""
    if not db_dir.exists():
        return "not created yet (the first run creates it)"
    holders = [pid for pid in posix_lock_holders(db_dir / "dbex.lck") if pid != os.getpid()]
    if holders:
        raise Down("locked by " + ", ".join(f"pid {pid}: {_command_of(pid)}" for pid in holders)
                   + " — embedded Derby admits one process at a time; a run cannot open it now")
    return "not locked"


def _dir_exists(path: Path, timeout: float) -> str:
    if not path.is_dir():
        raise Down(f"missing: {path} (run `bayres generate`?)")
    return f"{sum(1 for _ in path.iterdir())} entries"


# ------------------------------------------------------------------ what a profile names
def _mask(url: str) -> str:
    try:
        import sqlalchemy

        return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def zk_hostports(hosts: str) -> list[tuple[str, int]]:
    """``h1:2181,h2:2181/chroot`` → ``[("h1", 2181), ("h2", 2181)]``."""
    out = []
    for part in hosts.split("/", 1)[0].split(","):
        if part.strip():
            host, _, port = part.strip().rpartition(":")
            out.append((host.strip("[]"), int(port)) if host else (part.strip(), 2181))
    return out


def probes_for(profile) -> list[Probe]:
    """The checks the profile's settings call for (see the module docstring)."""
    g = profile.get
    probes = [Probe("java", "java -version", _java)]

    if g("lake.kind") == "hdfs":
        lake_url = str(g("lake.url"))
        probes.append(Probe("hdfs", lake_url, partial(_webhdfs, lake_url, g("lake.user"))))
    elif g("lake.root"):
        lake = profile.path("lake.root")
        probes.append(Probe("lake", str(lake), partial(_writable_dir, lake)))

    if g("state.kind") == "zookeeper":
        for host, port in zk_hostports(str(g("state.hosts") or "")):
            probes.append(Probe("zookeeper", f"{host}:{port}", partial(_zk_srvr, host, port)))
    elif g("state.root"):
        state = profile.path("state.root")
        probes.append(Probe("state", str(state), partial(_writable_dir, state)))

    for name, db_url in sorted((g("sources.databases") or {}).items()):
        probes.append(Probe(f"source {name}", _mask(str(db_url)), partial(_sqlalchemy, str(db_url))))
    if g("sources.feeds_root") and g("sources.feeds_kind", "local") == "hdfs":
        feeds, lake_url = str(g("sources.feeds_root")), str(g("lake.url"))
        probes.append(Probe("feeds", f"{lake_url} {feeds}",
                            partial(_webhdfs_dir, lake_url, g("lake.user"), feeds)))
    elif g("sources.feeds_root"):
        feeds = profile.path("sources.feeds_root")
        probes.append(Probe("feeds", str(feeds), partial(_dir_exists, feeds)))

    if g("serving.kind") == "hbase":
        host, port = str(g("serving.thrift_host")), int(g("serving.thrift_port", 9090))
        probes.append(Probe("hbase-thrift", f"{host}:{port}", partial(_hbase_thrift, host, port)))
        if g("serving.phoenix_url"):
            pqs = str(g("serving.phoenix_url"))
            probes.append(Probe("phoenix", pqs, partial(_phoenix, pqs)))
    elif g("serving.kind") == "duckdb" and g("serving.path"):
        db = profile.path("serving.path")
        probes.append(Probe("serving", str(db), partial(_duckdb, db)))

    if g("spark.metastore_uri"):
        uri = urlsplit(str(g("spark.metastore_uri")))
        host, port = uri.hostname or "localhost", uri.port or 9083
        probes.append(Probe("hive-metastore", f"{host}:{port}", partial(_tcp, host, port)))
    elif g("spark.metastore_dir"):
        derby = profile.path("spark.metastore_dir") / "metastore_db"
        probes.append(Probe("metastore", str(derby), partial(_derby_metastore, derby)))

    hs2_host = g("hive.host") or ("hiveserver2" if g("lake.kind") == "hdfs" else None)
    if hs2_host:
        port, user = int(g("hive.port", 10000)), str(g("hive.username", "bayres"))
        probes.append(Probe("hiveserver2", f"{hs2_host}:{port}", partial(_hiveserver2, str(hs2_host), port, user)))

    if g("airflow.api_url"):
        api = str(g("airflow.api_url"))
        probes.append(Probe("airflow", api, partial(_airflow, api)))
    return probes


# ------------------------------------------------------------------ running them
def _reason(exc: BaseException) -> str:
    """One line: the driver's own error (not SQLAlchemy's wrapper), Thrift's message."""
    if isinstance(exc, Down):
        return str(exc)
    exc = getattr(exc, "orig", None) or exc
    text = getattr(exc, "message", None) or str(exc) or repr(exc)
    return f"{type(exc).__name__}: {' '.join(str(text).split())}"[:300]


def run_probes(probes: list[Probe], timeout: float = DEFAULT_TIMEOUT) -> list[Check]:
    """Run every probe in parallel, each in a daemon thread; a probe still running after
    ``timeout`` (plus a small grace) is reported down and abandoned."""
    results: dict[int, Check] = {}

    def run(i: int, probe: Probe) -> None:
        t0 = time.perf_counter()
        try:
            status, detail = UP, probe.fn(timeout)
        except BaseException as exc:  # a verdict, whatever the client library raised
            status, detail = DOWN, _reason(exc)
        results[i] = Check(probe.name, probe.target, status,
                           round((time.perf_counter() - t0) * 1000, 1), detail)

    threads = [threading.Thread(target=run, args=(i, p), daemon=True, name=f"health-{p.name}")
               for i, p in enumerate(probes)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + timeout + 0.5
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()))
    return [results.get(i) or Check(p.name, p.target, DOWN, round(timeout * 1000, 1),
                                     f"no answer within {timeout:g} s")
            for i, p in enumerate(probes)]


def check_endpoints(profile, timeout: Optional[float] = None) -> list[Check]:
    """Check every endpoint the profile names (``health.timeout`` or 3 s per check)."""
    timeout = float(timeout or profile.get("health.timeout", DEFAULT_TIMEOUT))
    return run_probes(probes_for(profile), timeout)


def render_table(checks: list[Check]) -> str:
    """A fixed-width table for terminals, with a one-line summary."""
    rows = [("CHECK", "STATUS", "LATENCY", "TARGET", "DETAIL")]
    rows += [(c.name, c.status.upper(), f"{c.latency_ms:.0f} ms", c.target, c.detail) for c in checks]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join([*(r[i].ljust(widths[i]) for i in range(4)), r[4]]).rstrip() for r in rows]
    down = sum(not c.up for c in checks)
    lines.append(f"{len(checks) - down} up, {down} down")
    return "\n".join(lines)


def report(profile, checks: list[Check]) -> dict:
    """The JSON document for monitoring."""
    return {"profile": profile.name, "ok": all(c.up for c in checks),
            "checked_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "checks": [c.to_dict() for c in checks]}
