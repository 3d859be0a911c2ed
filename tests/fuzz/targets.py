"""Fuzz targets (issue 19): every feed reader and the SQL-row path, each a function of one byte
string. A target may only return or raise the error the product promises for bad input
(:class:`FeedError` for a file it cannot read; ``RuntimeError("protocol error…")`` for a broken
row packet); anything else — or a record breaking the reader's contract — is a crash.

Run by atheris (``python -m tests.fuzz.run``, ``make fuzz``), and replayed without it on the
committed corpus (``tests/fuzz/corpus/<target>/``: seeds, and every crash found, which is a
regression case) by tests/test_fuzz.py.
"""
from __future__ import annotations

import datetime as dt
import os
import struct
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path

_DIR = Path(tempfile.mkdtemp(prefix="bayres-fuzz-"))
ENCODINGS = ("utf-8", "gb18030", "big5hkscs", "utf-16", "utf-8-sig", "auto")


def _file(data: bytes, suffix: str) -> Path:
    path = _DIR / f"input{suffix}"
    path.write_bytes(data)
    return path


def _check(records, name: str) -> int:
    """Consume records, checking the reader's contract."""
    n = 0
    for record in records:
        n += 1
        assert isinstance(record, tuple) and len(record) == 4, record
        location, fields, error, raw = record
        assert isinstance(location, str) and location.startswith(name + " "), location
        assert isinstance(fields, dict)
        for key, value in fields.items():
            assert isinstance(key, str) and (value is None or isinstance(value, str)), (key, value)
        if error is not None:
            assert isinstance(error, str) and fields == {}, record
            assert raw is None or isinstance(raw, str)
    return n


def _feed(data: bytes, fmt: str, suffix: str, **conf) -> None:
    from bayres.connectors.feeds import FeedError, read_feed

    options, body = (data[0], data[1:]) if data else (0, b"")
    conf.setdefault("encoding", ENCODINGS[options % len(ENCODINGS)])
    path = _file(body, suffix)
    try:
        _check(read_feed(path, conf, fmt=fmt, name="f"), "f")
    except FeedError:
        pass


def csv_feed(data: bytes) -> None:
    _feed(data, "csv", ".csv")


def txt_delimited(data: bytes) -> None:
    _feed(data, "txt", ".txt", delimiter="|")


def txt_fixed_width(data: bytes) -> None:
    _feed(data, "txt", ".txt", layout=[["id", 0, 6], ["name", 6, 16], ["x", 16, 20]])


def json_lines(data: bytes) -> None:
    _feed(data, "json", ".jsonl", json_layout="lines")


def json_array(data: bytes) -> None:
    record_path = "data.items" if data[:1] and data[0] & 0x80 else None
    _feed(data, "json", ".json", json_layout="array", record_path=record_path)


def xml_feed(data: bytes) -> None:
    _feed(data, "xml", ".xml", record_path=".//r")


def rss_feed(data: bytes) -> None:
    _feed(data, "rss", ".rss")


def xlsx_feed(data: bytes) -> None:
    from bayres.connectors.feeds import FeedError, read_feed

    path = _file(data, ".xlsx")
    try:
        _check(read_feed(path, {}, fmt="xlsx", name="f"), "f")
    except FeedError:
        pass


def sql_row_packets(data: bytes) -> None:
    """MySQL text-protocol row payloads as the fast path cuts them (``cut_fields``): the first
    byte chooses the column kinds, the rest is split into rows at 0x00 0x00."""
    import pyarrow as pa

    from bayres.connectors.mysql_protocol import FastColumn, cut_fields

    import numpy as np

    if not data:
        return
    kinds = ("text", "plain", "float", "datetime", "zerofill")
    k = 1 + data[0] % 4
    columns = [FastColumn(f"c{i}", kinds[(data[0] >> (2 + i)) % len(kinds)], fsp=data[0] % 7)
               for i in range(k)]
    rows = data[1:].split(b"\x00\x00") or [b""]
    payload = b"".join(rows)
    ends = np.cumsum([len(r) for r in rows])
    starts = ends - np.array([len(r) for r in rows])
    try:
        arrays = cut_fields(payload, starts, ends, columns)
    except RuntimeError as e:
        assert "protocol error" in str(e) or "chunk too large" in str(e), e
        return
    except pa.ArrowInvalid:  # not UTF-8: PyMySQL would fail to decode it too
        return
    assert len(arrays) == k and all(len(a) == len(rows) for a in arrays)
    assert all(a.type == pa.string() for a in arrays)


def _sql_value(chunk: bytes):
    kind, body = (chunk[0] % 8, chunk[1:]) if chunk else (7, b"")
    if kind == 0:
        return body.decode("utf-8", "replace")
    if kind == 1:
        return bytes(body)
    if kind == 2:
        return int.from_bytes(body[:16] or b"\0", "little", signed=True)
    if kind == 3:
        return struct.unpack("<d", (body + bytes(8))[:8])[0]
    if kind == 4:
        try:
            return Decimal(body.decode("latin-1"))
        except InvalidOperation:
            return Decimal(len(body))
    if kind == 5:
        return dt.date(1 + body[0] % 9999, 1 + body[1] % 12, 1 + body[2] % 28) if len(body) >= 3 else None
    if kind == 6:
        return dt.datetime(2000, 1, 1) + dt.timedelta(microseconds=int.from_bytes(body[:6] or b"\0", "little"))
    return None


def sql_values(data: bytes) -> None:
    """Values as a database driver returns them → the SQL reader's text (``_as_text``) → the
    standardize step's scrubbing: no control character may survive into a kept field, and a
    row that was nothing but control characters must be refused."""
    import pandas as pd

    from bayres.connectors.sql_source import _as_text
    from bayres.jobs.conform.rejections import Rejections
    from bayres.jobs.conform.standardize import CONTROL, scrub_controls

    cells = data.split(b"\x1e")
    width = 3
    rows = [cells[i:i + width] for i in range(0, len(cells), width)]
    rows = [r + [b""] * (width - len(r)) for r in rows]
    columns = list(zip(*[[_sql_value(c) for c in r] for r in rows]))
    texts = [list(_as_text(col)) for col in columns]
    for col in texts:
        assert all(v is None or isinstance(v, str) for v in col)
    frame = pd.DataFrame({f"c{i}": pd.Series(col, dtype=object) for i, col in enumerate(texts)})
    frame["_src_location"] = [f"table t row {i + 1}" for i in range(len(frame))]
    rejections = Rejections(frame.index)
    clean = scrub_controls(frame, rejections)
    for column in clean.columns:
        for i, v in clean[column].items():
            assert not (isinstance(v, str) and CONTROL.search(v)), (column, v)
    for i in frame.index:
        if not rejections.refused[i]:
            assert any(isinstance(clean.at[i, c], str) and clean.at[i, c].strip()
                       for c in clean.columns if not c.startswith("_src_")) \
                or not any(isinstance(frame.at[i, c], str) and CONTROL.search(frame.at[i, c])
                           for c in frame.columns if not c.startswith("_src_"))


TARGETS = {f.__name__: f for f in (csv_feed, txt_delimited, txt_fixed_width, json_lines, json_array,
                                   xml_feed, rss_feed, xlsx_feed, sql_row_packets, sql_values)}
