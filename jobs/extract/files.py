"""Feed sources: the files of a source's drop folder into parts, against the processed-file ledger
of its previous run (:mod:`bayres.jobs.extract.feed_ledger`) — unchanged files are carried, never parsed
twice; changed and removed ones are detected and listed; a file that cannot be read is
quarantined with the count of the records read from it before its error.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from ...connectors.drop_folder import FileChanged, OutsideDropFolder
from ...connectors.feeds import FeedError, read_feed
from ...connectors.lake import Lake
from .parts import PartWriter
from .feed_ledger import ON_REMOVED, FeedLedger

log = logging.getLogger(__name__)


def _file_digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def extract_files(source: dict, writer: PartWriter, drop, ledger: FeedLedger, lake: Lake,
                  spool: Path) -> dict:
    """Read the source's drop folder into ``writer`` against the ledger of its previous run
    (:mod:`bayres.jobs.extract.feed_ledger`); returns the manifest's ``files_*`` lists."""
    file_conf = source.get("file") or {}
    label = f"{source['platform']}/{source['source']}"
    if not file_conf.get("path"):
        raise ValueError(f"{label}: file.path is required")
    on_removed = file_conf.get("on_removed", "keep")
    if on_removed not in ON_REMOVED:
        raise ValueError(f"{label}: file.on_removed must be one of {', '.join(ON_REMOVED)}")
    required = [source["id_field"]] if source.get("id_field") else []
    out = {"files_read": [], "files_carried": [], "files_changed": [], "files_removed": [],
           "files_quarantined": []}
    present, to_carry = [], []
    for name, handle in drop.files(file_conf["path"]):
        present.append(name)
        try:
            path = drop.local_copy(name, handle, spool)
        except (FileChanged, OutsideDropFolder) as e:
            log.warning("quarantined %s: %s", name, e)
            out["files_quarantined"].append({"name": name, "size": None, "sha256": None, "reason": str(e)})
            continue
        before = path.stat()
        size, sha256 = _file_digest(path)
        entry = {"name": name, "size": size, "sha256": sha256}
        status = ledger.status(name, sha256)
        if status == "unchanged":
            to_carry.append(entry)
            continue
        if status == "unchanged-quarantined":
            reason = ledger.quarantined[name]["reason"]
            out["files_quarantined"].append({**entry, "reason": reason,
                                             "rows_discarded": ledger.quarantined[name].get("rows_discarded", 0),
                                             "loaded_run_date": ledger.loaded_on(name)})
            continue
        if status == "changed":
            old = ledger.files.get(name) or ledger.quarantined[name]
            log.warning("%s: %s changed since %s (sha256 %s… → %s…); reading it again", label, name,
                        ledger.run_date, old["sha256"][:12], sha256[:12])
            out["files_changed"].append({**entry, "previous_size": old["size"],
                                         "previous_sha256": old["sha256"],
                                         "previous_run_date": ledger.run_date})
        writer.begin_file()
        added, errors = writer.added, writer.errors
        try:
            writer.extend(read_feed(path, file_conf, fmt=source["format"], name=name,
                                    required=required))
            after = path.stat()
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise FeedError(path, "file changed while it was being extracted")
        except FeedError as e:
            # the records read before the error go with the file, but are counted: a file cut
            # mid-record never loses its readable part unseen
            discarded = writer.added - added
            writer.rollback_file()
            log.warning("quarantined %s (%d records read before the error discarded): %s", name,
                        discarded, e.reason)
            out["files_quarantined"].append({**entry, "reason": e.reason, "rows_discarded": discarded})
            continue
        writer.end_file()
        out["files_read"].append({**entry, "rows": writer.added - added,
                                  "error_rows": writer.errors - errors})
    for name in sorted(set(ledger.files) - set(present)):
        out["files_removed"].append({"name": name, "sha256": ledger.files[name]["sha256"],
                                     "rows": ledger.files[name]["rows"], "action": on_removed})
        if on_removed == "keep":
            to_carry.append({k: ledger.files[name][k] for k in ("name", "size", "sha256")})
    carried = ledger.carried_records(lake, [e["name"] for e in to_carry])
    for entry in sorted(to_carry, key=lambda e: e["name"]):
        records = carried[entry["name"]]
        writer.begin_file()
        writer.extend(records)
        writer.end_file()
        out["files_carried"].append({**entry, "rows": len(records),
                                     "error_rows": sum(1 for r in records if r[2] is not None),
                                     "loaded_run_date": ledger.loaded_on(entry["name"])})
    return out
