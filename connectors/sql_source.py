"""Relational sources read through SQLAlchemy (``sqlite:///`` locally, ``mysql+pymysql://`` in
the cluster profile), streamed with a server-side cursor.

Two ways in:

* :func:`read_table` yields the same ``Record`` tuples as :mod:`bayres.connectors.feeds`:
  location ``table T row N`` (``query row N`` for a query), every value as a string (dates ISO,
  decimals without exponent, ``None`` kept).
* :class:`SqlReader` is what extraction uses: the same values, delivered as all-string Arrow
  tables, restricted by an optional ``where``, an incremental :class:`Window` on a check column
  and a :class:`Split` range on a split column (Sqoop's ``--where``, ``--incremental``,
  ``--split-by``/``-m``). :func:`build_statement` is where those predicates meet the table or
  query.

On MySQL/MariaDB through PyMySQL, :class:`SqlReader` takes a fast path (``fast=True``, the
default) when every column is of a type whose text form it reproduces exactly: the server's
text-protocol row packets are read straight from the socket buffer in chunks of a few MiB, one
short Python loop finds where the packets start, and numpy and Arrow locate and copy out every
field of every row column by column (no per-value Python work). The values are identical to the
generic path's (``to_text`` of what PyMySQL would have converted); a column of another type
(``TIME``, ``BIT``, binary strings, ``ZEROFILL``, spatial) makes the read use the generic path.
"""
from __future__ import annotations

import datetime as dt
import functools
import struct
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator, Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from .feeds import Record, float_text, to_text


# ------------------------------------------------------------------------------ statements

def _from_clause(table: Optional[str], query: Optional[str]):
    if (table is None) == (query is None):
        raise ValueError("give exactly one of table or query")
    if table is not None:
        schema, _, name = table.rpartition(".")
        return sa.table(name, schema=schema or None)
    return sa.text(query.strip().rstrip(";")).columns().subquery("q")


def build_statement(table: Optional[str] = None, query: Optional[str] = None,
                    order_by: Optional[str] = None, *, where: Optional[str] = None,
                    predicates: Sequence[sa.ColumnElement] = (),
                    columns: Optional[Sequence[sa.ColumnElement]] = None) -> sa.Executable:
    """``SELECT * FROM table`` or the query, restricted and ordered.

    ``table`` may be ``schema.table``. A query is wrapped as a subquery ``q`` when anything is
    added to it. ``where`` is a SQL boolean expression from the source's configuration (trusted
    text, as Sqoop's ``--where``); ``predicates`` are SQLAlchemy clauses with bound values — an
    incremental :class:`Window` and a :class:`Split` range; ``columns`` replaces ``*``.
    """
    if query is not None and table is None and order_by is None and where is None \
            and not predicates and columns is None:
        return sa.text(query.strip().rstrip(";"))
    source = _from_clause(table, query)
    stmt = sa.select(*(columns if columns is not None else [sa.text("*")])).select_from(source)
    if where:
        stmt = stmt.where(sa.text(f"({where})"))
    for clause in predicates:
        stmt = stmt.where(clause)
    if order_by is not None:
        stmt = stmt.order_by(sa.column(order_by))
    return stmt


# ------------------------------------------------------------------------------ watermark values

def encode_value(value: Any) -> tuple[Any, str]:
    """A bound value as ``(JSON value, type)`` for the state store and the manifest."""
    if isinstance(value, bool):
        return int(value), "int"
    if isinstance(value, int):
        return value, "int"
    if isinstance(value, Decimal):
        return format(value, "f"), "decimal"
    if isinstance(value, float):
        return value, "float"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" "), "datetime"
    if isinstance(value, dt.date):
        return value.isoformat(), "date"
    if isinstance(value, str):
        return value, "str"
    raise TypeError(f"cannot use a {type(value).__name__} as a watermark or split bound")


def decode_value(value: Any, kind: str) -> Any:
    """Inverse of :func:`encode_value`."""
    if value is None:
        return None
    return {"int": int, "decimal": Decimal, "float": float, "str": str,
            "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat}[kind](value)


# ------------------------------------------------------------------------------ windows and splits

@dataclass(frozen=True)
class Window:
    """An incremental window on ``column``: ``low`` … ``high`` with the given inclusivity.

    A bound of ``None`` is open. ``nulls`` also takes the rows whose column is NULL (the first,
    full run of a source: such rows are never in a later window); ``values=False`` takes no row
    with a value (an ``append`` window while the column has no value at all).
    """
    column: str
    low: Any = None
    high: Any = None
    low_inclusive: bool = False
    high_inclusive: bool = True
    nulls: bool = False
    values: bool = True

    @property
    def empty(self) -> bool:
        return not self.values and not self.nulls

    def clauses(self) -> list[sa.ColumnElement]:
        col = sa.column(self.column)
        if not self.values:
            return [col.is_(None)] if self.nulls else [sa.false()]
        parts = []
        if self.low is not None:
            parts.append(col >= sa.literal(self.low) if self.low_inclusive else col > sa.literal(self.low))
        if self.high is not None:
            parts.append(col <= sa.literal(self.high) if self.high_inclusive else col < sa.literal(self.high))
        if not parts:
            return [] if self.nulls else [col.is_not(None)]
        clause = sa.and_(*parts)
        return [sa.or_(clause, col.is_(None)) if self.nulls else clause]


@dataclass(frozen=True)
class Split:
    """Split ``index`` of ``count`` on ``column``: ``[lo, hi)``; the first also takes everything
    below and the NULLs, the last everything from ``lo`` up, so the splits always cover the whole
    input even when rows arrive after the bounds were computed."""
    index: int = 0
    count: int = 1
    column: Optional[str] = None
    lo: Any = None
    hi: Any = None

    def clauses(self) -> list[sa.ColumnElement]:
        if self.count == 1 or self.column is None:
            return []
        col = sa.column(self.column)
        if self.index == 0:
            return [sa.or_(col < sa.literal(self.hi), col.is_(None))]
        if self.index == self.count - 1:
            return [col >= sa.literal(self.lo)]
        return [col >= sa.literal(self.lo), col < sa.literal(self.hi)]

    def describe(self) -> dict:
        return {"index": self.index, "column": self.column,
                "lo": None if self.lo is None or self.index == 0 else encode_value(self.lo)[0],
                "hi": None if self.hi is None or self.index == self.count - 1 else encode_value(self.hi)[0]}


def _interpolate(lo: Any, hi: Any, n: int) -> list[Any]:
    """n-1 inner boundaries between numeric or temporal ``lo`` < ``hi`` (Sqoop's splitters)."""
    if isinstance(lo, bool) or isinstance(hi, bool):
        raise TypeError("boolean split column")
    if isinstance(lo, int) and isinstance(hi, int):
        span = hi - lo + 1
        return [lo + (span * k) // n for k in range(1, n)]
    if isinstance(lo, (Decimal, float)) and isinstance(hi, (Decimal, float, int)):
        kind = type(lo)
        return [lo + (kind(hi) - lo) * kind(k) / kind(n) for k in range(1, n)]
    if isinstance(lo, dt.datetime) and isinstance(hi, dt.datetime):
        step = (hi - lo) / n
        return [lo + step * k for k in range(1, n)]
    if isinstance(lo, dt.date) and isinstance(hi, dt.date) and not isinstance(lo, dt.datetime):
        days = (hi - lo).days + 1
        return [lo + dt.timedelta(days=(days * k) // n) for k in range(1, n)]
    raise TypeError(f"no arithmetic split for {type(lo).__name__}")


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


# ------------------------------------------------------------------------------ MySQL fast path

# PyMySQL field types (pymysql.constants.FIELD_TYPE) by how their text is turned into ours
_PLAIN = {0, 1, 2, 3, 8, 9, 13, 246, 10, 14, 6}     # decimal, ints, year, newdecimal, dates, null
_FLOAT = {4, 5}                                      # float, double
_DATETIME = {7, 12}                                  # timestamp, datetime
_TEXT = {15, 247, 248, 249, 250, 251, 252, 253, 254, 245}  # varchar, enum, set, blobs/text, strings, json
_ZEROFILL, _BINARY_CHARSET = 64, 63
_ZEROFILL_TYPES = {0, 1, 2, 3, 8, 9, 13, 246}


@dataclass(frozen=True)
class _FastColumn:
    name: str
    kind: str   # text | plain | float | datetime | zerofill
    fsp: int = 0


def _fast_kind(field) -> tuple[Optional[str], str]:
    """(kind, reason when unsupported) of one result column."""
    t = field.type_code
    if t in _TEXT:
        if field.charsetnr == _BINARY_CHARSET and t != 245:
            return None, "binary string"
        return "text", ""
    if field.flags & _ZEROFILL:  # YEAR always, ZEROFILL integers and decimals: leading zeros
        return ("zerofill", "") if t in _ZEROFILL_TYPES else (None, "ZEROFILL")
    if t in _PLAIN:
        return "plain", ""
    if t in _FLOAT:
        return "float", ""
    if t in _DATETIME:
        return "datetime", ""
    return None, f"field type {t}"


_HEADER = struct.Struct("<I").unpack_from  # a packet header: 3-byte length, sequence number


class _RowChunks:
    """The row packets of a text-protocol result set, read straight from PyMySQL's socket buffer
    into large chunks of whole packets; each row's fields are then located and cut out for all
    rows at once with numpy and Arrow (no per-value Python work).

    Checked as PyMySQL would: packet sequence numbers, the EOF packet, error packets, rows of
    16 MiB or more (split over several packets), and that every row holds exactly its fields.
    """

    MAX = 0xFFFFFF

    def __init__(self, conn, result, n_columns: int, chunk_bytes: int = 1 << 22):
        self.conn, self.result, self.n_columns = conn, result, n_columns
        self.read1 = conn._rfile.read1
        self.chunk_bytes = chunk_bytes
        self.tail = b""
        self.done = False

    def _lost(self):
        import pymysql

        return pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query")

    def _receive(self, view: memoryview) -> int:
        """Whatever has arrived, at least one byte, into ``view``. (``read1`` returns buffered
        bytes without touching the socket, else makes one read; ``readinto1`` would block for
        more once it has copied the buffered bytes.)"""
        data = self.read1(len(view))
        if not data:
            raise self._lost()
        view[:len(data)] = data
        return len(data)

    def _finish(self, payload: bytes) -> None:
        """The last packet of the result: EOF, or an error (raised)."""
        self.done = True
        self.result.unbuffered_active = False
        if payload[:1] == b"\xff":
            from pymysql.protocol import MysqlPacket

            MysqlPacket(bytes(payload), self.conn.encoding).raise_for_error()

    def _check_sequence(self, buf: np.ndarray, headers: np.ndarray) -> None:
        first = self.conn._next_seq_id
        expected = (first + np.arange(len(headers), dtype=np.int64)) & 0xFF
        found = buf[headers + 3]
        if not np.array_equal(found, expected):
            bad = int(np.flatnonzero(found != expected)[0])
            import pymysql

            raise pymysql.err.InternalError(f"Packet sequence number wrong - got {int(found[bad])} "
                                            f"expected {int(expected[bad])}")
        self.conn._next_seq_id = (first + len(headers)) & 0xFF

    def chunks(self, max_rows: int) -> Iterator[tuple[bytes | bytearray, np.ndarray, np.ndarray]]:
        """``(buffer, payload starts, payload ends)`` of up to ``max_rows`` rows at a time."""
        while not self.done:
            cap = max(self.chunk_bytes, 2 * len(self.tail))
            buf = bytearray(cap)
            buf[:len(self.tail)] = self.tail
            filled, pos, headers = len(self.tail), 0, []
            append, header = headers.append, _HEADER
            big = False
            while True:
                limit = filled - 4
                while pos <= limit:  # the whole packets in the buffer: the only per-row Python
                    n = header(buf, pos)[0] & 0xFFFFFF
                    stop = pos + 4 + n
                    if stop > filled or n == 0xFFFFFF:
                        big = n == 0xFFFFFF
                        break
                    append(pos)
                    pos = stop
                if len(headers) > max_rows:  # chunks of exactly max_rows: deterministic
                    pos = headers[max_rows]
                    del headers[max_rows:]
                    big = False
                if headers:
                    last = headers[-1]
                    first = buf[last + 4]
                    if first == 0xFF or (first == 0xFE and pos - last - 4 < 9):
                        headers.pop()  # EOF or error: always the server's last packet
                        self._check_sequence(np.frombuffer(buf, np.uint8), np.array([*headers, last]))
                        self._finish(buf[last + 4:pos])
                        break
                if big or len(headers) >= max_rows:
                    break
                if filled == len(buf):
                    if headers:
                        break
                    need = pos + 4 + (buf[pos] | buf[pos + 1] << 8 | buf[pos + 2] << 16) \
                        if pos + 4 <= filled else pos + 4
                    buf.extend(bytes(max(need - len(buf), len(buf))))
                filled += self._receive(memoryview(buf)[filled:])
            if headers:
                h = np.array(headers, dtype=np.int64)
                if not self.done:
                    self._check_sequence(np.frombuffer(buf, np.uint8), h)
                ends = np.empty_like(h)
                ends[:-1] = h[1:]
                ends[-1] = headers[-1] + 4 + (buf[headers[-1]] | buf[headers[-1] + 1] << 8
                                               | buf[headers[-1] + 2] << 16)
                self.tail = bytes(buf[pos:filled])
                yield buf, h + 4, ends  # a fresh bytearray per chunk: never written again
            else:
                self.tail = bytes(buf[pos:filled])
            if big and not self.done:
                yield self._big_row()

    def _big_row(self) -> tuple[bytes, np.ndarray, np.ndarray]:
        """One row of 16 MiB or more, its packets joined (rare: the simple, slow way)."""
        data = bytearray(self.tail)
        pos, parts = 0, []
        while True:
            while len(data) - pos < 4 or len(data) - pos < 4 + (data[pos] | data[pos + 1] << 8
                                                                 | data[pos + 2] << 16):
                more = self.read1(1 << 20)
                if not more:
                    raise self._lost()
                data += more
            n = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16
            self._check_sequence(np.frombuffer(bytes(data[pos:pos + 4]), np.uint8), np.array([0]))
            parts.append(bytes(data[pos + 4:pos + 4 + n]))
            pos += 4 + n
            if n < self.MAX:
                break
        self.tail = bytes(data[pos:])
        row = b"".join(parts)
        return row, np.array([0]), np.array([len(row)])


def _cut_fields(data: bytes | bytearray, starts: np.ndarray, ends: np.ndarray,
                columns: Sequence["_FastColumn"]) -> list[pa.Array]:
    """Each row payload is its fields as length-coded strings (0xFB: NULL); find every field of
    every row column by column, then copy them all out with one Arrow ``take``."""
    if len(data) >= 2 ** 31 - 1:
        raise RuntimeError("chunk too large")
    buf = np.frombuffer(data, np.uint8)
    n, k = len(starts), len(columns)
    spans = np.empty((k, n, 2), dtype=np.int32)  # value, gap, value, gap, … in column order
    nulls = None
    at = starts.astype(np.int32)
    ends = np.asarray(ends)
    for c in range(k):
        # every field has at least its length byte inside its row (found by fuzzing: a length
        # running past the row indexed outside the buffer, or wrapped round, instead of failing)
        if ((at < starts) | (at >= ends)).any():
            raise RuntimeError("protocol error: a row ends before its columns")
        first = buf[at]
        start = at + 1
        if first.max() > 250:  # NULLs or values of 251 bytes or more
            length = first.astype(np.int32)
            null = first == 0xFB
            if null.any():
                if nulls is None:
                    nulls = np.zeros((k, n), dtype=bool)
                nulls[c] = null
                length[null] = 0
            for marker, size in ((0xFC, 2), (0xFD, 3), (0xFE, 8)):
                sel = np.flatnonzero(first == marker)
                if len(sel):
                    value = np.zeros(len(sel), dtype=np.int64)
                    if (at[sel] + size >= ends[sel]).any():
                        raise RuntimeError("protocol error: a length code runs past its row")
                    for i in range(size):
                        value |= buf[at[sel] + 1 + i].astype(np.int64) << (8 * i)
                    if ((value < 0) | (value > ends[sel] - at[sel])).any():
                        raise RuntimeError("protocol error: a field runs past its row")
                    length[sel] = value
                    start[sel] += size
            if (first == 0xFF).any():
                raise RuntimeError("protocol error: 0xFF length in a row")
            at = start + length
        else:
            at = start + first
        spans[c, :, 0] = start
        spans[c, :, 1] = at
    if not np.array_equal(at, ends):
        raise RuntimeError("protocol error: row packets do not hold exactly the result's columns")
    pieces = pa.Array.from_buffers(pa.binary(), 2 * n * k - 1,
                                   [None, pa.py_buffer(spans), pa.py_buffer(data)])
    values = pc.take(pieces, _every_other(n * k), boundscheck=False)
    valid = None if nulls is None else pa.py_buffer(np.packbits(~nulls.reshape(-1), bitorder="little"))
    _, value_offsets, value_data = values.buffers()
    text = pa.Array.from_buffers(pa.string(), n * k, [valid, value_offsets, value_data])
    text.validate(full=True)  # offsets and UTF-8
    arrays = []
    for c, column in enumerate(columns):
        array = text.slice(c * n, n)
        if column.kind == "datetime":
            array = _fix_datetimes(array, column.fsp)
        elif column.kind == "float":
            array = _fix_floats(array)
        elif column.kind == "zerofill":
            array = _strip_zeros(array)
        arrays.append(array)
    return arrays


@functools.lru_cache(maxsize=8)
def _every_other(n: int) -> pa.Array:
    """0, 2, 4, … — the values among value/gap pieces (cached: chunks mostly have one size)."""
    return pa.array(np.arange(0, 2 * n, 2, dtype=np.int32))


def _fix_datetimes(values: pa.Array, fsp: int) -> pa.Array:
    """MySQL's ``YYYY-MM-DD HH:MM:SS[.f]`` → what ``to_text`` makes of PyMySQL's datetime: ISO
    with ``T``, six fraction digits or none, a bare date at midnight. A column with a value
    PyMySQL would not convert (zero or impossible dates: it keeps the text) is converted value by
    value exactly as PyMySQL does."""
    if values.null_count == len(values):
        return values
    width = 19 if fsp == 0 else 20 + fsp
    lengths = pc.min_max(pc.binary_length(values)).as_py()
    try:
        pc.cast(values, pa.timestamp("us"))  # real calendar dates and times only
        regular = lengths == {"min": width, "max": width} and not pc.any(pc.starts_with(values, "0000")).as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        regular = False
    if not regular:
        from pymysql.converters import convert_datetime

        def convert(v: str) -> str:
            try:
                return to_text(convert_datetime(v))
            except (TypeError, ValueError):  # found by fuzzing: PyMySQL fails on such text too
                raise RuntimeError(f"protocol error: DATETIME value {v!r} is not a date and time") from None

        return pa.array([None if v is None else convert(v) for v in values.to_pylist()], pa.string())
    fixed = values
    if 0 < fsp < 6:
        fixed = pc.binary_join_element_wise(fixed, "0" * (6 - fsp), "")
    if fsp:
        fixed = pc.if_else(pc.ends_with(fixed, ".000000"), pc.utf8_slice_codeunits(fixed, 0, 19), fixed)
    return pc.if_else(pc.ends_with(fixed, " 00:00:00"), pc.utf8_slice_codeunits(fixed, 0, 10),
                      pc.binary_replace_slice(fixed, 10, 11, "T"))


def _strip_zeros(values: pa.Array) -> pa.Array:
    """``0042`` → ``42``, ``0000`` → ``0``, ``0001.50`` → ``1.50`` (PyMySQL's int or Decimal)."""
    stripped = pc.utf8_ltrim(values, "0")
    return pc.if_else(pc.or_(pc.equal(stripped, ""), pc.starts_with(stripped, ".")),
                      pc.binary_join_element_wise("0", stripped, ""), stripped)


def _fix_floats(values: pa.Array) -> pa.Array:
    """Exponent notation and negative zero → ``float_text`` (PyMySQL's float, our text)."""
    odd = pc.fill_null(pc.match_substring_regex(values, r"[eE]|^-0(\.0*)?$"), False)
    if not pc.any(odd).as_py():
        return values
    items = values.to_pylist()
    for i in np.flatnonzero(odd.to_numpy(zero_copy_only=False)).tolist():
        try:
            items[i] = float_text(float(items[i]))
        except ValueError:  # found by fuzzing: a FLOAT field that is not a number
            raise RuntimeError(f"protocol error: FLOAT value {items[i]!r} is not a number") from None
    return pa.array(items, pa.string())


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
        self._fast: Optional[list[_FastColumn]] = None
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
            kind, reason = _fast_kind(f)
            if kind is None:
                reasons.append(f"{f.name}: {reason}")
            fast.append(_FastColumn(f.name, kind or "", int(f.scale) if kind == "datetime" else 0))
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
            inner = _interpolate(lo, hi, count)
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
            for data, starts, ends in _RowChunks(conn, cur._result, len(self._fast)).chunks(self.fetch_size):
                if stop is not None and stop.is_set():
                    raise Cancelled()
                yield _cut_fields(data, starts, ends, self._fast)
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
