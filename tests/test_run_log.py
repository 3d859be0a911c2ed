"""Structured run logs (jobs/run/run_log.py): the run id on every line of the run's JSON-lines log,
in the console format and in Airflow's task logs; a failed stage recorded before it is raised.

No Spark here; the log of a real pipeline run is checked in tests/test_report_ops.py.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import threading
from datetime import date

import pytest

from bayres.jobs.run.run_log import HUMAN_FORMAT, RunFields, run_logging, stage_logging


def read_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_line_of_the_run_log_is_json_with_the_run_id(tmp_path, monkeypatch):
    path = tmp_path / "run-1" / "run.log"
    package, library = logging.getLogger("bayres.jobs.test"), logging.getLogger("kazoo.client")
    # earlier tests of the same process quieten it: Airflow's dictConfig disables the loggers
    # that existed before it, `bayres health` sets kazoo to CRITICAL; a pipeline process does neither
    monkeypatch.setattr(library, "disabled", False)
    monkeypatch.setattr(library, "level", library.level)  # restored after the test
    library.setLevel(logging.WARNING)
    logging.getLogger("kazoo").disabled = False
    package.info("before the run: not in its log")
    with run_logging("run-1", path):
        package.info("stage-less line")
        with stage_logging("extract"):
            package.info("extracting %s/%s", "gz", "instruments")
            library.warning("Connection dropped: socket connection broken")
            worker = threading.Thread(target=lambda: package.info("from a worker thread"))
            worker.start()
            worker.join()
            try:
                raise ValueError("bad row 7 of 香港科技大學.csv")
            except ValueError:
                package.exception("with a traceback")
        with stage_logging("conform"):
            package.debug("debug is below the run log's level")
            package.info("conforming")
    package.info("after the run: not in its log")
    lines = read_lines(path)
    assert [line["message"] for line in lines] == [
        "stage-less line", "extracting gz/instruments", "Connection dropped: socket connection broken",
        "from a worker thread", "with a traceback", "conforming"]
    assert {line["run_id"] for line in lines} == {"run-1"}
    assert [line["stage"] for line in lines] == ["-", "extract", "extract", "extract", "extract", "conform"]
    assert lines[2]["logger"] == "kazoo.client" and lines[2]["level"] == "WARNING"
    assert "ValueError: bad row 7 of 香港科技大學.csv" in lines[4]["exc"]
    assert all(set(line) >= {"ts", "level", "logger", "run_id", "stage", "message"} for line in lines)
    # a second invocation of the same run appends
    with run_logging("run-1", path):
        package.info("second invocation")
    assert [line["message"] for line in read_lines(path)][-1] == "second invocation"
    assert len(read_lines(path)) == 7


def test_two_runs_in_one_process_keep_their_own_lines(tmp_path):
    log = logging.getLogger("bayres")
    with run_logging("outer", tmp_path / "outer.log"):
        log.info("outer 1")
        with run_logging("inner", tmp_path / "inner.log"):
            log.info("inner 1")
        log.info("outer 2")
    assert [(line["run_id"], line["message"]) for line in read_lines(tmp_path / "outer.log")] == \
        [("outer", "outer 1"), ("outer", "outer 2")]
    assert [line["message"] for line in read_lines(tmp_path / "inner.log")] == ["inner 1"]


def test_console_format_shows_run_and_stage(tmp_path):
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(HUMAN_FORMAT))
    handler.addFilter(RunFields())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logging.getLogger("bayres").warning("outside")
        with run_logging("local-2026-11-01", tmp_path / "run.log"), stage_logging("dedup"):
            logging.getLogger("py4j.clientserver").warning("gateway slow")
    finally:
        root.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("WARNING [- -] bayres outside")
    assert lines[1].endswith("WARNING [local-2026-11-01 dedup] py4j.clientserver gateway slow")


AIRFLOW_TASK_LOG = textwrap.dedent("""
    import io, json, logging, sys
    from airflow.sdk.log import configure_logging
    from bayres.jobs.run.run_log import run_logging, stage_logging

    out = io.BytesIO()
    configure_logging(json_output=True, output=out)  # what a task's process does (JSON to the supervisor)
    with run_logging("local-2026-11-03", __import__("pathlib").Path(sys.argv[1])):
        with stage_logging("conform"):
            logging.getLogger("bayres").info("conform started")
            logging.getLogger("great_expectations.core").warning("library line")
    logging.getLogger("bayres").warning("after the run")
    print(out.getvalue().decode("utf-8"))
""")


def test_airflow_task_log_lines_carry_the_run_id(tmp_path):
    """Airflow's task logging (structlog, JSON to the supervisor) shows run_id and stage on the
    lines the package emits while a run is active — in a process of its own, as a task runs."""
    out = subprocess.run([sys.executable, "-c", AIRFLOW_TASK_LOG, str(tmp_path / "run.log")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    events = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    by_text = {e.get("event"): e for e in events}
    assert by_text["conform started"]["run_id"] == "local-2026-11-03"
    assert by_text["conform started"]["stage"] == "conform"
    assert by_text["library line"]["run_id"] == "local-2026-11-03"
    assert "run_id" not in by_text["after the run"]
    assert {line["message"] for line in read_lines(tmp_path / "run.log")} == {"conform started", "library line"}


def test_a_failed_stage_is_recorded_then_raised(tmp_path, monkeypatch):
    from bayres.jobs.run.config import load_profile
    from bayres.jobs.run.context import RunContext

    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    ctx = RunContext(profile=load_profile("local", environ={"BAYRES_HOME": str(tmp_path)}),
                     run_date=date(2026, 11, 1))
    with ctx.logged():
        with ctx.stage("extract") as info:
            info["manifests"] = []
        with pytest.raises(FileNotFoundError, match="feed.xml"):
            with ctx.stage("conform"):
                raise FileNotFoundError("no such file: feed.xml\n(second line)")
    assert ctx.stages["extract"]["status"] == "ok" and ctx.stages["extract"]["started_at"]
    failed = ctx.stages["conform"]
    assert failed["status"] == "failed" and failed["seconds"] >= 0
    assert failed["error"] == "FileNotFoundError: no such file: feed.xml (second line)"
    lines = read_lines(ctx.log_file)
    assert ctx.log_file == tmp_path / "reports" / "local-2026-11-01" / "run.log"
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["stage"] == "conform" and "feed.xml" in errors[0]["exc"]
    assert {line["run_id"] for line in lines} == {"local-2026-11-01"}
