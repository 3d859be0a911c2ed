"""Structured run logs: the run id (and stage) on every log line emitted while a run is active.

While ``run_logging(run_id, path)`` is active, every log record — the package's and the
libraries' (kazoo, Spark's py4j, Great Expectations …) — carries ``run_id`` and ``stage``:

* ``path`` (``reports/<run id>/run.log``) receives one JSON object per line: ``ts`` (UTC,
  ISO-8601), ``level``, ``logger``, ``run_id``, ``stage``, ``message`` and, for an exception,
  ``exc`` (the traceback);
* the human console format (``configure_console``, used by the CLI) shows them as
  ``[run_id stage]``;
* Airflow task logs (structlog) get them as the keys ``run_id`` and ``stage``: they are bound
  in structlog's context variables, which Airflow merges into every line of a task's log.

The run id and stage live in context variables. Threads started during a run (extraction
splits, kazoo's connection thread) do not inherit them; their records get the run that is
active in the process. Outside a run both read ``-``.
"""
from __future__ import annotations

import contextlib
import json
import logging
import sys
import traceback
from contextvars import ContextVar
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

RUN_ID: ContextVar[str | None] = ContextVar("bayres_run_id", default=None)
STAGE: ContextVar[str | None] = ContextVar("bayres_stage", default=None)
#: runs active in this process, innermost last (for threads that did not inherit the context)
_ACTIVE: list[dict] = []
NONE = "-"
HUMAN_FORMAT = "%(asctime)s %(levelname)s [%(run_id)s %(stage)s] %(name)s %(message)s"
#: libraries whose INFO lines are noise in a run log
NOISY_LOGGERS = ("py4j", "great_expectations", "urllib3")


def current_run_id() -> str:
    run_id = RUN_ID.get()
    if run_id is None and _ACTIVE:
        run_id = _ACTIVE[-1]["run_id"]
    return run_id or NONE


def current_stage() -> str:
    stage = STAGE.get()
    if stage is None and RUN_ID.get() is None and _ACTIVE:
        stage = _ACTIVE[-1]["stage"]
    return stage or NONE


class RunFields(logging.Filter):
    """Puts ``run_id`` and ``stage`` on the record (a handler filter: it sees every logger's
    records, not only those of the logger it is attached to)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "run_id", None):
            record.run_id = current_run_id()
        if not getattr(record, "stage", None):
            record.stage = current_stage()
        return True


class OnlyRun(RunFields):
    """``RunFields``, then only the records of one run (several runs may share a process)."""

    def __init__(self, run_id: str):
        super().__init__()
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        return record.run_id == self.run_id


def _utc(seconds: float | None = None) -> str:
    moment = datetime.fromtimestamp(seconds, timezone.utc) if seconds else datetime.now(timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def event_line(run_id: str, stage: str, level: str, logger: str, message: str, **fields) -> str:
    """One JSON line of a run log (what ``JsonLines`` writes; the DAGs' callbacks use it too)."""
    doc = {"ts": _utc(), "level": level, "logger": logger, "run_id": run_id or NONE,
           "stage": stage or NONE, "message": message}
    doc.update(fields)
    return json.dumps(doc, ensure_ascii=False, default=str)


class JsonLines(logging.Formatter):
    """A record as one JSON object (see the module docstring for the keys)."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {"ts": _utc(record.created), "level": record.levelname, "logger": record.name,
               "run_id": getattr(record, "run_id", NONE), "stage": getattr(record, "stage", NONE),
               "message": record.getMessage()}
        if record.exc_info:
            doc["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure_console(verbose: bool = False) -> None:
    """Human log lines on stderr with ``[run_id stage]`` (the CLI's logging)."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format=HUMAN_FORMAT, datefmt="%H:%M:%S")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RunFields) for f in handler.filters):
            handler.addFilter(RunFields())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _structlog_bind(**values) -> contextlib.AbstractContextManager:
    """Bind values in structlog's context (Airflow's task logs show them), if structlog is there."""
    try:
        from structlog.contextvars import bound_contextvars
    except ImportError:
        return contextlib.nullcontext()
    return bound_contextvars(**values)


@contextlib.contextmanager
def run_logging(run_id: str, log_file: Path) -> Iterator[Path]:
    """While active: ``run_id`` on every record; JSON lines appended to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, mode="a", encoding="utf-8")
    handler.addFilter(OnlyRun(run_id))
    handler.setFormatter(JsonLines())
    root, package = logging.getLogger(), logging.getLogger("bayres")
    saved_level = package.level
    if package.getEffectiveLevel() > logging.INFO:  # e.g. pytest, a quiet worker: the run log has INFO
        package.setLevel(logging.INFO)
    active = {"run_id": run_id, "stage": None}
    _ACTIVE.append(active)
    token = RUN_ID.set(run_id)
    root.addHandler(handler)
    try:
        with _structlog_bind(run_id=run_id):
            yield log_file
    finally:
        root.removeHandler(handler)
        handler.close()
        RUN_ID.reset(token)
        _ACTIVE.remove(active)
        package.setLevel(saved_level)


@contextlib.contextmanager
def stage_logging(stage: str) -> Iterator[None]:
    """While active: ``stage`` on every record (inside ``run_logging``)."""
    token = STAGE.set(stage)
    active = _ACTIVE[-1] if _ACTIVE else {}
    previous = active.get("stage")
    active["stage"] = stage
    try:
        with _structlog_bind(stage=stage):
            yield
    finally:
        STAGE.reset(token)
        active["stage"] = previous
