"""HBase serving store of the `cluster` profile, written through the Thrift gateway (happybase).

Cells are encoded the way Phoenix reads them (``schemas/derive_hbase.py``), so the Phoenix views
in ``hbase/phoenix/`` see exactly what this writer puts.

* :class:`HBaseWriter` — the part without Spark: a happybase ``ConnectionPool``, puts and deletes
  in batches, each batch retried with exponential back-off when the gateway drops the connection
  or times out. Puts are idempotent (a retried or re-run batch writes the same cells), so
  retrying a batch that may have been half applied is safe.
* :func:`write_frames` — the Spark side: every partition writes through its own writer.
* :func:`replace_frames` — what the loader calls: publish by difference. Every row carries a
  digest of its cells (``<first family>:_h``, invisible to the Phoenix views); a row HBase already
  holds with the same digest is not written again, a new or changed one is put, and then the rows
  this run no longer has are deleted (merged or retired records, index rows that moved because a
  record's type, region or ``updated_date`` changed), so Phoenix shows exactly this run's state.
* :func:`ensure_tables` — creates missing serving tables with their families (dev and tests;
  production tables are created pre-split from ``hbase/tables.json``).
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any

from bayres.schemas.derive_hbase import SERVING_TABLES, SERVING_TABLES_BY_NAME, mutation, row_key

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger("bayres")


class HBaseWriteError(RuntimeError):
    """A batch could not be written: retries exhausted, or HBase refused it."""


def _transport_errors() -> tuple[type[BaseException], ...]:
    from thriftpy2.transport import TTransportException

    return (TTransportException, OSError)  # OSError: refused, reset, broken pipe, socket timeout


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _as_mapping(row: Any) -> Mapping[str, Any]:
    return row.asDict() if hasattr(row, "asDict") else row  # a pyspark Row, or a mapping


#: the qualifier of a row's digest cell, in the table's first family (not a declared column, so
#: no Phoenix view shows it)
DIGEST_QUALIFIER = "_h"


def digest_column(table_name: str) -> bytes:
    return f"{SERVING_TABLES_BY_NAME[table_name].families[0].name}:{DIGEST_QUALIFIER}".encode()


def cells_digest(cells: Mapping[bytes, bytes]) -> bytes:
    """16 bytes that change when any cell of the row does (names and values, order-free)."""
    h = hashlib.blake2b(digest_size=16)
    for column in sorted(cells):
        value = cells[column]
        h.update(len(column).to_bytes(4, "big") + column + len(value).to_bytes(4, "big") + value)
    return h.digest()


class HBaseWriter:
    """Batched, retried writes of serving rows into HBase through the Thrift gateway.

    ``retries`` is the number of re-tries after the first attempt of a batch; the n-th retry
    waits ``min(backoff_s * 2**(n-1), max_backoff_s)`` seconds. Only transport errors are
    retried; an error reported by HBase (IOError: unknown table or family, ...) fails at once.
    ``table_prefix`` is happybase's: tables are named ``<prefix>_<TABLE>`` (isolated tests).
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, host: str = "localhost", port: int = 9090, *, pool_size: int = 1,
                 timeout_ms: int | None = 60_000, batch_size: int = 1000, retries: int = 4,
                 backoff_s: float = 1.0, max_backoff_s: float = 30.0,
                 table_prefix: str | None = None, table_prefix_separator: bytes = b"_",
                 transport: str = "buffered",
                 protocol: str = "binary", sleep: Callable[[float], None] = time.sleep):
        if batch_size < 1 or retries < 0 or pool_size < 1:
            raise ValueError("batch_size and pool_size must be >= 1, retries >= 0")
        self.host, self.port = host, port
        self.batch_size, self.retries = batch_size, retries
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self._pool_args = dict(size=pool_size, host=host, port=port, timeout=timeout_ms,
                               table_prefix=table_prefix, table_prefix_separator=table_prefix_separator,
                               transport=transport, protocol=protocol)
        self._pool = None
        self._sleep = sleep

    # ---------------------------------------------------------------- public API
    def put_rows(self, table_name: str, rows: Iterable[Mapping[str, Any]], *,
                 timestamp: int | None = None, delete_nulls: bool = False) -> int:
        """Put serving rows (mappings of field name → value, or pyspark Rows); returns how many.

        Rows are encoded with ``derive_hbase.mutation`` (null and '' values: no cell); a row
        without any cell is skipped (HBase stores nothing for it). Within a batch the last row
        of a key wins. ``timestamp`` (ms) gives every cell that version timestamp instead of
        the server's clock, so a re-run rewrites the very same versions (one older than a
        family's TTL — BAYRES_RESOURCE_RECENT: 180 days — is expired at once). ``delete_nulls`` also
        deletes the table's columns the row leaves null, so a value that became null disappears
        from the view (one delete marker per null column: costly on wide rows). Publishing by
        difference (:func:`replace_frames`) adds each row's digest cell (:func:`cells_digest`).
        """
        encoded = (mutation(table_name, _as_mapping(row)) for row in rows)
        return self.put_mutations(table_name, encoded, timestamp=timestamp, delete_nulls=delete_nulls)

    def put_mutations(self, table_name: str, mutations: Iterable[tuple[bytes, dict[bytes, bytes]]], *,
                      timestamp: int | None = None, delete_nulls: bool = False) -> int:
        """Put rows already encoded as (row key, cells) — :meth:`put_rows` after encoding."""
        columns = self._columns(table_name) if delete_nulls else ()
        written = 0
        for chunk in _chunks(mutations, self.batch_size):
            batch: dict[bytes, dict[bytes, bytes]] = dict(chunk)
            empty = sum(1 for cells in batch.values() if not cells and not columns)
            if empty:
                log.warning("HBase %s: %d row(s) without any cell skipped", table_name, empty)

            def send(table, batch=batch):
                b = table.batch(timestamp=timestamp)
                for key, cells in batch.items():
                    if cells:
                        b.put(key, cells)
                    if columns and (stale := [c for c in columns if c not in cells]):
                        b.delete(key, stale)
                b.send()

            self._with_retries(table_name, f"put of {len(batch)} rows from {min(batch)!r}", send)
            written += len(batch) - empty
        return written

    def delete_rows(self, table_name: str, keys: Iterable[bytes | str | Mapping[str, Any]], *,
                    timestamp: int | None = None) -> int:
        """Delete whole rows, given by row key (bytes/str) or by record (its key is derived);
        returns how many keys were sent. Deleting a missing row is a no-op (idempotent)."""
        deleted = 0
        for chunk in _chunks(keys, self.batch_size):
            row_keys = sorted({self._key(table_name, k) for k in chunk})

            def send(table, row_keys=row_keys):
                b = table.batch(timestamp=timestamp)
                for key in row_keys:
                    b.delete(key)  # all the table's families (one getColumnDescriptors per batch)
                b.send()

            self._with_retries(table_name, f"delete of {len(row_keys)} rows from {row_keys[0]!r}", send)
            deleted += len(row_keys)
        return deleted

    def scan_keys(self, table_name: str, *, batch_size: int = 5000) -> Iterator[bytes]:
        """Every row key of a table, in order (a keys-only scan: no cell values cross the wire)."""
        for key, _ in self._scan(table_name, "keys", batch_size=batch_size,
                                 filter=b"KeyOnlyFilter() AND FirstKeyOnlyFilter()"):
            yield key

    def scan_digests(self, table_name: str, *, batch_size: int = 5000) -> Iterator[tuple[bytes, bytes]]:
        """(row key, digest) of every row that carries a digest cell (rows put with ``digest``)."""
        column = digest_column(table_name)
        for key, cells in self._scan(table_name, "digests", batch_size=batch_size, columns=[column]):
            if column in cells:
                yield key, cells[column]

    def _scan(self, table_name: str, what: str, *, batch_size: int, **scan) -> Iterator[tuple[bytes, dict]]:
        """A scan of the whole table, in key order; a transport error re-opens it after the last
        key read, with the writer's retries."""
        last: bytes | None = None
        for attempt in range(self.retries + 1):
            try:
                with self._connection_pool().connection() as connection:
                    start = None if last is None else last + b"\x00"  # the next key after last
                    for key, cells in connection.table(table_name).scan(
                            row_start=start, batch_size=batch_size, **scan):
                        last = key
                        yield key, cells
                return
            except _transport_errors() as exc:
                if attempt == self.retries:
                    raise HBaseWriteError(f"HBase {table_name} at {self.host}:{self.port}: scan of "
                                          f"row {what} failed after {attempt + 1} attempts: {exc!r}") from exc
                delay = min(self.backoff_s * 2 ** attempt, self.max_backoff_s)
                log.warning("HBase %s: %s scan — %r; retry %d/%d in %.1f s", table_name, what, exc,
                            attempt + 1, self.retries, delay)
                self._sleep(delay)

    def delete_stale(self, table_name: str, keep: set[bytes]) -> int:
        """Delete every row of the table whose key is not in ``keep``; returns how many."""
        stale = [key for key in self.scan_keys(table_name) if key not in keep]
        return self.delete_rows(table_name, stale) if stale else 0

    def close(self) -> None:
        """Close the pool's connections."""
        import queue

        pool, self._pool = self._pool, None
        while pool is not None:
            try:
                pool._queue.get_nowait().close()  # happybase's pool has no close()
            except queue.Empty:
                break

    def __enter__(self) -> HBaseWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- internals
    @staticmethod
    def _columns(table_name: str) -> tuple[bytes, ...]:
        from bayres.schemas.derive_hbase import family_of, qualifier

        t = SERVING_TABLES_BY_NAME[table_name]
        return tuple(f"{family_of(f)}:{qualifier(f)}".encode() for f in t.columns)

    @staticmethod
    def _key(table_name: str, key: bytes | str | Mapping[str, Any]) -> bytes:
        if isinstance(key, bytes):
            return key
        if isinstance(key, str):
            return key.encode("utf-8")
        return row_key(table_name, _as_mapping(key))

    def _connection_pool(self):
        if self._pool is None:
            import happybase

            self._pool = happybase.ConnectionPool(**self._pool_args)  # opens one connection
        return self._pool

    def _with_retries(self, table_name: str, what: str, send: Callable[[Any], None]) -> None:
        from thriftpy2.thrift import TException

        transport_errors = _transport_errors()
        where = f"HBase {table_name} at {self.host}:{self.port}"
        for attempt in range(self.retries + 1):
            try:
                with self._connection_pool().connection() as connection:
                    send(connection.table(table_name))
                return
            except transport_errors as exc:
                if attempt == self.retries:
                    raise HBaseWriteError(f"{where}: {what} failed after {attempt + 1} attempts "
                                          f"(retries exhausted): {exc!r}") from exc
                delay = min(self.backoff_s * 2 ** attempt, self.max_backoff_s)
                log.warning("%s: %s — %r; retry %d/%d in %.1f s", where, what, exc,
                            attempt + 1, self.retries, delay)
                self._sleep(delay)
            except TException as exc:  # reported by HBase: retrying would not help
                message = getattr(exc, "message", None) or repr(exc)
                raise HBaseWriteError(f"{where}: {what} refused: {message}") from exc


def hbase_families(table_name: str, *, compression: str | None = None) -> dict[str, dict]:
    """happybase ``create_table`` families of a serving table, from ``derive_hbase``."""
    t = SERVING_TABLES_BY_NAME[table_name]
    families = {}
    for fam in t.families:
        options = dict(max_versions=fam.versions, compression=compression or fam.compression,
                       bloom_filter_type=fam.bloomfilter,
                       block_cache_enabled=True)  # Thrift's ColumnDescriptor defaults to False
        if t.ttl_seconds:
            options["time_to_live"] = t.ttl_seconds
        families[fam.name] = options
    return families


def ensure_tables(connection, names: Iterable[str] | None = None, *,
                  compression: str | None = None) -> list[str]:
    """Create the serving tables that are missing (all, or ``names``); returns those created.

    For dev and tests: Thrift1 cannot pre-split, so production tables are created from
    ``hbase/tables.json`` instead (hbase/README.md). ``compression`` overrides the declared one,
    e.g. ``"NONE"`` on an HBase without Snappy. Honours the connection's ``table_prefix``.
    """
    existing = {n.decode() if isinstance(n, bytes) else n for n in connection.tables()}
    created = []
    for name in names or [t.name for t in SERVING_TABLES]:
        if name not in existing:
            connection.create_table(name, hbase_families(name, compression=compression))
            log.info("created HBase table %s (no pre-split points)", name)
            created.append(name)
    return created


# ---------------------------------------------------------------- Spark side
def _put_partition(rows, table: str, host: str, port: int, batch_size: int, retries: int,
                   put_options: dict, writer_options: dict):
    with HBaseWriter(host, port, batch_size=batch_size, retries=retries, **writer_options) as writer:
        yield writer.put_rows(table, rows, **put_options)


def _replace_partition(rows, table: str, held, host: str, port: int, batch_size: int, retries: int,
                       put_options: dict, writer_options: dict):
    """Encode a partition's rows once; put those whose digest differs from what HBase holds
    (``held``: a broadcast of row key → digest), with their digest cell; yield how many were put
    and every row key of the partition (the driver deletes the keys no partition has)."""
    digests = held.value
    keys: list[bytes] = []
    digest_at = digest_column(table)

    def changed():
        for row in rows:
            key, cells = mutation(table, _as_mapping(row))
            keys.append(key)
            digest = cells_digest(cells)
            if digests.get(key) != digest:
                if cells:
                    cells[digest_at] = digest
                yield key, cells

    with HBaseWriter(host, port, batch_size=batch_size, retries=retries, **writer_options) as writer:
        put = writer.put_mutations(table, changed(), **put_options)
    yield put, keys


def _replace_table(writer: HBaseWriter, table: str, rows, *, host: str, port: int, batch_size: int,
                   retries: int, put_options: dict, writer_options: dict) -> dict:
    """Make one HBase table hold exactly ``rows`` (an RDD of serving rows), by difference:
    the digests HBase holds (one scan of the digest cells, one keys-only scan) go to the executors,
    which encode each row once and put only the new and changed ones with their digest; then the
    keys this run has not are deleted. Puts come first, so a reader never misses a live row; a
    run killed between them leaves extra rows that the next run deletes."""
    held = dict(writer.scan_digests(table))
    for key in writer.scan_keys(table):
        held.setdefault(key, b"")  # a row without a digest (an earlier BayRes): rewritten
    shipped = rows.context.broadcast(held)
    try:
        done = rows.mapPartitions(lambda part: _replace_partition(
            part, table, shipped, host, port, batch_size, retries, put_options, writer_options)).collect()
    finally:
        shipped.destroy()
    put = sum(n for n, _ in done)
    mine = {key for _, keys in done for key in keys}
    stale = [key for key in held if key not in mine]
    deleted = writer.delete_rows(table, stale) if stale else 0
    if deleted:
        log.info("HBase %s: %d row(s) of earlier runs deleted", table, deleted)
    return {"put": put, "unchanged": len(mine) - put, "deleted": deleted}


def write_frames(frames: dict[str, DataFrame], *, host: str, port: int = 9090,
                 batch_size: int = 1000, retries: int = 4, timestamp: int | None = None,
                 delete_nulls: bool = False, **writer_options) -> dict:
    """Put every row of every frame into its HBase table (tables must exist: hbase/tables.json).

    ``timestamp`` and ``delete_nulls`` as in :meth:`HBaseWriter.put_rows`; ``writer_options`` go
    to each partition's :class:`HBaseWriter` (e.g. ``table_prefix``, ``timeout_ms``).
    """
    put_options = dict(timestamp=timestamp, delete_nulls=delete_nulls)
    counts = {}
    for table, frame in frames.items():
        counts[table] = sum(frame.rdd.mapPartitions(
            lambda rows, t=table: _put_partition(rows, t, host, port, batch_size, retries,
                                                 put_options, writer_options)).collect())
    return {"store": f"hbase thrift {host}:{port}", "rows": counts}


def replace_frames(frames: dict[str, DataFrame], *, host: str, port: int = 9090,
                   batch_size: int = 1000, retries: int = 4, **options) -> dict:
    """Make each table hold exactly its frame's rows, publishing by difference
    (:func:`_replace_table`): only new and changed rows are written, the rows the frame does not
    have are deleted (a golden record merged into another or retired, an index row whose type,
    region or ``updated_date`` changed, a lineage edge that left its cluster). ``options``:
    ``timestamp`` and ``delete_nulls`` as in :meth:`HBaseWriter.put_rows`, the rest to the writers.
    Returns per table the rows of the run (``rows``), those written (``put``), those HBase already
    held unchanged (``unchanged``) and those deleted (``deleted``).
    """
    put_options = dict(timestamp=options.pop("timestamp", None),
                       delete_nulls=options.pop("delete_nulls", False))
    out = {"store": f"hbase thrift {host}:{port}", "rows": {}, "put": {}, "unchanged": {}, "deleted": {}}
    with HBaseWriter(host, port, batch_size=batch_size, retries=retries, **options) as writer:
        for table, frame in frames.items():
            done = _replace_table(writer, table, frame.rdd, host=host, port=port, batch_size=batch_size,
                                  retries=retries, put_options=put_options, writer_options=options)
            for what in ("put", "unchanged", "deleted"):
                out[what][table] = done[what]
            out["rows"][table] = done["put"] + done["unchanged"]
    return out


# ---------------------------------------------------------------- governance audiences
def audience_schema(audience: str, prefix: str = "BAYRES_") -> str:
    """The Phoenix schema of an audience's serving tables: its views are ``"<schema>"."<TABLE>"``
    over the HBase tables ``<schema>.<TABLE>`` (Phoenix's naming without namespace mapping), and
    its portal connects with ``schema=<schema>`` so the query library runs unchanged."""
    return f"{prefix}{audience}".upper()


def _governed_partition(rows, rules, audience: str, columns: list[str]):
    from bayres.jobs.publish.governance import apply_rows

    yield from apply_rows(rules, audience, [dict(_as_mapping(r)) for r in rows], columns)


def replace_audience_frames(frames: dict[str, DataFrame], rules, *, host: str, port: int = 9090,
                            schema_prefix: str = "BAYRES_", batch_size: int = 1000, retries: int = 4,
                            create: bool = True, **options) -> dict:
    """Per governance audience (conf/governance/rules.yaml), its own copy of every serving table
    — HBase ``<schema>.<TABLE>`` (:func:`audience_schema`) — whose cells already hold what that
    audience may see (jobs/publish/governance.apply_rows on every row, on the executors): a masked
    phone is stored masked, a withheld value is no cell at all. Replaced as
    :func:`replace_frames` replaces the full tables (puts, then the rows this run no longer has
    deleted); ``create`` makes missing tables (declared families). Row keys are made of public
    fields, so every audience's tables have the full tables' keys."""
    if getattr(rules, "_key", None) is None and getattr(rules, "allow_dev_key", None) is not None:
        rules.set_key(rules.allow_dev_key)  # read once here, shipped to the executors
    put_options = dict(timestamp=options.pop("timestamp", None),
                       delete_nulls=options.pop("delete_nulls", False))
    out = {}
    for audience in rules.audiences:
        schema = audience_schema(audience, schema_prefix)
        writer_options = dict(options, table_prefix=schema, table_prefix_separator=b".")
        if create:
            import happybase

            connection = happybase.Connection(host, port, table_prefix=schema,
                                              table_prefix_separator=b".")
            try:
                ensure_tables(connection, list(frames))
            finally:
                connection.close()
        done = {}
        with HBaseWriter(host, port, batch_size=batch_size, retries=retries, **writer_options) as writer:
            for table, frame in frames.items():
                governed = frame.rdd.mapPartitions(
                    lambda part, a=audience, c=list(frame.columns): _governed_partition(part, rules, a, c))
                done[table] = _replace_table(writer, table, governed, host=host, port=port,
                                             batch_size=batch_size, retries=retries,
                                             put_options=put_options, writer_options=writer_options)
        out[audience] = {"store": f"hbase {schema}.*", "schema": schema,
                         "rows": {t: d["put"] + d["unchanged"] for t, d in done.items()},
                         "put": {t: d["put"] for t, d in done.items()},
                         "deleted": {t: d["deleted"] for t, d in done.items()}}
    return out
