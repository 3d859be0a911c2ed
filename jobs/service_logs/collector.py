"""The service-log collector: a real Apache Flume agent (logs/collector/, pinned in its pom.xml)
and the idempotent landing of what it delivered into the lake at ``raw/logs/<platform>/<date>/``.

The agent (one JVM, one pipeline per platform):

* a **TAILDIR source** over the platform's log directory of the day; it records the byte offset
  it has read per file in a position file, and puts the file path and the line's byte offset
  into each event's headers (``file``, ``byteoffset``);
* a **file channel** (a write-ahead log on disk: committed events survive a SIGKILL);
* a **file_roll sink** with the ``header_and_text`` serializer into a local staging directory
  (on the cluster, Flume's HDFS sink would write the same events to HDFS).

Flume is at-least-once: after a SIGKILL the source re-reads from its last saved position, so
some events reach the channel twice. The landing makes it exactly-once: it keeps each
``(file, byteoffset)`` once, writes every source file back in offset order, and replaces the
lake's files of the day (re-running it gives the same files). Lost lines are found by counting:
:func:`account` compares every source file's lines with the landed ones.
"""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("bayres")
REPO = Path(__file__).resolve().parent.parent.parent
#: where logs/collector/install.sh puts the agent's classpath
DEFAULT_LIB = REPO / ".cache" / "collector" / "lib"
DEFAULT_PORT = 34545  # Flume's HTTP metrics (the readiness probe); BAYRES_COLLECTOR_PORT
_HEADERS = re.compile(r"^\{(.*?)\} ")
JAVA_OPENS = ("--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
              "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED")


def lib_dir() -> Path:
    return Path(os.environ.get("BAYRES_COLLECTOR_LIB") or DEFAULT_LIB)


def flume_config(home: Path, sources: dict[str, Path]) -> str:
    """The agent's properties: per platform a TAILDIR source → file channel → file_roll sink."""
    ps = sorted(sources)
    lines = [f"a1.sources = {' '.join('r_' + p for p in ps)}",
             f"a1.channels = {' '.join('c_' + p for p in ps)}",
             f"a1.sinks = {' '.join('k_' + p for p in ps)}"]
    for p in ps:
        st = home / "flume" / p
        lines += [
            f"a1.sources.r_{p}.type = TAILDIR",
            f"a1.sources.r_{p}.channels = c_{p}",
            f"a1.sources.r_{p}.positionFile = {st / 'taildir_position.json'}",
            f"a1.sources.r_{p}.filegroups = f1",
            f"a1.sources.r_{p}.filegroups.f1 = {Path(sources[p]).resolve()}/.*",
            f"a1.sources.r_{p}.fileHeader = true",
            f"a1.sources.r_{p}.byteOffsetHeader = true",
            f"a1.sources.r_{p}.batchSize = 500",
            f"a1.sources.r_{p}.writePosInterval = 500",
            f"a1.channels.c_{p}.type = file",
            f"a1.channels.c_{p}.checkpointDir = {st / 'checkpoint'}",
            f"a1.channels.c_{p}.dataDirs = {st / 'data'}",
            f"a1.channels.c_{p}.capacity = 2000000",
            f"a1.channels.c_{p}.transactionCapacity = 2000",
            f"a1.sinks.k_{p}.type = file_roll",
            f"a1.sinks.k_{p}.channel = c_{p}",
            f"a1.sinks.k_{p}.sink.directory = {home / 'staging' / p}",
            f"a1.sinks.k_{p}.sink.rollInterval = 0",
            f"a1.sinks.k_{p}.sink.serializer = header_and_text",
            f"a1.sinks.k_{p}.batchSize = 1000",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Agent:
    """One Flume agent process, started directly (no service manager)."""
    home: Path
    sources: dict[str, Path]
    port: int = field(default_factory=lambda: int(os.environ.get("BAYRES_COLLECTOR_PORT") or DEFAULT_PORT))
    heap: str = "160m"
    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> "Agent":
        lib = lib_dir()
        if not lib.is_dir() or not any(lib.glob("flume-ng-node-*.jar")):
            raise RuntimeError(f"the Flume agent is not installed in {lib}: run `make collector-install` "
                               "(logs/collector/install.sh resolves logs/collector/pom.xml with Maven)")
        self.home = Path(self.home)
        for p in self.sources:
            (self.home / "staging" / p).mkdir(parents=True, exist_ok=True)
            (self.home / "flume" / p).mkdir(parents=True, exist_ok=True)
        conf = self.home / "flume.properties"
        conf.write_text(flume_config(self.home, self.sources), encoding="utf-8")
        (self.home / "log4j2.xml").write_text(_LOG4J.format(log=self.home / "flume.log"), encoding="utf-8")
        cmd = ["java", f"-Xmx{self.heap}", "-Xms32m", "-XX:+UseSerialGC", *JAVA_OPENS,
               f"-Dlog4j.configurationFile={self.home / 'log4j2.xml'}",
               "-Dflume.monitoring.type=http", f"-Dflume.monitoring.port={self.port}",
               "-cp", f"{lib}/*", "org.apache.flume.node.Application",
               "-n", "a1", "-f", str(conf)]
        out = open(self.home / "agent.out", "ab")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        (self.home / "agent.pid").write_text(str(self.proc.pid))
        self._wait_ready(timeout)
        return self

    def metrics(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=3) as r:
            return json.loads(r.read())

    def _wait_ready(self, timeout: float) -> None:
        """Readiness: the metrics endpoint answers and lists every source, channel and sink."""
        want = {f"{k}.{x}_{p}" for p in self.sources for k, x in (("SOURCE", "r"), ("CHANNEL", "c"), ("SINK", "k"))}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Flume agent exited with {self.proc.returncode}: "
                                   f"see {self.home / 'agent.out'} and {self.home / 'flume.log'}")
            try:
                if want <= set(self.metrics()):
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"the Flume agent was not ready within {timeout:.0f}s (port {self.port})")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> "Agent":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


_LOG4J = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="ERROR">
  <Appenders><File name="f" fileName="{log}" append="true">
    <PatternLayout pattern="%d{{ISO8601}} %-5p [%t] %c{{1}}: %m%n"/></File></Appenders>
  <Loggers><Root level="INFO"><AppenderRef ref="f"/></Root></Loggers>
</Configuration>
"""


# ------------------------------------------------------------------------------ landing
def staged_events(staging: Path) -> tuple[dict[str, dict[int, bytes]], int]:
    """Every event the sink delivered under ``staging`` (one platform): file → offset → line,
    and how many deliveries were repeats (at-least-once redeliveries after a crash)."""
    out: dict[str, dict[int, bytes]] = {}
    repeats = 0
    for f in sorted(Path(staging).glob("*")):
        data = f.read_bytes()
        for raw in data.split(b"\n"):
            if not raw:
                continue
            m = _HEADERS.match(raw.decode("utf-8", "replace"))
            if not m:  # a sink killed mid-write leaves a partial last record: its batch was not
                continue  # committed, so the channel delivers it again
            head = dict(kv.split("=", 1) for kv in m.group(1).split(", "))
            body = raw[len(m.group(0).encode("utf-8")):]
            per = out.setdefault(head["file"], {})
            off = int(head["byteoffset"])
            if off in per:
                repeats += 1
            per[off] = body
    return out, repeats


def land(staging_root: Path, lake, day: str, platforms) -> dict:
    """Write what the agent delivered into ``raw/logs/<platform>/<day>/<file name>`` (each
    file replaced whole: re-running gives the same files); platform → {file: lines}."""
    result = {}
    for p in platforms:
        events, repeats = staged_events(Path(staging_root) / p)
        files = {}
        for path, per in sorted(events.items()):
            name = Path(path).name
            body = b"".join(per[o] + b"\n" for o in sorted(per))
            lake.write_bytes(lake.join("raw", "logs", p, day, name), body)
            files[name] = len(per)
        result[p] = {"files": files, "lines": sum(files.values()), "redelivered": repeats}
    return result


def account(sources: dict[str, Path], landed: dict) -> dict:
    """Every source line accounted for: platform → {source_lines, landed, lost, doubled}."""
    out = {}
    for p, d in sources.items():
        src = {f.name: f.read_bytes().count(b"\n") for f in sorted(Path(d).iterdir()) if f.is_file()}
        got = landed.get(p, {}).get("files", {})
        out[p] = {"source_lines": sum(src.values()), "landed": sum(got.values()),
                  "lost": sum(max(0, n - got.get(k, 0)) for k, n in src.items()),
                  "doubled": sum(max(0, got.get(k, 0) - n) for k, n in src.items())}
    return out


def wait_delivered(staging_root: Path, sources: dict[str, Path], timeout: float = 300.0,
                   agent: Agent | None = None) -> None:
    """Wait until every line of every source file has reached the staging directory."""
    want = {p: sum(f.read_bytes().count(b"\n") for f in Path(d).iterdir() if f.is_file())
            for p, d in sources.items()}
    deadline = time.monotonic() + timeout
    while True:
        have = {p: sum(len(v) for v in staged_events(Path(staging_root) / p)[0].values()) for p in sources}
        if all(have[p] >= want[p] for p in sources):
            return
        if agent and agent.proc and agent.proc.poll() is not None:
            raise RuntimeError(f"the Flume agent died (exit {agent.proc.returncode}); see {agent.home}/flume.log")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the collector delivered {have} of {want} lines within {timeout:.0f}s")
        time.sleep(0.5)


def _forget_replaced(home: Path, sources: dict[str, Path]) -> None:
    """A source file replaced by another (a new inode: the day's logs generated again) makes
    what the agent delivered of the old one void: the agent's state and staging are started
    afresh, and the day is collected again (so is a home with no record of the files it
    collected). Files that only grew keep their state."""
    import shutil

    inodes = {str(f.resolve()): f.stat().st_ino for d in sources.values()
              for f in sorted(Path(d).iterdir()) if f.is_file()}
    seen_file = home / "inodes.json"
    seen = json.loads(seen_file.read_text()) if seen_file.is_file() else {}
    if not seen_file.is_file() or any(seen.get(k, v) != v for k, v in inodes.items()):
        log.warning("service logs under %s were replaced since the last collection: collecting "
                    "the day again from scratch (%s)", ", ".join(map(str, sources.values())), home)
        for sub in ("staging", "flume"):
            shutil.rmtree(home / sub, ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    seen_file.write_text(json.dumps({**seen, **inodes}, indent=1))


def collect(sources: dict[str, Path], home: Path, lake, day: str, timeout: float = 300.0) -> dict:
    """Start the agent, wait until it has delivered every line, stop it, land, account."""
    t0 = time.perf_counter()
    _forget_replaced(Path(home), sources)
    with Agent(Path(home), sources) as agent:
        wait_delivered(Path(home) / "staging", sources, timeout, agent)
    landed = land(Path(home) / "staging", lake, day, sorted(sources))
    acc = account(sources, landed)
    bad = {p: a for p, a in acc.items() if a["lost"] or a["doubled"]}
    if bad:
        raise RuntimeError(f"log collection lost or doubled lines: {bad}")
    return {"landed": landed, "accounting": acc, "seconds": round(time.perf_counter() - t0, 2)}
