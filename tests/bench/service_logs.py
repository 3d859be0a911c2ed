"""Service-log collection throughput: the Flume agent (TAILDIR → file channel → file_roll, then
the idempotent landing into the lake) against a plain ``cat`` of the same files to the same
disk. ``ratio`` = collector lines/s ÷ cat lines/s. → .bench/service_logs.json"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

from .record import write_result

DAY = date(2026, 3, 9)


def run(lines: int = 1_000_000) -> None:
    from bayres.connectors.lake import LocalLake
    from bayres.jobs.service_logs import collector as lc
    from bayres.jobs.generate import generate

    root = Path(tempfile.mkdtemp(prefix="bench_logs_", dir=os.environ.get("BAYRES_HOME") or None))
    try:
        generate(root / "gen", seed=42, scale=5000, log_date=DAY)
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
        write_result("service_logs", {
            "lines": total, "seconds": round(col_s, 2), "lines_per_s": round(total / col_s),
            "cat_seconds": round(cat_s, 3), "cat_lines_per_s": round(total / cat_s),
            "ratio": round((total / col_s) / (total / cat_s), 5),
            "bytes": sum(f.stat().st_size for d in src.values() for f in d.iterdir()),
            "load_average": os.getloadavg()},
            what="Flume 1.11.0 agent (TAILDIR, file channel, file_roll, heap 160 MiB) + landing "
                 "into the local lake vs cat of the same files to the same disk; ratio = "
                 "collector lines/s / cat lines/s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
