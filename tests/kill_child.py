"""A run killed for real at an injected point (issue 19): ``python -m tests.kill_child SCENARIO
WORKDIR KILL_AT``.

Every file-system write of the process — ``os.mkdir``, ``os.rename``, ``os.replace``,
``os.unlink``, ``os.rmdir`` (``shutil.rmtree`` and ``shutil.move`` go through them) and the
directory exchange of :mod:`bayres.connectors.commit` — is counted; right after the
``KILL_AT``-th one returns the process sends itself SIGKILL (no clean-up, no ``finally``: the
fault is real, only its timing is chosen). ``KILL_AT`` 0 runs to the end and prints the number of
writes. ``KILL_NO_EXCHANGE=1`` makes the directory exchange unavailable (the two-rename
replacement and its recovery are then what is killed). The scenarios:

* ``extract``: extract WORKDIR/drop into the lake WORKDIR/lake (one CSV source, run date
  2024-06-01), replacing the run directory an earlier run published;
* ``zone``: the DuckDB engine replaces WORKDIR/zone/run_date=2024-06-01 with new rows;
* ``publish-setup``: the home the ``publish`` scenario starts from (:func:`setup_publish`);
* ``publish``: ``bayres run`` of 2026-11-01 in the home WORKDIR (its stages from ``STAGES``,
  default ``publish``) where the counted writes are the publication's commits instead: each
  step of :data:`bayres.jobs.run.pipeline.PUBLISH_STEPS` and, within ``serving``, the full serving
  store before the audiences' stores. A run that ends prints a digest of everything published
  (Hive tables and views, serving stores, portal index, the journal) as its last line, JSON.
"""
from __future__ import annotations

import os
import signal
import sys
from datetime import date
from pathlib import Path

WRITES = 0
KILL_AT = 0


def _counted(fn):
    def wrapper(*args, **kwargs):
        global WRITES
        result = fn(*args, **kwargs)
        WRITES += 1
        if WRITES == KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return wrapper


def instrument_publish() -> None:
    from bayres.connectors import serving_duckdb
    from bayres.jobs.run import pipeline

    pipeline._publish_step = _counted(pipeline._publish_step)
    serving_duckdb.replace_tables = _counted(serving_duckdb.replace_tables)


def _digest(rows) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(sorted(json.dumps(r, ensure_ascii=False, default=str, sort_keys=True)
                                            for r in rows)).encode()).hexdigest()[:16]


def published_state(spark, profile) -> dict:
    """A digest per published thing: what a reader of each finds, order aside, run stamps aside."""
    import sqlite3

    import duckdb

    from bayres.jobs.run.pipeline import PUBLISH_JOURNAL
    from bayres.jobs.run.context import RunContext

    from functools import reduce

    from pyspark.sql import functions as F

    out = {}
    db = profile.get("spark.hive_database")
    volatile = {"published_at", "at", "built_at"}
    # every table and view read in one Spark job (each row as JSON, under its table's key)
    # rather than one job per table: the digest is most of what a recovering child does after it
    frames = []
    for database in sorted(r[0] for r in spark.sql("SHOW DATABASES").collect()
                           if r[0] == db or r[0].startswith(f"{db}_")):
        for t in sorted(r.tableName for r in spark.sql(f"SHOW TABLES IN {database}").collect()
                        if not r.isTemporary):
            if t in ("run_stage", "platform_assessment"):
                continue  # the run tables: one row per run, the recovering run's too
            key = f"hive {database}.{t}"
            table = spark.table(f"{database}.{t}")
            out[key] = []
            frames.append(table.select(F.lit(key).alias("key"), F.to_json(F.struct(
                *[c for c in table.columns if c not in volatile])).alias("row")))
    for key, row in reduce(lambda a, b: a.unionAll(b), frames).collect() if frames else ():
        out[key].append(row)
    out = {key: _digest(rows) for key, rows in out.items()}
    serving = profile.path("serving.path")
    stores = [serving, *sorted(profile.path("serving.audience_dir").glob("*.duckdb"))]
    for store in stores:
        with duckdb.connect(str(store), read_only=True) as con:
            for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
                rows = con.execute(f"SELECT * FROM {t}").fetchall()
                out[f"serving {store.name}/{t}"] = _digest([list(r) for r in rows])
    con = sqlite3.connect(profile.path("portal.index"))
    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                            "AND name NOT LIKE 'doc_fts%'").fetchall():
        rows = [list(r) for r in con.execute(f"SELECT * FROM {t}")
                if not (t == "meta" and r[0] in volatile)]
        out[f"index {t}"] = _digest(rows)
    con.close()
    out["journal"] = RunContext(profile, date(2026, 11, 1)).lake().exists(PUBLISH_JOURNAL)
    return out


def instrument() -> None:
    for name in ("mkdir", "rename", "replace", "unlink", "rmdir"):
        setattr(os, name, _counted(getattr(os, name)))
    from bayres.connectors import commit

    if os.environ.get("KILL_NO_EXCHANGE"):  # as on a file system without renameat2: the fallback
        commit.exchange = lambda a, b: False
    commit.exchange = _counted(commit.exchange)


SOURCE = {"platform": "sz", "source": "grants", "format": "csv", "id_field": "id",
          "file": {"path": "sz/feeds/*.csv", "encoding": "utf-8"}}


def run(scenario: str, workdir: Path) -> None:
    if scenario == "extract":
        from bayres.connectors.lake import LocalLake
        from bayres.jobs.extract.stage import extract_source

        extract_source(SOURCE, feeds_root=workdir / "drop", database_urls={},
                       lake=LocalLake(workdir / "lake"), run_date="2024-06-01",
                       run_id=os.environ.get("RUN_ID", "run-x"), batch_rows=2)
    elif scenario == "zone":
        from bayres.jobs.dedup.engine import DuckDBEngine

        engine = DuckDBEngine()
        engine.write_parquet("SELECT range AS n, 'new' AS v FROM range(5)",
                             "file://" + str(workdir / "zone" / "run_date=2024-06-01"))
    elif scenario == "publish":
        import json

        from pyspark.sql import SparkSession

        from bayres.jobs.run.config import load_profile
        from bayres.jobs.run.pipeline import run_pipeline

        environ = {k: v for k, v in os.environ.items() if not k.startswith("BAYRES__")}
        environ["BAYRES_HOME"] = str(workdir)
        profile = load_profile("local", environ=environ)
        stages = tuple(os.environ.get("STAGES", "publish").split(","))
        run_pipeline(profile, date(2026, 11, 1), stages=stages)
        spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        print(json.dumps(published_state(spark, profile), sort_keys=True))
    elif scenario == "publish-setup":
        setup_publish(workdir)
    else:
        raise SystemExit(f"unknown scenario {scenario}")


def setup_publish(home: Path) -> None:
    import json

    """The home the ``publish`` scenario starts from (tests/test_kill_publish.py): day 2026-11-01
    generated (seed 7, scale 300) and run, then generated anew (seed 8) and run up to quality —
    its curated zones await publication. Both runs in this one process and Spark session; prints
    what the first run published (its golden ids in Hive and in the serving store), JSON."""
    from bayres.jobs.generate import generate
    from bayres.jobs.run.config import load_profile
    from bayres.jobs.run.pipeline import STAGES, run_pipeline

    environ = {k: v for k, v in os.environ.items() if not k.startswith("BAYRES__")}
    environ["BAYRES_HOME"] = str(home)
    profile = load_profile("local", environ=environ)
    day = date(2026, 11, 1)
    spark = None
    for seed, stages in ((7, STAGES), (8, STAGES[:STAGES.index("publish")])):
        generate(profile.path("sources.feeds_root"), seed=seed, scale=300)
        report = run_pipeline(profile, day, stages=stages, spark=spark)
        # what ``bayres run`` exits non-zero on: unbalanced, or not published
        assert report["balanced"], report
        assert seed != 7 or report["stages"]["publish"].get("published") is True, report["stages"]
        if seed == 7:
            old = {"hive": hive_golden_ids(home), "serving": serving_ids(home)}
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
    print(json.dumps(old))


def serving_ids(home: Path, store: str = "bayres.duckdb") -> list[str]:
    """The CSTR ids in a serving store of the home (the full one, or an audience's)."""
    import duckdb

    path = home / "serving" / store if store == "bayres.duckdb" else home / "serving" / "audience" / store
    with duckdb.connect(str(path), read_only=True) as con:
        return sorted(r[0] for r in con.execute("SELECT CSTR_ID FROM BAYRES_RESOURCE").fetchall())


def hive_golden_ids(home: Path, day: str = "2026-11-01") -> list[str]:
    """The CSTR ids in the home's Hive golden_resource partition of ``day``."""
    import pyarrow.parquet as pq

    part = home / "warehouse" / "bayres.db" / "golden_resource" / f"run_date={day}"
    return sorted(i for p in part.glob("part-*") for i in pq.read_table(p).column("cstr_id").to_pylist())


if __name__ == "__main__":
    scenario, workdir, KILL_AT = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    os.environ["TMPDIR"] = str(workdir / "tmp")
    import tempfile

    tempfile.tempdir = str(workdir / "tmp")
    if scenario == "publish":
        instrument_publish()
    elif scenario != "publish-setup":
        instrument()
    run(scenario, workdir)
    print(WRITES)
