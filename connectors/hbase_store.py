"""HBase serving store of the `cluster` profile, written through the Thrift gateway (happybase).

Cells are encoded the way Phoenix reads them (schemas/derive_hbase.py), so the Phoenix views in
hbase/phoenix/ see exactly what this writer puts. Puts are idempotent: re-loading a run writes
the same cells. Each Spark partition writes through its own connection in batches, retrying
with back-off when the gateway drops a connection.
"""
from __future__ import annotations

import logging
import time

from pyspark.sql import DataFrame

log = logging.getLogger("bayres")


def _put_partition(rows, table: str, host: str, port: int, batch_size: int, retries: int):
    import happybase
    from thriftpy2.transport import TTransportException

    from bayres.schemas.derive_hbase import mutation

    mutations = [mutation(table, row.asDict()) for row in rows]
    written = 0
    for start in range(0, len(mutations), batch_size):
        chunk = mutations[start:start + batch_size]
        for attempt in range(retries + 1):
            try:
                connection = happybase.Connection(host=host, port=port, timeout=60_000)
                try:
                    with connection.table(table).batch() as batch:
                        for key, cells in chunk:
                            batch.put(key, cells)
                finally:
                    connection.close()
                written += len(chunk)
                break
            except (TTransportException, OSError) as exc:
                if attempt == retries:
                    raise
                delay = 2 ** attempt
                log.warning("HBase %s: %s — retry %d in %d s", table, exc, attempt + 1, delay)
                time.sleep(delay)
    yield written


def write_frames(frames: dict[str, DataFrame], *, host: str, port: int = 9090,
                 batch_size: int = 1000, retries: int = 4) -> dict:
    """Put every row of every frame into its HBase table (tables must exist: hbase/tables.json)."""
    counts = {}
    for table, frame in frames.items():
        counts[table] = sum(frame.rdd.mapPartitions(
            lambda rows, t=table: _put_partition(rows, t, host, port, batch_size, retries)).collect())
    return {"store": f"hbase thrift {host}:{port}", "rows": counts}
