"""Progress inside a long stage: what is done of how much, the rate and the time left.

On a terminal (stderr is a TTY) a ``tqdm`` bar redraws one line in place; otherwise — a log
file, a DAG task, a pipe — nothing is drawn and one plain log line is written at most every
``every`` seconds (and none for work shorter than that), so logs stay readable.

* :class:`Progress` — counted work: records, files, sources, resource types, validations;
* :func:`spark_tasks` — the Spark work of a stage, from Spark's status tracker: tasks done of
  the tasks of the jobs started so far (a stage such as conform is a chain of Spark jobs whose
  count Spark only knows as it plans them).
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time

log = logging.getLogger("bayres")

#: seconds between two progress log lines when not on a terminal (BAYRES_PROGRESS_EVERY)
EVERY = float(os.environ.get("BAYRES_PROGRESS_EVERY", "30"))


def on_terminal(stream=None) -> bool:
    stream = stream or sys.stderr
    try:
        return stream.isatty() and os.environ.get("BAYRES_PROGRESS", "") != "off"
    except (AttributeError, ValueError):
        return False


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class Progress:
    """``done`` of ``total`` ``unit`` for ``label``; :meth:`update` as work finishes."""

    def __init__(self, label: str, total: int, unit: str = "records", every: float | None = None,
                 stream=None):
        self.label, self.total, self.unit = label, max(int(total), 0), unit
        self.every = EVERY if every is None else every
        self.done, self.detail = 0, ""
        self.started = self._logged = time.monotonic()
        self._lock = threading.Lock()
        self._bar = None
        if on_terminal(stream):
            from tqdm import tqdm

            from tqdm.contrib.logging import logging_redirect_tqdm

            self._bar = tqdm(total=self.total or None, desc=label, unit=f" {unit}", leave=False,
                             file=stream or sys.stderr, dynamic_ncols=True, mininterval=0.5)
            # log lines printed while the bar is drawn go above it, not through it
            self._redirect = logging_redirect_tqdm()
            self._redirect.__enter__()

    def set_total(self, total: int) -> None:
        with self._lock:
            self.total = max(int(total), self.done)
            if self._bar is not None:
                self._bar.total = self.total
                self._bar.refresh()

    def update(self, n: int = 1, detail: str = "") -> None:
        with self._lock:
            self.done += n
            self.detail = detail or self.detail
            if self._bar is not None:
                if detail:
                    self._bar.set_postfix_str(detail, refresh=False)
                self._bar.update(n)
            elif time.monotonic() - self._logged >= self.every:
                self._logged = time.monotonic()
                log.info("%s", self.line())

    def line(self) -> str:
        """``conform: 120 of 200 Spark tasks (60 %), 4.1/s, about 20 s left — gz/patents``."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.label}: {self.done:,} of {self.total:,} {self.unit}" if self.total \
            else f"{self.label}: {self.done:,} {self.unit}"
        if self.total:
            text += f" ({100 * self.done / self.total:.0f} %)"
        text += f", {rate:,.1f}/s" if rate < 100 else f", {rate:,.0f}/s"
        if self.total and rate > 0 and self.done < self.total:
            text += f", about {_duration((self.total - self.done) / rate)} left"
        return text + (f" — {self.detail}" if self.detail else "")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._redirect.__exit__(None, None, None)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def spark_tasks(spark, label: str, every: float | None = None, poll: float = 0.5):
    """While the body runs, the Spark tasks of the jobs it starts, done of planned (polled from
    the status tracker in a daemon thread); nothing when ``spark`` is None."""
    if spark is None:
        yield None
        return
    tracker = spark.sparkContext.statusTracker()
    progress = Progress(label, 0, unit="Spark tasks", every=every)
    seen: dict[int, tuple[int, int]] = {}  # stage id → (tasks, completed)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(poll):
            try:
                active = set(tracker.getActiveStageIds())
                for stage_id in active:
                    info = tracker.getStageInfo(stage_id)
                    if info is not None:
                        seen[stage_id] = (info.numTasks, info.numCompletedTasks)
                for stage_id, (tasks, _) in list(seen.items()):
                    if stage_id not in active:  # finished between two looks: all its tasks ran
                        seen[stage_id] = (tasks, tasks)
            except Exception:  # the session is stopping: nothing more to show
                return
            total, done = sum(t for t, _ in seen.values()), sum(c for _, c in seen.values())
            if total != progress.total:
                progress.set_total(total)
            if done > progress.done:
                progress.update(done - progress.done)

    thread = threading.Thread(target=watch, name="bayres-spark-progress", daemon=True)
    thread.start()
    try:
        yield progress
    finally:
        stop.set()
        thread.join(2)
        progress.close()
