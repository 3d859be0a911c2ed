"""Everything a pipeline run knows about itself: profile, logical date, run id, zone paths."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .config import Profile

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
            return str(self.profile.get("lake.spark_uri") or self.profile.get("lake.url")) \
                .rstrip("/") + str(self.profile.get("lake.root"))
        return self.profile.path("lake.root").as_uri()

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
    @contextmanager
    def stage(self, name: str):
        """Time a stage and log its start and end; the body fills ``self.stages[name]``."""
        log.info("[%s] %s …", self.run_id, name)
        started = time.perf_counter()
        info = self.stages.setdefault(name, {})
        try:
            yield info
        finally:
            info["seconds"] = round(time.perf_counter() - started, 2)
            log.info("[%s] %s done in %.1f s", self.run_id, name, info["seconds"])
