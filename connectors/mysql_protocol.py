"""The fast path of :class:`bayres.connectors.sql_source.SqlReader` on MySQL/MariaDB through
PyMySQL: the server's text-protocol row packets are read straight from the socket buffer in
chunks of a few MiB (:class:`RowChunks`), one short Python loop finds where the packets start,
and numpy and Arrow locate and copy out every field of every row column by column
(:func:`cut_fields`: no per-value Python work). The values are identical to the generic path's
(``to_text`` of what PyMySQL would have converted); :func:`fast_kind` says which column types
this reproduces exactly — a column of another type (``TIME``, ``BIT``, binary strings,
``ZEROFILL``, spatial) makes the reader use the generic path.
"""
from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .feeds import float_text, to_text


# PyMySQL field types (pymysql.constants.FIELD_TYPE) by how their text is turned into ours
_PLAIN = {0, 1, 2, 3, 8, 9, 13, 246, 10, 14, 6}     # decimal, ints, year, newdecimal, dates, null
_FLOAT = {4, 5}                                      # float, double
_DATETIME = {7, 12}                                  # timestamp, datetime
_TEXT = {15, 247, 248, 249, 250, 251, 252, 253, 254, 245}  # varchar, enum, set, blobs/text, strings, json
_ZEROFILL, _BINARY_CHARSET = 64, 63
_ZEROFILL_TYPES = {0, 1, 2, 3, 8, 9, 13, 246}


@dataclass(frozen=True)
class FastColumn:
    name: str
    kind: str   # text | plain | float | datetime | zerofill
    fsp: int = 0


def fast_kind(field) -> tuple[Optional[str], str]:
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


class RowChunks:
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


def cut_fields(data: bytes | bytearray, starts: np.ndarray, ends: np.ndarray,
                columns: Sequence["FastColumn"]) -> list[pa.Array]:
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
