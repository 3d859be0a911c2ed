"""Service-log collection throughput: the Flume agent (TAILDIR → file channel → file_roll, then
the idempotent landing into the lake) against a plain ``cat`` of the same files to the same
disk. ``ratio`` = collector lines/s ÷ cat lines/s. Then the Spark statistics job
(``stats.day_stats``, as the pipeline's logs stage calls it) over one day of about
``stats_lines`` lines landed directly in a local lake's ``raw/logs/<platform>/<date>/``
(``stats_*``). → .bench/service_logs.json"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

from .record import write_result

DAY = date(2026, 3, 9)
#: what tells the copies of an access log apart: the first two octets of a client address (at the
#: start of an nginx / Apache line, or the JSON ``client``), or the NULs a garbage line starts with
_CLIENT = re.compile(rb'(?m)^10\.\d+\.|(?<="client":")10\.\d+\.|^\x00\x00')


def run(lines: int = 1_000_000, stats_lines: int = 10_000_000) -> None:
    from bayres.jobs.generate import generate

    root = Path(tempfile.mkdtemp(prefix="bench_logs_", dir=os.environ.get("BAYRES_HOME") or None))
    try:
        generate(root / "gen", seed=42, scale=5000, log_date=DAY)
        figures = collector_vs_cat(root, lines) if lines else {}
        if stats_lines:
            figures.update(statistics(root, stats_lines))
        write_result("service_logs", figures,
                     what="Flume 1.11.0 agent (TAILDIR, file channel, file_roll, heap 160 MiB) + landing "
                          "into the local lake vs cat of the same files to the same disk; ratio = "
                          "collector lines/s / cat lines/s. stats_*: the Spark statistics job "
                          "(jobs/service_logs/stats.py day_stats, local[*], driver memory 2g, no "
                          "lineage) over one day landed in a local lake: each platform's access log "
                          "repeated, each copy's client addresses rewritten (copy c: 10.x.y.z -> "
                          "11+c//256.c%256.y.z) so that only the day's own re-sent batch counts as "
                          "duplicate lines, its CSVs once")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def collector_vs_cat(root: Path, lines: int) -> dict:
    from bayres.connectors.lake import LocalLake
    from bayres.jobs.service_logs import collector as lc

    # the day's files of every platform, repeated until about ``lines`` lines in all
    src: dict[str, Path] = {}
    per_day = 0
    for p in ("gz", "sz", "hk", "mo"):
        d = root / "gen" / p / "logs" / DAY.isoformat()
        per_day += sum(f.read_bytes().count(b"\n") for f in d.iterdir())
    copies = max(1, round(lines / per_day))
    total = 0
    for p in ("gz", "sz", "hk", "mo"):
        d = root / "gen" / p / "logs" / DAY.isoformat()
        out = root / "src" / p
        out.mkdir(parents=True)
        for f in d.iterdir():
            data = f.read_bytes()
            (out / f.name).write_bytes(data * copies)
            total += data.count(b"\n") * copies
        src[p] = out
    subprocess.run(["sync"], check=False)
    # plain cat of the same files to the same disk
    t0 = time.perf_counter()
    for p, d in src.items():
        (root / "cat" / p).mkdir(parents=True)
        for f in sorted(d.iterdir()):
            with open(root / "cat" / p / f.name, "wb") as out:
                subprocess.run(["cat", str(f)], stdout=out, check=True)
    cat_s = time.perf_counter() - t0
    # the collector, start to landed (agent start and readiness included)
    t0 = time.perf_counter()
    res = lc.collect(src, root / "agent", LocalLake(root / "lake"), DAY.isoformat(), timeout=3600)
    col_s = time.perf_counter() - t0
    acc = res["accounting"]
    assert all(a["lost"] == 0 and a["doubled"] == 0 for a in acc.values()), acc
    return {
        "lines": total, "seconds": round(col_s, 2), "lines_per_s": round(total / col_s),
        "cat_seconds": round(cat_s, 3), "cat_lines_per_s": round(total / cat_s),
        "ratio": round((total / col_s) / (total / cat_s), 5),
        "bytes": sum(f.stat().st_size for d in src.values() for f in d.iterdir()),
        "load_average": os.getloadavg()}


def statistics(root: Path, lines: int) -> dict:
    """The statistics job alone over a day of about ``lines`` lines (session start excluded)."""
    from bayres.connectors.lake import LocalLake
    from bayres.jobs.run.config import Profile
    from bayres.jobs.run.spark_session import build_spark
    from bayres.jobs.service_logs import stats

    lake, day = LocalLake(root / "stats_lake"), DAY.isoformat()
    gen = {p: root / "gen" / p / "logs" / day for p in stats.FORMATS}
    access = {p: d / stats.FORMATS[p]["file"] for p, d in gen.items()}
    per_day = sum(f.read_bytes().count(b"\n") for f in access.values())
    day_dups = sum(len(v) - len(set(v)) for v in (f.read_bytes().splitlines() for f in access.values()))
    copies = max(1, round(lines / per_day))
    total, roots = 0, {}
    for p, d in gen.items():
        out = root / "stats_lake" / "raw" / "logs" / p / day
        out.mkdir(parents=True)
        for f in d.iterdir():
            data = f.read_bytes()
            n = copies if f == access[p] else 1
            with open(out / f.name, "wb") as w:
                for c in range(n):
                    w.write(_copy(data, c) if f == access[p] else data)
            total += data.count(b"\n") * n
        roots[p] = lake.uri(lake.join("raw", "logs", p, day))
    spark = build_spark(Profile("bench", {"spark": {
        "driver_memory": "2g", "warehouse_dir": str(root / "warehouse"), "metastore_dir": str(root / "metastore")}}))
    try:
        load_start = os.getloadavg()
        t0 = time.perf_counter()
        out, quarantine = stats.day_stats(spark, roots, DAY, None)
        quarantined = quarantine.count()  # the stage writes it: materialise it here
        secs = time.perf_counter() - t0
        load_end = os.getloadavg()
    finally:
        spark.stop()
    assert sum(v["lines"] for v in out["platforms"].values()) == per_day * copies, out
    dups = sum(v["duplicate_lines"] for v in out["platforms"].values())
    assert dups == day_dups * copies, (dups, day_dups, copies)
    return {"stats_lines": total, "stats_access_lines": per_day * copies,
            "stats_duplicate_lines": dups,
            "stats_quarantined": quarantined, "stats_seconds": round(secs, 2),
            "stats_lines_per_s": round(total / secs),
            "stats_bytes": sum(f.stat().st_size for f in (root / "stats_lake").rglob("*") if f.is_file()),
            "stats_load_average_start": load_start, "stats_load_average_end": load_end}


def _copy(data: bytes, c: int) -> bytes:
    """Copy ``c`` of an access log, none of its lines equal to another copy's: each client
    address ``10.x.y.z`` becomes ``11+c//256 . c%256 . y.z`` (not a field the job parses, so the
    figures per copy stay the day's), a garbage line gets ``c`` after its NULs."""
    octets = b"%d.%d." % (11 + c // 256, c % 256)
    return _CLIENT.sub(lambda m: b"\x00\x00%d " % c if m[0] == b"\x00\x00" else octets, data)
