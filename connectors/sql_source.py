"""Relational sources read through SQLAlchemy (``sqlite:///`` locally, ``mysql+pymysql://`` in
the cluster profile), streamed with a server-side cursor.

Yields the same ``Record`` tuples as :mod:`bayres.connectors.feeds`: location
``table T row N`` (``query row N`` for a query), every value as a string (dates ISO, decimals
without exponent, ``None`` kept).
"""
from __future__ import annotations

from typing import Iterator, Optional, Sequence

import sqlalchemy as sa

from .feeds import Record, float_text, to_text


def build_statement(table: Optional[str] = None, query: Optional[str] = None,
                    order_by: Optional[str] = None) -> sa.Executable:
    """``SELECT * FROM table`` or the query, ordered by ``order_by`` when given.

    ``table`` may be ``schema.table``. A query is wrapped as a subquery to be ordered.
    (Incremental predicates and split ranges belong here.)
    """
    if (table is None) == (query is None):
        raise ValueError("give exactly one of table or query")
    if table is not None:
        schema, _, name = table.rpartition(".")
        source = sa.table(name, schema=schema or None)
    else:
        sql = query.strip().rstrip(";")
        if order_by is None:
            return sa.text(sql)
        source = sa.text(sql).columns().subquery("q")
    stmt = sa.select(sa.text("*")).select_from(source)
    if order_by is not None:
        stmt = stmt.order_by(sa.column(order_by))
    return stmt


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
