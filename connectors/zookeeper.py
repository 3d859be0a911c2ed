"""ZooKeeper coordination (kazoo): shared configuration, distributed locks, a service registry.

Layout under the root (the profile's ``state.root``, default ``/bayres``)::

    <root>/config/<name>               JSON document; its version is the znode version
    <root>/locks/<name>/…              kazoo Lock recipe: one ephemeral sequential node per contender
    <root>/services/<name>/member-…    ephemeral, one per registered live process
    <root>/state/<key>                 ZkStateStore (connectors/state_store.py)

Everything a process holds in ZooKeeper (lock contender nodes, registry entries) is ephemeral:
it disappears when the process's session ends — at once on a clean ``close()``, after the
session timeout when the process dies. Short network blips are survived: commands are retried
with a bounded ``KazooRetry`` (about ten seconds in all, enough for a leader election), the
connection itself is retried with capped back-off, and registry entries are re-created when a
session had to be replaced. A lock is *not* silently re-acquired after its session is lost:
``HeldLock.check()`` tells the holder before it commits anything.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
from typing import Any, Callable, Iterator, Optional

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import LockTimeout as KazooLockTimeout
from kazoo.exceptions import ConnectionClosedError, NodeExistsError, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.recipe.lock import Lock
from kazoo.recipe.watchers import DataWatch
from kazoo.retry import KazooRetry, RetryFailedError

log = logging.getLogger("bayres.zookeeper")

#: names of configs, locks and services: one znode name, no slashes
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+=-]{0,199}$")

#: about 10 s of retries per command (0.1, 0.2, 0.4 … capped at 2 s): covers a leader election
COMMAND_RETRY = dict(max_tries=10, delay=0.1, backoff=2, max_delay=2.0)
#: consecutive failed connection attempts before the client gives up (about a minute)
CONNECTION_RETRY = dict(max_tries=30, delay=0.1, backoff=2, max_delay=2.0)


class ZkError(RuntimeError):
    """A coordination failure the caller should report (base class)."""


class ZkUnavailable(ZkError):
    """No ZooKeeper server of the ensemble could be reached."""


class ConfigNotFound(ZkError, LookupError):
    """No shared configuration of that name."""


class LockTimeout(ZkError, TimeoutError):
    """A lock was not acquired in time; ``holder`` is the identifier of who holds it."""

    def __init__(self, name: str, timeout: float, holder: Optional[str], waiting: list[str]):
        self.name, self.timeout, self.holder, self.waiting = name, timeout, holder, waiting
        who = f"held by {holder!r}" if holder else "holder unknown (released meanwhile?)"
        more = f"; {len(waiting)} other(s) waiting" if waiting else ""
        super().__init__(f"lock {name!r} not acquired within {timeout:g} s: {who}{more}")


class LockLost(ZkError):
    """The ZooKeeper session behind a held lock ended: someone else may hold it now."""


def default_identifier(tag: str = "") -> str:
    """``host:pid[:tag]`` — who holds a lock or registered a service, for humans."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return f"{base}:{tag}" if tag else base


def check_name(name: str, what: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"bad {what} {name!r}: letters, digits and _.:@+=- only, no slashes")
    return name


class HeldLock:
    """What ``ZkCoordinator.lock`` yields: the lock's name and identifier, and whether it is
    still ours (its session may have been lost while the body ran)."""

    def __init__(self, name: str, identifier: str):
        self.name, self.identifier = name, identifier
        self._lost = threading.Event()

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def check(self) -> None:
        """Raise ``LockLost`` if the session behind the lock ended; call before committing."""
        if self.lost:
            raise LockLost(f"lock {self.name!r} ({self.identifier}) was lost with its ZooKeeper session")


class ZkCoordinator:
    """One ZooKeeper session for a process: configuration, locks, registry and state znodes.

    ``hosts`` is kazoo's connection string (``h1:2181,h2:2181,h3:2181``, or a list);
    ``timeout`` the session timeout in seconds (the server clamps it to 2–20 ticks).
    Use as a context manager, or ``start()`` / ``close()``.
    """

    def __init__(self, hosts: str | list[str], root: str = "/bayres", timeout: float = 10.0, *,
                 connect_timeout: Optional[float] = None, identifier: Optional[str] = None):
        self.hosts = ",".join(hosts) if isinstance(hosts, (list, tuple)) else str(hosts)
        if not self.hosts.strip():
            raise ValueError("no ZooKeeper hosts given")
        self.root = "/" + root.strip("/") if root.strip("/") else ""
        self.session_timeout = float(timeout)
        self.connect_timeout = float(connect_timeout if connect_timeout is not None else timeout)
        self.identifier = identifier or default_identifier()
        self._retry = KazooRetry(**COMMAND_RETRY)
        self.client = KazooClient(hosts=self.hosts, timeout=self.session_timeout,
                                  connection_retry=KazooRetry(**CONNECTION_RETRY),
                                  command_retry=KazooRetry(**COMMAND_RETRY))
        self._registrations: dict[str, tuple[str, bytes]] = {}  # path -> (service, payload)
        self._held: list[HeldLock] = []
        self._guard = threading.Lock()
        self._session_lost = False
        self.client.add_listener(self._on_state)

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "ZkCoordinator":
        try:
            self.client.start(timeout=self.connect_timeout)
        except KazooTimeoutError as exc:
            raise ZkUnavailable(f"no ZooKeeper server reachable at {self.hosts} "
                                f"within {self.connect_timeout:g} s") from exc
        return self

    def close(self) -> None:
        """End the session: this process's locks and registry entries go at once."""
        try:
            self.client.stop()
        finally:
            self.client.close()

    def __enter__(self) -> "ZkCoordinator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self.client.connected

    @property
    def session_id(self) -> Optional[int]:
        return self.client.client_id[0] if self.client.client_id else None

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def retry(self, func: Callable, *args, **kwargs):
        """Run one ZooKeeper call with the bounded retry policy (a copy per call: thread-safe);
        ``ZkUnavailable`` when the ensemble stays unreachable."""
        try:
            return self._retry.copy()(func, *args, **kwargs)
        except (RetryFailedError, ConnectionClosedError) as exc:
            raise ZkUnavailable(f"ZooKeeper at {self.hosts} unavailable: {exc}") from exc

    def _on_state(self, state: str) -> None:
        # runs on kazoo's event thread: must not block; real work is spawned
        if state == KazooState.LOST:
            self._session_lost = True
            with self._guard:
                for held in self._held:
                    held._lost.set()
        elif state == KazooState.CONNECTED and self._session_lost:
            self._session_lost = False
            if self._registrations:
                self.client.handler.spawn(self._reregister)

    # ------------------------------------------------------------ shared configuration
    def push_config(self, name: str, data: dict) -> int:
        """Create or replace configuration ``name``; return its new version (0 when created)."""
        if not isinstance(data, dict):
            raise TypeError("a configuration is a JSON object (dict)")
        path = self.path("config", check_name(name, "config name"))
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")

        return self.retry(self.upsert, path, payload)

    def upsert(self, path: str, payload: bytes) -> int:
        """Write ``payload`` at ``path`` whether the node exists yet or not; the node's new
        version.  One attempt: callers wrap it in :meth:`retry`."""
        try:
            return self.client.set(path, payload).version
        except NoNodeError:
            try:
                self.client.create(path, payload, makepath=True)
                return 0
            except NodeExistsError:  # created meanwhile by someone else: overwrite
                return self.client.set(path, payload).version

    def get_config(self, name: str) -> tuple[dict, int]:
        """``(data, version)`` of configuration ``name``; ``ConfigNotFound`` if there is none."""
        path = self.path("config", check_name(name, "config name"))
        try:
            raw, stat = self.retry(self.client.get, path)
        except NoNodeError:
            raise ConfigNotFound(f"no configuration {name!r} under {self.path('config')}") from None
        return _decode(raw, path), stat.version

    def config_names(self) -> list[str]:
        try:
            return sorted(self.retry(self.client.get_children, self.path("config")))
        except NoNodeError:
            return []

    def watch_config(self, name: str, callback: Callable[[Optional[dict], Optional[int]], Any]) -> DataWatch:
        """Call ``callback(data, version)`` now and after every change of configuration ``name``
        (``(None, None)`` while it does not exist). Watches deliver the latest value: versions
        written in quick succession may be skipped. Return ``False`` from the callback to stop.
        The callback runs on kazoo's event thread — keep it short."""
        path = self.path("config", check_name(name, "config name"))

        def on_change(raw, stat):
            data = _decode(raw, path) if stat is not None and raw else None
            return callback(data, stat.version if stat is not None else None)

        return DataWatch(self.client, path, on_change)

    # ------------------------------------------------------------ locks
    @contextlib.contextmanager
    def lock(self, name: str, identifier: Optional[str] = None, timeout: float = 30.0) -> Iterator[HeldLock]:
        """Hold the distributed lock ``name`` for the ``with`` body (e.g. one publish).

        Waits up to ``timeout`` seconds, then raises ``LockTimeout`` naming the holder. A lock
        held by a process that died is released when its session expires (``timeout`` of that
        process's coordinator). Yields a ``HeldLock``: call ``check()`` before committing."""
        path = self.path("locks", check_name(name, "lock name"))
        ident = identifier or self.identifier
        recipe = Lock(self.client, path, identifier=ident)
        try:
            acquired = recipe.acquire(timeout=timeout)
        except KazooLockTimeout:
            acquired = False
        if not acquired:
            holders = self._contenders(recipe)
            raise LockTimeout(name, timeout, holders[0] if holders else None, holders[1:])
        held = HeldLock(name, ident)
        with self._guard:
            self._held.append(held)
        try:
            yield held
        finally:
            with self._guard:
                self._held.remove(held)
            try:
                recipe.release()
            except Exception as exc:  # session gone: the ephemeral node went with it
                log.warning("releasing lock %s: %s", name, exc)

    def _contenders(self, recipe: Lock) -> list[str]:
        try:
            return [c for c in self.retry(recipe.contenders) if c != ""]
        except NoNodeError:
            return []

    def lock_status(self) -> dict[str, list[str]]:
        """Every lock with contenders: ``{name: [holder, waiter, …]}``."""
        status = {}
        try:
            names = self.retry(self.client.get_children, self.path("locks"))
        except NoNodeError:
            return {}
        for name in sorted(names):
            contenders = self._contenders(Lock(self.client, self.path("locks", name)))
            if contenders:
                status[name] = contenders
        return status

    # ------------------------------------------------------------ service registry
    def register_service(self, name: str, endpoint: dict) -> str:
        """Announce ``endpoint`` (JSON object) under service ``name`` for this session's lifetime;
        return the entry's path. The entry is re-created if the session has to be replaced."""
        parent = self.path("services", check_name(name, "service name"))
        payload = json.dumps({**endpoint, "_registered_by": self.identifier},
                             ensure_ascii=False, sort_keys=True).encode("utf-8")
        created = self.retry(self.client.create, parent + "/member-", payload,
                             ephemeral=True, sequence=True, makepath=True)
        with self._guard:
            self._registrations[created] = (name, payload)
        return created

    def unregister_service(self, path: str) -> None:
        with self._guard:
            self._registrations.pop(path, None)
        try:
            self.retry(self.client.delete, path)
        except NoNodeError:
            pass

    def _reregister(self) -> None:
        """After a session expired: put this process's registry entries back."""
        with self._guard:
            old = dict(self._registrations)
            self._registrations.clear()
        for path, (name, payload) in old.items():
            try:
                created = self.retry(self.client.create, path.rsplit("/", 1)[0] + "/member-", payload,
                                     ephemeral=True, sequence=True, makepath=True)
                with self._guard:
                    self._registrations[created] = (name, payload)
                log.info("re-registered service %s as %s", name, created)
            except Exception as exc:
                log.error("could not re-register service %s: %s", name, exc)

    def services(self) -> dict[str, list[dict]]:
        """Live registry entries: ``{service name: [endpoint, …]}`` (in registration order)."""
        out: dict[str, list[dict]] = {}
        try:
            names = self.retry(self.client.get_children, self.path("services"))
        except NoNodeError:
            return out
        for name in sorted(names):
            parent = self.path("services", name)
            entries = []
            try:
                members = sorted(self.retry(self.client.get_children, parent))
            except NoNodeError:
                continue
            for member in members:
                try:
                    raw, _ = self.retry(self.client.get, f"{parent}/{member}")
                except NoNodeError:  # its session ended while we listed
                    continue
                entries.append(_decode(raw, f"{parent}/{member}"))
            if entries:
                out[name] = entries
        return out


def _decode(raw: bytes, path: str) -> dict:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ZkError(f"{path}: not a JSON document ({exc})") from exc


def coordinator_for(profile, hosts: Optional[str] = None, *, timeout: Optional[float] = None) -> ZkCoordinator:
    """A (not yet started) coordinator for the profile's ``state.hosts`` / ``state.root``
    (optional: ``state.session_timeout``, default 10 s; ``state.connect_timeout``, default 5 s);
    ``hosts`` overrides the profile (e.g. ``--zk``)."""
    hosts = hosts or profile.get("state.hosts")
    if not hosts:
        raise ZkError(f"profile {profile.name} names no ZooKeeper (state.hosts); "
                      "pass --zk HOST:PORT[,…] or use a profile with state.kind: zookeeper")
    # state.root is a directory in a local profile: the znode root then is the default one
    root = profile.get("state.root") if profile.get("state.kind") == "zookeeper" else None
    session = float(timeout or profile.get("state.session_timeout", 10.0))
    return ZkCoordinator(hosts, root=root or "/bayres", timeout=session,
                         connect_timeout=float(profile.get("state.connect_timeout", 5.0)))

