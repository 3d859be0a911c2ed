"""The raw zone's run directories and their parts: all-string parquet files written from records
(:class:`PartWriter`, feeds) or from Arrow tables (:class:`ArrowParts`, SQL splits) into a local
spool, with fixed writer options — identical input gives identical bytes.
"""
from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from ...connectors.feeds import Record

SRC_COLUMNS = ("_src_location", "_src_error", "_src_raw")
RUN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# fixed writer options: identical input ⇒ identical bytes. Dictionary pages are capped at 64 KiB:
# low-cardinality columns (codes, units, cities) keep their dictionary, while near-unique ones
# (ids, names, _src_location) fall back to plain encoding early — with the default 1 MiB cap they
# were hashed into a dictionary first (100,000 instrument rows: 30 % more CPU, twice the bytes)
_PARQUET_OPTIONS = dict(compression="zstd", use_dictionary=True, dictionary_pagesize_limit=64 << 10,
                        write_statistics=True, version="2.6", data_page_size=1 << 20)


def raw_path(platform: str, source: str, run_date: str) -> str:
    """The raw-zone run directory of a source, relative to the lake root."""
    return f"raw/{platform}/{source}/{run_date}"


@dataclass
class Part:
    path: Path
    rows: int
    error_rows: int
    n_columns: int


@dataclass
class _Mark:
    parts: int
    rows: int
    columns: int


class PartWriter:
    """Buffers records and writes all-string parquet parts of ``batch_rows`` rows into a local
    spool directory.

    Columns are the union of field names in first-seen order; parts written before a new
    field appeared are rewritten with the full schema by :meth:`close`, so every part has the
    same schema. :meth:`begin_file` / :meth:`rollback_file` drop everything read from a file
    that turns out to be unreadable, including parts already written.
    """

    def __init__(self, spool: Path, batch_rows: int = 100_000):
        if batch_rows < 1:
            raise ValueError("batch_rows must be positive")
        self.spool, self.batch_rows = spool, batch_rows
        self.columns: list[str] = []
        self._known: set[str] = set()
        self._rows: list[Record] = []
        self._scanned = 0  # buffered rows whose field names are already in ``columns``
        self.parts: list[Part] = []
        self._mark: Optional[_Mark] = None
        self._carry: Optional[list[Record]] = None

    def extend(self, records: Iterable[Record]) -> None:
        rows, batch_rows = self._rows, self.batch_rows
        with _gc_paused():
            for record in records:
                rows.append(record)
                if len(rows) >= batch_rows:
                    self.flush()
                    rows = self._rows

    @property
    def added(self) -> int:
        return sum(p.rows for p in self.parts) + len(self._rows)

    @property
    def errors(self) -> int:
        return sum(p.error_rows for p in self.parts) + sum(1 for r in self._rows if r[2] is not None)

    def _discover_columns(self) -> None:
        names = dict.fromkeys(chain.from_iterable(r[1] for r in self._rows[self._scanned:]))
        for name in names:
            if name not in self._known:
                if name in SRC_COLUMNS:
                    raise ValueError(f"source field {name!r} clashes with a raw-zone column")
                self._known.add(name)
                self.columns.append(name)
        self._scanned = len(self._rows)

    # -- per-file transactions
    def begin_file(self) -> None:
        self._discover_columns()
        self._mark = _Mark(len(self.parts), len(self._rows), len(self.columns))
        self._carry = None

    def end_file(self) -> None:
        self._mark = self._carry = None

    def rollback_file(self) -> None:
        """Forget every record added since :meth:`begin_file`."""
        mark = self._mark
        for part in self.parts[mark.parts:]:
            part.path.unlink()
        del self.parts[mark.parts:]
        if self._carry is not None:  # rows of earlier files went out with this file's first part
            self._rows = self._carry
        else:
            del self._rows[mark.rows:]
        self._scanned = len(self._rows)
        self._known.difference_update(self.columns[mark.columns:])
        del self.columns[mark.columns:]
        self.end_file()

    # -- writing
    def flush(self) -> None:
        if not self._rows:
            return
        self._discover_columns()
        mark = self._mark
        if mark is not None and self._carry is None and len(self.parts) == mark.parts and mark.rows:
            self._carry = self._rows[: mark.rows]
        rows, self._rows, self._scanned = self._rows, [], 0
        path = self.spool / f"part-{len(self.parts):05d}.parquet"
        _write(self._table(rows), path)
        errors = sum(1 for r in rows if r[2] is not None)
        self.parts.append(Part(path, len(rows), errors, len(self.columns)))

    def _table(self, rows: list[Record]) -> pa.Table:
        schema = self.schema()
        arrays = []
        if self.columns:  # dicts → struct → columns: converted in C++, missing keys become null
            struct = pa.struct(list(schema)[: len(self.columns)])
            arrays = pa.array([r[1] for r in rows], struct).flatten()
        arrays += [pa.array([r[i] for r in rows], pa.string()) for i in (0, 2, 3)]
        return pa.Table.from_arrays(arrays, schema=schema)

    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c, pa.string()) for c in (*self.columns, *SRC_COLUMNS)])

    def close(self) -> list[Part]:
        """Flush, give every part the final schema, and return the parts in order."""
        self.flush()
        if not self.parts:  # an empty extraction still yields a readable, typed part
            self.parts.append(Part(self.spool / "part-00000.parquet", 0, 0, len(self.columns)))
            _write(self.schema().empty_table(), self.parts[0].path)
        schema = self.schema()
        for part in self.parts:
            if part.n_columns != len(self.columns):
                table = pq.read_table(part.path)
                n = table.num_rows
                table = pa.Table.from_arrays(
                    [table.column(c) if c in table.column_names else pa.nulls(n, pa.string())
                     for c in schema.names], schema=schema)
                _write(table, part.path)
                part.n_columns = len(self.columns)
        return self.parts


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while buffering: records are acyclic, and collections triggered by
    100k buffered dicts cost a third of the extraction time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, row_group_size=max(table.num_rows, 1), **_PARQUET_OPTIONS)


class ArrowParts:
    """Writes the tables of one split as parts of exactly ``batch_rows`` rows (the last shorter),
    in the split's own thread (a separate writer thread was measured slower on two cores)."""

    def __init__(self, directory: Path, batch_rows: int):
        directory.mkdir(parents=True)
        self.directory, self.batch_rows = directory, batch_rows
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.parts: list[Part] = []

    def add(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.pending_rows += table.num_rows
        while self.pending_rows >= self.batch_rows:
            self._flush(self.batch_rows)

    def _flush(self, n: int) -> None:
        table = self.pending[0] if len(self.pending) == 1 else pa.concat_tables(self.pending)
        head, rest = table.slice(0, n), table.slice(n)
        path = self.directory / f"part-{len(self.parts):05d}.parquet"
        _write(head, path)
        self.parts.append(Part(path, n, 0, table.num_columns))
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def close(self) -> list[Part]:
        if self.pending_rows:
            self._flush(self.pending_rows)
        return self.parts
