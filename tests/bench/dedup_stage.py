"""Timing of the dedup stage alone, per engine, on a home whose standardized zone exists.

    python -m tests.bench.dedup_stage --home /path/to/BAYRES_HOME [--date 2026-11-01]
        [--engines duckdb,spark] [--probabilistic on|off|both]

For each engine (``linkage.backend``) and linkage setting, runs ``bayres run --stage dedup`` as a
subprocess (the same day again: the registry is read as of the day before, so every run does the
same work), and records the stage's wall time from the run report with its steps, the peak
memory of the process tree, records/s and the pairwise precision/recall/F1 against the
generator's ground truth. Writes ``.bench/dedup_stage_<records>.json``. Prepare the home with
``bayres generate --scale N`` and ``bayres run --stage extract --stage conform``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from bayres.jobs.dedup.evaluate import pairwise_scores

from .record import wait_with_peak_rss, write_result


def _dedup(home: Path, day: str, backend: str, probabilistic: bool) -> tuple[float, float]:
    env = {**os.environ, "BAYRES_HOME": str(home), "SPARK_LOCAL_DIRS": str(home / "spark-tmp"),
           "BAYRES__LINKAGE__BACKEND": backend,
           "BAYRES__LINKAGE__PROBABILISTIC": "true" if probabilistic else "false"}
    started = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "bayres"), "run", "--date", day,
                             "--stage", "dedup"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peak_mib = wait_with_peak_rss(proc)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, "bayres run --stage dedup")
    return time.perf_counter() - started, peak_mib


def measure(home: Path, day: str, backend: str, probabilistic: bool, truth: pd.DataFrame) -> dict:
    wall, peak = _dedup(home, day, backend, probabilistic)
    report = json.loads((home / "reports" / f"local-{day}" / "report.json").read_text())
    dedup = report["stages"]["dedup"]
    lineage = pd.read_parquet(home / "lake" / "curated" / "record_lineage" / f"run_date={day}")
    return {"engine": dedup["engine"], "probabilistic": probabilistic,
            "stage_seconds": dedup["seconds"], "step_seconds": dedup["step_seconds"],
            "records_per_second": round(dedup["records"] / dedup["seconds"], 1),
            "process_seconds": round(wall, 1), "peak_rss_mib": round(peak, 1),
            "records": dedup["records"], "golden": dedup["golden"], "by_rule": dedup["by_rule"],
            "giant_clusters": len(dedup["giant_clusters"]),
            "accuracy": pairwise_scores(lineage[["record_id", "cstr_id"]],
                                        truth[["record_id", "entity_id"]])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--date", default="2026-11-01")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--probabilistic", default="both", choices=("on", "off", "both"))
    args = parser.parse_args()
    truth = pd.read_csv(args.home / "sources" / "truth" / "records.csv", dtype=str,
                        keep_default_na=False)
    truth["record_id"] = truth["platform"] + ":" + truth["source"] + ":" + truth["src_record_id"]
    settings = {"on": [True], "off": [False], "both": [False, True]}[args.probabilistic]
    runs = [measure(args.home, args.date, engine, p, truth)
            for engine in args.engines.split(",") for p in settings]
    records = runs[0]["records"]
    write_result(f"dedup_stage_{records}", {"records": records, "runs": runs},
                 conditions="bayres run --stage dedup on an existing standardized zone; "
                            "machine shared with other jobs unless stated")


if __name__ == "__main__":
    main()
