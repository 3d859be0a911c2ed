"""File-feed writers: CSV, JSON lines, JSON array, XML, RSS 2.0, Excel and fixed-width text.

Each writer streams records into numbered files (``<stem>_0001.<ext>``, a new file every
``max_records``), never holds a whole feed in memory, writes nothing time-dependent and returns
for every record where it landed (``<file> line 34`` / ``record 12`` / ``sheet ITF row 5``).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FEED_FILE_MAX = 200_000
FIXED_BUILD_DATE = "Wed, 31 Dec 2025 18:00:00 +0800"
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_UNIX_TO_EXCEL = (dt.date(1970, 1, 1) - _EXCEL_EPOCH).days


class FileSink:
    """Base: rolling numbered files under ``out_dir/<stem>_NNNN.<ext>``."""

    ext = ""

    def __init__(self, out_dir: Path, stem: str, encoding: str = "utf-8",
                 max_records: int = FEED_FILE_MAX) -> None:
        self.out_dir = Path(out_dir)
        self.stem = stem
        self.encoding = encoding
        self.max_records = max_records
        self.files: list[str] = []
        self.n_files = 0
        self.count = 0
        self.open = False

    def write(self, cols: dict[str, list], broken: list[bool]) -> list[str]:
        fields = list(cols)
        rows = list(zip(*cols.values()))
        locs: list[str] = []
        i = 0
        while i < len(rows):
            if not self.open or self.count >= self.max_records:
                self._roll(fields)
            take = min(len(rows) - i, self.max_records - self.count)
            locs += self._write_rows(fields, rows[i:i + take], broken[i:i + take])
            self.count += take
            i += take
        return locs

    def close(self) -> list[str]:
        if self.open:
            self._close()
            self.open = False
        return self.files

    # -- helpers for subclasses
    def _roll(self, fields: list[str]) -> None:
        if self.open:
            self._close()
        self.n_files += 1
        rel = f"{self.stem}_{self.n_files:04d}.{self.ext}"
        self.files.append(rel)
        self.rel = rel
        path = self.out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.open = True
        self._open(path, fields)

    def _open(self, path: Path, fields: list[str]) -> None:
        raise NotImplementedError

    def _write_rows(self, fields, rows, broken) -> list[str]:
        raise NotImplementedError

    def _close(self) -> None:
        self.fh.close()


def _text(v) -> str:
    return "" if v is None else str(v)


class CsvSink(FileSink):
    """CSV with a header row; broken rows lose fields (or gain them through unquoted delimiters)."""

    ext = "csv"

    def __init__(self, out_dir, stem, encoding="utf-8", delimiter=",", **kw) -> None:
        super().__init__(out_dir, stem, encoding, **kw)
        self.delimiter = delimiter

    def _open(self, path, fields):
        self.fh = open(path, "w", encoding=self.encoding, newline="")
        self.writer = csv.writer(self.fh, delimiter=self.delimiter, lineterminator="\r\n")
        self.writer.writerow(fields)
        self.line = 1

    def _write_rows(self, fields, rows, broken):
        locs = []
        for row, br in zip(rows, broken):
            self.line += 1
            if br:
                self.fh.write(self._broken(row) + "\r\n")
            else:
                self.writer.writerow(row)
            locs.append(f"{self.rel} line {self.line}")
        return locs

    def _broken(self, row) -> str:
        """The row written without quoting and with its last field(s) lost: wrong field count."""
        vals = [_text(v) for v in row]
        d = self.delimiter
        for keep in (len(vals) - 1, len(vals) - 2, 1):
            raw = d.join(vals[:keep])
            if raw.count(d) + 1 != len(vals):
                return raw
        return raw + d + d


class JsonLinesSink(FileSink):
    """One JSON object per line; a broken row is a line cut in the middle."""

    ext = "jsonl"

    def _open(self, path, fields):
        self.fh = open(path, "w", encoding=self.encoding, newline="\n")
        self.line = 0

    def _write_rows(self, fields, rows, broken):
        locs = []
        for row, br in zip(rows, broken):
            line = json.dumps(dict(zip(fields, row)), ensure_ascii=False)
            if br:
                line = line[: len(line) // 2]
            self.line += 1
            self.fh.write(line + "\n")
            locs.append(f"{self.rel} line {self.line}")
        return locs


class JsonArraySink(FileSink):
    """``{<meta>, "<records_key>": [ {...}, ... ], "total": N}`` — the array nested under a key."""

    ext = "json"

    def __init__(self, out_dir, stem, records_key: str, meta: dict, encoding="utf-8", **kw) -> None:
        super().__init__(out_dir, stem, encoding, **kw)
        self.records_key = records_key
        self.meta = meta

    def _open(self, path, fields):
        self.fh = open(path, "w", encoding=self.encoding, newline="\n")
        head = json.dumps(self.meta, ensure_ascii=False, indent=2)[:-2]
        self.fh.write(f'{head},\n  "{self.records_key}": [\n')
        self.n = 0

    def _write_rows(self, fields, rows, broken):
        locs = []
        for row in rows:
            self.fh.write(("" if self.n == 0 else ",\n") + "    "
                          + json.dumps(dict(zip(fields, row)), ensure_ascii=False))
            self.n += 1
            locs.append(f"{self.rel} record {self.n}")
        return locs

    def _close(self):
        self.fh.write(f'\n  ],\n  "total": {self.n}\n}}\n')
        self.fh.close()


class XmlSink(FileSink):
    """``<root><record><field>…</field>…</record>…</root>``; empty values are empty elements."""

    ext = "xml"

    def __init__(self, out_dir, stem, root: str, record: str, encoding="utf-8", label="UTF-8", **kw) -> None:
        super().__init__(out_dir, stem, encoding, **kw)
        self.root, self.record, self.label = root, record, label

    def _open(self, path, fields):
        self.fh = open(path, "w", encoding=self.encoding, newline="\n")
        self.fh.write(f'<?xml version="1.0" encoding="{self.label}"?>\n<{self.root}>\n')
        self.n = 0

    def _write_rows(self, fields, rows, broken):
        locs = []
        for row in rows:
            parts = [f"  <{self.record}>"]
            parts += [f"    <{f}>{escape(_text(v))}</{f}>" for f, v in zip(fields, row)]
            parts.append(f"  </{self.record}>\n")
            self.fh.write("\n".join(parts))
            self.n += 1
            locs.append(f"{self.rel} record {self.n}")
        return locs

    def _close(self):
        self.fh.write(f"</{self.root}>\n")
        self.fh.close()


class RssSink(FileSink):
    """RSS 2.0: a channel with items; ``attrs`` adds fixed attributes to item elements
    (``guid isPermaLink="false"``, ``source url=…``)."""

    ext = "xml"

    def __init__(self, out_dir, stem, channel: dict[str, str], attrs: dict[str, dict] | None = None, **kw) -> None:
        super().__init__(out_dir, stem, "utf-8", **kw)
        self.channel = channel
        self.attrs = {f: "".join(f" {k}={quoteattr(v)}" for k, v in a.items()) for f, a in (attrs or {}).items()}

    def _open(self, path, fields):
        self.fh = open(path, "w", encoding="utf-8", newline="\n")
        head = "".join(f"    <{k}>{escape(v)}</{k}>\n" for k, v in self.channel.items())
        self.fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n'
                      f"{head}    <lastBuildDate>{FIXED_BUILD_DATE}</lastBuildDate>\n")
        self.n = 0

    def _write_rows(self, fields, rows, broken):
        locs = []
        for row in rows:
            parts = ["    <item>"]
            parts += [f"      <{f}{self.attrs.get(f, '')}>{escape(_text(v))}</{f}>" for f, v in zip(fields, row)]
            parts.append("    </item>\n")
            self.fh.write("\n".join(parts))
            self.n += 1
            locs.append(f"{self.rel} record {self.n}")
        return locs

    def _close(self):
        self.fh.write("  </channel>\n</rss>\n")
        self.fh.close()


class FixedWidthSink(FileSink):
    """Fixed-width text, positions counted in characters, CRLF line ends, no header.
    A broken row is one where a value overflowed its width and pushed the rest of the line past
    the layout (a short line is not broken: trailing padding may legitimately be trimmed)."""

    ext = "txt"

    def __init__(self, out_dir, stem, layout: list[tuple[str, int, int]], encoding="utf-8", **kw) -> None:
        super().__init__(out_dir, stem, encoding, **kw)
        self.layout = layout
        self.width = layout[-1][2]

    def _open(self, path, fields):
        assert [f for f, _, _ in self.layout] == fields, "layout and fields disagree"
        if self.n_files == 1:
            self._write_layout(path.parent / f"LAYOUT_{Path(self.stem).name}.txt")
        self.fh = open(path, "w", encoding=self.encoding, newline="")
        self.line = 0

    def _write_layout(self, path: Path) -> None:
        """The layout spec published beside the data: field, start, end (characters, end exclusive)."""
        lines = [f"# {Path(self.stem).name}_NNNN.txt: fixed width, {self.encoding}, CRLF, no header",
                 "# field,start,end  (character positions, 0-based, end exclusive)"]
        lines += [f"{f},{s},{e}" for f, s, e in self.layout]
        path.write_text("\n".join(lines) + "\n", encoding="ascii")
        self.files.append(str(path.relative_to(self.out_dir)))

    def _write_rows(self, fields, rows, broken):
        locs = []
        for row, br in zip(rows, broken):
            line = "".join(_text(v)[: e - s].ljust(e - s) for v, (_, s, e) in zip(row, self.layout))
            if br:
                cut = self.layout[3][1]
                line = line[:cut] + _text(row[2]) + " " + line[cut:]
            self.line += 1
            self.fh.write(line + "\r\n")
            locs.append(f"{self.rel} line {self.line}")
        return locs


class XlsxSink(FileSink):
    """An Excel workbook with several sheets (row 1 = header).  Records pick their sheet through the
    ``sheet_field`` column (not written).  Date fields carry day numbers: real date cells
    (``dd/mm/yyyy``) except on ``serial_sheets``, where they are plain Excel serial numbers;
    strings (bad dates) stay text cells.  Zip timestamps and document dates are fixed."""

    ext = "xlsx"

    def __init__(self, out_dir, stem, sheets: list[str], date_fields: tuple[str, ...],
                 serial_sheets: tuple[str, ...] = (), sheet_field: str = "_sheet", **kw) -> None:
        super().__init__(out_dir, stem, "utf-8", **kw)
        self.sheets, self.date_fields, self.serial_sheets = sheets, date_fields, serial_sheets
        self.sheet_field = sheet_field

    def _open(self, path, fields):
        from openpyxl import Workbook
        self.path = path
        self.wb = Workbook(write_only=True)
        self.header = [f for f in fields if f != self.sheet_field]
        self.ws, self.rows = {}, {}
        for name in self.sheets:
            ws = self.wb.create_sheet(name)
            ws.append(self.header)
            self.ws[name], self.rows[name] = ws, 1

    def _write_rows(self, fields, rows, broken):
        from openpyxl.cell import WriteOnlyCell
        si = fields.index(self.sheet_field)
        keep = [i for i, f in enumerate(fields) if f != self.sheet_field]
        dates = {i for i, f in enumerate(fields) if f in self.date_fields}
        locs = []
        for row in rows:
            sheet = row[si]
            ws = self.ws[sheet]
            out = []
            for i in keep:
                v = row[i]
                if i in dates and isinstance(v, int):
                    if sheet in self.serial_sheets:
                        v = v + _UNIX_TO_EXCEL
                    else:
                        c = WriteOnlyCell(ws, value=dt.date(1970, 1, 1) + dt.timedelta(days=v))
                        c.number_format = "dd/mm/yyyy"
                        v = c
                out.append(v)
            ws.append(out)
            self.rows[sheet] += 1
            locs.append(f"{self.rel} sheet {sheet} row {self.rows[sheet]}")
        return locs

    def _close(self):
        self.wb.save(self.path)
        _normalise_xlsx(self.path)


_FIXED_ZIP_TIME = (2025, 12, 31, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _normalise_xlsx(path: Path) -> None:
    """Rewrite an .xlsx so that identical content gives identical bytes (fixed zip times and
    document dates)."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "docProps/core.xml":
                data = _CORE_DATES.sub(rb"\g<1>2025-12-31T00:00:00Z\g<3>", data)
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
