"""The processed-file ledger of a feed source: which files of the drop folder are new, changed,
unchanged or gone since the source's previous committed run.

The ledger is the lake itself: every run directory's manifest lists the files it holds
(``files_read`` — parsed in that run, ``files_carried`` — taken over from the run before,
``files_quarantined``), each with name, size and sha256. The newest run directory of an
*earlier* date is the ledger a run compares the drop folder against, so

* a file whose name and checksum are in the ledger is **never parsed again**: its rows are
  copied from the previous run directory (``files_carried``), byte for byte the same values;
  an unreadable file that has not changed is quarantined again with its first reason, unread;
* a file with a known name and another checksum is **detected as changed**
  (``files_changed``: previous size, checksum and run date), parsed, and its new rows replace the
  old ones;
* a file that left the drop folder keeps its rows (``on_removed: keep``, the default — drop
  folders are cleared once delivered) or leaves the snapshot (``on_removed: drop`` — the folder is
  the source's whole publication); either way the manifest lists it under ``files_removed``.

Every run directory is therefore a complete snapshot of the source, self-contained (only the
newest one is needed to carry on), and re-running a date compares against the same earlier
run, so it is idempotent. Reading the ledger from the lake rather than from a separate store
means it can never disagree with what was committed.
"""
from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from typing import Iterator, Optional

import pyarrow.compute as pc
import pyarrow.parquet as pq

from ...connectors.feeds import Record
from ...connectors.lake import MANIFEST, Lake

log = logging.getLogger(__name__)

ON_REMOVED = ("keep", "drop")
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SRC = ("_src_location", "_src_error", "_src_raw")


@dataclass
class FeedLedger:
    """The files of the previous committed run of a source (empty on its first run)."""
    run_dir: Optional[str] = None       # lake path of that run directory
    run_date: Optional[str] = None
    files: dict = field(default_factory=dict)        # name → entry with rows (read or carried)
    quarantined: dict = field(default_factory=dict)  # name → entry with reason

    @classmethod
    def previous(cls, lake: Lake, source_dir: str, run_date: str) -> "FeedLedger":
        """The ledger of the newest run directory of ``source_dir`` dated before ``run_date``."""
        if not lake.exists(source_dir):
            return cls()
        earlier = sorted(d for d in lake.list(source_dir) if _DATE_DIR.match(d) and d < run_date)
        for day in reversed(earlier):  # a directory without a manifest is not a committed run
            run_dir = lake.join(source_dir, day)
            if lake.exists(lake.join(run_dir, MANIFEST)):
                manifest = lake.read_manifest(run_dir)
                files = {f["name"]: f for f in (manifest.get("files_read") or [])
                         + (manifest.get("files_carried") or [])}
                quarantined = {f["name"]: f for f in manifest.get("files_quarantined") or []}
                return cls(run_dir, day, files, quarantined)
        return cls()

    def status(self, name: str, sha256: str) -> str:
        """``new`` | ``unchanged`` | ``changed`` | ``unchanged-quarantined``."""
        known = self.files.get(name) or self.quarantined.get(name)
        if known is None:
            return "new"
        if known["sha256"] != sha256:
            return "changed"
        return "unchanged" if name in self.files else "unchanged-quarantined"

    def loaded_on(self, name: str) -> str:
        """The run date the file was first parsed (carried entries remember it)."""
        entry = self.files.get(name) or self.quarantined.get(name) or {}
        return entry.get("loaded_run_date") or self.run_date

    def carried_records(self, lake: Lake, names: list[str]) -> dict[str, list[Record]]:
        """The rows the previous run holds for each of ``names``, as the feed readers' records."""
        if not names:
            return {}
        wanted = {name: [] for name in names}
        parts = sorted(p for p in lake.list(self.run_dir) if p.endswith(".parquet"))
        for part in parts:
            table = pq.read_table(io.BytesIO(lake.read_bytes(lake.join(self.run_dir, part))))
            fields = [c for c in table.column_names if c not in _SRC]
            for name, out in wanted.items():
                # locations read "<file name> record N" / "… line N" / "… sheet S row N"
                rows = table.filter(pc.starts_with(table["_src_location"], name + " "))
                if rows.num_rows:
                    out.extend(_records(rows, fields))
        for name, records in wanted.items():
            expected = self.files[name]["rows"]
            if len(records) != expected:
                raise RuntimeError(f"{self.run_dir}: the ledger says {name} has {expected} rows, "
                                   f"the run directory holds {len(records)}")
        return wanted


def _records(table, fields: list[str]) -> Iterator[Record]:
    """Raw-zone rows back into ``(location, fields, error, raw)`` (null fields left out)."""
    columns = {c: table.column(c).to_pylist() for c in (*fields, *_SRC)}
    for i, location in enumerate(columns["_src_location"]):
        values = {c: columns[c][i] for c in fields if columns[c][i] is not None}
        yield location, values, columns["_src_error"][i], columns["_src_raw"][i]
