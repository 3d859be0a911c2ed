"""Where the predicates of a relational read meet its table or query: the statement
(:func:`build_statement`: ``where``, an incremental :class:`Window` on a check column, a
:class:`Split` range on a split column — Sqoop's ``--where``, ``--incremental``,
``--split-by``/``-m``), and the watermark values kept in the state store between runs
(:func:`encode_value` / :func:`decode_value`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional, Sequence

import sqlalchemy as sa


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


def interpolate(lo: Any, hi: Any, n: int) -> list[Any]:
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
