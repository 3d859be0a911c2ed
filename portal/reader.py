"""The service's one reader interface over the published catalogue.

:class:`CatalogueReader` answers the two record-page questions — the golden record by CSTR id and
its source records — with the portal query library (``hbase/queries/`` through
``connectors/phoenix_portal.PortalQueries``), so the same SQL runs on both stores:

* :class:`ServingStoreReader` — the embedded serving store of the ``local`` profile (DuckDB);
  a short read-only connection per call, so the publish stage can replace the file while the
  service runs (DuckDB's writer needs the file's lock);
* :class:`PhoenixReader` — Phoenix Query Server through phoenixdb (``cluster`` profile); one
  connection, serialised (phoenixdb connections are not thread-safe).

Rows come back as dicts keyed by lower-case column names.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

from bayres.connectors.phoenix_portal import PortalQueries, connect


class CatalogueReader(Protocol):
    def resource(self, cstr_id: str) -> dict[str, Any] | None: ...

    def lineage(self, cstr_id: str) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


def _lower(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k.lower(): v for k, v in row.items()}


class ServingStoreReader:
    """The DuckDB serving store (``serving.path``)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no serving store at {self.path} (run the pipeline: make run)")

    def _queries(self) -> PortalQueries:
        return PortalQueries(connect(str(self.path)))

    def resource(self, cstr_id: str) -> dict[str, Any] | None:
        with self._queries() as pq:
            return _lower(pq.resource(cstr_id))

    def lineage(self, cstr_id: str) -> list[dict[str, Any]]:
        with self._queries() as pq:
            return [_lower(r) for r in pq.lineage(cstr_id)]

    def close(self) -> None:
        pass


class PhoenixReader:
    """Phoenix Query Server (``serving.phoenix_url``), phoenixdb."""

    def __init__(self, url: str, table_prefix: str = "", schema: str = ""):
        self.url, self.table_prefix, self.schema = url, table_prefix, schema
        self._lock = threading.Lock()
        self._pq: PortalQueries | None = None

    def _run(self, fn):
        with self._lock:
            for attempt in (1, 2):  # one reconnect: Avatica connections time out when idle
                if self._pq is None:
                    self._pq = PortalQueries(connect(self.url), table_prefix=self.table_prefix,
                                             schema=self.schema)
                try:
                    return fn(self._pq)
                except Exception:
                    self._close()
                    if attempt == 2:
                        raise

    def resource(self, cstr_id: str) -> dict[str, Any] | None:
        return _lower(self._run(lambda pq: pq.resource(cstr_id)))

    def lineage(self, cstr_id: str) -> list[dict[str, Any]]:
        return [_lower(r) for r in self._run(lambda pq: pq.lineage(cstr_id))]

    def _close(self) -> None:
        if self._pq is not None:
            try:
                self._pq.close()
            except Exception:
                pass
            self._pq = None

    def close(self) -> None:
        with self._lock:
            self._close()


def reader_for(profile, audience: str | None = None) -> CatalogueReader:
    """The reader of the profile's serving store (``serving.kind``: duckdb or hbase); with an
    ``audience``, its own governed store (``serving.audience_dir``/<audience>.duckdb)."""
    kind = profile.get("serving.kind")
    if kind == "duckdb":
        if audience is not None and profile.get("serving.audience_dir"):
            from bayres.connectors.serving_duckdb import audience_path

            return ServingStoreReader(audience_path(profile.path("serving.audience_dir"), audience))
        return ServingStoreReader(profile.path("serving.path"))
    if kind == "hbase":
        if audience is not None and profile.get("serving.audiences", True):
            from bayres.connectors.hbase_store import audience_schema

            # the audience's own Phoenix views, over cells that already hold what it may see
            return PhoenixReader(str(profile.get("serving.phoenix_url")), schema=audience_schema(audience))
        return PhoenixReader(str(profile.get("serving.phoenix_url")))
    raise ValueError(f"profile {profile.name}: unknown serving.kind {kind!r}")
