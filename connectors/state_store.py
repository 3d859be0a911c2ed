"""The pipeline's small durable state — extraction watermarks and run records — behind one
interface, with a local backend (JSON files) and a ZooKeeper backend (znodes).

Keys are ``/``-separated names (``watermarks/gz/instruments``, ``runs/gz/2026-11-01``) of
letters, digits and ``_.:@+=-``; values are JSON objects. Every write returns the key's new
*version*; versions start at 1 and grow by one per write, and **version 0 means "no value"**.
``put(key, value, expected_version=v)`` is a compare-and-set: it writes only if the key is
still at version ``v`` (``v=0``: only if it does not exist) and raises ``StateConflict``
otherwise; without ``expected_version`` it writes unconditionally.

Watermark protocol (what the extractor does, per incremental source):

1. ``wm, version = store.get_versioned(watermark_key(platform, source))`` — ``None`` and 0 on
   the first run, which then extracts in full;
2. extract the rows past ``wm["value"]`` (``append``: check column > value; ``lastmodified``:
   timestamp > value), write the raw files and the manifest, publish the run directory —
   the run is now *committed*;
3. only then advance: ``store.put(key, {"value": new, "run_id": …, "run_date": …},
   expected_version=version)``.

A watermark therefore never runs ahead of committed data. A crash between 2 and 3 leaves the
old watermark and the next run extracts the same window again (at-least-once; harmless, a run
directory of the same date is replaced as a whole). ``StateConflict`` in 3 means another run
moved the watermark meanwhile — two extractions of one source overlapped (hold the source's
lock to prevent that); re-read and never move a watermark backwards.
"""
from __future__ import annotations

import abc
import contextlib
import fcntl
import json
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import quote, unquote

from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError

from .zookeeper import ZkCoordinator, coordinator_for

#: the version of a key without a value
ABSENT = 0
_SEGMENT = r"[A-Za-z0-9_.:@+=-]+"
_KEY = re.compile(rf"^{_SEGMENT}(/{_SEGMENT})*$")


class StateConflict(RuntimeError):
    """A compare-and-set lost: the key is not at the expected version."""

    def __init__(self, key: str, expected: int, actual: int):
        self.key, self.expected, self.actual = key, expected, actual
        super().__init__(f"state {key!r}: expected version {expected}, found {actual} "
                         "(another writer changed it)")


def check_key(key: str) -> str:
    if (not isinstance(key, str) or len(key) > 400 or not _KEY.match(key)
            or any(set(seg) == {"."} for seg in key.split("/"))):
        raise ValueError(f"bad state key {key!r}: /-separated names of letters, digits and _.:@+=-")
    return key


def watermark_key(platform: str, source: str) -> str:
    """Where the watermark of one incremental source lives."""
    return check_key(f"watermarks/{platform}/{source}")


def _encode(key: str) -> str:
    """One file / znode name per key (flat: listing a prefix is one directory read)."""
    return quote(check_key(key), safe="")


def _dump(value: dict) -> bytes:
    if not isinstance(value, dict):
        raise TypeError("a state value is a JSON object (dict)")
    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")


class StateStore(abc.ABC):
    """Durable key → JSON-object store with versions and compare-and-set."""

    def get(self, key: str) -> Optional[dict]:
        """The value of ``key``, or None."""
        return self.get_versioned(key)[0]

    @abc.abstractmethod
    def get_versioned(self, key: str) -> tuple[Optional[dict], int]:
        """``(value, version)``; ``(None, 0)`` when the key has no value."""

    @abc.abstractmethod
    def put(self, key: str, value: dict, expected_version: Optional[int] = None) -> int:
        """Write ``value``; with ``expected_version`` only if the key is still at that version
        (0: absent), else ``StateConflict``. Returns the new version."""

    @abc.abstractmethod
    def delete(self, key: str, expected_version: Optional[int] = None) -> bool:
        """Remove ``key`` (compare-and-set like ``put``); False if it had no value."""

    @abc.abstractmethod
    def keys(self, prefix: str = "") -> list[str]:
        """Sorted keys starting with ``prefix``."""

    def close(self) -> None:
        pass

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalStateStore(StateStore):
    """One JSON file per key under ``root_dir``: ``{"key", "version", "value", "updated"}``.

    Writes go to a temporary file renamed over the old one (readers never see half a file);
    the read-compare-write of a put holds an exclusive ``flock`` on ``<root_dir>/.lock``, so
    processes and threads sharing the directory get a real compare-and-set."""

    def __init__(self, root_dir: os.PathLike | str):
        self.root = Path(root_dir)

    def _file(self, key: str) -> Path:
        return self.root / (_encode(key) + ".json")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read(self, key: str) -> tuple[Optional[dict], int]:
        try:
            doc = json.loads(self._file(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, ABSENT
        return doc["value"], int(doc["version"])

    def get_versioned(self, key: str) -> tuple[Optional[dict], int]:
        return self._read(key)

    def put(self, key: str, value: dict, expected_version: Optional[int] = None) -> int:
        payload = _dump(value)
        with self._locked():
            _, current = self._read(key)
            if expected_version is not None and expected_version != current:
                raise StateConflict(key, expected_version, current)
            doc = {"key": key, "version": current + 1, "value": json.loads(payload),
                   "updated": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
            self._atomic_write(self._file(key), json.dumps(doc, ensure_ascii=False, indent=1))
            return current + 1

    def delete(self, key: str, expected_version: Optional[int] = None) -> bool:
        with self._locked():
            _, current = self._read(key)
            if expected_version is not None and expected_version != current:
                raise StateConflict(key, expected_version, current)
            if current == ABSENT:
                return False
            self._file(key).unlink()
            return True

    def keys(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        found = (unquote(p.name[:-len(".json")]) for p in self.root.iterdir()
                 if p.name.endswith(".json") and not p.name.startswith("."))
        return sorted(k for k in found if k.startswith(prefix))

    def _atomic_write(self, path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash
        finally:
            os.close(dir_fd)

    def __repr__(self) -> str:
        return f"LocalStateStore({str(self.root)!r})"


class ZkStateStore(StateStore):
    """One znode per key under ``<root>/state/`` holding the JSON value; the store's version is
    the znode version + 1, and compare-and-set is ZooKeeper's conditional set/create/delete.

    Writes are retried through connection losses; when a retried write finds the key changed,
    it checks whether the change is its own earlier attempt (same bytes, the version it would
    have made) before reporting a conflict."""

    def __init__(self, coordinator: ZkCoordinator, *, owns_coordinator: bool = False):
        self.coordinator = coordinator
        self.client = coordinator.client
        self.base = coordinator.path("state")
        self._owns = owns_coordinator

    def _path(self, key: str) -> str:
        return f"{self.base}/{_encode(key)}"

    def get_versioned(self, key: str) -> tuple[Optional[dict], int]:
        path = self._path(key)
        try:
            raw, stat = self.coordinator.retry(self.client.get, path)
        except NoNodeError:
            return None, ABSENT
        return json.loads(raw.decode("utf-8")), stat.version + 1

    def put(self, key: str, value: dict, expected_version: Optional[int] = None) -> int:
        path, payload = self._path(key), _dump(value)
        attempts = 0

        def write() -> int:
            nonlocal attempts
            attempts += 1
            if expected_version is None:
                return self.coordinator.upsert(path, payload)
            if expected_version == ABSENT:
                self.client.create(path, payload, makepath=True)
                return 0
            return self.client.set(path, payload, version=expected_version - 1).version

        try:
            return self.coordinator.retry(write) + 1
        except (NodeExistsError, NoNodeError, BadVersionError):
            actual = self._landed(path)
            if attempts > 1 and actual == (payload, expected_version + 1):
                return expected_version + 1  # our attempt landed before the connection dropped
            raise StateConflict(key, expected_version, actual[1]) from None

    def _landed(self, path: str) -> tuple[Optional[bytes], int]:
        try:
            raw, stat = self.coordinator.retry(self.client.get, path)
        except NoNodeError:
            return None, ABSENT
        return raw, stat.version + 1

    def delete(self, key: str, expected_version: Optional[int] = None) -> bool:
        path = self._path(key)
        if expected_version == ABSENT:
            _, actual = self._landed(path)
            if actual != ABSENT:
                raise StateConflict(key, ABSENT, actual)
            return False
        version = -1 if expected_version is None else expected_version - 1
        try:
            self.coordinator.retry(self.client.delete, path, version=version)
            return True
        except NoNodeError:
            if expected_version is not None:
                raise StateConflict(key, expected_version, ABSENT) from None
            return False
        except BadVersionError:
            raise StateConflict(key, expected_version, self._landed(path)[1]) from None

    def keys(self, prefix: str = "") -> list[str]:
        try:
            children = self.coordinator.retry(self.client.get_children, self.base)
        except NoNodeError:
            return []
        return sorted(k for k in map(unquote, children) if k.startswith(prefix))

    def close(self) -> None:
        if self._owns:
            self.coordinator.close()

    def __repr__(self) -> str:
        return f"ZkStateStore({self.coordinator.hosts!r}, {self.base!r})"


def state_store_for(profile, coordinator: Optional[ZkCoordinator] = None,
                    hosts: Optional[str] = None) -> StateStore:
    """The store the profile's ``state.kind`` names: ``local`` (``state.root`` directory) or
    ``zookeeper`` (``state.hosts`` / ``state.root``; a started ``coordinator`` can be shared,
    otherwise the store opens and owns one). Close it when done (or use ``with``)."""
    kind = profile.get("state.kind", "local")
    if kind == "local":
        return LocalStateStore(profile.path("state.root"))
    if kind == "zookeeper":
        if coordinator is not None:
            return ZkStateStore(coordinator)
        return ZkStateStore(coordinator_for(profile, hosts).start(), owns_coordinator=True)
    from bayres.jobs.run.config import ConfigError

    raise ConfigError(f"profile {profile.name}: state.kind {kind!r} is not local or zookeeper")
