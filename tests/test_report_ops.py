"""Run reports for operations: the Hive tables ``run_stage`` and ``platform_assessment``
(jobs/ops/assessment.py), the HTML report (jobs/ops/report_html.py), the run's JSON-lines log, and a
failed stage still reported.

Unit tests work on small hand-made reports; the ``slow`` tests on the suite's end-to-end runs
(the ``runs`` fixture: 2026-11-01 twice) and on a run whose stage fails for real.
"""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from bayres.jobs.ops.assessment import platform_rows, stage_rows
from bayres.jobs.ops.report_html import write_html

PLATFORMS = ["gz", "hk", "mo", "sz"]
SECTIONS = ["stages", "records", "quarantine", "quality", "checks", "dedup", "assessment", "service"]


# ---------------------------------------------------------------- a report, by hand
def small_report(run_id="local-2026-11-02", run_date="2026-11-02", score_gz=0.8) -> dict:
    """Two platforms landed (hk with an unreadable file), mo configured but not delivered."""
    return {
        "run_id": run_id, "run_date": run_date, "profile": "local", "finished": "2026-11-02T01:00:00+00:00",
        "status": "ok", "failed_stages": [], "balanced": True,
        "accounting": {"gz": {"extracted": 100, "standardized": 90, "quarantined": 10, "flagged": 3,
                              "files_quarantined": 0, "balanced": True},
                       "hk": {"extracted": 40, "standardized": 38, "quarantined": 2, "flagged": 0,
                              "files_quarantined": 1, "balanced": True}},
        "stages": {
            "extract": {"status": "ok", "seconds": 1.5, "started_at": "2026-11-02T00:00:00+00:00"},
            "conform": {"status": "ok", "seconds": 20.25, "started_at": "2026-11-02T00:00:02+00:00",
                        "extracted": {"gz/a": {"platform": "gz", "rows": 60, "files_quarantined": 0},
                                      "gz/b": {"platform": "gz", "rows": 40, "files_quarantined": 0},
                                      "hk/c": {"platform": "hk", "rows": 40, "files_quarantined": 1}},
                        "quarantine_reasons": [
                            {"src_platform": "gz", "stage": "calibrate", "field": "contact_phone", "count": 7},
                            {"src_platform": "gz", "stage": "standardize", "field": None, "count": 3},
                            {"src_platform": "hk", "stage": "calibrate", "field": "created_date", "count": 2}]},
            "dedup": {"status": "ok", "seconds": 9.0, "records": 128, "golden": 101, "merged": 27,
                      "by_rule": {"singleton": 80, "strong_id": 40, "name_key": 8}},
            "quality": {"status": "ok", "seconds": 4.0, "success": True, "critical_failures": [],
                        "warnings": [],
                        "scores": [{"src_platform": "gz", "score": score_gz, "completeness": 0.7,
                                    "validity": 0.9, "uniqueness": 1.0, "timeliness": 0.6},
                                   {"src_platform": "hk", "score": 0.65, "completeness": 0.5,
                                    "validity": 0.8, "uniqueness": 1.0, "timeliness": 0.3}]},
            "publish": {"status": "ok", "seconds": 3.0, "published": True},
        },
        "outputs": {"run report": "reports/x/report.json"},
    }


SOURCES = [{"platform": "gz", "source": "a"}, {"platform": "gz", "source": "b"},
           {"platform": "hk", "source": "c"}, {"platform": "hk", "source": "d"},
           {"platform": "mo", "source": "e"}]


def test_stage_rows_follow_the_run_order():
    rep = small_report()
    rep["stages"] = {"publish": {"status": "failed", "seconds": 0.1, "error": "RuntimeError: no"},
                     "extract": {"seconds": 2.0}}  # a report written before statuses existed
    rows = stage_rows(rep)
    assert [(r["stage"], r["status"], r["seconds"], r["error"]) for r in rows] == \
        [("extract", "ok", 2.0, None), ("publish", "failed", 0.1, "RuntimeError: no")]
    assert {r["run_date"] for r in rows} == {date(2026, 11, 2)}


def test_platform_assessment_rows():
    rows = {r["src_platform"]: r for r in platform_rows(small_report(), SOURCES)}
    assert sorted(rows) == ["gz", "hk", "mo"]
    gz, hk, mo = rows["gz"], rows["hk"], rows["mo"]
    assert (gz["failure_rate"], gz["sources"], gz["sources_delivered"], gz["service_quality"]) == (0.1, 2, 2, 1.0)
    assert hk["failure_rate"] == 2 / 40
    # hk/c landed with an unreadable file, hk/d not at all: neither delivered
    assert (hk["sources"], hk["sources_delivered"], hk["service_quality"]) == (2, 0, 0.0)
    assert (mo["extracted"], mo["failure_rate"], mo["service_quality"], mo["quality_score"]) == (0, None, 0.0, None)
    assert (gz["quality_score"], hk["quality_score"]) == (0.8, 0.65)
    assert gz["gbt30523_conformance"] is None  # a report without the quality stage's measure
    measured = small_report()
    measured["gbt30523"] = {"gz": {"gbt30523_conformance": 0.97}}
    rows_m = {r["src_platform"]: r for r in platform_rows(measured, SOURCES)}
    assert (rows_m["gz"]["gbt30523_conformance"], rows_m["hk"]["gbt30523_conformance"]) == (0.97, None)
    assert all(r["published"] is True and r["stages_failed"] == 0 for r in rows.values())
    failing = small_report()
    failing["stages"]["publish"] = {"status": "failed", "error": "x"}
    assert {r["published"] for r in platform_rows(failing, SOURCES)} == {False}
    assert {r["stages_failed"] for r in platform_rows(failing, SOURCES)} == {1}
    del failing["stages"]["publish"]
    assert {r["published"] for r in platform_rows(failing, SOURCES)} == {None}


def sections_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([a-z]+)">(.*?)</section>', page, re.S))


def cells(section: str) -> list[list[str]]:
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)
            if "<td>" in row]


def test_html_report_has_a_chart_per_section_and_the_history(tmp_path):
    root = tmp_path / "reports"
    earlier = small_report("local-2026-11-01", "2026-11-01", score_gz=0.55)
    (root / earlier["run_id"]).mkdir(parents=True)
    (root / earlier["run_id"] / "report.json").write_text(json.dumps(earlier), encoding="utf-8")
    (root / "broken").mkdir()
    (root / "broken" / "report.json").write_text("{not json", encoding="utf-8")
    rep = small_report()
    rep["gbt30523"] = {"hk": {"gbt30523_conformance": 0.97}}  # the quality stage's measure
    results = tmp_path / "golden_resource.json"  # a validation result as quality/validate.py keeps it
    results.write_text(json.dumps({"success": False, "results": [
        {"success": True, "expectation_config": {"type": "expect_column_values_to_not_be_null",
                                                 "kwargs": {"column": "cstr_id"},
                                                 "meta": {"rule": "mandatory", "severity": "critical"}},
         "result": {"element_count": 101, "unexpected_count": 0}},
        {"success": False, "expectation_config": {"type": "expect_column_values_to_match_regex",
                                                  "kwargs": {"column": "contact_email"},
                                                  "meta": {"rule": "pattern", "severity": "warning"}},
         "result": {"element_count": 101, "unexpected_count": 4}}]}), encoding="utf-8")
    rep["stages"]["quality"]["stages"] = {"golden": {"success": True, "results": str(results)}}
    page_path = write_html(rep, tmp_path / "report.html", root, SOURCES)
    page = page_path.read_text(encoding="utf-8")
    assert "<script" not in page and "http" not in page.replace('http://www.w3.org', '')  # self-contained
    found = sections_of(page)
    assert list(found) == SECTIONS
    for name, body in found.items():
        # the run of small_report collected no service logs: that section says so, without a chart
        assert body.count("<svg") == (0 if name == "service" else 1), name
    assert "no service logs collected" in found["service"]
    assert ["gz", "100", "90", "10", "3", "0", "True"] in cells(found["records"])
    assert ["hk", "calibrate", "created_date", "2"] in cells(found["quarantine"])
    assert ["golden records", "101"] in cells(found["dedup"])
    # the Data Docs' figures without the Data Docs (whose CSS and scripts come from CDNs)
    assert ["golden", "column values to match regex", "contact_email", "pattern", "warning", "FAILED",
            "4", "101"] in cells(found["checks"])
    assert ["conform", "ok", "20.250", "2026-11-02T00:00:02+00:00", "–"] in cells(found["stages"])
    quality = cells(found["quality"])
    assert ["2026-11-01", "local-2026-11-01", "gz", "0.550"] == quality[0][:4]  # the earlier run first
    assert ["2026-11-02", "local-2026-11-02", "gz", "0.800"] in [row[:4] for row in quality]
    assert ["hk", "40", "2", "0.050", "2", "0", "0.000", "0.650", "–", "–", "–", "–", "0.970", "True", "0"] \
        in cells(found["assessment"])
    # the chart draws the figures: the axis shows the platforms
    assert ">gz<" in found["records"] and ">hk<" in found["records"]
    # small counts on a scale of their own, one measure per axis, a trend of two runs is a trend
    assert "quarantined records" in found["records"]
    assert "records in and out" in found["dedup"] and "rule that linked them" in found["dedup"]
    assert "one run so far" not in found["quality"]
    one = write_html(rep, tmp_path / "one.html", tmp_path / "no-reports", SOURCES).read_text("utf-8")
    assert "one run so far" in sections_of(one)["quality"]


def test_html_report_of_a_run_that_failed_early(tmp_path):
    rep = small_report()
    rep["stages"] = {"extract": {"status": "failed", "seconds": 0.2, "error": "FeedError: <bad> & worse"}}
    rep.update(status="failed", failed_stages=["extract"], accounting={})
    page = write_html(rep, tmp_path / "report.html", tmp_path / "reports", SOURCES).read_text("utf-8")
    assert "extract failed: FeedError: &lt;bad&gt; &amp; worse" in page
    found = sections_of(page)
    assert found["stages"].count("<svg") == 1
    for name in ("records", "dedup", "assessment", "quality"):
        assert "<svg" not in found[name] and "not run in this run" in found[name], name


# ---------------------------------------------------------------- the run tables in Hive
def test_a_run_replaces_its_own_rows_and_keeps_other_runs_of_the_day(spark):
    from bayres.jobs.ops import assessment

    db = "bayres_run_tables_test"
    spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")
    try:
        assessment.load(spark, db, small_report(run_id="run-a"), SOURCES)
        assessment.load(spark, db, small_report(run_id="run-b"), SOURCES)
        rerun = small_report(run_id="run-a")
        rerun["stages"] = {"extract": rerun["stages"]["extract"]}  # run-a again, one stage only
        loaded = assessment.load(spark, db, rerun, SOURCES)
        stages = {(r["run_id"], r["stage"]) for r in spark.table(f"{db}.run_stage").collect()}
        assert stages == {("run-a", "extract")} | {("run-b", s) for s in small_report()["stages"]}
        assert loaded["run_stage"]["rows"] == 1
        assert loaded["run_stage"]["partition_rows"] == len(stages)
        platforms = spark.sql(f"SELECT run_id, count(*) FROM {db}.platform_assessment GROUP BY run_id").collect()
        assert {r[0]: r[1] for r in platforms} == {"run-a": 3, "run-b": 3}
    finally:
        spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")


def test_a_run_table_of_an_earlier_layout_is_refused_with_the_fix(spark):
    from bayres.jobs.ops import assessment

    db = "bayres_run_tables_old"
    spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")
    try:
        spark.sql(f"CREATE DATABASE {db}")
        spark.sql(f"CREATE TABLE {db}.run_stage (run_id STRING, stage STRING) "
                  "PARTITIONED BY (run_date DATE) STORED AS PARQUET")
        with pytest.raises(RuntimeError, match=rf"{db}.run_stage is partitioned by \(run_date\).*"
                                               rf"DROP TABLE {db}.run_stage"):
            assessment.load(spark, db, small_report(), SOURCES)
    finally:
        spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")


def test_a_stage_under_way_shows_as_running_until_the_report_replaces_it(spark, local_profile):
    from bayres.jobs.ops import report
    from bayres.jobs.run.context import RunContext

    ctx = RunContext(profile=local_profile, run_date=date(2026, 11, 5), run_id="progress-test")
    where = "run_id = 'progress-test'"
    report.load_progress(ctx, spark)  # no stage under way yet: nothing written
    table = f"{local_profile.get('spark.hive_database')}.run_stage"
    assert not spark.catalog.tableExists(table) or read_table(spark, local_profile, "run_stage", where) == []
    ctx.stages["extract"] = {"status": "ok", "seconds": 1.0, "started_at": "2026-11-05T00:00:00+00:00"}
    ctx.stages["dedup"] = {"status": "running", "started_at": "2026-11-05T00:00:02+00:00"}
    report.load_progress(ctx, spark)
    rows = {r["stage"]: r for r in read_table(spark, local_profile, "run_stage", where)}
    assert {k: (r["status"], r["seconds"]) for k, r in rows.items()} == {"extract": ("ok", 1.0),
                                                                       "dedup": ("running", None)}
    ctx.stages["dedup"].update(status="failed", seconds=3.5, error="RuntimeError: boom")
    rep = report.write_report(ctx, spark, failing=True)
    rows = {r["stage"]: r for r in read_table(spark, local_profile, "run_stage", where)}
    assert rep["hive"]["run_stage"]["rows"] == 2
    assert (rows["dedup"]["status"], rows["dedup"]["seconds"], rows["dedup"]["error"]) == \
        ("failed", 3.5, "RuntimeError: boom")


# ---------------------------------------------------------------- the end-to-end runs
def read_table(spark, profile, table: str, where: str):
    return [r.asDict() for r in spark.table(f"{profile.get('spark.hive_database')}.{table}").where(where).collect()]


def manifest_rows(profile, day: str) -> dict[str, int]:
    """Rows extracted per platform, from the lake's manifests (not from the report)."""
    out: dict[str, int] = {}
    for path in profile.path("lake.root").glob(f"raw/*/*/{day}/_manifest.json"):
        m = json.loads(path.read_text(encoding="utf-8"))
        out[m["platform"]] = out.get(m["platform"], 0) + m["rows"]
    return out


@pytest.mark.slow
def test_run_tables_hold_each_run_once(runs, spark, local_profile):
    first, _, second, _ = runs
    day = second["run_date"]
    assert second["status"] == "ok" and second["hive"]["run_stage"]["rows"] == 7
    stages = read_table(spark, local_profile, "run_stage", f"run_date = DATE'{day}'")
    # the day ran twice with the same run id: its rows were replaced, not added
    assert sorted(r["stage"] for r in stages if r["run_id"] == second["run_id"]) == \
        sorted(["extract", "conform", "dedup", "load", "quality", "publish", "logs"])
    ours = {r["stage"]: r for r in stages if r["run_id"] == second["run_id"]}
    # the table mirrors the run's latest report (other tests of the session may re-run a stage
    # of this same run after the fixture did, e.g. conform for the linkage tests)
    latest = json.loads((local_profile.path("reports.root") / second["run_id"] / "report.json")
                        .read_text(encoding="utf-8"))
    for name, info in latest["stages"].items():
        assert (ours[name]["status"], ours[name]["seconds"], ours[name]["started_at"]) == \
            ("ok", info["seconds"], info["started_at"])
    assessment = {r["src_platform"]: r for r in read_table(
        spark, local_profile, "platform_assessment", f"run_date = DATE'{day}' AND run_id = '{second['run_id']}'")}
    assert sorted(assessment) == PLATFORMS
    db = local_profile.get("spark.hive_database")
    quarantined = {r[0]: r[1] for r in spark.sql(
        f"SELECT src_platform, count(*) FROM {db}.quarantine WHERE run_date = DATE'{day}' GROUP BY 1").collect()}
    scores = {r[0]: r[1] for r in spark.sql(
        f"SELECT src_platform, score FROM {db}.quality_score WHERE run_date = DATE'{day}'").collect()}
    extracted = manifest_rows(local_profile, day)
    configured = {p: sum(1 for s in local_profile.sources if s["platform"] == p) for p in PLATFORMS}
    for p, row in assessment.items():
        assert row["extracted"] == extracted[p] and row["quarantined"] == quarantined.get(p, 0)
        assert row["failure_rate"] == pytest.approx(quarantined.get(p, 0) / extracted[p])
        assert row["quality_score"] == pytest.approx(scores[p])
        assert row["sources"] == configured[p] and 0 < row["service_quality"] <= 1
        assert row["published"] is True and row["stages_failed"] == 0


@pytest.mark.slow
def test_html_report_and_run_log_of_a_real_run(runs, local_profile):
    rep = runs[2]
    folder = local_profile.path("reports.root") / rep["run_id"]
    assert rep["outputs"]["html report"] == str(folder / "report.html")
    assert "report.html" in (folder / "summary.txt").read_text(encoding="utf-8")
    found = sections_of((folder / "report.html").read_text(encoding="utf-8"))
    assert list(found) == SECTIONS
    # the sample's service logs are of the day it was generated, not of the run's day: the logs
    # stage skipped, the service section says so without a chart
    assert "skipped" in rep["stages"]["logs"] and not rep["service"]
    assert "no service logs collected" in found["service"]
    assert all(body.count("<svg") == (0 if name == "service" else 1) for name, body in found.items())
    for platform, r in rep["accounting"].items():
        assert [platform, str(r["extracted"]), str(r["standardized"]), str(r["quarantined"])] in \
            [row[:4] for row in cells(found["records"])]
    assert ["golden records", str(rep["stages"]["dedup"]["golden"])] in cells(found["dedup"])
    for s in rep["stages"]["quality"]["scores"]:
        assert [rep["run_date"], rep["run_id"], s["src_platform"], f"{s['score']:.3f}"] in \
            [row[:4] for row in cells(found["quality"])]
    lines = [json.loads(line) for line in (folder / "run.log").read_text(encoding="utf-8").splitlines()]
    assert lines and {line["run_id"] for line in lines} == {rep["run_id"]}
    assert {"extract", "conform", "dedup", "load", "quality", "publish"} <= {line["stage"] for line in lines}


@pytest.mark.slow
def test_a_failed_stage_is_reported_in_every_form(spark, local_profile):
    """Publishing a run that never ran quality fails for real: the run's report, tables, page
    and log say so, and the error still reaches the caller."""
    from bayres.jobs.run.pipeline import run_pipeline

    day, run_id = date(2026, 11, 9), "local-2026-11-09-publish-first"
    with pytest.raises(RuntimeError, match="quality has not run"):
        run_pipeline(local_profile, day, stages=["publish"], run_id=run_id, spark=spark)
    folder = local_profile.path("reports.root") / run_id
    rep = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert rep["status"] == "failed" and rep["failed_stages"] == ["publish"]
    assert "quality has not run" in rep["stages"]["publish"]["error"]
    stages = read_table(spark, local_profile, "run_stage", f"run_id = '{run_id}'")
    assert [(r["stage"], r["status"], r["run_date"]) for r in stages] == [("publish", "failed", day)]
    assert "quality has not run" in stages[0]["error"]
    assessment = read_table(spark, local_profile, "platform_assessment", f"run_id = '{run_id}'")
    assert sorted(r["src_platform"] for r in assessment) == PLATFORMS
    assert {(r["stages_failed"], r["published"]) for r in assessment} == {(1, False)}
    assert "publish failed: RuntimeError" in (folder / "report.html").read_text(encoding="utf-8")
    assert "publish failed: RuntimeError" in (folder / "summary.txt").read_text(encoding="utf-8")
    errors = [json.loads(line) for line in (folder / "run.log").read_text(encoding="utf-8").splitlines()
              if '"ERROR"' in line]
    assert errors and errors[0]["stage"] == "publish" and "quality has not run" in errors[0]["exc"]


@pytest.mark.parametrize("yielding", [True, False])
def test_a_yielding_start_launches_the_jvm_at_a_lower_priority(spark, local_profile, monkeypatch, yielding):
    import os
    import subprocess
    import sys

    from bayres.jobs.run import spark_session

    seen = {}

    def child_niceness(profile, app_name="bayres", light=False):  # test double: a child process stands for the JVM
        out = subprocess.run([sys.executable, "-c", "import os; print(os.nice(0))"],
                             capture_output=True, text=True, check=True)
        seen["child"] = int(out.stdout)
        return spark  # then the suite's session, as the JVM would give one

    monkeypatch.setattr(spark_session, "build_spark", child_niceness)
    ours = os.nice(0)
    assert spark_session.SessionOnDemand(local_profile, yielding=yielding).get() is spark
    assert seen["child"] == (min(ours + spark_session.YIELDING_NICE, 19) if yielding else ours)
    assert os.nice(0) == ours  # only the starting thread was lowered


def test_a_session_started_in_the_background_has_the_profile_settings_here(spark, local_profile, tmp_path):
    """The session comes from another thread, and Spark reads SQL settings from the calling
    thread's active session: without it, case-sensitive column names (``IPC`` of one source,
    ``ipc`` of another) became one ambiguous column and ``make run`` failed in conform."""
    import pandas as pd

    from bayres.jobs.run import spark_session

    for name, column in (("a", "IPC"), ("b", "ipc")):
        (tmp_path / name).mkdir()
        pd.DataFrame({column: ["x"]}).to_parquet(tmp_path / name / "part.parquet")
    spark._jvm.SparkSession.clearActiveSession()  # this thread as a fresh run's main thread
    try:
        started = spark_session.SessionOnDemand(local_profile).get()
        merged = started.read.option("mergeSchema", "true").parquet(str(tmp_path / "a"), str(tmp_path / "b"))
        assert merged.select(merged["IPC"], merged["ipc"]).columns == ["IPC", "ipc"]
    finally:
        spark._jvm.SparkSession.setActiveSession(spark._jsparkSession)


@pytest.mark.slow
def test_a_duckdb_dedup_runs_while_spark_starts(runs, spark, local_profile, monkeypatch):
    """``bayres run --stage dedup`` on DuckDB: the stage does not wait for the Spark session,
    which starts beside it and then writes the run tables."""
    import time
    from datetime import datetime

    from bayres.jobs.run import spark_session
    from bayres.jobs.run.pipeline import run_pipeline

    moments = {}

    def slow_start(profile, app_name="bayres", light=False):  # test double: a slow JVM, then the suite's session
        moments["asked"] = time.time()
        time.sleep(8)
        moments["ready"] = time.time()
        return spark

    monkeypatch.setattr(spark_session, "build_spark", slow_start)
    run_id = "local-2026-11-01-dedup-alone"
    rep = run_pipeline(local_profile, date(2026, 11, 1), stages=["dedup"], run_id=run_id)
    dedup_started = datetime.fromisoformat(rep["stages"]["dedup"]["started_at"]).timestamp()
    assert moments["asked"] - 1 <= dedup_started < moments["ready"] - 1
    assert rep["status"] == "ok" and rep["hive"]["run_stage"]["rows"] == 1
    assert [r["stage"] for r in read_table(spark, local_profile, "run_stage", f"run_id = '{run_id}'")] == ["dedup"]


@pytest.mark.slow
def test_spark_that_cannot_start_fails_the_run_after_its_report(runs, local_profile, monkeypatch):
    from bayres.jobs.run import spark_session
    from bayres.jobs.run.pipeline import run_pipeline

    def broken(profile, app_name="bayres", light=False):  # test double: a JVM that does not start
        raise RuntimeError("Java gateway process exited before sending its port number")

    monkeypatch.setattr(spark_session, "build_spark", broken)
    run_id = "local-2026-11-01-no-spark"
    with pytest.raises(RuntimeError, match="Java gateway"):
        run_pipeline(local_profile, date(2026, 11, 1), stages=["dedup"], run_id=run_id)
    rep = json.loads((local_profile.path("reports.root") / run_id / "report.json").read_text(encoding="utf-8"))
    assert rep["stages"]["dedup"]["status"] == "ok" and rep["stages"]["dedup"]["golden"] > 0
    assert "hive" not in rep


@pytest.mark.parametrize("stages, dedup_on_spark, role", [
    (["dedup"], False, {"yielding": True, "light": True}),        # bayres run --stage dedup (a DAG task)
    (["dedup", "load"], False, {"yielding": True, "light": False}),  # load is real Spark work
    (["conform", "dedup"], False, {"yielding": False, "light": False}),
    (["dedup"], True, {"yielding": False, "light": False}),        # dedup itself on Spark
])
def test_session_role_follows_the_spark_work_of_the_run(stages, dedup_on_spark, role):
    from bayres.jobs.run.pipeline import session_role

    assert session_role(stages, dedup_on_spark) == role


def test_driver_java_options(tmp_path, monkeypatch):
    from bayres.jobs.run.config import load_profile
    from bayres.jobs.run.spark_session import LIGHT_JVM_OPTIONS, LOG4J_CONF, driver_java_options

    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    derby = load_profile("local", environ={"BAYRES_HOME": str(tmp_path)})
    default, light = driver_java_options(derby), driver_java_options(derby, light=True)
    log4j = f"-Dlog4j2.configurationFile={LOG4J_CONF.as_uri()}"  # errors only on the console
    assert LOG4J_CONF.exists()
    assert default.split() == [f"-Dderby.system.home={(tmp_path / 'metastore').resolve()}", log4j]
    assert light.split() == [*default.split(), *LIGHT_JVM_OPTIONS]
    shared = load_profile("local", environ={"BAYRES_HOME": str(tmp_path),
                                            "BAYRES__SPARK__METASTORE_URI": "thrift://metastore:9083"})
    assert driver_java_options(shared) == log4j
    assert driver_java_options(shared, light=True).split() == [log4j, *LIGHT_JVM_OPTIONS]


def test_a_light_session_is_a_working_jvm_with_the_light_options(own_home_env):
    """A JVM of its own (a subprocess: this one already has the suite's): it runs the light
    options and still answers SQL through its Hive metastore."""
    import json
    import subprocess
    import sys

    script = (
        "import json\n"
        "from bayres.jobs.run.config import load_profile\n"
        "from bayres.jobs.run.spark_session import build_spark\n"
        "spark = build_spark(load_profile('local'), light=True)\n"
        "args = list(spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())\n"
        "spark.sql('CREATE DATABASE IF NOT EXISTS light_check')\n"
        "dbs = [r[0] for r in spark.sql('SHOW DATABASES').collect()]\n"
        "print(json.dumps({'args': args, 'dbs': dbs, 'sum': spark.range(10).groupBy().sum().collect()[0][0]}))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=own_home_env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"} <= set(got["args"])
    assert "light_check" in got["dbs"] and got["sum"] == 45
