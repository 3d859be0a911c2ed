"""Run the fuzz targets (tests/fuzz/targets.py) under atheris, coverage-guided, for a bounded time
each: ``python -m tests.fuzz.run --seconds 60 [--targets csv_feed,xml_feed] [--json FILE]
[--keep-crashes]``.

Each target runs in a process of its own (libFuzzer exits the process) with the product's modules
instrumented, starting from the committed corpus ``tests/fuzz/corpus/<target>/``; the inputs it
finds interesting go to a scratch directory. A crash — an exception the product does not promise,
a broken reader contract, a hang over 20 s, memory over 3 GiB — fails the run;
``--keep-crashes`` copies the crashing input into the corpus, where tests/test_fuzz.py replays
it ever after (a regression case). Prints, and with ``--json`` writes, the executions per target.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
ROOT = HERE.parent.parent


def child(target: str, args: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["bayres"]):
        import bayres.connectors.feeds  # noqa: F401
        import bayres.connectors.mysql_protocol  # noqa: F401
        import bayres.connectors.sql_source  # noqa: F401
        import bayres.jobs.conform.standardize  # noqa: F401
    from tests.fuzz.targets import TARGETS

    function = TARGETS[target]
    atheris.Setup([sys.argv[0], *args], function)
    atheris.Fuzz()


def run_target(target: str, seconds: int, keep_crashes: bool) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix=f"bayres-fuzz-{target}-"))
    (scratch / "corpus").mkdir()
    (scratch / "crashes").mkdir()
    seeds = CORPUS / target
    seeds.mkdir(parents=True, exist_ok=True)
    args = [str(scratch / "corpus"), str(seeds), f"-max_total_time={seconds}", "-timeout=20",
            "-rss_limit_mb=3072", f"-artifact_prefix={scratch / 'crashes'}/", "-print_final_stats=1"]
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "tests.fuzz.run", "--child", target, "--", *args],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT.parent)},
                          timeout=seconds + 300)
    elapsed = time.monotonic() - started
    log = proc.stderr
    runs = re.findall(r"Done (\d+) runs in (\d+) second", log)
    execs = int(runs[-1][0]) if runs else sum(int(x) for x in re.findall(r"stat::number_of_executed_units:\s*(\d+)", log))
    crashes = sorted(p for p in (scratch / "crashes").iterdir())
    kept = []
    if keep_crashes:
        for crash in crashes:
            dest = seeds / f"regression-{crash.name}"
            shutil.copyfile(crash, dest)
            kept.append(str(dest.relative_to(ROOT)))
    result = {"target": target, "seconds": round(elapsed, 1), "executions": execs,
              "executions_per_second": round(execs / elapsed, 1) if elapsed else None,
              "corpus_seeds": len(list(seeds.iterdir())), "new_inputs": len(list((scratch / "corpus").iterdir())),
              "crashes": [c.name for c in crashes], "kept": kept, "returncode": proc.returncode}
    if proc.returncode != 0 or crashes:
        result["log_tail"] = log[-4000:]
    shutil.rmtree(scratch, ignore_errors=True)
    return result


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        target, rest = argv[1], argv[3:] if argv[2:3] == ["--"] else argv[2:]
        child(target, rest)
        return 0
    from tests.fuzz.targets import TARGETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--json", help="write the figures here (a .bench/ file)")
    parser.add_argument("--keep-crashes", action="store_true",
                        help="copy crashing inputs into tests/fuzz/corpus/<target>/")
    opts = parser.parse_args(argv)
    results = []
    for target in opts.targets.split(","):
        result = run_target(target, opts.seconds, opts.keep_crashes)
        results.append(result)
        print(f"{target:<18} {result['seconds']:>7.1f} s {result['executions']:>9} runs "
              f"{result['executions_per_second'] or 0:>8.1f}/s  crashes: {len(result['crashes'])}"
              f"{'  rc=' + str(result['returncode']) if result['returncode'] else ''}", flush=True)
        if result.get("log_tail"):
            print(result["log_tail"], file=sys.stderr)
    if opts.json:
        Path(opts.json).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.json).write_text(json.dumps({
            "name": "fuzz", "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                                        "python": platform.python_version()},
            "load_average": os.getloadavg(), "seconds_per_target": opts.seconds,
            "targets": results}, indent=2), encoding="utf-8")
    return 1 if any(r["crashes"] or r["returncode"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
