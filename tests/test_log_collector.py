"""The real Flume agent (logs/collector/): readiness, and nothing lost or doubled when it is
SIGKILLed mid-file and restarted; the landing is idempotent."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bayres.connectors.lake import LocalLake
from bayres.jobs.service_logs import collector as lc

# a port of its own (not Flume's usual 41414/34545), overridable
PORT = int(os.environ.get("BAYRES_TEST_COLLECTOR_PORT") or 34677)


@pytest.fixture(scope="module", autouse=True)
def _installed():
    if not any(lc.lib_dir().glob("flume-ng-node-*.jar")):
        if os.environ.get("BAYRES_REQUIRE_SERVERS"):
            pytest.fail(f"the Flume agent is not installed in {lc.lib_dir()} (make collector-install)")
        pytest.skip("the Flume agent is not installed (make collector-install)")


def _write(path: Path, start: int, n: int) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.writelines(f"10.0.0.{i % 250} - u{i} [07/Dec/2026:10:00:00 +0800] \"GET /r/{i} HTTP/1.1\" 200 {i} 0.0{i % 9}\n"
                     for i in range(start, start + n))


def _staged(home: Path) -> int:
    return sum(len(v) for v in lc.staged_events(home / "staging" / "p1")[0].values())


def test_kill_and_restart_mid_file_loses_and_doubles_nothing(tmp_path):
    src = tmp_path / "logs"
    src.mkdir()
    _write(src / "access.log", 0, 150_000)
    _write(src / "other.log", 0, 5_000)
    home = tmp_path / "agent"
    sources = {"p1": src}
    agent = lc.Agent(home, sources, port=PORT).start()
    try:
        deadline = time.monotonic() + 120
        while _staged(home) < 10_000:  # some delivered, most not
            assert time.monotonic() < deadline, "the agent delivered nothing"
            time.sleep(0.05)
        agent.kill()
        at_kill = _staged(home)
    finally:
        agent.kill()
    assert at_kill < 155_000, "the agent finished before it was killed: nothing was tested"
    _write(src / "access.log", 150_000, 20_000)  # the file grows while the agent is down
    with lc.Agent(home, sources, port=PORT) as again:
        lc.wait_delivered(home / "staging", sources, 300, again)
    lake = LocalLake(tmp_path / "lake")
    landed = lc.land(home / "staging", lake, "2026-12-07", ["p1"])
    acc = lc.account(sources, landed)["p1"]
    assert acc == {"source_lines": 175_000, "landed": 175_000, "lost": 0, "doubled": 0}
    out = tmp_path / "lake" / "raw" / "logs" / "p1" / "2026-12-07"
    assert (out / "access.log").read_bytes() == (src / "access.log").read_bytes()
    assert (out / "other.log").read_bytes() == (src / "other.log").read_bytes()
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    lc.land(home / "staging", lake, "2026-12-07", ["p1"])  # landing again changes nothing
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before
    print(f"killed at {at_kill} staged lines; {landed['p1']['redelivered']} redelivered after restart")


def test_agent_that_cannot_start_names_its_log(tmp_path):
    (tmp_path / "logs").mkdir()
    a = lc.Agent(tmp_path / "agent", {"p1": tmp_path / "logs"}, port=PORT, heap="1k")
    with pytest.raises(RuntimeError, match="exited"):
        a.start(timeout=60)
