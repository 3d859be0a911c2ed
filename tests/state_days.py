"""Days of a changing catalogue through the whole pipeline, for tests/test_state_pipeline.py.

Run as ``python -m tests.state_days HOME OUT.json`` in a process of its own (its own Spark
session and embedded metastore under HOME): generates the sample, runs day 1, changes the
platforms' databases (an edit in a ``lastmodified`` source, a row deleted from a ``full`` one, a
row appended to an ``append`` one), runs day 2 twice, then recomputes day 2 from nothing in a
second home on the same databases; writes what each run left (curated records, golden records,
lineage, serving tables, the history rows) to OUT.json for the test to compare."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from datetime import date
from pathlib import Path

import duckdb

DAY1, DAY2 = date(2026, 11, 1), date(2026, 11, 2)


def _profile(home: Path):
    from bayres.jobs.run.config import load_profile

    env = {k: v for k, v in os.environ.items() if not k.startswith("BAYRES__")}
    env.update(BAYRES_HOME=str(home),
               BAYRES__SPARK__DRIVER_MEMORY=os.environ.get("BAYRES_STATE_DAYS_DRIVER_MEMORY", "1g"))
    return load_profile("local", environ=env)


def _parquet(path: Path) -> list[dict]:
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{path.as_posix()}/*.parquet')").df()
    return json.loads(rows.to_json(orient="records", force_ascii=False, date_format="iso"))


def observe(spark, home: Path, day: date) -> dict:
    """What a day left: curated zones, the serving store, the day's history rows, the report."""
    lake = home / "lake"
    d = day.isoformat()
    out = {name: _parquet(lake / "curated" / name / f"run_date={d}")
           for name in ("resource_record", "golden_resource", "record_lineage")}
    with duckdb.connect(str(home / "serving" / "bayres.duckdb"), read_only=True) as con:
        out["serving_resource"] = con.execute("SELECT CSTR_ID, NAME FROM BAYRES_RESOURCE ORDER BY 1").fetchall()
        out["serving_lineage"] = con.execute("SELECT * FROM BAYRES_LINEAGE").df().iloc[:, :2].values.tolist()
    out["record_change"] = [r.asDict() for r in spark.sql(
        f"SELECT change, changed_fields, src_platform, src_source, src_record_id, name "
        f"FROM bayres.record_change WHERE run_date = DATE'{d}'").collect()]
    report = json.loads((home / "reports" / f"local-{d}" / "report.json").read_text(encoding="utf-8"))
    out["state"] = report["stages"]["conform"]["state"]
    out["status"] = report["status"]
    out["raw_rows"] = {f"{p}/{s}": json.loads((lake / "raw" / p / s / d / "_manifest.json").read_text())["rows"]
                       for p, s in (("hk", "equipment"), ("mo", "equipamento"), ("gz", "instruments"))}
    return out


def change_platforms(sources: Path, current: list[dict]) -> dict:
    """Day 2's changes at the platforms: returns the record ids concerned."""
    ids = {(r["src_platform"], r["src_source"]): sorted(x["src_record_id"] for x in current
                                                       if (x["src_platform"], x["src_source"]) == (r["src_platform"], r["src_source"]))
           for r in current}
    edited = ids[("hk", "equipment")][0]
    deleted = ids[("gz", "instruments")][0]
    with sqlite3.connect(sources / "hk" / "hk_platform.sqlite") as con:
        # a second ago: the next run's window ends at the database's clock, whole seconds
        con.execute("UPDATE EQUIPMENT SET EQUIPMENT_NAME_TC = EQUIPMENT_NAME_TC || '（新型號）', "
                    "LAST_UPDATED = datetime('now', '-1 second') WHERE trim(EQUIPMENT_ID) = ?", (edited,))
    with sqlite3.connect(sources / "gz" / "gz_platform.sqlite") as con:
        con.execute("DELETE FROM T_YQSB WHERE trim(YQBH) = ?", (deleted,))
    with sqlite3.connect(sources / "mo" / "mo_platform.sqlite") as con:
        top = con.execute("SELECT max(id_equipamento) FROM equipamento").fetchone()[0]
        source = ids[("mo", "equipamento")][0]
        cols = [r[1] for r in con.execute("PRAGMA table_info(equipamento)")]
        rest = [c for c in cols if c not in ("id_equipamento", "designacao_chines")]
        con.execute(f"INSERT INTO equipamento (id_equipamento, designacao_chines, {', '.join(rest)}) "
                    f"SELECT ?, '全新電子顯微鏡', {', '.join(rest)} FROM equipamento WHERE id_equipamento = ?",
                    (top + 1, int(source)))
    return {"edited": edited, "deleted": deleted, "appended": str(top + 1)}


def main(home: str, out: str) -> None:
    from bayres.jobs.generate import generate
    from bayres.jobs.run.pipeline import run_pipeline
    from bayres.jobs.run.spark_session import build_spark

    home = Path(home)
    profile = _profile(home)
    generate(profile.path("sources.feeds_root"), seed=7, scale=300)
    spark = build_spark(profile, app_name="bayres-state-days")
    result = {}
    run_pipeline(profile, DAY1, spark=spark)
    result["day1"] = observe(spark, home, DAY1)
    result["changed"] = change_platforms(profile.path("sources.feeds_root"), result["day1"]["resource_record"])
    run_pipeline(profile, DAY2, spark=spark)
    result["day2"] = observe(spark, home, DAY2)
    run_pipeline(profile, DAY2, spark=spark)
    result["day2_again"] = observe(spark, home, DAY2)
    # day 2 recomputed from nothing: the same databases and feeds, the same saved models
    fresh = home / "fresh"
    shutil.copytree(home / "sources", fresh / "sources")
    shutil.copytree(home / "linkage" / "models", fresh / "linkage" / "models")
    Path(out).write_text(json.dumps(result, ensure_ascii=False, default=str), encoding="utf-8")
    # parts of the pipeline read BAYRES_HOME from the environment: the fresh home's, for its run
    os.environ["BAYRES_HOME"] = str(fresh)
    run_pipeline(_profile(fresh), DAY2, spark=spark)
    result["fresh"] = observe(spark, fresh, DAY2)
    Path(out).write_text(json.dumps(result, ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
