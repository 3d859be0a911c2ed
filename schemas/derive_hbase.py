"""HBase serving tables, the Phoenix views over them and the byte encoders, from the declarations.

Four serving tables answer the portal's access paths (row-key design: ``hbase/README.md``):

* ``BAYRES_RESOURCE`` — golden records, row key ``cstr_id``: lookup by CSTR id;
* ``BAYRES_RESOURCE_BY_TYPE_REGION`` — ``resource_type \\0 region \\0 cstr_id``: list by type + region;
* ``BAYRES_RESOURCE_RECENT`` — ``bucket \\0 recency \\0 cstr_id``: recent changes, newest first
  within each of :data:`RECENT_BUCKETS` salt buckets;
* ``BAYRES_LINEAGE`` — ``cstr_id \\0 record_id``: the source records that make up a resource.

Column families come from field groups (:data:`FAMILIES`, the only place that maps them);
qualifiers are field names upper-cased.  Cell and key bytes follow Phoenix encodings exactly, so
the ``CREATE VIEW ... COLUMN_ENCODED_BYTES=0`` views read what a non-Phoenix writer puts.
"""
from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .categories import CODES
from .fields import Field
from .resource import GOLDEN_RESOURCE, RECORD_LINEAGE, RESOURCE_RECORD, TYPE_GROUPS

KEY_SEPARATOR = b"\x00"
#: salt buckets of BAYRES_RESOURCE_RECENT (one pre-split region each)
RECENT_BUCKETS = 8
#: BAYRES_RESOURCE_RECENT cells expire this long after they were written (housekeeping only)
RECENT_TTL_SECONDS = 180 * 86400
#: the only Phoenix types a view column may have (DESIGN.md: no signed numerics, DATE, DECIMAL)
PHOENIX_TYPES = ("VARCHAR", "UNSIGNED_DOUBLE", "UNSIGNED_LONG", "BOOLEAN")


@dataclass(frozen=True)
class Family:
    """An HBase column family and the field groups whose columns it holds."""

    name: str
    groups: tuple[str, ...]
    versions: int = 1
    compression: str = "SNAPPY"
    bloomfilter: str = "ROW"


FAMILIES = (
    Family("c", ("core",), versions=3),              # GB/T 30523 core metadata
    Family("t", tuple(TYPE_GROUPS)),                 # instrument / institution / talent / ...
    Family("l", ("lineage", "provenance", "run")),   # lineage, provenance, the run that wrote it
    Family("q", ("quality", "matching")),            # flags and derived matching keys
)
GROUP_FAMILY = {g: fam.name for fam in FAMILIES for g in fam.groups}


def family_of(field: Field) -> str:
    """The column family of a field, from its group."""
    try:
        return GROUP_FAMILY[field.group]
    except KeyError:
        raise KeyError(f"field {field.name}: group {field.group!r} has no column family") from None


def qualifier(field: Field) -> str:
    """The column qualifier (and Phoenix column name): the field name upper-cased."""
    return field.name.upper()


# ---------------------------------------------------------------- the serving tables
#: synthetic row-key parts of BAYRES_RESOURCE_RECENT (computed from the record, see key_part)
BUCKET = Field("bucket", derived=True,
               description=f"Salt bucket: CRC-32 of cstr_id (UTF-8) mod {RECENT_BUCKETS}, decimal")
RECENCY = Field("recency", derived=True,
                description="99999999 minus updated_date as yyyymmdd, 8 digits: newest sorts first")


@dataclass(frozen=True)
class ServingTable:
    """An HBase table with its Phoenix view: row-key parts, columns and pre-split points."""

    name: str
    description: str
    loaded_from: str
    key: tuple[Field, ...]
    columns: tuple[Field, ...]
    splits: tuple[str, ...] = ()
    ttl_seconds: int | None = None

    def __post_init__(self) -> None:
        for f in self.key:
            if f.phoenix_type != "VARCHAR":  # fixed-width key parts would need other encodings
                raise ValueError(f"{self.name}: row-key part {f.name} must map to VARCHAR")
        if {f.name for f in self.key} & {f.name for f in self.columns}:
            raise ValueError(f"{self.name}: a row-key part is also a column")

    @property
    def families(self) -> tuple[Family, ...]:
        used = {family_of(f) for f in self.columns}
        return tuple(fam for fam in FAMILIES if fam.name in used)


def _pick(table, *names: str) -> tuple[Field, ...]:
    return tuple(table.field(n) for n in names)


RESOURCE = ServingTable(
    "BAYRES_RESOURCE", "Golden records, one row per resource: lookup by CSTR id",
    "golden_resource",
    key=_pick(GOLDEN_RESOURCE, "cstr_id"),
    columns=tuple(f for f in GOLDEN_RESOURCE.fields if f.name != "cstr_id"))

RESOURCE_BY_TYPE_REGION = ServingTable(
    "BAYRES_RESOURCE_BY_TYPE_REGION", "Index: list resources by type and region",
    "golden_resource",
    key=_pick(GOLDEN_RESOURCE, "resource_type", "region", "cstr_id"),
    columns=_pick(GOLDEN_RESOURCE, "name", "name_en", "owner_org", "updated_date"),
    splits=CODES[1:])

RESOURCE_RECENT = ServingTable(
    "BAYRES_RESOURCE_RECENT", "Index: recently updated resources, newest first per salt bucket",
    "golden_resource (rows with updated_date)",
    key=(BUCKET, RECENCY, GOLDEN_RESOURCE.field("cstr_id")),
    columns=_pick(GOLDEN_RESOURCE, "resource_type", "region", "name", "name_en", "owner_org",
                  "updated_date"),
    splits=tuple(str(b) for b in range(1, RECENT_BUCKETS)),
    ttl_seconds=RECENT_TTL_SECONDS)

LINEAGE = ServingTable(
    "BAYRES_LINEAGE", "Which source records make up each golden record",
    "record_lineage joined with resource_record on record_id",
    key=_pick(RECORD_LINEAGE, "cstr_id", "record_id"),
    columns=_pick(RESOURCE_RECORD, "src_platform", "src_source", "src_record_id", "name")
    + _pick(RECORD_LINEAGE, "match_rule", "is_survivor", "run_date"))

SERVING_TABLES = (RESOURCE, RESOURCE_BY_TYPE_REGION, RESOURCE_RECENT, LINEAGE)
SERVING_TABLES_BY_NAME = {t.name: t for t in SERVING_TABLES}


# ---------------------------------------------------------------- values → Phoenix bytes
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LONG = struct.Struct(">q").pack     # Bytes.toBytes(long)
_DOUBLE = struct.Struct(">d").pack   # Bytes.toBytes(double)
_BOOLEAN = {True: b"\x01", False: b"\x00"}


def iso_date(value: date | str) -> str:
    """'YYYY-MM-DD' of a date, datetime or ISO date string."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError(f"not an ISO date: {value!r}")


def _varchar(value: str) -> bytes | None:
    return value.encode("utf-8") if value != "" else None  # Phoenix reads '' as NULL


def _date(value: date | str) -> bytes:
    return iso_date(value).encode("ascii")


def _unsigned_long(value: int) -> bytes:
    if not 0 <= value <= 0x7FFF_FFFF_FFFF_FFFF:  # Phoenix UNSIGNED_LONG: 0 .. Long.MAX_VALUE
        raise ValueError(f"UNSIGNED_LONG cannot hold {value}")
    return _LONG(value)


def _unsigned_double(value: float) -> bytes:
    if not value >= 0:  # also refuses NaN
        raise ValueError(f"UNSIGNED_DOUBLE cannot hold {value}")
    return _DOUBLE(value + 0.0)  # -0.0 → 0.0


def _boolean(value: bool) -> bytes:
    try:
        return _BOOLEAN[value]
    except (KeyError, TypeError):
        raise ValueError(f"not a boolean: {value!r}") from None


_ENCODE_ERRORS = (TypeError, ValueError, AttributeError, struct.error)

#: logical type → encoder of a non-null value (dates are ISO VARCHAR in Phoenix)
_ENCODERS: dict[str, Callable[[Any], bytes | None]] = {
    "string": _varchar, "date": _date, "long": _unsigned_long,
    "double": _unsigned_double, "boolean": _boolean,
}


def encode_value(field: Field, value: Any) -> bytes | None:
    """The cell bytes Phoenix expects for ``value`` of ``field``; None (no cell) for None or ''.

    Raises ValueError for values Phoenix cannot hold (negative numbers, NaN, non-ISO dates) and
    for values of the wrong Python type.
    """
    if value is None:
        return None
    try:
        return _ENCODERS[field.type](value)
    except _ENCODE_ERRORS as e:
        raise ValueError(f"{field.name}: {e}") from None


# ---------------------------------------------------------------- row keys and mutations
def salt_bucket(cstr_id: str) -> str:
    """BAYRES_RESOURCE_RECENT's bucket of a resource (same as Spark's ``crc32(cstr_id) % N``)."""
    return str(zlib.crc32(cstr_id.encode("utf-8")) % RECENT_BUCKETS)


def recency(updated: date | str) -> str:
    """Reversed date key part: ``99999999 - yyyymmdd`` as 8 digits, so newer sorts first."""
    return f"{99999999 - int(iso_date(updated).replace('-', '')):08d}"


def _key_getter(field: Field) -> Callable[[Mapping[str, Any]], Any]:
    if field is BUCKET:
        return lambda r: salt_bucket(r["cstr_id"]) if r.get("cstr_id") else None
    if field is RECENCY:
        return lambda r: recency(r["updated_date"]) if r.get("updated_date") else None
    return lambda r, name=field.name: r.get(name)


@dataclass(frozen=True)
class _Codec:
    key: tuple[tuple[str, Callable], ...]           # (part name, getter)
    cells: tuple[tuple[str, bytes, Callable], ...]  # (field name, b"family:QUALIFIER", encoder)


_CODECS = {
    t.name: _Codec(
        key=tuple((f.name, _key_getter(f)) for f in t.key),
        cells=tuple((f.name, f"{family_of(f)}:{qualifier(f)}".encode(), _ENCODERS[f.type])
                    for f in t.columns))
    for t in SERVING_TABLES
}


def row_key(table_name: str, record: Mapping[str, Any]) -> bytes:
    """The row key of ``record`` (a mapping; use ``Row.asDict()``): VARCHAR parts joined by \\0.

    Raises ValueError when a part is missing/empty or contains a zero byte.
    """
    parts = []
    for name, get in _CODECS[table_name].key:
        value = get(record)
        if not value or not isinstance(value, str):
            raise ValueError(f"{table_name}: row-key part {name} is empty or not a string")
        b = value.encode("utf-8")
        if KEY_SEPARATOR in b:
            raise ValueError(f"{table_name}: row-key part {name} contains a zero byte")
        parts.append(b)
    return KEY_SEPARATOR.join(parts)


def cells(table_name: str, record: Mapping[str, Any]) -> dict[bytes, bytes]:
    """``{b"c:NAME": bytes, ...}`` of the record's non-null columns (key parts are not cells)."""
    out = {}
    for name, column, encode in _CODECS[table_name].cells:
        value = record.get(name)
        if value is None:
            continue
        try:
            b = encode(value)
        except _ENCODE_ERRORS as e:
            raise ValueError(f"{table_name}.{name}: {e}") from None
        if b is not None:
            out[column] = b
    return out


def mutation(table_name: str, record: Mapping[str, Any]) -> tuple[bytes, dict[bytes, bytes]]:
    """``(row key, cells)``, ready for happybase's ``batch.put(*mutation(...))``."""
    return row_key(table_name, record), cells(table_name, record)


# ---------------------------------------------------------------- Phoenix views and table spec
def phoenix_columns(table_name: str) -> list[tuple[str, str]]:
    """(column name, Phoenix type) of the view, key parts first."""
    t = SERVING_TABLES_BY_NAME[table_name]
    return [(qualifier(f), f.phoenix_type) for f in t.key + t.columns]


def phoenix_ddl(table_name: str, schema: str | None = None) -> str:
    """``CREATE VIEW IF NOT EXISTS "<TABLE>" (...) COLUMN_ENCODED_BYTES=0`` (no semicolon);
    with ``schema``, the view ``"<schema>"."<TABLE>"`` over the HBase table ``<schema>.<TABLE>``
    (a governance audience's copy, connectors/hbase_store.replace_audience_frames)."""
    t = SERVING_TABLES_BY_NAME[table_name]
    name = f'"{schema}"."{t.name}"' if schema else f'"{t.name}"'

    if len(t.key) == 1:
        lines = [f'"{qualifier(t.key[0])}" VARCHAR PRIMARY KEY']
    else:
        lines = [f'"{qualifier(f)}" VARCHAR' for f in t.key]
    lines += [f'"{family_of(f)}"."{qualifier(f)}" {f.phoenix_type}' for f in t.columns]
    if len(t.key) > 1:
        lines.append("CONSTRAINT pk PRIMARY KEY (" + ", ".join(f'"{qualifier(f)}"' for f in t.key) + ")")
    return (f'CREATE VIEW IF NOT EXISTS {name} (\n'
            + ",\n".join("    " + line for line in lines)
            + "\n) COLUMN_ENCODED_BYTES=0")


def hbase_spec(table_name: str) -> dict[str, Any]:
    """The table's creation spec: families, pre-split points, row-key parts and columns."""
    t = SERVING_TABLES_BY_NAME[table_name]
    fam = {"ttl_seconds": t.ttl_seconds} if t.ttl_seconds else {}
    return {
        "name": t.name,
        "description": t.description,
        "loaded_from": t.loaded_from,
        "row_key": [{"part": qualifier(f), "field": f.name,
                     **({"description": f.description} if f.description else {})} for f in t.key],
        "families": [{"name": f.name, "versions": f.versions, "compression": f.compression,
                      "bloomfilter": f.bloomfilter, **fam} for f in t.families],
        "splits": list(t.splits),
        "columns": [{"column": f"{family_of(f)}:{qualifier(f)}", "field": f.name,
                     "phoenix_type": f.phoenix_type} for f in t.columns],
    }
