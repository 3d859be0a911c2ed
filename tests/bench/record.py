"""Where benchmark results go, what machine they were measured on, and how a measured
process's peak memory is taken."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(os.environ.get("BAYRES_BENCH_DIR", Path(__file__).resolve().parents[2] / ".bench"))


def machine() -> dict:
    mem_kb = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                    if line.startswith("model name")), "")
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {"hostname": platform.node(), "cpus": os.cpu_count(), "cpu_model": cpu,
            "memory_gib": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "os": platform.platform(), "java": java[0] if java else ""}


def write_result(name: str, figures: dict, **extra) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"{name}.json"
    doc = {"name": name, "machine": machine(),
           "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           **extra, **figures}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"bench {name}: {json.dumps(figures, default=str)}  → {path}")
    return path


def wait_with_peak_rss(proc: subprocess.Popen, interval: float = 0.2) -> float:
    """Wait for ``proc``; the peak RSS of its whole process tree (MiB), sampled every ``interval``."""
    import psutil

    peak, root = 0, psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(interval)
    return peak / 2**20
