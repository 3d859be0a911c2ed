"""Generated days through the whole local pipeline, for tests/test_generate_days.py.

Run as ``python -m tests.generate_days_run BASE OUT.json SEED [SEED …]`` in a process of its own
(one Spark session and embedded metastore for all seeds, each seed in a home of its own under
BASE): ``bayres generate`` day 1 (scale 300), run
day 1; regenerate day 2, run day 2; regenerate day 3, run day 3 — each regeneration stamping its
changes a moment before its run, as a platform edited during that day would (a ``lastmodified``
source is read up to the database's clock); then a fresh home holding only day 3's sources (and
the same saved linkage models) runs day 3 from nothing. Writes what every run left to OUT.json
(tests/state_days.py's ``observe``) with day 3's generator summary and truth/changes.csv, one
entry per seed."""
from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import time
from datetime import date, datetime
from pathlib import Path

from tests.state_days import _profile, observe

DAYS = (date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3))
SCALE = 300


def days(spark, home: Path, seed: int) -> dict:
    """One seed's three days, then day 3 from nothing in ``home/fresh``."""
    from bayres.jobs.generate import generate
    from bayres.jobs.run.pipeline import run_pipeline

    # parts of the pipeline read BAYRES_HOME from the environment: this home's, for its runs
    os.environ["BAYRES_HOME"] = str(home)
    profile = _profile(home)
    sources = profile.path("sources.feeds_root")
    generate(sources, seed=seed, scale=SCALE)
    result: dict = {"seed": seed}
    run_pipeline(profile, DAYS[0], spark=spark)
    result["day1"] = observe(spark, home, DAYS[0])
    stamps: dict = {}
    for n, day in enumerate(DAYS[1:], start=2):
        # changes made now, at the platforms; the run reads up to the database's clock (whole
        # seconds, exclusive): wait until it has passed them
        stamps[n] = datetime.now().replace(microsecond=0)
        result[f"summary{n}"] = generate(sources, seed=seed, scale=SCALE, day=n, changes_at=stamps)
        time.sleep(max(0.0, (stamps[n] - datetime.now()).total_seconds()) + 1.2)
        run_pipeline(profile, day, spark=spark)
        result[f"day{n}"] = observe(spark, home, day)
    with open(sources / "truth" / "changes.csv", encoding="utf-8", newline="") as f:
        result["changes"] = list(csv.DictReader(f))
    fresh = home / "fresh"
    shutil.copytree(sources, fresh / "sources")
    shutil.copytree(home / "linkage" / "models", fresh / "linkage" / "models")
    os.environ["BAYRES_HOME"] = str(fresh)
    run_pipeline(_profile(fresh), DAYS[-1], spark=spark)
    result["fresh"] = observe(spark, fresh, DAYS[-1])
    return result


def main(base: str, out: str, *seeds: str) -> None:
    from bayres.jobs.run.spark_session import build_spark

    base = Path(base)
    homes = {int(s): base / f"seed-{s}" for s in seeds}
    first = next(iter(homes.values()))
    spark = build_spark(_profile(first), app_name="bayres-generate-days")
    result = {}
    for seed, home in homes.items():
        result[str(seed)] = days(spark, home, seed)
        Path(out).write_text(json.dumps(result, ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
