"""Dedup at scale (issue 5, "Scale, measured"): our dedup stage against a plain Splink-DuckDB script.

    python -m tests.bench.dedup_scale [--scales 1000000,4000000] [--rounds 2] [--no-spark]

Per scale N a home ``var/bench-dedup-<N>/`` is prepared once (``bayres generate --scale N
--seed 42``, then ``bayres run --stage extract --stage conform``; a later run finds the marker
``prepared.json`` and skips it, which the result records). Then, side by side in the same run
and alternating (ours, peer, ours, peer ...):

- ours: ``bayres run --stage dedup`` as a subprocess, local profile, ``linkage.backend duckdb``;
- the peer: ``tests/bench/splink_peer.py`` as a subprocess over the same standardized zone.

Each is measured for wall seconds, records/s, peak RSS of the process tree (psutil) and pairwise
precision/recall/F1 against ``truth/records.csv`` overall and per resource type. Results:
``.bench/dedup_scale_<N>.json`` (``ratio`` = our records/s ÷ the peer's, best round each),
``.bench/dedup_scale_growth.json`` (time growth between the two scales, target ≤ 4.4× for 4×
the records) and, at 1M only, ``.bench/dedup_scale_spark_1000000.json`` (our stage with
``linkage.backend spark``: the models trained by the DuckDB run are carried over).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from bayres.jobs.dedup import evaluate

from .record import wait_with_peak_rss, write_result

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-11-01"
SEED = 42
SPARK_SCALE = 1_000_000
#: DuckDB memory_limit of the peer (it spills to disk beyond): unbounded, it takes 80% of RAM
#: and the kernel's OOM killer ended it at 1M records on the shared 24 GiB machine
PEER_MEMORY_LIMIT = os.environ.get("BAYRES_BENCH_PEER_MEMORY_LIMIT", "8GB")


def home_for(scale: int) -> Path:
    return REPO / "var" / f"bench-dedup-{scale}"


def _env(home: Path, **overrides: str) -> dict:
    return {**os.environ, "BAYRES_HOME": str(home), "SPARK_LOCAL_DIRS": str(home / "spark-tmp"),
            **overrides}


def _watch(cmd: list[str], env: dict, log: Path) -> tuple[float, float]:
    """Run ``cmd``; (wall seconds, peak RSS of its whole process tree in MiB). Output → ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        peak_mib = wait_with_peak_rss(proc)
        wall = time.perf_counter() - started
    if proc.returncode:
        raise RunFailed(cmd, proc.returncode, wall, peak_mib, log)
    return wall, peak_mib


class RunFailed(RuntimeError):
    """A measured subprocess failed (e.g. killed by the kernel's OOM killer): what was measured."""

    def __init__(self, cmd, returncode: int, wall: float, peak_mib: float, log: Path):
        super().__init__(f"{' '.join(map(str, cmd))} exited with {returncode} after {wall:.0f} s "
                         f"(peak RSS {peak_mib:.0f} MiB); see {log}")
        self.record = {"failed": True, "returncode": returncode,
                       "signal": "SIGKILL (out of memory?)" if returncode == -9 else None,
                       "seconds_until_failure": round(wall, 1),
                       "peak_rss_mib": round(peak_mib, 1), "log": str(log)}


def _bayres() -> str:
    return str(Path(sys.executable).parent / "bayres")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# ------------------------------------------------------------------ preparation
def prepare(scale: int) -> dict:
    """Generate and conform the home of ``scale`` once; what was done (or that it was skipped)."""
    home = home_for(scale)
    marker = home / "prepared.json"
    if marker.exists():
        return {**json.loads(marker.read_text()), "skipped": True}
    home.mkdir(parents=True, exist_ok=True)
    env = _env(home)
    gen_s, gen_mib = _watch([_bayres(), "generate", "--seed", str(SEED), "--scale", str(scale)],
                            env, home / "logs" / "generate.log")
    run_s, run_mib = _watch([_bayres(), "run", "--date", DAY, "--stage", "extract",
                             "--stage", "conform"], env, home / "logs" / "extract_conform.log")
    done = {"scale": scale, "seed": SEED, "date": DAY,
            "generate_seconds": round(gen_s, 1), "generate_peak_rss_mib": round(gen_mib, 1),
            "extract_conform_seconds": round(run_s, 1),
            "extract_conform_peak_rss_mib": round(run_mib, 1),
            "prepared_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "load_average_after": load_average()}
    marker.write_text(json.dumps(done, indent=2))
    return {**done, "skipped": False}


# ------------------------------------------------------------------ measurements
def load_truth(home: Path) -> pd.DataFrame:
    return evaluate.load_truth(home / "sources" / "truth" / "records.csv")


def ours(home: Path, truth: pd.DataFrame, *, backend: str = "duckdb", retrain: bool = False,
         label: str = "") -> dict:
    """Our dedup stage (``bayres run --stage dedup``) as a subprocess on the prepared home."""
    # both sides are scored the same way, by this script after the process ends (the run
    # report's own scoring against evaluation.truth is switched off, as the peer has none)
    env = _env(home, BAYRES__LINKAGE__BACKEND=backend, BAYRES__EVALUATION__TRUTH="")
    cmd = [_bayres(), "run", "--date", DAY, "--stage", "dedup"] + (["--retrain"] if retrain else [])
    before, t0 = load_average(), time.time()
    try:
        wall, peak = _watch(cmd, env, home / "logs" / f"ours-{label or backend}.log")
    except RunFailed as exc:
        return {"run": label, "engine": backend, "models": "estimated (--retrain)" if retrain
                else "saved models reused", **exc.record,
                "load_average_before": before, "load_average_after": load_average()}
    phases = _phases(home / "reports" / f"local-{DAY}" / "run.log", t0, time.time())
    report = json.loads((home / "reports" / f"local-{DAY}" / "report.json").read_text())
    dedup = report["stages"]["dedup"]
    lineage = pd.read_parquet(home / "lake" / "curated" / "record_lineage" / f"run_date={DAY}",
                              columns=["record_id", "cstr_id"])
    linkage = dedup.get("linkage") or {}
    return {"run": label, "engine": dedup["engine"], "models": "estimated (--retrain)" if retrain
            else "saved models reused", "records": dedup["records"],
            "seconds": round(wall, 1), "records_per_second": round(dedup["records"] / wall, 1),
            "stage_seconds": dedup["seconds"],
            "stage_records_per_second": round(dedup["records"] / dedup["seconds"], 1),
            "process_phases_seconds": phases, "step_seconds": dedup["step_seconds"],
            "linkage_seconds_per_type_config": {t: s.get("seconds") for t, s in linkage.items()},
            "linkage_comparisons": {t: s.get("comparisons") for t, s in linkage.items()},
            "peak_rss_mib": round(peak, 1), "golden": dedup["golden"], "by_rule": dedup["by_rule"],
            "giant_clusters": len(dedup["giant_clusters"]),
            "load_average_before": before, "load_average_after": load_average(),
            "accuracy": evaluate.dedup_accuracy(lineage, truth)}


def _phases(run_log: Path, started: float, ended: float) -> dict:
    """Where the process's wall time went: before the stage (interpreter, Spark session), the
    stage, after it (run report, Hive run tables) — from the run log's timestamps."""
    begin = end = None
    for line in run_log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry.get("stage") != "dedup" or entry.get("logger") != "bayres":
            continue
        ts = datetime.fromisoformat(entry["ts"]).timestamp()
        if entry["message"].endswith("dedup …") and ts >= started - 1:
            begin = ts
        elif "dedup done in" in entry["message"] and begin:
            end = ts
    if begin is None or end is None:
        return {}
    return {"before_stage": round(begin - started, 1), "stage": round(end - begin, 1),
            "after_stage": round(ended - end, 1)}


def peer(home: Path, truth: pd.DataFrame, label: str = "") -> dict:
    """tests/bench/splink_peer.py as a subprocess over the same standardized zone."""
    out = home / "peer"
    cmd = [sys.executable, "-m", "tests.bench.splink_peer",
           "--standardized", str(home / "lake" / "standardized" / f"run_date={DAY}"), "--out", str(out),
           "--memory-limit", PEER_MEMORY_LIMIT]
    before = load_average()
    try:
        wall, peak = _watch(cmd, _env(home), home / "logs" / f"peer-{label}.log")
    except RunFailed as exc:
        return {"run": label, "engine": "splink-duckdb script", **exc.record,
                "load_average_before": before, "load_average_after": load_average()}
    stats = json.loads((out / "stats.json").read_text())
    clusters = pd.read_parquet(out / "clusters.parquet")
    return {"run": label, "engine": "splink-duckdb script", "memory_limit": stats["memory_limit"],
            "records": stats["records"],
            "seconds": round(wall, 1), "records_per_second": round(stats["records"] / wall, 1),
            "script_seconds": stats["seconds"], "per_type": stats["per_type"],
            "peak_rss_mib": round(peak, 1), "golden": stats["clusters"],
            "load_average_before": before, "load_average_after": load_average(),
            "accuracy": evaluate.dedup_accuracy(clusters, truth)}


def _best(runs: list[dict]) -> dict | None:
    done = [r for r in runs if not r.get("failed")]
    return min(done, key=lambda r: r["seconds"]) if done else None


def _summary(run: dict | None) -> dict | None:
    if run is None:
        return None
    a = run["accuracy"]
    out = {"seconds": run["seconds"], "records_per_second": run["records_per_second"],
           "peak_rss_mib": run["peak_rss_mib"], "precision": a["precision"], "recall": a["recall"],
           "f1": a["f1"]}
    if "stage_seconds" in run:  # ours: the dedup stage alone, without the run's bookkeeping
        out.update(stage_seconds=run["stage_seconds"],
                   stage_records_per_second=run["stage_records_per_second"])
    return out


def measure_scale(scale: int, rounds: int = 2, spark: bool | None = None,
                  peer_first: bool = False) -> Path:
    """Prepare (once), then ours and the peer alternately ``rounds`` times; the Spark backend at 1M.

    Our first round re-estimates its models (``--retrain``), as the peer does on every run; later
    rounds reuse the saved models, as a daily run does. ``ratio`` compares like with like (both
    estimating): our best --retrain round against the peer's best round."""
    prepared = prepare(scale)
    home = home_for(scale)
    truth = load_truth(home)
    runs_ours, runs_peer = [], []
    path = None
    for i in range(rounds):
        if peer_first:
            runs_peer.append(peer(home, truth, label=str(i + 1)))
        runs_ours.append(ours(home, truth, retrain=(i == 0), label=f"duckdb-{i + 1}"))
        if not peer_first:
            runs_peer.append(peer(home, truth, label=str(i + 1)))
        path = _write_scale(scale, prepared, runs_ours, runs_peer)  # kept if a later round fails
    if any(r.get("failed") for r in runs_ours):
        spark = False  # no DuckDB-trained models to carry over
    if spark if spark is not None else scale == SPARK_SCALE:
        measure_spark(scale, truth, [r for r in runs_ours if not r["models"].startswith("estimated")])
    return path


def measure_spark(scale: int, truth: pd.DataFrame | None = None, saved: list | None = None) -> Path:
    """Our stage with ``linkage.backend spark`` on the prepared home, the DuckDB-trained m/u
    carried over; compared with the best DuckDB saved-model round (``saved``; by default the
    rounds in the scale's result file, if there is one)."""
    home = home_for(scale)
    truth = load_truth(home) if truth is None else truth
    earlier = _scale_file(scale)
    if saved is None and earlier.exists():
        saved = [r for r in json.loads(earlier.read_text())["runs"]["ours"]
                 if not r.get("failed") and not r.get("models", "").startswith("estimated")]
    saved = saved or []
    run_spark = ours(home, truth, backend="spark", label="spark")
    return write_result(f"dedup_scale_spark_{scale}", {
        "records": run_spark.get("records"), **(_summary(_best([run_spark])) or {"failed": True}),
        "ratio_to_ours_duckdb_saved_models": round(run_spark["records_per_second"]
                                                   / _best(saved)["records_per_second"], 3)
        if _best(saved) and not run_spark.get("failed") else None,
        "run": run_spark},
        conditions="bayres run --stage dedup with BAYRES__LINKAGE__BACKEND=spark (local[*]); "
                   "the m/u of the DuckDB-trained models carried over, no Spark training")


def _scale_file(scale: int) -> Path:
    """The result file of one scale (``.bench/dedup_scale_<N>.json``)."""
    from .record import BENCH_DIR

    return BENCH_DIR / f"dedup_scale_{scale}.json"


def _write_scale(scale: int, prepared: dict, runs_ours: list, runs_peer: list, **extra) -> Path:
    trained = _best([r for r in runs_ours if r["models"].startswith("estimated")])
    saved = _best([r for r in runs_ours if not r["models"].startswith("estimated")])
    best_peer = _best(runs_peer)

    def ratio(a, b, key="records_per_second"):
        return round(a[key] / b["records_per_second"], 3) if a and b else None

    figures = {
        "records": (trained or saved or best_peer or {}).get("records"), "preparation": prepared,
        "ours_estimating_models": _summary(trained), "ours_saved_models": _summary(saved),
        "peer": _summary(best_peer),
        # process wall time against process wall time: ours includes starting Spark and writing
        # the run's report (Hive run tables, HTML, accuracy) — a fixed cost the peer does not pay
        "ratio": ratio(trained, best_peer), "ratio_saved_models": ratio(saved, best_peer),
        # the dedup stage alone (read, link, cluster, golden records, ids, write) against the peer
        "ratio_stage": ratio(trained, best_peer, "stage_records_per_second"),
        "ratio_stage_saved_models": ratio(saved, best_peer, "stage_records_per_second"),
        "failed_runs": [{"who": w, **{k: r[k] for k in ("run", "returncode", "signal",
                                                         "seconds_until_failure", "peak_rss_mib")}}
                        for w, runs in (("ours", runs_ours), ("peer", runs_peer))
                        for r in runs if r.get("failed")],
        "runs": {"ours": runs_ours, "peer": runs_peer},
        **extra,
    }
    _write_accuracy(scale, trained or saved, best_peer)
    return write_result(f"dedup_scale_{scale}", figures,
                        conditions=f"generate --scale {scale} --seed {SEED}; extract+conform once; "
                                   "ours = bayres run --stage dedup (local profile, linkage.backend "
                                   "duckdb) and the peer (tests/bench/splink_peer.py) as subprocesses, "
                                   "alternating; seconds = process wall time; records/s over it; "
                                   "peak RSS of the process tree; machine shared with other jobs "
                                   "(load averages per run)")


def _write_accuracy(scale: int, run: dict | None, best_peer: dict | None) -> Path | None:
    """``.bench/dedup_accuracy_<N>.json``: our pairwise precision/recall/F1, F1 on the
    organisations the shipped reference data knows and on those it does not, the peer's F1, and
    the speed ratio only where the peer's F1 is within 0.02 of ours (a speed ratio against a peer
    that links worse says nothing)."""
    if not run or run.get("failed"):
        return None
    a = run["accuracy"]
    groups = a.get("org_groups") or {}
    peer_f1 = best_peer["accuracy"]["f1"] if best_peer else None
    # the figures the issue names at the top level (with name, machine and the load average of
    # the measured run: 1, 5 and 15 minutes, when it started and when it ended); the rest under
    # ``details``
    out = {"precision": a["precision"], "recall": a["recall"], "f1": a["f1"],
           "f1_known_orgs": (groups.get("known") or {}).get("f1"),
           "f1_unknown_orgs": (groups.get("unknown") or {}).get("f1"),
           "peer_f1": peer_f1,
           "load_average": {"before": run.get("load_average_before"), "after": run.get("load_average_after")}}
    if peer_f1 is not None and abs(peer_f1 - a["f1"]) <= 0.02:
        out["ratio"] = round(run["records_per_second"] / best_peer["records_per_second"], 3)
    out["details"] = {
        "records": run["records"], "seconds": run["seconds"], "models": run["models"],
        "peer": ({"precision": best_peer["accuracy"]["precision"], "recall": best_peer["accuracy"]["recall"],
                  "f1": peer_f1, "seconds": best_peer["seconds"],
                  "load_average": {"before": best_peer.get("load_average_before"),
                                   "after": best_peer.get("load_average_after")}}
                 if best_peer else None),
        "ratio_withheld": None if "ratio" in out or peer_f1 is None
        else f"the peer's F1 {peer_f1} is not within 0.02 of ours ({a['f1']})",
        "org_groups": groups, "per_type": a["per_type"]}
    return write_result(f"dedup_accuracy_{scale}", out,
                        conditions=f"generate --scale {scale} --seed {SEED}; ours = bayres run --stage dedup "
                                   "(duckdb); pairwise scores against truth/records.csv; organisation groups "
                                   "by whether the shipped conf/reference/org_aliases.csv knows a name")


def rewrite_accuracy(scale: int) -> Path | None:
    """``.bench/dedup_accuracy_<N>.json`` again from the runs in ``.bench/dedup_scale_<N>.json``
    (no new measurement)."""
    runs = json.loads(_scale_file(scale).read_text())["runs"]
    trained = _best([r for r in runs["ours"] if r.get("models", "").startswith("estimated")])
    saved = _best([r for r in runs["ours"] if not r.get("models", "").startswith("estimated")])
    return _write_accuracy(scale, trained or saved, _best(runs["peer"]))


#: 4,000,000 records are measured only when this much memory is available at the start (GiB):
#: the machine is shared, and the kernel's OOM killer ended a 4M preparation beside other jobs
MIN_AVAILABLE_GIB_4M = float(os.environ.get("BAYRES_BENCH_MIN_AVAILABLE_GIB_4M", "12"))
LARGE_SCALE = 4_000_000


def available_gib() -> float:
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def add_peer_round(scale: int) -> Path:
    """One more peer run on the prepared home, added to the runs already in the scale's file."""
    previous = json.loads(_scale_file(scale).read_text())
    home = home_for(scale)
    runs = previous["runs"]
    runs["peer"].append(peer(home, load_truth(home), label=str(len(runs["peer"]) + 1)))
    return _write_scale(scale, previous["preparation"], runs["ours"], runs["peer"])


def rerun_ours(scale: int, rounds: int) -> Path:
    """Our stage again on the prepared home (after a change to it): ``rounds`` runs, the first
    estimating models; they replace our runs in the scale's file, the peer's runs are kept (the
    peer script has not changed) and the file says so (``peer_runs_kept_from``)."""
    previous = json.loads(_scale_file(scale).read_text())
    home = home_for(scale)
    truth = load_truth(home)
    ours_runs = [ours(home, truth, retrain=(i == 0), label=f"duckdb-{i + 1}") for i in range(rounds)]
    return _write_scale(scale, previous["preparation"], ours_runs, previous["runs"]["peer"],
                        peer_runs_kept_from=previous.get("peer_runs_kept_from") or previous["measured_at"])


def growth(small: int, large: int) -> Path | None:
    """Time growth from ``small`` to ``large`` records, from the two scales' result files."""
    files = [_scale_file(n) for n in (small, large)]
    if not all(f.exists() for f in files):
        return None
    a, b = (json.loads(f.read_text()) for f in files)
    out = {"scales": [small, large], "records": [a["records"], b["records"]],
           "record_growth": round(b["records"] / a["records"], 2), "target_time_growth": 4.4}
    for who in ("ours_estimating_models", "ours_saved_models", "peer"):
        if a.get(who) and b.get(who):
            out[who] = {"seconds": [a[who]["seconds"], b[who]["seconds"]],
                        "time_growth": round(b[who]["seconds"] / a[who]["seconds"], 2)}
            if a[who].get("stage_seconds") and b[who].get("stage_seconds"):
                out[who].update(stage_seconds=[a[who]["stage_seconds"], b[who]["stage_seconds"]],
                                stage_time_growth=round(b[who]["stage_seconds"] / a[who]["stage_seconds"], 2))
    return write_result("dedup_scale_growth", out,
                        conditions="best rounds of .bench/dedup_scale_<N>.json; " 
                                   f"measured at {a['measured_at']} and {b['measured_at']}")


def run(scales=(1_000_000, 4_000_000), rounds: int = 2, peer_first: bool = False,
        spark: bool | None = None) -> list[Path]:
    paths = []
    for n in scales:
        if n >= LARGE_SCALE and available_gib() < MIN_AVAILABLE_GIB_4M:
            print(f"bench dedup_scale {n}: skipped, {available_gib():.1f} GiB available "
                  f"(< {MIN_AVAILABLE_GIB_4M:g} GiB; BAYRES_BENCH_MIN_AVAILABLE_GIB_4M)")
            continue
        paths.append(measure_scale(n, rounds=rounds, peer_first=peer_first, spark=spark))
    if len(paths) >= 2:  # both scales measured in this run
        g = growth(min(scales), max(scales))
        if g:
            paths.append(g)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1000000,4000000")
    parser.add_argument("--rounds", type=int, default=2,
                        help="ours/peer alternations per scale (default 2)")
    parser.add_argument("--peer-first", action="store_true",
                        help="each round starts with the peer (default: ours first)")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--no-spark", action="store_true",
                        help="skip the Spark-backend run (default: run it at 1M)")
    parser.add_argument("--spark-only", action="store_true",
                        help="only the Spark-backend run, on the prepared homes")
    parser.add_argument("--add-peer-round", action="store_true",
                        help="one more peer run per scale, added to the existing result file")
    parser.add_argument("--ours-only", action="store_true",
                        help="rerun only our stage (--rounds runs), keeping the peer's runs in the file")
    parser.add_argument("--accuracy-only", action="store_true",
                        help="only rewrite dedup_accuracy_<N>.json from the runs in dedup_scale_<N>.json")
    parser.add_argument("--growth-only", action="store_true",
                        help="only write dedup_scale_growth.json from the existing results")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",") if s]
    if args.prepare_only:
        for n in scales:
            print(json.dumps(prepare(n)))
    elif args.add_peer_round:
        for n in scales:
            add_peer_round(n)
    elif args.ours_only:
        for n in scales:
            print(rerun_ours(n, args.rounds))
    elif args.accuracy_only:
        for n in scales:
            print(rewrite_accuracy(n))
    elif args.growth_only:
        print(growth(min(scales), max(scales)))
    elif args.spark_only:
        for n in scales:
            print(measure_spark(n))
    else:
        run(scales, rounds=args.rounds, peer_first=args.peer_first,
            spark=False if args.no_spark else None)


if __name__ == "__main__":
    main()
