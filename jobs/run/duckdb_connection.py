"""The embedded DuckDB database of the ``local`` profile, opened with the profile's bounds.

Two parts of the dedup stage use DuckDB on one machine: the stage's own SQL
(jobs/dedup/engine.py) and Splink's DuckDB backend (jobs/dedup/linkage/backends.py). Both open their
connection here, so that one profile block bounds them:

    linkage:
      duckdb:
        memory_limit: 8GB                     # beyond it DuckDB spills to temp_directory
        temp_directory: ${BAYRES_HOME:-var}/duckdb-tmp
        threads: 0                            # 0: DuckDB's default, one per core

Unbounded, DuckDB takes up to 80 % of the machine's memory per connection, and writes its
spill files to ``.tmp/`` in the working directory.
"""
from __future__ import annotations

from pathlib import Path


def connect(settings: dict | None = None):
    """A new in-memory DuckDB connection with ``settings`` (the profile's ``linkage.duckdb``)."""
    import duckdb

    settings = settings or {}
    con = duckdb.connect()
    if settings.get("memory_limit"):
        con.execute(f"SET memory_limit = '{_size(settings['memory_limit'])}'")
    if settings.get("temp_directory"):
        folder = Path(str(settings["temp_directory"]))
        folder.mkdir(parents=True, exist_ok=True)
        con.execute("SET temp_directory = ?", [folder.as_posix()])
    threads = int(settings.get("threads") or 0)
    if threads > 0:
        con.execute(f"SET threads = {threads}")
    return con


def _size(value) -> str:
    """A memory size DuckDB accepts ("8GB", "512MB", "75%" is not one): refused with the value."""
    import re

    text = str(value).strip().upper().replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", text):
        raise ValueError(f"linkage.duckdb.memory_limit must be a size such as 8GB, not {value!r}")
    return text
