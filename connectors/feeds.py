"""File-feed readers: XML, RSS 2.0, XLSX, TXT (delimited / fixed-width), CSV and JSON.

Every reader yields ``Record`` tuples ``(location, fields, error, raw)``:

* ``location`` — where the record came from (``gz/feeds/p.xml record 12``, ``… line 34``,
  ``… sheet 仪器 row 5``);
* ``fields`` — the record's own field names mapped to strings exactly as published (decoded to
  Unicode), ``None`` for an absent/empty value;
* ``error`` / ``raw`` — for a row that could not be parsed: why, and its raw text (``fields`` is
  then empty); ``None`` otherwise.

Readers stream: records are produced while the file is read, so a multi-GB file is never held
in memory (except one XLSX row, one XML record or one JSON array element at a time).
A file that cannot be read at all — malformed XML, a truncated workbook, a missing header
column, a header that does not decode — raises :class:`FeedError`; the caller quarantines the
whole file (and counts the rows read from it before the error). Line-based files (CSV, TXT,
JSON lines) in UTF-8, GB18030 or Big5-HKSCS are decoded line by line: a line that does not
decode, or that decodes into garbled CJK text (Big5 bytes under a GB18030 label and the
reverse, :func:`mojibake`), becomes an error row with the reason; XML, RSS and JSON arrays are
decoded as a stream (a bad byte fails the file) and each record's text is checked for garbling.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

Record = tuple[str, dict[str, Optional[str]], Optional[str], Optional[str]]

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "big5hkscs", "utf-16", "auto")
FORMATS = ("xml", "rss", "xlsx", "txt", "csv", "json")
_SUFFIX_FORMATS = {".xml": "xml", ".rss": "rss", ".xlsx": "xlsx", ".txt": "txt", ".csv": "csv",
                   ".json": "json", ".jsonl": "json", ".ndjson": "json"}

#: characters read per chunk by the streaming XML / JSON readers
CHUNK_CHARS = 1 << 20
#: a single JSON array element larger than this is treated as a broken file
MAX_JSON_RECORD_CHARS = 64 << 20
#: how much of a file ``encoding: auto`` looks at
SNIFF_BYTES = 1 << 20


class FeedError(Exception):
    """A whole file could not be read; ``reason`` says why."""

    def __init__(self, path: Any, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


# ------------------------------------------------------------------------------ values

def to_text(value: Any) -> Optional[str]:
    """A scalar (from a spreadsheet cell, JSON or a database) as a published string.

    Integral floats lose their spurious ``.0``; numbers never use an exponent; datetimes are ISO
    (a datetime at midnight → ``YYYY-MM-DD``); booleans are ``true``/``false``.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + data.hex()
    return str(value)


def float_text(value: float) -> str:
    """A float without exponent and without a spurious ``.0``."""
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


# ------------------------------------------------------------------------------ encodings

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_XML_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# detected legacy encodings widened to the superset the sources really use
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "ascii": "utf-8",
              "utf_8": "utf-8", "cp936": "gb18030", "cp950": "big5hkscs", "hz": "gb18030"}


def detect_encoding(path: Path) -> str:
    """``encoding: auto``: byte-order mark, then an XML declaration, then charset_normalizer."""
    with open(path, "rb") as f:
        sample = f.read(SNIFF_BYTES)
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    declared = _XML_DECL.match(sample)
    if declared:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            raise FeedError(path, f"unknown encoding {declared.group(1)!r} in XML declaration")
        return _SUPERSETS.get(name.replace("-", "_"), name)
    try:  # cheap and by far the commonest case
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SNIFF_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise FeedError(path, "cannot detect the encoding (encoding: auto)")
    name = codecs.lookup(best.encoding).name
    return _SUPERSETS.get(name.replace("-", "_"), name)


def _resolve_encoding(path: Path, declared: str) -> str:
    declared = (declared or "utf-8").lower()
    if declared not in ENCODINGS:
        raise ValueError(f"unsupported encoding {declared!r}; one of {', '.join(ENCODINGS)}")
    if declared == "auto":
        return detect_encoding(path)
    # a UTF-8 byte-order mark is never data: tolerate it where plain utf-8 is declared
    return "utf-8-sig" if declared == "utf-8" else declared


def _open_text(path: Path, encoding: str, newline: Optional[str] = None) -> io.TextIOWrapper:
    return open(path, "r", encoding=_resolve_encoding(path, encoding), errors="strict",
                newline=newline)


# -- per-row decoding: a bad row is an error row, not a bad file

#: encodings in which byte 0x0A is always a line end (never inside a multi-byte character), so a
#: file can be decoded line by line
_LINE_SAFE = ("utf-8", "utf-8-sig", "gb18030", "big5hkscs")
#: the other reading of CJK bytes tried when a row looks garbled (Big5 under a GB18030 label…)
_ALTERNATIVE = {"gb18030": "big5hkscs", "big5hkscs": "gb18030"}
_COMMON_CACHE: dict[tuple[str, str], bool] = {}


def _display(encoding: str) -> str:
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _common(ch: str, encoding: str) -> bool:
    """Whether a non-ASCII character is ordinary text in that encoding: GB2312's punctuation and
    hanzi (lead bytes A1–A3, B0–F7) for GB18030; Big5's symbols and frequent hanzi (A1–C6) for
    Big5-HKSCS. Kana, Greek, Cyrillic, box drawing, private use and rare hanzi are not."""
    key = (ch, encoding)
    hit = _COMMON_CACHE.get(key)
    if hit is None:
        try:
            if encoding == "gb18030":
                lead = ch.encode("gb2312")[0]
                hit = 0xA1 <= lead <= 0xA3 or 0xB0 <= lead <= 0xF7
            else:
                lead = ch.encode("big5")[0]
                hit = 0xA1 <= lead <= 0xC6
        except UnicodeEncodeError:
            hit = False
        if len(_COMMON_CACHE) < 1 << 16:
            _COMMON_CACHE[key] = hit
    return hit


def _score(text: str, encoding: str) -> tuple[int, float]:
    wide = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    if not wide:
        return 0, 1.0
    return len(wide), sum(_common(c, encoding) for c in wide) / len(wide)


def mojibake(text: str, encoding: str) -> Optional[str]:
    """Why ``text`` (decoded from ``encoding``) looks like CJK bytes of another encoding read
    under the wrong label, or None: mostly unusual characters for that encoding, while the same
    bytes decode strictly under the other CJK encoding into ordinary text."""
    alternative = _ALTERNATIVE.get(encoding)
    if alternative is None or text.isascii():
        return None
    n, score = _score(text, encoding)
    if n < 2 or score >= 0.7:
        return None
    try:
        other = text.encode(encoding).decode(alternative)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    m, other_score = _score(other, alternative)
    if m and other_score >= 0.9 and other_score > score:
        sample = "".join(c for c in other if ord(c) > 0x7F)[:24]
        return (f"looks mis-encoded: garbled as {encoding} ({score:.0%} ordinary characters), reads "
                f"as {alternative} ({sample!r}…)")
    return None


class _DecodedLines:
    """A file's lines decoded one at a time, strictly. A line that does not decode — or that
    decodes into garbled CJK text (:func:`mojibake`) — is still yielded (bad bytes as U+FFFD) and
    its number is recorded in ``bad`` with the reason, for the reader to make it an error row."""

    def __init__(self, path: Path, encoding: str, newline: Optional[str]):
        self.encoding = encoding
        self.translate = newline is None
        self.bad: dict[int, str] = {}
        self.n = 0
        self._f = open(path, "rb")

    def __enter__(self) -> "_DecodedLines":
        return self

    def __exit__(self, *exc) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[str]:
        encoding = self.encoding
        for data in self._f:
            self.n += 1
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as e:
                text = data.decode(encoding, "replace")
                self.bad[self.n] = (f"line {self.n} does not decode as {_display(encoding)}: "
                                    f"{e.reason} at byte {e.start} ({data[e.start:e.end + 3].hex(' ')})")
            else:
                reason = mojibake(text, encoding)
                if reason:
                    self.bad[self.n] = f"line {self.n} {reason}"
            if self.translate:
                text = text.replace("\r\n", "\n")
            yield text

    def pop_bad(self, first: int, last: int) -> list[str]:
        """The reasons recorded for lines ``first``..``last`` (forgotten once returned)."""
        if not self.bad:
            return []
        return [self.bad.pop(n) for n in range(first, last + 1) if n in self.bad]


def _open_lines(path: Path, encoding: str, newline: Optional[str] = None):
    """Lines of a text file: decoded and checked one by one where the encoding allows it
    (:class:`_DecodedLines`), else a strict text stream whose first bad byte fails the file."""
    resolved = _resolve_encoding(path, encoding)
    if resolved in _LINE_SAFE:
        return _DecodedLines(path, resolved, newline)
    return open(path, "r", encoding=resolved, errors="strict", newline=newline)


def _bad_lines(f, first: int, last: int) -> list[str]:
    return f.pop_bad(first, last) if isinstance(f, _DecodedLines) else []


# ------------------------------------------------------------------------------ dispatcher

def read_feed(path: Any, file_conf: dict, *, fmt: Optional[str] = None, name: Optional[str] = None,
              required: Iterable[str] = ()) -> Iterator[Record]:
    """Read one feed file as configured by a source's ``file:`` section.

    ``fmt`` is the source's ``format`` (default: ``file_conf['format']`` or the file suffix);
    ``name`` is how locations call the file (default: its file name); ``required`` are header
    columns a CSV / delimited TXT / XLSX file must have.
    """
    path = Path(path)
    name = name or path.name
    fmt = (fmt or file_conf.get("format") or _SUFFIX_FORMATS.get(path.suffix.lower(), "")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"{path}: unsupported feed format {fmt!r}")
    encoding = file_conf.get("encoding", "utf-8")
    required = tuple(required)
    if fmt == "xml":
        if not file_conf.get("record_path"):
            raise ValueError(f"{path}: xml feeds need file.record_path")
        records = read_xml(path, file_conf["record_path"], encoding=encoding, name=name)
    elif fmt == "rss":
        records = read_rss(path, encoding=encoding, name=name)
    elif fmt == "xlsx":
        records = read_xlsx(path, sheets=file_conf.get("sheets"), name=name, required=required)
    elif fmt == "csv":
        records = read_csv(path, encoding=encoding, delimiter=file_conf.get("delimiter", ","),
                           name=name, required=required)
    elif fmt == "txt" and file_conf.get("layout"):
        records = read_fixed_width(path, file_conf["layout"], encoding=encoding, name=name)
    elif fmt == "txt":
        records = read_csv(path, encoding=encoding, delimiter=file_conf.get("delimiter", "|"),
                           name=name, required=required, quoting=csv.QUOTE_NONE)
    else:
        records = read_json(path, layout=file_conf.get("json_layout", "lines"),
                            record_path=file_conf.get("record_path"), encoding=encoding, name=name)
    if fmt in ("xml", "rss") or (fmt == "json" and file_conf.get("json_layout") == "array"):
        # streamed formats are decoded as a whole: check each record's text instead
        resolved = _resolve_encoding(path, encoding)
        if resolved in _ALTERNATIVE:
            records = _checked_records(records, resolved)
    try:
        yield from records
    except UnicodeDecodeError as e:
        raise FeedError(path, f"does not decode as {e.encoding}: {e.reason}") from e
    except UnicodeError as e:  # found by fuzzing: UTF-16 without a byte-order mark
        raise FeedError(path, f"does not decode as {encoding}: {e}") from e


def _checked_records(records: Iterable[Record], encoding: str) -> Iterator[Record]:
    """Records whose text looks garbled (:func:`mojibake`) become error rows, their fields kept
    as JSON in ``raw``."""
    for location, fields, error, raw in records:
        if error is None:
            reasons = [f"field {k!r} {r}" for k, v in fields.items() if v and (r := mojibake(v, encoding))]
            if reasons:
                yield location, {}, "; ".join(reasons), json.dumps(fields, ensure_ascii=False)
                continue
        yield location, fields, error, raw


# ------------------------------------------------------------------------------ XML / RSS

def compile_record_path(record_path: str) -> Callable[[list[str]], bool]:
    """Compile the ElementPath subset used for records (steps, ``//``, ``*``; relative to the
    document element; namespaces ignored) into a test on the stack of open local tag names."""
    path = record_path.strip()
    if path.startswith("/") or any(c in path for c in "[]@()"):
        raise ValueError(f"record_path {record_path!r}: only relative steps, // and * are supported")
    pattern, descendant = "", False
    for step in path.split("/"):
        if step == ".":
            continue
        if step == "":
            descendant = True
            continue
        name = "[^/]+" if step == "*" else re.escape(_local(step))
        pattern += ("(?:/[^/]+)*/" if descendant else "/") + name
        descendant = False
    if descendant:
        raise ValueError(f"record_path {record_path!r} ends with a separator")
    regex = re.compile(pattern)
    return lambda stack: regex.fullmatch("/" + "/".join(stack[1:]) if len(stack) > 1 else "") is not None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Node:
    __slots__ = ("tag", "attrib", "chunks", "children")

    def __init__(self, tag: str, attrib: dict):
        self.tag, self.attrib, self.chunks, self.children = tag, attrib, [], []


class _RecordCollector:
    """ElementTree parser target that builds only record elements and flattens each one."""

    def __init__(self, path: Path, is_record: Callable[[list[str]], bool], root: Optional[str]):
        self.path, self.is_record, self.root = path, is_record, root
        self.stack: list[str] = []
        self.nodes: list[_Node] = []
        self.done: list[dict[str, Optional[str]]] = []

    def doctype(self, name, pubid, system):
        raise FeedError(self.path, "XML with a DOCTYPE is refused (DTDs and entities are not allowed)")

    def start(self, tag, attrib):
        local = _local(tag)
        if not self.stack and self.root and local != self.root:
            raise FeedError(self.path, f"document element is <{local}>, expected <{self.root}>")
        self.stack.append(local)
        if self.nodes:
            node = _Node(local, attrib)
            self.nodes[-1].children.append(node)
            self.nodes.append(node)
        elif self.is_record(self.stack):
            self.nodes.append(_Node(local, attrib))

    def data(self, text):
        if self.nodes:
            self.nodes[-1].chunks.append(text)

    def end(self, tag):
        self.stack.pop()
        if self.nodes:
            node = self.nodes.pop()
            if not self.nodes:
                self.done.append(_flatten_element(node))

    def close(self):
        return None


def _put(fields: dict, key: str, value: Optional[str]) -> None:
    """Set a field; a repeated field joins its values with ';'."""
    old = fields.get(key)
    if old is None:
        fields[key] = value
    elif value is not None:
        fields[key] = old + ";" + value


def _flatten_element(record: _Node) -> dict[str, Optional[str]]:
    """Record attributes → ``@a``; child text → ``child``; child attributes → ``child@a``;
    grandchildren → ``child.grandchild``; repeated children → values joined with ';'."""
    fields: dict[str, Optional[str]] = {}
    for key, value in record.attrib.items():
        _put(fields, "@" + _local(key), value)
    text = "".join(record.chunks)
    if text.strip():
        _put(fields, record.tag, text)
    todo = [("", child) for child in reversed(record.children)]
    while todo:
        prefix, node = todo.pop()
        key = prefix + node.tag
        text = "".join(node.chunks)
        if not node.children or text.strip():
            _put(fields, key, text)
        for attr, value in node.attrib.items():
            _put(fields, f"{key}@{_local(attr)}", value)
        todo.extend((key + ".", child) for child in reversed(node.children))
    return fields


def _read_xml_records(path: Path, is_record, encoding: str, name: str,
                      root: Optional[str] = None) -> Iterator[Record]:
    collector = _RecordCollector(path, is_record, root)
    parser = ET.XMLParser(target=collector)
    n = 0
    try:
        with _open_text(path, encoding) as f:
            while True:
                chunk = f.read(CHUNK_CHARS)
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
                for fields in collector.done:
                    n += 1
                    yield f"{name} record {n}", fields, None, None
                collector.done.clear()
                if not chunk:
                    break
    except ET.ParseError as e:
        raise FeedError(path, f"malformed XML: {e}") from e


def read_xml(path: Any, record_path: str, *, encoding: str = "utf-8",
             name: Optional[str] = None) -> Iterator[Record]:
    """Records are the elements matching ``record_path`` (ElementPath relative to the document
    element, e.g. ``./patent`` or ``.//patent``); namespaces are stripped from all names."""
    path = Path(path)
    return _read_xml_records(path, compile_record_path(record_path), encoding, name or path.name)


def read_rss(path: Any, *, encoding: str = "utf-8", name: Optional[str] = None) -> Iterator[Record]:
    """RSS 2.0: one record per ``channel/item``; every child by its local name (title, link,
    description, pubDate, guid, category, author, dc:creator → ``creator`` …)."""
    path = Path(path)
    return _read_xml_records(path, compile_record_path("./channel/item"), encoding,
                             name or path.name, root="rss")


# ------------------------------------------------------------------------------ XLSX

def _header(path: Path, cells: Iterable[Any], where: str, required: tuple[str, ...],
            blank: Optional[str] = "_col") -> list[Optional[str]]:
    """Clean header names (stripped); a blank one becomes ``_col<N>`` (``None`` if ``blank`` is
    None); duplicates and missing required columns raise."""
    names: list[Optional[str]] = []
    for i, cell in enumerate(cells, 1):
        text = (to_text(cell) or "").strip()
        names.append(text or (f"{blank}{i}" if blank else None))
    seen = set()
    for n in names:
        if n in seen:
            raise FeedError(path, f"{where}: duplicate header column {n!r}")
        if n is not None:
            seen.add(n)
    missing = [c for c in required if c not in seen]
    if missing:
        raise FeedError(path, f"{where}: missing required columns {', '.join(missing)}")
    return names


def read_xlsx(path: Any, *, sheets: Optional[list[str]] = None, name: Optional[str] = None,
              required: Iterable[str] = ()) -> Iterator[Record]:
    """One record per non-empty row below the header (row 1) of each selected sheet.

    Cached formula values are read (``data_only``); date-formatted cells come out ISO, other
    numbers as written (an Excel date serial stays a number).
    """
    from openpyxl import load_workbook

    path = Path(path)
    name = name or path.name
    required = tuple(required)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises anything from BadZipFile to KeyError on a broken file
        raise FeedError(path, f"not a readable xlsx workbook: {type(e).__name__}: {e}") from e
    try:
        wanted = list(sheets) if sheets else list(wb.sheetnames)
        absent = [s for s in wanted if s not in wb.sheetnames]
        if absent:
            raise FeedError(path, f"sheets not found: {', '.join(absent)}")
        for sheet in wanted:
            try:
                rows = wb[sheet].iter_rows(values_only=True)
                header_cells = next(rows, None)
                if header_cells is None:
                    continue
                # a blank header cell (sheets are padded to their widest row) names a column
                # only where a row has a value in it
                header = _header(path, header_cells, f"sheet {sheet}", required, blank=None)
                width = len(header)
                for n, row in enumerate(rows, 2):
                    fields: dict[str, Optional[str]] = {}
                    empty = True
                    for i, value in enumerate(row):
                        text = to_text(value)
                        if text is not None and text != "":
                            empty = False
                        if i < width and header[i] is not None:
                            fields[header[i]] = text
                        elif text is not None:
                            fields[f"_col{i + 1}"] = text
                    if not empty:
                        yield f"{name} sheet {sheet} row {n}", fields, None, None
            except FeedError:
                raise
            except Exception as e:
                raise FeedError(path, f"sheet {sheet} unreadable: {type(e).__name__}: {e}") from e
    finally:
        wb.close()


# ------------------------------------------------------------------------------ CSV / TXT

def read_csv(path: Any, *, encoding: str = "utf-8", delimiter: str = ",", name: Optional[str] = None,
             required: Iterable[str] = (), quoting: int = csv.QUOTE_MINIMAL) -> Iterator[Record]:
    """Header row first. A row with the wrong number of fields (or broken quoting) becomes an
    error row carrying its raw text; location ``<file> line N`` is the row's first line."""
    path = Path(path)
    name = name or path.name
    lines: list[str] = []  # the physical lines of the record being parsed

    with _open_lines(path, encoding, newline="") as f:
        def tracked() -> Iterator[str]:
            for line in f:
                lines.append(line)
                yield line

        reader = csv.reader(tracked(), delimiter=delimiter, quoting=quoting, strict=True)
        header: Optional[list] = None
        width = -1  # no row matches before the header is known
        end = 0  # line number where the previous record ended
        while True:
            try:
                row = next(reader)
                error = None
            except StopIteration:
                break
            except csv.Error as e:
                row, error = None, f"unparsable row: {e}"
            start, end = end + 1, reader.line_num
            undecodable = _bad_lines(f, start, end)
            if undecodable:
                if header is None:
                    raise FeedError(path, f"header {'; '.join(undecodable)}")
                raw = "".join(lines).rstrip("\r\n")
                lines.clear()
                yield f"{name} line {start}", {}, "; ".join(undecodable), raw
                continue
            if row is not None and len(row) == width:
                lines.clear()
                yield f"{name} line {start}", dict(zip(header, row)), None, None
                continue
            raw = "".join(lines).rstrip("\r\n")
            lines.clear()
            if row == []:
                continue  # blank line
            if header is None:
                if error:
                    raise FeedError(path, f"header {error}")
                header = _header(path, row, "header", tuple(required))
                width = len(header)
                continue
            error = error or f"wrong field count: {len(row)} fields, header has {width}"
            yield f"{name} line {start}", {}, error, raw
        if header is None:
            raise FeedError(path, "no header row")


def read_fixed_width(path: Any, layout: list, *, encoding: str = "utf-8",
                     name: Optional[str] = None) -> Iterator[Record]:
    """``layout`` is ``[[field, start, end], …]`` in characters (after decoding), end exclusive.

    Padding (ASCII and ideographic spaces) around a value is removed; a line shorter than the
    layout is read as if trailing padding had been trimmed; a line with text beyond the layout
    is an error row. Blank lines are skipped.
    """
    path = Path(path)
    name = name or path.name
    spans = []
    for entry in layout:
        field, start, end = entry
        if not (0 <= int(start) < int(end)):
            raise ValueError(f"layout entry {entry!r}: need 0 <= start < end")
        spans.append((str(field), int(start), int(end)))
    width = max(end for _, _, end in spans)
    with _open_lines(path, encoding) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            undecodable = _bad_lines(f, n, n)
            if undecodable:
                yield f"{name} line {n}", {}, "; ".join(undecodable), line
                continue
            if not line.strip():
                continue
            if len(line) > width and line[width:].strip(" \u3000\r"):
                yield (f"{name} line {n}", {},
                       f"line has {len(line)} characters, layout covers {width}", line)
                continue
            yield (f"{name} line {n}",
                   {field: line[start:end].strip(" \u3000\r") for field, start, end in spans},
                   None, None)


# ------------------------------------------------------------------------------ JSON

_DECODER = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)


def _flatten_json(value: Any, key: str, fields: dict[str, Optional[str]]) -> None:
    """Objects → dotted keys; lists → their items' values joined with ';'."""
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten_json(v, f"{key}.{k}" if key else k, fields)
    elif isinstance(value, list):
        if not value:
            fields.setdefault(key, None)
        for item in value:
            _flatten_json(item, key, fields)
    else:
        _put(fields, key, to_text(value))


def _json_record(value: Any, location: str, raw: str) -> Record:
    if not isinstance(value, dict):
        return location, {}, f"not a JSON object: {type(value).__name__}", raw
    fields: dict[str, Optional[str]] = {}
    _flatten_json(value, "", fields)
    return location, fields, None, None


class _JsonStream:
    """Pull JSON values one at a time out of a large text stream."""

    def __init__(self, f: io.TextIOBase, path: Path):
        self.f, self.path, self.buf, self.pos, self.eof = f, path, "", 0, False

    def _fill(self) -> None:
        data = self.f.read(max(CHUNK_CHARS, len(self.buf) - self.pos))
        self.buf = self.buf[self.pos:] + data
        self.pos = 0
        self.eof = not data

    def peek(self) -> str:
        """Next non-blank character ('' at the end), without consuming it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos] if self.pos < len(self.buf) else ""
            self._fill()

    def expect(self, char: str, what: str) -> None:
        got = self.peek()
        if got != char:
            raise FeedError(self.path, f"malformed JSON: expected {what}, found {got or 'end of file'!r}")
        self.pos += 1

    def value(self) -> tuple[Any, str]:
        """The next complete value and its raw text."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof:  # a number may go on in the next chunk
                    raw = self.buf[self.pos:end]
                    self.pos = end
                    return value, raw
            except json.JSONDecodeError as e:
                if self.eof:
                    raise FeedError(self.path, f"malformed JSON: {e.msg}") from e
                if len(self.buf) - self.pos > MAX_JSON_RECORD_CHARS:
                    raise FeedError(self.path, "malformed JSON or a record over "
                                               f"{MAX_JSON_RECORD_CHARS} characters") from e
            self._fill()

    def skip_members(self) -> None:
        """Skip the rest of an object whose opening brace has been read, through its '}'."""
        while self.peek() == ",":
            self.pos += 1
            self.value()
            self.expect(":", "':'")
            self.value()
        self.expect("}", "'}'")


def _json_array_records(path: Path, f: io.TextIOBase, record_path: Optional[str],
                        name: str) -> Iterator[Record]:
    stream = _JsonStream(f, path)
    keys = record_path.split(".") if record_path else []
    for key in keys:  # walk down to the array, skipping sibling members
        stream.expect("{", "'{'")
        while True:
            if stream.peek() == "}":
                raise FeedError(path, f"record_path {record_path!r}: no member {key!r}")
            member, _ = stream.value()
            stream.expect(":", "':'")
            if member == key:
                break
            stream.value()
            if stream.peek() == ",":
                stream.pos += 1
            elif stream.peek() != "}":
                stream.expect(",", "',' or '}'")
    stream.expect("[", f"an array at record_path {record_path or '(top level)'!r}")
    n = 0
    if stream.peek() == "]":
        stream.pos += 1
    else:
        while True:
            value, raw = stream.value()
            n += 1
            yield _json_record(value, f"{name} record {n}", raw)
            if stream.peek() == ",":
                stream.pos += 1
                continue
            stream.expect("]", "',' or ']'")
            break
    for _ in keys:  # the rest of each enclosing object must be well formed too
        stream.skip_members()
    if stream.peek():
        raise FeedError(path, "malformed JSON: data after the document")


def read_json(path: Any, *, layout: str = "lines", record_path: Optional[str] = None,
              encoding: str = "utf-8", name: Optional[str] = None) -> Iterator[Record]:
    """``lines``: one object per line (a broken line is an error row, ``<file> line N``).
    ``array``: the array at dotted ``record_path`` (top level if empty), streamed element by
    element (``<file> record N``). Numbers keep their published text (``1.50`` stays ``1.50``)."""
    path = Path(path)
    name = name or path.name
    if layout not in ("lines", "array"):
        raise ValueError(f"json_layout must be lines or array, not {layout!r}")
    if layout == "array":
        with _open_text(path, encoding) as f:
            yield from _json_array_records(path, f, record_path, name)
        return
    with _open_lines(path, encoding) as f:
        for n, line in enumerate(f, 1):
            undecodable = _bad_lines(f, n, n)
            if undecodable:
                yield f"{name} line {n}", {}, "; ".join(undecodable), line.rstrip("\r\n")
                continue
            text = line.strip()
            if not text:
                continue
            try:
                value = _DECODER.decode(text)
            except json.JSONDecodeError as e:
                yield f"{name} line {n}", {}, f"malformed JSON: {e.msg}", line.rstrip("\r\n")
                continue
            yield _json_record(value, f"{name} line {n}", line.rstrip("\r\n"))
