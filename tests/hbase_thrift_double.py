"""TEST DOUBLE — an in-process HBase Thrift1 server over an in-memory sorted map. Not HBase.

It speaks the wire protocol of HBase's Thrift1 gateway (the IDL happybase ships,
``happybase/Hbase.thrift``, buffered transport + binary protocol: happybase's defaults), so the
real happybase client — Connection, ConnectionPool, Table, Batch — runs against it unchanged.
The store is ``{table: {row: {b"cf:qual": [(timestamp, value), ...newest first]}}}`` with the
row keys kept sorted, as HBase orders them (unsigned bytes).

What it implements, following ``ThriftHBaseServiceHandler`` of HBase 2:

* tables: getTableNames, createTable (AlreadyExists, IllegalArgument), deleteTable (only when
  disabled, like HBase), enableTable / disableTable / isTableEnabled, getColumnDescriptors,
  getTableRegions (one region), compact / majorCompact (no-ops);
* writes: mutateRow(s)[Ts] — puts get the server's clock (ms) or the given timestamp, a put at
  an existing timestamp replaces that version, each column keeps at most the family's
  ``maxVersions``; deletes of ``cf`` (whole family) or ``cf:qual`` remove the versions up to the
  timestamp; unknown families / tables and disabled tables raise IOError and nothing of the call
  is applied; deleteAll[Ts], deleteAllRow[Ts], atomicIncrement;
* reads: get, getVer[Ts], getRow[Ts], getRowWithColumns[Ts], getRows[...] — ``*Ts`` reads see
  versions with timestamp < ts, as HBase's ``setTimeRange(0, ts)``; cells older than the
  family's TTL are not returned; columns ``cf``, ``cf:`` (family) or ``cf:qual``;
* scans: scannerOpenWithScan (startRow inclusive, stopRow exclusive, columns, timestamp,
  sortColumns, reversed), scannerOpen / scannerOpenWithStop / scannerOpenWithPrefix [Ts],
  scannerGet, scannerGetList, scannerClose. A scanner sees the rows as they were when opened.

Not emulated: filter strings (IOError), delete markers that hide later puts with older
timestamps, regions / splits, compression, WAL, security. Other methods raise IOError.

Fault injection for retry tests: :meth:`HBaseThriftDouble.fail_mutations` makes the next N
mutate calls drop the connection without a reply (the client sees a transport error), before or
after applying the mutation; :meth:`HBaseThriftDouble.drop_connections` cuts every open client
connection (a gateway restart or an idle timeout). :attr:`HBaseThriftDouble.calls` counts calls.

Use the ``hbase_thrift_double`` fixture (import it into a test module), or::

    with HBaseThriftDouble() as hbase:
        connection = happybase.Connection("127.0.0.1", hbase.port)
"""
from __future__ import annotations

import bisect
import socket
import struct
import threading
import time
from collections import Counter
from pathlib import Path

import happybase
import pytest
import thriftpy2
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.rpc import make_server
from thriftpy2.transport import TBufferedTransportFactory, TTransportException

#: the Thrift1 IDL happybase itself loads (same module name, so the same classes)
HBASE = thriftpy2.load(str(Path(happybase.__file__).with_name("Hbase.thrift")),
                       module_name="Hbase_thrift")

LATEST_TIMESTAMP = 2**63 - 1  # HConstants.LATEST_TIMESTAMP: "now" for puts, "everything" for deletes
_MUTATE = ("mutateRow", "mutateRowTs", "mutateRows", "mutateRowsTs")


def _io_error(message: str) -> Exception:
    return HBASE.IOError(message=message)


def _parse_column(column: bytes) -> tuple[bytes, bytes | None]:
    """``b"cf"`` / ``b"cf:"`` → (cf, None) — the whole family; ``b"cf:q"`` → (cf, q)."""
    family, sep, qual = column.partition(b":")
    return (family, qual) if sep and qual else (family, None)


class _Table:
    def __init__(self, descriptors: dict[bytes, object]):
        self.families = descriptors            # b"cf" → ColumnDescriptor
        self.rows: dict[bytes, dict[bytes, list[tuple[int, bytes]]]] = {}
        self.keys: list[bytes] = []            # sorted row keys
        self.enabled = True

    def row(self, key: bytes, create: bool = False):
        cells = self.rows.get(key)
        if cells is None and create:
            cells = self.rows[key] = {}
            bisect.insort(self.keys, key)
        return cells

    def drop_if_empty(self, key: bytes) -> None:
        if key in self.rows and not self.rows[key]:
            del self.rows[key]
            self.keys.pop(bisect.bisect_left(self.keys, key))


class _Store:
    """The in-memory tables and the Thrift1 operations on them (all under one lock)."""

    def __init__(self, clock):
        self.tables: dict[bytes, _Table] = {}
        self.lock = threading.RLock()
        self.clock = clock
        self.scanners: dict[int, list] = {}
        self.next_scanner = 1

    # ---------------------------------------------------------------- helpers
    def _table(self, name: bytes, enabled: bool = True) -> _Table:
        table = self.tables.get(name)
        if table is None:
            raise _io_error(f"TableNotFoundException: {name.decode(errors='replace')}")
        if enabled and not table.enabled:
            raise _io_error(f"TableNotEnabledException: {name.decode(errors='replace')} is disabled")
        return table

    def _now(self) -> int:
        return int(self.clock() * 1000)

    def _check_family(self, table: _Table, family: bytes) -> None:
        if family not in table.families:
            raise _io_error(f"NoSuchColumnFamilyException: column family {family.decode(errors='replace')}"
                            " does not exist")

    def _put(self, table: _Table, key: bytes, column: bytes, value: bytes, ts: int) -> None:
        family, _ = _parse_column(column)
        versions = table.row(key, create=True).setdefault(column, [])
        versions[:] = [v for v in versions if v[0] != ts]
        versions.append((ts, value))
        versions.sort(key=lambda v: -v[0])
        del versions[max(1, table.families[family].maxVersions):]

    def _delete(self, table: _Table, key: bytes, column: bytes | None, ts: int) -> None:
        cells = table.row(key)
        if cells is None:
            return
        if column is None:
            targets = list(cells)
        else:
            family, qual = _parse_column(column)
            targets = [c for c in cells if (c == column if qual is not None
                                            else _parse_column(c)[0] == family)]
        for col in targets:
            cells[col] = [v for v in cells[col] if v[0] > ts]
            if not cells[col]:
                del cells[col]
        table.drop_if_empty(key)

    def _mutate(self, table_name, batches, ts, deletes_first: bool) -> None:
        table = self._table(table_name)
        put_ts = self._now() if ts == LATEST_TIMESTAMP else ts
        for batch in batches:  # validate everything first: a failing call applies nothing
            for m in batch.mutations:
                self._check_family(table, _parse_column(m.column)[0])
        for batch in batches:
            puts = [m for m in batch.mutations if not m.isDelete and _parse_column(m.column)[1]]
            dels = [m for m in batch.mutations if m.isDelete]
            steps = ([("d", dels), ("p", puts)] if deletes_first else [("p", puts), ("d", dels)])
            for kind, ms in steps:
                for m in ms:
                    if kind == "p":
                        self._put(table, batch.row, m.column, m.value or b"", put_ts)
                    else:
                        self._delete(table, batch.row, m.column, ts)

    def _visible(self, table: _Table, column: bytes, versions, max_ts: int | None):
        ttl = table.families[_parse_column(column)[0]].timeToLive
        oldest = self._now() - ttl * 1000 if ttl and ttl > 0 else None
        return [(ts, v) for ts, v in versions
                if (max_ts is None or ts < max_ts) and (oldest is None or ts >= oldest)]

    def _select(self, table: _Table, key: bytes, columns, max_ts=None, n_versions=1):
        """{column: [(ts, value), ...]} of a row, filtered by columns and time range."""
        wanted = [_parse_column(c) for c in columns or []]
        out = {}
        for column, versions in sorted((table.rows.get(key) or {}).items()):
            family, qual = _parse_column(column)
            if wanted and not any(f == family and (q is None or q == qual) for f, q in wanted):
                continue
            visible = self._visible(table, column, versions, max_ts)[:n_versions]
            if visible:
                out[column] = visible
        return out

    @staticmethod
    def _result(key: bytes, selected: dict, sort: bool = False):
        if sort:
            return HBASE.TRowResult(row=key, sortedColumns=[
                HBASE.TColumn(columnName=c, cell=HBASE.TCell(value=v[0][1], timestamp=v[0][0]))
                for c, v in selected.items()])
        return HBASE.TRowResult(row=key, columns={
            c: HBASE.TCell(value=v[0][1], timestamp=v[0][0]) for c, v in selected.items()})

    def _get_rows(self, table_name, keys, columns, max_ts=None):
        with self.lock:
            table = self._table(table_name)
            out = []
            for key in keys:
                selected = self._select(table, key, columns, max_ts)
                if selected:  # like HBase: empty results are left out
                    out.append(self._result(key, selected))
            return out

    def _open_scanner(self, table_name, start, stop, columns, max_ts=None, sort=False,
                      reverse=False, filter_string=None) -> int:
        if filter_string:
            raise _io_error("filter strings are not supported by the test double")
        with self.lock:
            table = self._table(table_name)
            start, stop = start or b"", stop or b""
            if reverse:  # start (inclusive) is the high end, stop (exclusive) the low end
                hi = bisect.bisect_right(table.keys, start) if start else len(table.keys)
                lo = bisect.bisect_right(table.keys, stop) if stop else 0
                keys = table.keys[lo:hi][::-1]
            else:
                lo = bisect.bisect_left(table.keys, start)
                hi = bisect.bisect_left(table.keys, stop) if stop else len(table.keys)
                keys = table.keys[lo:hi]
            results = []
            for key in keys:
                selected = self._select(table, key, columns, max_ts)
                if selected:
                    results.append(self._result(key, selected, sort))
            scanner_id = self.next_scanner
            self.next_scanner += 1
            self.scanners[scanner_id] = results
            return scanner_id


class _Handler:
    """The Thrift1 ``Hbase`` service methods (names and argument order as in the IDL)."""

    def __init__(self, store: _Store, port_getter):
        self.s = store
        self._port = port_getter

    # ---------------------------------------------------------------- tables
    def getTableNames(self):
        with self.s.lock:
            return sorted(self.s.tables)

    def createTable(self, tableName, columnFamilies):
        with self.s.lock:
            if tableName in self.s.tables:
                raise HBASE.AlreadyExists(message="table name already in use")
            if not columnFamilies:
                raise HBASE.IllegalArgument(message="Table should have at least one column family.")
            families = {}
            for cd in columnFamilies:
                name = _parse_column(cd.name)[0]
                families[name] = HBASE.ColumnDescriptor(
                    name=name + b":", maxVersions=cd.maxVersions, compression=cd.compression,
                    inMemory=cd.inMemory, bloomFilterType=cd.bloomFilterType,
                    bloomFilterVectorSize=cd.bloomFilterVectorSize,
                    bloomFilterNbHashes=cd.bloomFilterNbHashes,
                    blockCacheEnabled=cd.blockCacheEnabled, timeToLive=cd.timeToLive)
            self.s.tables[tableName] = _Table(families)

    def deleteTable(self, tableName):
        with self.s.lock:
            if self.s._table(tableName, enabled=False).enabled:
                raise _io_error(f"TableNotDisabledException: {tableName.decode()}")
            del self.s.tables[tableName]

    def enableTable(self, tableName):
        with self.s.lock:
            self.s._table(tableName, enabled=False).enabled = True

    def disableTable(self, tableName):
        with self.s.lock:
            self.s._table(tableName, enabled=False).enabled = False

    def isTableEnabled(self, tableName):
        with self.s.lock:
            return self.s._table(tableName, enabled=False).enabled

    def getColumnDescriptors(self, tableName):
        with self.s.lock:
            return {cd.name: cd for cd in self.s._table(tableName, enabled=False).families.values()}

    def getTableRegions(self, tableName):
        with self.s.lock:
            self.s._table(tableName, enabled=False)
            return [HBASE.TRegionInfo(startKey=b"", endKey=b"", id=1, name=tableName + b",,1",
                                      version=1, serverName=b"127.0.0.1", port=self._port())]

    def compact(self, tableNameOrRegionName):
        pass

    majorCompact = compact

    # ---------------------------------------------------------------- writes
    def mutateRow(self, tableName, row, mutations, attributes):
        self.mutateRowTs(tableName, row, mutations, LATEST_TIMESTAMP, attributes)

    def mutateRowTs(self, tableName, row, mutations, timestamp, attributes):
        with self.s.lock:  # HBase applies a single row's delete before its put
            self.s._mutate(tableName, [HBASE.BatchMutation(row=row, mutations=mutations)],
                           timestamp, deletes_first=True)

    def mutateRows(self, tableName, rowBatches, attributes):
        self.mutateRowsTs(tableName, rowBatches, LATEST_TIMESTAMP, attributes)

    def mutateRowsTs(self, tableName, rowBatches, timestamp, attributes):
        with self.s.lock:  # HBase sends all puts of the call, then its deletes
            self.s._mutate(tableName, rowBatches, timestamp, deletes_first=False)

    def deleteAll(self, tableName, row, column, attributes):
        self.deleteAllTs(tableName, row, column, LATEST_TIMESTAMP, attributes)

    def deleteAllTs(self, tableName, row, column, timestamp, attributes):
        with self.s.lock:
            table = self.s._table(tableName)
            self.s._check_family(table, _parse_column(column)[0])
            self.s._delete(table, row, column, timestamp)

    def deleteAllRow(self, tableName, row, attributes):
        self.deleteAllRowTs(tableName, row, LATEST_TIMESTAMP, attributes)

    def deleteAllRowTs(self, tableName, row, timestamp, attributes):
        with self.s.lock:
            self.s._delete(self.s._table(tableName), row, None, timestamp)

    def atomicIncrement(self, tableName, row, column, value):
        with self.s.lock:
            table = self.s._table(tableName)
            self.s._check_family(table, _parse_column(column)[0])
            current = self.s._select(table, row, [column]).get(column)
            total = (struct.unpack(">q", current[0][1])[0] if current else 0) + value
            self.s._put(table, row, column, struct.pack(">q", total), self.s._now())
            return total

    # ---------------------------------------------------------------- reads
    def get(self, tableName, row, column, attributes):
        return self.getVer(tableName, row, column, 1, attributes)

    def getVer(self, tableName, row, column, numVersions, attributes):
        return self.getVerTs(tableName, row, column, None, numVersions, attributes)

    def getVerTs(self, tableName, row, column, timestamp, numVersions, attributes):
        with self.s.lock:
            selected = self.s._select(self.s._table(tableName), row, [column], timestamp,
                                      n_versions=numVersions)
            return [HBASE.TCell(value=v, timestamp=ts)
                    for versions in selected.values() for ts, v in versions]

    def getRow(self, tableName, row, attributes):
        return self.s._get_rows(tableName, [row], None)

    def getRowWithColumns(self, tableName, row, columns, attributes):
        return self.s._get_rows(tableName, [row], columns)

    def getRowTs(self, tableName, row, timestamp, attributes):
        return self.s._get_rows(tableName, [row], None, timestamp)

    def getRowWithColumnsTs(self, tableName, row, columns, timestamp, attributes):
        return self.s._get_rows(tableName, [row], columns, timestamp)

    def getRows(self, tableName, rows, attributes):
        return self.s._get_rows(tableName, rows, None)

    def getRowsWithColumns(self, tableName, rows, columns, attributes):
        return self.s._get_rows(tableName, rows, columns)

    def getRowsTs(self, tableName, rows, timestamp, attributes):
        return self.s._get_rows(tableName, rows, None, timestamp)

    def getRowsWithColumnsTs(self, tableName, rows, columns, timestamp, attributes):
        return self.s._get_rows(tableName, rows, columns, timestamp)

    # ---------------------------------------------------------------- scanners
    def scannerOpenWithScan(self, tableName, scan, attributes):
        return self.s._open_scanner(tableName, scan.startRow, scan.stopRow, scan.columns,
                                    scan.timestamp, bool(scan.sortColumns), bool(scan.reversed),
                                    scan.filterString)

    def scannerOpen(self, tableName, startRow, columns, attributes):
        return self.s._open_scanner(tableName, startRow, None, columns)

    def scannerOpenTs(self, tableName, startRow, columns, timestamp, attributes):
        return self.s._open_scanner(tableName, startRow, None, columns, timestamp)

    def scannerOpenWithStop(self, tableName, startRow, stopRow, columns, attributes):
        return self.s._open_scanner(tableName, startRow, stopRow, columns)

    def scannerOpenWithStopTs(self, tableName, startRow, stopRow, columns, timestamp, attributes):
        return self.s._open_scanner(tableName, startRow, stopRow, columns, timestamp)

    def scannerOpenWithPrefix(self, tableName, startAndPrefix, columns, attributes):
        return self.s._open_scanner(tableName, startAndPrefix,
                                    happybase.util.bytes_increment(startAndPrefix), columns)

    def scannerGetList(self, id, nbRows):
        with self.s.lock:
            results = self.s.scanners.get(id)
            if results is None:
                raise HBASE.IllegalArgument(message="scanner ID is invalid")
            out, results[:] = results[:nbRows], results[nbRows:]
            return out

    def scannerGet(self, id):
        return self.scannerGetList(id, 1)

    def scannerClose(self, id):
        with self.s.lock:
            if self.s.scanners.pop(id, None) is None:
                raise HBASE.IllegalArgument(message="scanner ID is invalid")


class _Dispatcher:
    """What the Thrift processor calls: counts calls, injects faults, refuses unknown methods."""

    def __init__(self, double: HBaseThriftDouble, handler: _Handler):
        self._double = double
        self._handler = handler

    def __getattr__(self, api: str):
        impl = getattr(self._handler, api, None)
        double = self._double

        def call(*args):
            fault = double._on_call(api)
            if fault == "before":
                raise TTransportException(message=f"test double: dropped {api}")
            if impl is None:
                raise _io_error(f"{api} is not implemented by the test double")
            result = impl(*args)
            if fault == "after":
                raise TTransportException(message=f"test double: dropped the reply of {api}")
            return result

        return call


class HBaseThriftDouble:
    """TEST DOUBLE: an HBase Thrift1 gateway in a thread on 127.0.0.1 (ephemeral port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, clock=time.time):
        self.host = host
        self.store = _Store(clock)
        self.calls: Counter[str] = Counter()
        self._faults: list[str] = []  # per upcoming mutate call: "before" / "after"
        self._fault_lock = threading.Lock()
        self._server = make_server(HBASE.Hbase, _Dispatcher(self, _Handler(self.store, lambda: self.port)),
                                   host=host, port=port or 9090,
                                   proto_factory=TBinaryProtocolFactory(),
                                   trans_factory=TBufferedTransportFactory(),
                                   client_timeout=None)
        self._server.trans.port = port  # make_server refuses port 0; bind() takes it: ephemeral
        self.port: int = 0
        self._clients: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closed = False

    # ---------------------------------------------------------------- life cycle
    def start(self) -> HBaseThriftDouble:
        self._server.trans.listen()
        self.port = self._server.trans.sock.getsockname()[1]
        accept = threading.Thread(target=self._accept_loop, name="hbase-double-accept", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client = self._server.trans.accept()
            except Exception:  # the listening socket was closed by stop()
                return
            with self._fault_lock:
                self._clients.add(client.sock)
            t = threading.Thread(target=self._serve, args=(client,), name="hbase-double-conn",
                                 daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, client) -> None:
        raw = client.sock
        try:
            self._server.handle(client)  # returns when the client or the double hangs up
        finally:
            with self._fault_lock:
                self._clients.discard(raw)

    def drop_connections(self) -> None:
        """Cut every open client connection (the next call on it fails with a transport error)."""
        with self._fault_lock:
            clients = list(self._clients)
        for sock in clients:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        self._closed = True
        self._server.trans.close()
        self.drop_connections()
        for t in self._threads:
            t.join(timeout=2)

    def __enter__(self) -> HBaseThriftDouble:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- fault injection
    def fail_mutations(self, times: int, *, after_apply: bool = False) -> None:
        """The next ``times`` mutate calls hang up without replying — before applying the
        mutation, or (``after_apply``) after it: a write whose acknowledgement was lost."""
        with self._fault_lock:
            self._faults = ["after" if after_apply else "before"] * times

    def _on_call(self, api: str) -> str | None:
        with self._fault_lock:
            self.calls[api] += 1
            if api in _MUTATE and self._faults:
                return self._faults.pop(0)
        return None

    # ---------------------------------------------------------------- inspection
    def versions(self, table: str, row: bytes, column: bytes) -> list[tuple[int, bytes]]:
        """All stored versions of a cell, newest first (bypassing Thrift)."""
        with self.store.lock:
            return list(self.store.tables[table.encode()].rows.get(row, {}).get(column, []))


@pytest.fixture
def hbase_thrift_double():
    """A fresh, empty :class:`HBaseThriftDouble` per test; stopped afterwards."""
    with HBaseThriftDouble() as double:
        yield double
