"""What a generated source is: its platform, format, fields, how its records are rendered and
which of its fields defects are planted in.  The platform modules declare one ``SourceSpec`` per
source; ``conf/sources/<platform>_<source>.yaml`` describes the same source to the pipeline.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .entities import Frame, World


@dataclass
class Batch:
    """Records one source is about to publish: entity rows ``idx`` of ``frame`` with variants."""

    frame: Frame
    idx: np.ndarray
    var: np.ndarray
    rng: np.random.Generator
    world: World
    ids: list
    n: int = 0

    def __post_init__(self) -> None:
        self.n = len(self.idx)

    def col(self, name: str) -> list:
        c = self.frame.cols[name]
        if isinstance(c, np.ndarray):
            return c[self.idx].tolist()
        return [c[i] for i in self.idx.tolist()]

    def arr(self, name: str) -> np.ndarray:
        c = self.frame.cols[name]
        return (c if isinstance(c, np.ndarray) else np.asarray(c))[self.idx]

    def choice(self, k: int) -> list[int]:
        """A random small integer per record (format styles)."""
        return self.rng.integers(0, k, self.n).tolist()


@dataclass
class SourceSpec:
    platform: str
    source: str
    kind: str                                  # entity kind (entities.MAKERS, or "org")
    fmt: str                                   # sql | xml | rss | csv | json | jsonl | xlsx | txt
    share: float                               # share of `scale` records published here
    regions: dict[str, float]                  # where entities homed here are
    id_field: str
    make_id: Callable[[int], Any]              # the source's id for its n-th record (1-based)
    render: Callable[[Batch], dict[str, list]]  # field → values, in field order
    sink: Callable[..., Any]                   # out_dir → a sink (feeds / sqlite_db)
    name_fields: tuple[str, ...] = ()          # emptied by the missing_mandatory defect
    date_field: str | None = None              # the field mapped to created_date
    date_style: str = "iso"                    # its style (for planted bad dates)
    phone_field: str | None = None
    broken_rows: bool = False                  # can a row be broken (csv/txt/jsonl)
    within_variants: tuple[int, ...] = ()      # variants a same-platform duplicate may take

    @property
    def key(self) -> str:
        return f"{self.platform}_{self.source}"
