"""End-to-end timing of the local pipeline at a given scale, against the floor.

Generates the sample once, then alternates rounds of (a) ``bayres run`` as a subprocess (as
`make run` does) on a fresh BAYRES_HOME holding a copy of the generated sources, and (b) a plain
PySpark job that reads the raw zone that run extracted and writes it back as Parquet
(tests/bench/plain_copy.py), odd rounds pipeline first, even rounds copy first, so that both see
the same machine.  Writes

* ``pipeline_vs_copy_<scale>.json``: medians of the rounds' process walls (``pipeline_seconds``,
  ``copy_seconds``), ``ratio`` = pipeline / copy, every round's figures and load average;
* ``pipeline_local_<scale>.json``: the first round's run — wall and the stage seconds of that
  very run (read before anything else runs in its home), peak memory of the process tree,
  throughput, dedup and per-field calibration accuracy against the generator's ground truth, and
  (up to 200,000 records) the wall of a re-run of the same day.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bayres.jobs.dedup.evaluate import calibration_accuracy, pairwise_scores

from .record import wait_with_peak_rss, write_result

RUN_DATE = "2026-11-01"


def _env(home: Path) -> dict:
    return {"BAYRES_HOME": str(home), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
            "SPARK_LOCAL_DIRS": str(home / "spark-tmp"), "HOME": os.environ.get("HOME", "/root")}


def _timed(argv: list[str], env: dict) -> tuple[float, float]:
    """Run a command; (wall seconds, peak RSS of its whole process tree in MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    peak_mib = wait_with_peak_rss(proc, interval=0.5)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, argv)
    return time.perf_counter() - started, peak_mib


def _bayres(home: Path, *args: str) -> tuple[float, float]:
    return _timed([str(Path(sys.executable).parent / "bayres"), *args], _env(home))


def _copy(home: Path, raw_home: Path) -> tuple[float, float]:
    out = home / "plain-copy"
    try:
        return _timed([sys.executable, "-m", "tests.bench.plain_copy", str(raw_home / "lake" / "raw"),
                       str(out)], {**_env(home), "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def default_rounds(scale: int) -> int:
    """Alternated rounds where affordable: 3 up to 200,000 records, one above."""
    return 3 if scale <= 200_000 else 1


def write_vs_copy(scale: int, extracted: int, rounds: int, rows: list[dict]) -> Path:
    """``pipeline_vs_copy_<scale>.json`` from the rounds done so far (``rounds_done`` of ``rounds``)."""
    pipeline_s = statistics.median(r["pipeline_seconds"] for r in rows)
    copy_s = statistics.median(r["copy_seconds"] for r in rows)
    return write_result(f"pipeline_vs_copy_{scale}", {
        "scale": scale, "source_records": extracted, "rounds": rounds, "rounds_done": len(rows),
        "pipeline_seconds": round(pipeline_s, 1), "copy_seconds": round(copy_s, 1),
        "ratio": round(pipeline_s / copy_s, 2),
        "what": "process wall of `bayres run` (every stage, local profile) against a plain PySpark "
                "job reading the same raw zone and writing it back as Parquet (tests/bench/plain_copy.py); "
                "medians of alternated rounds",
        "load_average": {"before": rows[0]["load_average_before"], "after": rows[-1]["load_average_after"]},
        "stage_seconds": rows[0]["stage_seconds"], "rounds_detail": rows})


def run(scale: int, seed: int = 42, rounds: int | None = None) -> Path:
    rounds = rounds or default_rounds(scale)
    with tempfile.TemporaryDirectory(prefix=f"bayres-bench-{scale}-") as tmp:
        first = Path(tmp) / "round1"
        gen_s, gen_mib = _bayres(first, "generate", "--seed", str(seed), "--scale", str(scale))
        measured, rows = None, []
        for i in range(1, rounds + 1):
            home = first if i == 1 else Path(tmp) / f"round{i}"
            if i > 1:
                shutil.copytree(first / "sources", home / "sources")
            load_before = _load()
            order = ("pipeline", "copy") if i % 2 else ("copy", "pipeline")
            row = {"round": i, "order": list(order), "load_average_before": load_before}
            for what in order:
                if what == "pipeline":
                    row["pipeline_seconds"], row["pipeline_peak_rss_mib"] = _bayres(home, "run", "--date", RUN_DATE)
                    report = json.loads(next((home / "reports").glob("*/report.json")).read_text())
                    row["stage_seconds"] = {k: v["seconds"] for k, v in report["stages"].items()}
                    if i == 1:
                        measured = report
                else:  # the raw zone of this round's run, or of round 1 when the copy goes first
                    raw_home = home if (home / "lake" / "raw").exists() else first
                    row["copy_seconds"], row["copy_peak_rss_mib"] = _copy(home, raw_home)
            row["load_average_after"] = _load()
            row["ratio"] = round(row["pipeline_seconds"] / row["copy_seconds"], 2)
            row["pipeline_seconds"], row["copy_seconds"] = (round(row["pipeline_seconds"], 1),
                                                            round(row["copy_seconds"], 1))
            rows.append(row)
            print(f"bench pipeline_vs_copy {scale} round {i}: {json.dumps(row)}", flush=True)
            if i > 1:
                shutil.rmtree(home, ignore_errors=True)
            # after every round: a bench stopped half-way keeps the rounds it finished
            extracted = sum(r["extracted"] for r in measured["accounting"].values())
            write_vs_copy(scale, extracted, rounds, rows)

        home = first
        truth = pd.read_csv(home / "sources" / "truth" / "records.csv", dtype=str, keep_default_na=False)
        truth["record_id"] = truth["platform"] + ":" + truth["source"] + ":" + truth["src_record_id"]
        lineage = pd.read_parquet(next((home / "lake" / "curated" / "record_lineage").glob("run_date=*")))
        accuracy = pairwise_scores(lineage[["record_id", "cstr_id"]], truth[["record_id", "entity_id"]])
        records = pd.read_parquet(next((home / "lake" / "curated" / "resource_record").glob("run_date=*")))
        quarantine = pd.read_parquet(next((home / "lake" / "quarantine").glob("run_date=*")))
        calibration = calibration_accuracy(records, truth, quarantine, examples=3)
        run_s = rows[0]["pipeline_seconds"]
        figures = {
            "scale": scale, "source_records": extracted,
            "generate_seconds": round(gen_s, 1), "pipeline_seconds": run_s,
            "records_per_second": round(extracted / run_s, 1),
            # the stages of the run whose wall pipeline_seconds is, not of the re-run below
            "stage_seconds": rows[0]["stage_seconds"],
            "golden_records": measured["stages"]["dedup"]["golden"],
            "generate_peak_rss_mib": round(gen_mib, 1),
            "pipeline_peak_rss_mib": round(rows[0]["pipeline_peak_rss_mib"], 1),
            "dedup_accuracy": accuracy, "calibration_accuracy": calibration, "balanced": measured["balanced"],
            "load_average": _load(),
        }
        if scale <= 200_000:  # the same day again: every stage replaces its own outputs
            figures["rerun_seconds"] = round(_bayres(home, "run", "--date", RUN_DATE)[0], 1)
        return write_result(f"pipeline_local_{scale}", figures)
