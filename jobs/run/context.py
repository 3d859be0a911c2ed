"""Everything a pipeline run knows about itself: profile, logical date, run id, zone paths,
and what each stage did — timed, with its status (``ok`` / ``failed``) and error recorded even
when it fails (the failure is then raised on)."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from .config import Profile
from .run_log import run_logging, stage_logging

log = logging.getLogger("bayres")


@dataclass
class RunContext:
    profile: Profile
    run_date: date
    run_id: str = ""
    #: stage name → {"seconds": …, plus what the stage reports}
    stages: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # deterministic: re-running a day is the same run, so its outputs are the same
        self.run_id = self.run_id or f"{self.profile.name}-{self.run_date.isoformat()}"

    # ------------------------------------------------------------ zones of the lake
    @property
    def lake_root(self) -> str:
        """The lake's root as a URI Spark understands (file:// locally, hdfs:// in the cluster)."""
        if self.profile.get("lake.kind") == "hdfs":
            # lake.url is WebHDFS (http://…:9870), where Spark cannot write Parquet: Spark needs
            # the NameNode's hdfs:// address, lake.spark_uri, and there is no falling back
            uri = str(self.profile.get("lake.spark_uri") or "").rstrip("/")
            if not uri.startswith(("hdfs://", "viewfs://", "file:")):
                raise ValueError(f"lake.spark_uri must be the NameNode's hdfs:// address for Spark "
                                 f"(lake.kind is hdfs), not {uri or 'unset'!r}; lake.url "
                                 f"({self.profile.get('lake.url')}) is WebHDFS")
            return uri + str(self.profile.get("lake.root"))
        return self.profile.path("lake.root").as_uri()

    def lake(self):
        """The run's lake (connectors/lake.py), whose methods take paths relative to its root
        (:meth:`lake_path`)."""
        from bayres.connectors.lake import lake_for

        return lake_for(self.profile)

    def lake_path(self, uri: str) -> str:
        """A URI of this lake (:meth:`zone`, :meth:`raw_dir`) as a path relative to its root."""
        if not uri.startswith(self.lake_root):
            raise ValueError(f"{uri} is not in the lake {self.lake_root}")
        return uri[len(self.lake_root):].strip("/")

    def zone(self, name: str, *parts: str) -> str:
        """``<lake>/<zone>/…/run_date=<date>`` — one directory per day, replaced on re-run."""
        return "/".join([self.lake_root, name, *parts, f"run_date={self.run_date.isoformat()}"])

    def raw_dir(self, platform: str, source: str) -> str:
        return "/".join([self.lake_root, "raw", platform, source, self.run_date.isoformat()])

    def local_dir(self, setting: str) -> Path:
        path = self.profile.path(setting) / self.run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    # ------------------------------------------------------------ progress
    @property
    def log_file(self) -> Path:
        """``reports/<run id>/run.log``: the run's JSON-lines log, beside its report."""
        return self.profile.path("reports.root") / self.run_id / "run.log"

    @contextmanager
    def logged(self):
        """While the run is active: its id on every log line, JSON lines in ``log_file``."""
        with run_logging(self.run_id, self.log_file):
            yield self

    @contextmanager
    def stage(self, name: str):
        """Time a stage and log its start and end; the body fills ``self.stages[name]``.
        A stage that raises is recorded as ``failed`` with its error, then the error goes on."""
        with stage_logging(name):
            log.info("[%s] %s …", self.run_id, name)
            started = time.perf_counter()
            info = self.stages.setdefault(name, {})
            info.update(started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        status="running")
            info.pop("error", None)
            try:
                yield info
            except BaseException as exc:
                info["status"] = "failed"
                info["error"] = " ".join(f"{type(exc).__name__}: {exc}".split())[:4000]
                log.error("[%s] %s failed: %s", self.run_id, name, info["error"], exc_info=True)
                raise
            else:
                info["status"] = "ok"
            finally:
                info["seconds"] = round(time.perf_counter() - started, 2)
                log.info("[%s] %s %s in %.1f s", self.run_id, name,
                         "done" if info["status"] == "ok" else "failed", info["seconds"])
