"""The publish lock: two runs never load the serving store and golden tables at once.

Cluster profile: a ZooKeeper lock (kazoo recipe, connectors/zookeeper.py) — a lock held by a
dead process goes with its session. Local profile: an exclusive ``flock`` on a file in the state
directory — released by the kernel when the holding process dies.
"""
from __future__ import annotations

import fcntl
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from .config import Profile


class PublishLockTimeout(TimeoutError):
    """Another run held the publish lock for longer than we were willing to wait."""


@contextmanager
def publish_lock(profile: Profile, run_id: str, timeout: float = 600.0) -> Iterator[Callable[[], None]]:
    """Hold the publish lock for the ``with`` body; yields ``check()`` to call before committing."""
    if profile.get("state.kind") == "zookeeper":
        from bayres.connectors.zookeeper import coordinator_for

        with coordinator_for(profile) as zk, zk.lock("publish", identifier=run_id, timeout=timeout) as held:
            yield held.check
        return
    root = profile.path("state.root")
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "publish.lock", "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.seek(0)
                    raise PublishLockTimeout(f"publish lock {root / 'publish.lock'} held by "
                                             f"{handle.read().strip() or 'another run'}") from None
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(run_id)
        handle.flush()
        try:
            yield lambda: None
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
