"""End-to-end timing of the local pipeline (generate + every stage) at a given scale.

Runs `bayres` as a subprocess (as `make run` does) with its own BAYRES_HOME, records wall time per
stage from the run report, peak memory of the process tree, throughput, and dedup and per-field
calibration accuracy against the generator's ground truth.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bayres.jobs.evaluate import calibration_accuracy, pairwise_scores

from .record import wait_with_peak_rss, write_result


def _bayres(home: Path, *args: str) -> tuple[float, float]:
    """Run a `bayres` command; (wall seconds, peak RSS of its whole process tree in MiB)."""
    env = {"BAYRES_HOME": str(home), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
           "SPARK_LOCAL_DIRS": str(home / "spark-tmp")}
    started = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "bayres"), *args], env=env,
                            stdout=subprocess.DEVNULL)
    peak_mib = wait_with_peak_rss(proc, interval=0.5)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, ["bayres", *args])
    return time.perf_counter() - started, peak_mib


def run(scale: int, seed: int = 42) -> Path:
    with tempfile.TemporaryDirectory(prefix=f"bayres-bench-{scale}-", dir=None) as tmp:
        home = Path(tmp)
        gen_s, gen_mib = _bayres(home, "generate", "--seed", str(seed), "--scale", str(scale))
        run_s, run_mib = _bayres(home, "run", "--date", "2026-11-01")
        rerun_s, _ = _bayres(home, "run", "--date", "2026-11-01")
        report = json.loads(next((home / "reports").glob("*/report.json")).read_text())
        truth = pd.read_csv(home / "sources" / "truth" / "records.csv", dtype=str, keep_default_na=False)
        truth["record_id"] = truth["platform"] + ":" + truth["source"] + ":" + truth["src_record_id"]
        lineage = pd.read_parquet(next((home / "lake" / "curated" / "record_lineage").glob("run_date=*")))
        accuracy = pairwise_scores(lineage[["record_id", "cstr_id"]], truth[["record_id", "entity_id"]])
        records = pd.read_parquet(next((home / "lake" / "curated" / "resource_record").glob("run_date=*")))
        quarantine = pd.read_parquet(next((home / "lake" / "quarantine").glob("run_date=*")))
        calibration = calibration_accuracy(records, truth, quarantine, examples=3)
        extracted = sum(r["extracted"] for r in report["accounting"].values())
        figures = {
            "scale": scale, "source_records": extracted,
            "generate_seconds": round(gen_s, 1), "pipeline_seconds": round(run_s, 1),
            "rerun_seconds": round(rerun_s, 1),
            "records_per_second": round(extracted / run_s, 1),
            "stage_seconds": {k: v["seconds"] for k, v in report["stages"].items()},
            "golden_records": report["stages"]["dedup"]["golden"],
            "generate_peak_rss_mib": round(gen_mib, 1),
            "pipeline_peak_rss_mib": round(run_mib, 1),
            "dedup_accuracy": accuracy, "calibration_accuracy": calibration, "balanced": report["balanced"],
        }
        return write_result(f"pipeline_local_{scale}", figures)
