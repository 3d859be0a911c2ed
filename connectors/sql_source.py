"""Relational sources read through SQLAlchemy (``sqlite:///`` locally, ``mysql+pymysql://`` in
the cluster profile), streamed with a server-side cursor.

Two ways in:

* :func:`read_table` yields the same ``Record`` tuples as :mod:`bayres.connectors.feeds`:
  location ``table T row N`` (``query row N`` for a query), every value as a string (dates ISO,
  decimals without exponent, ``None`` kept).
* :class:`SqlReader` is what extraction uses: the same values, delivered as all-string Arrow
  tables, restricted by an optional ``where``, an incremental window on a check column and a
  split range (:mod:`bayres.connectors.sql_predicates`: Sqoop's ``--where``, ``--incremental``,
  ``--split-by``/``-m``).

On MySQL/MariaDB through PyMySQL, :class:`SqlReader` takes the fast path of
:mod:`bayres.connectors.mysql_protocol` (``fast=True``, the default) when every column is of a
type whose text form it reproduces exactly (the row packets cut column-wise out of the socket
buffer); a column of another type makes the read use the generic path.
"""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any, Iterator, Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from . import mysql_protocol
from .feeds import Record, float_text, to_text
from .sql_predicates import Split, build_statement, interpolate


# ------------------------------------------------------------------------------ generic reading

def read_table(url: str, table: Optional[str] = None, query: Optional[str] = None,
               order_by: Optional[str] = None, fetch_size: int = 10_000) -> Iterator[Record]:
    """Stream a table or query; ``order_by`` (the source's id field) makes row numbers
    deterministic. Rows are fetched ``fetch_size`` at a time from a server-side cursor."""
    stmt = build_statement(table, query, order_by)
    label = f"table {table}" if table is not None else "query"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=fetch_size).execute(stmt)
            columns = list(result.keys())
            if len(set(columns)) != len(columns):
                raise ValueError(f"{label}: duplicate column names in the result: {columns}")
            n = 0
            for batch in result.partitions():
                locations = [f"{label} row {i}" for i in range(n + 1, n + len(batch) + 1)]
                n += len(batch)
                for location, values in zip(locations, zip(*map(_as_text, zip(*batch)))):
                    yield location, dict(zip(columns, values)), None, None
    finally:
        engine.dispose()


def _as_text(column: tuple) -> Sequence[Optional[str]]:
    """One column of a fetched batch as strings (converted column-wise: much faster)."""
    kinds = set(map(type, column))
    kinds.discard(type(None))
    if kinds <= {str}:
        return column
    if kinds == {int}:
        return [None if v is None else str(v) for v in column]
    if kinds == {float}:
        return [None if v is None else float_text(v) for v in column]
    return [to_text(v) for v in column]


def _abandon(dbapi_conn) -> None:
    """Close a PyMySQL connection in the middle of a streamed result without reading the rest
    of it (closing the cursor would drain the whole result first)."""
    result = getattr(dbapi_conn, "_result", None)
    if result is not None and getattr(result, "unbuffered_active", False):
        result.unbuffered_active = False
    force_close = getattr(dbapi_conn, "_force_close", None)
    if force_close is not None:
        force_close()


class Cancelled(Exception):
    """Another split failed; this one stopped reading."""


def _locations(prefix: str, first: int, n: int) -> pa.Array:
    """``prefix`` + row numbers first … first+n-1, built in C++."""
    numbers = pc.cast(pa.array(np.arange(first, first + n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(pa.scalar(prefix, pa.string()), numbers, "")



# ------------------------------------------------------------------------------ the reader

class SqlReader:
    """Reads one table or query of one database for an extraction: probing its columns,
    computing watermark bounds and split ranges, and streaming each split as Arrow tables of
    strings (source columns in result order, then ``_src_location``, ``_src_error``,
    ``_src_raw``). Each :meth:`read` opens its own connection, so splits can be read from
    several threads at once."""

    def __init__(self, url: str, *, table: Optional[str] = None, query: Optional[str] = None,
                 where: Optional[str] = None, order_by: Optional[str] = None,
                 fetch_size: int = 50_000, fast: bool = True):
        if (table is None) == (query is None):
            raise ValueError("give exactly one of table or query")
        if fetch_size < 1:
            raise ValueError("fetch_size must be positive")
        self.table, self.query, self.where, self.order_by = table, query, where, order_by
        self.fetch_size = fetch_size
        self.label = f"table {table}" if table is not None else "query"
        self.engine = sa.create_engine(url, poolclass=NullPool)
        backend = self.engine.dialect.name
        self._mysql = backend in ("mysql", "mariadb")
        self._fast_wanted = fast and self._mysql and self.engine.dialect.driver == "pymysql"
        self._columns: Optional[list[str]] = None
        self._fast: Optional[list[mysql_protocol.FastColumn]] = None
        self.fast_reason: str = ""

    # -- statements
    def statement(self, predicates: Sequence[sa.ColumnElement] = (), *, columns=None,
                  order: bool = True) -> sa.Executable:
        return build_statement(self.table, self.query, self.order_by if order else None,
                               where=self.where, predicates=predicates, columns=columns)

    def _scalar_row(self, stmt) -> Optional[sa.Row]:
        with self.engine.connect() as conn:
            return conn.execute(stmt).first()

    # -- columns
    def columns(self) -> list[str]:
        """The result's column names (and, on MySQL, whether the fast path applies)."""
        if self._columns is None:
            probe = self.statement([sa.false()], order=False)
            if self._fast_wanted:
                self._probe_mysql(probe)
            else:
                with self.engine.connect() as conn:
                    self._columns = list(conn.execute(probe).keys())
            if len(set(self._columns)) != len(self._columns):
                raise ValueError(f"{self.label}: duplicate column names in the result: {self._columns}")
        return self._columns

    def _probe_mysql(self, probe) -> None:
        import pymysql.cursors
        from pymysql.constants import CLIENT

        raw = self.engine.raw_connection()
        try:
            cur = raw.driver_connection.cursor(pymysql.cursors.Cursor)
            sql, params = self._compile(probe)
            cur.execute(sql, params)
            fields = cur._result.fields
            conn = raw.driver_connection
            encoding = conn.encoding
            # the fast reader relies on these PyMySQL internals and on classic EOF packets
            internals = all(hasattr(conn, a) for a in ("_rfile", "_next_seq_id", "_force_close")) \
                and hasattr(cur._result, "unbuffered_active") \
                and not conn.client_flag & CLIENT.DEPRECATE_EOF
            cur.close()
        finally:
            raw.close()
        self._columns = [f.name for f in fields]
        fast, reasons = [], []
        if encoding.replace("-", "").lower() != "utf8":  # the rows' bytes are taken as UTF-8
            reasons.append(f"connection charset {encoding}")
        if not internals:
            reasons.append("this PyMySQL version's connection internals")
        for f in fields:
            kind, reason = mysql_protocol.fast_kind(f)
            if kind is None:
                reasons.append(f"{f.name}: {reason}")
            fast.append(mysql_protocol.FastColumn(f.name, kind or "", int(f.scale) if kind == "datetime" else 0))
        if reasons:
            self.fast_reason = "generic path (" + "; ".join(reasons) + ")"
        elif not fields:
            self.fast_reason = "generic path (no columns)"
        else:
            self._fast = fast
            self.fast_reason = "fast path"

    @property
    def fast(self) -> bool:
        self.columns()
        return self._fast is not None

    def _compile(self, stmt) -> tuple[str, dict]:
        compiled = stmt.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        return str(compiled), dict(compiled.params)

    # -- bounds
    def max_value(self, column: str, predicates: Sequence[sa.ColumnElement] = ()) -> Any:
        """``MAX(column)`` over the source (``where`` and ``predicates`` applied)."""
        stmt = self.statement(predicates, columns=[sa.func.max(sa.column(column))], order=False)
        row = self._scalar_row(stmt)
        return None if row is None else row[0]

    def now(self, like: Any = None) -> Any:
        """The database's current time at whole seconds — a ``date`` when ``like`` is a date
        (a DATE check column), a string on SQLite (which stores text)."""
        date_only = isinstance(like, dt.date) and not isinstance(like, dt.datetime)
        if self.engine.dialect.name == "sqlite":
            date_only = date_only or (isinstance(like, str) and len(like) == 10)
            fn = sa.func.date if date_only else sa.func.datetime
            stmt = sa.select(fn("now", "localtime"))
        elif self._mysql:
            stmt = sa.select(sa.func.curdate() if date_only else sa.func.now())
        else:
            stmt = sa.select(sa.func.current_date() if date_only else sa.func.localtimestamp())
        value = self._scalar_row(stmt)[0]
        if isinstance(value, dt.datetime):
            value = value.replace(microsecond=0)
        return value

    def plan_splits(self, column: Optional[str], count: int,
                    predicates: Sequence[sa.ColumnElement] = ()) -> list[Split]:
        """``count`` ranges of ``column`` over the rows the predicates select (fewer when the
        column has fewer distinct values). Numeric and temporal columns are cut arithmetically
        between MIN and MAX; other types at quantiles (``ORDER BY … LIMIT 1 OFFSET k``)."""
        if count < 1:
            raise ValueError("splits must be at least 1")
        if count == 1 or column is None:
            return [Split()]
        col = sa.column(column)
        row = self._scalar_row(self.statement(predicates, columns=[sa.func.min(col), sa.func.max(col),
                                                                   sa.func.count(col)], order=False))
        lo, hi, n = row if row is not None else (None, None, 0)
        if lo is None or lo == hi:
            return [Split()]
        try:
            inner = interpolate(lo, hi, count)
        except TypeError:
            inner = []
            for k in range(1, count):
                stmt = (self.statement(list(predicates) + [col.is_not(None)], columns=[col], order=False)
                        .order_by(col).limit(1).offset((n * k) // count))
                found = self._scalar_row(stmt)
                if found is not None:
                    inner.append(found[0])
        bounds = []
        for b in inner:  # strictly increasing, strictly inside (lo, hi]
            if lo < b <= hi and (not bounds or b > bounds[-1]):
                bounds.append(b)
        if not bounds:
            return [Split()]
        edges = [lo, *bounds, None]
        return [Split(i, len(bounds) + 1, column, edges[i], edges[i + 1]) for i in range(len(bounds) + 1)]

    # -- reading
    def read(self, predicates: Sequence[sa.ColumnElement] = (), *, location_prefix: Optional[str] = None,
             stop: Optional[threading.Event] = None) -> Iterator[pa.Table]:
        """Stream the rows the predicates select, in ``order_by`` order, as tables of at most
        ``fetch_size`` rows. ``location_prefix`` defaults to ``"<label> row "``; ``stop`` set by
        another thread ends the read with :class:`Cancelled`."""
        columns = self.columns()
        prefix = location_prefix if location_prefix is not None else f"{self.label} row "
        schema = pa.schema([pa.field(c, pa.string()) for c in (*columns, "_src_location", "_src_error",
                                                                  "_src_raw")])
        batches = (self._read_fast(predicates, stop) if self._fast is not None
                   else self._read_generic(predicates, stop))
        n = 0
        for arrays in batches:
            rows = len(arrays[0]) if arrays else 0
            if not rows:
                continue
            nulls = pa.nulls(rows, pa.string())
            table = pa.Table.from_arrays([*arrays, _locations(prefix, n + 1, rows), nulls, nulls],
                                         schema=schema)
            n += rows
            yield table

    def _read_generic(self, predicates, stop) -> Iterator[list[pa.Array]]:
        stmt = self.statement(predicates)
        with self.engine.connect() as conn:
            ok = False
            try:
                result = conn.execution_options(stream_results=True, yield_per=self.fetch_size).execute(stmt)
                for batch in result.partitions():
                    if stop is not None and stop.is_set():
                        raise Cancelled()
                    yield [pa.array(_as_text(col), pa.string()) for col in zip(*batch)]
                ok = True
            finally:
                if not ok:  # do not drain an abandoned server-side cursor
                    _abandon(conn.connection.driver_connection)
                    conn.invalidate()

    def _read_fast(self, predicates, stop) -> Iterator[list[pa.Array]]:
        import pymysql.cursors

        sql, params = self._compile(self.statement(predicates))
        raw = self.engine.raw_connection()
        conn = raw.driver_connection
        ok = False
        try:
            cur = conn.cursor(pymysql.cursors.SSCursor)
            cur.execute(sql, params)
            if len(cur._result.fields) != len(self._fast):
                raise RuntimeError(f"{self.label}: the columns changed since they were probed")
            for data, starts, ends in mysql_protocol.RowChunks(conn, cur._result, len(self._fast)).chunks(self.fetch_size):
                if stop is not None and stop.is_set():
                    raise Cancelled()
                yield mysql_protocol.cut_fields(data, starts, ends, self._fast)
            cur.close()
            ok = True
        finally:
            if not ok:  # the connection is mid-result: drop it rather than drain it
                _abandon(conn)
                raw.invalidate()
            raw.close()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "SqlReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
