"""The lake: the same directory layout on local disk (``LocalLake``, file://) or on HDFS
(``HdfsLake``, WebHDFS through HdfsCLI).

Paths given to a lake are relative POSIX paths under its root (``raw/gz/instruments/2024-06-01``).
Run directories are published atomically: written as ``<dir>.tmp-<run_id>`` and renamed; an
existing directory for the same run date is exchanged with the new one in one system call on
local disk (``renameat2(RENAME_EXCHANGE)``, :mod:`bayres.connectors.commit`), elsewhere renamed
away before the new one is renamed in; the old one is then deleted — readers see the old or the
new directory, never a partial one. What a killed run leaves (``.tmp-`` / ``.old-``
directories, a run directory moved aside but not replaced) is repaired by :meth:`Lake.recover`
at the start of the source's next run.
"""
from __future__ import annotations

import abc
import contextlib
import json
import logging
import os
import posixpath
import re
import shutil
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import urlsplit

MANIFEST = "_manifest.json"

log = logging.getLogger(__name__)


def _tag(run_id: str) -> str:
    """A run id usable in a path name (HDFS refuses ':' in names; Airflow run ids have them)."""
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", run_id)


class Lake(abc.ABC):
    """File-system operations the pipeline needs, on relative paths under the lake root."""

    @staticmethod
    def join(*parts: str) -> str:
        path = posixpath.join(*parts)
        if path.startswith("/") or ".." in path.split("/"):
            raise ValueError(f"lake paths are relative and stay under the root: {path!r}")
        return path

    @abc.abstractmethod
    def uri(self, path: str = "") -> str:
        """Absolute URI of ``path`` for Spark / Hive (``file:///…``, ``webhdfs://…``)."""

    @abc.abstractmethod
    def exists(self, path: str) -> bool: ...

    @abc.abstractmethod
    def list(self, path: str) -> list[str]:
        """Sorted names of the entries of a directory."""

    @abc.abstractmethod
    def makedirs(self, path: str) -> None: ...

    @abc.abstractmethod
    def write_bytes(self, path: str, data: bytes) -> None:
        """Create or replace a file."""

    @abc.abstractmethod
    def put_file(self, local_path: Path, path: str) -> None:
        """Move a local file into the lake (the local copy may be consumed)."""

    @abc.abstractmethod
    def read_bytes(self, path: str) -> bytes: ...

    @abc.abstractmethod
    def rename(self, src: str, dst: str) -> None:
        """Rename; ``dst`` must not exist."""

    @abc.abstractmethod
    def delete(self, path: str) -> None:
        """Delete a file or a directory tree; nothing happens if it does not exist."""

    def read_manifest(self, run_dir: str) -> dict:
        return json.loads(self.read_bytes(self.join(run_dir, MANIFEST)).decode("utf-8"))

    def recover(self, parent: str) -> list[str]:
        """Repair what runs killed while writing under ``parent`` left: a ``<name>.old-<tag>``
        whose ``<name>`` is missing (killed between the two renames of :meth:`publish`) is
        renamed back; other ``.old-`` and every ``.tmp-`` directory is deleted. Returns what it
        did. Call it only while no run writes under ``parent`` (hold the source's lock)."""
        done = []
        entries = self.list(parent) if self.exists(parent) else []
        for entry in entries:
            name, sep, _ = entry.partition(".old-")
            if sep and name not in entries and not self.exists(self.join(parent, name)):
                self.rename(self.join(parent, entry), self.join(parent, name))
                done.append(f"restored {parent}/{name} from {entry}")
                log.warning("restored %s/%s from %s, left by a run killed while replacing it",
                            parent, name, entry)
        for entry in self.list(parent) if entries else []:
            if ".tmp-" in entry or ".old-" in entry:
                self.delete(self.join(parent, entry))
                done.append(f"removed {parent}/{entry}")
                log.warning("removed %s/%s, left by a run that did not finish", parent, entry)
        return done

    def publish(self, staging: str, final: str, run_id: str) -> None:
        """Rename a complete staging directory to ``final``, replacing an existing one."""
        parent = posixpath.dirname(final)
        if parent:
            self.makedirs(parent)
        if not self.exists(final):
            self.rename(staging, final)
            return
        old = f"{final}.old-{_tag(run_id)}"
        self.delete(old)
        self.rename(final, old)
        try:
            self.rename(staging, final)
        except BaseException:
            self.rename(old, final)
            raise
        self.delete(old)

    @contextlib.contextmanager
    def staged_directory(self, final: str, run_id: str) -> Iterator[str]:
        """Yield ``<final>.tmp-<run_id>`` to write into; publish it on success, remove it on error."""
        staging = f"{final}.tmp-{_tag(run_id)}"
        self.delete(staging)  # left over by a crashed attempt of this same run
        self.makedirs(staging)
        try:
            yield staging
            self.publish(staging, final, run_id)
        except BaseException:
            self.delete(staging)
            raise


class LocalLake(Lake):
    """The lake on local disk (``local`` profile)."""

    def __init__(self, root: os.PathLike | str):
        self.root = Path(root).resolve()

    def _abs(self, path: str) -> Path:
        return self.root / self.join(path) if path else self.root

    def uri(self, path: str = "") -> str:
        return self._abs(path).as_uri()

    def exists(self, path: str) -> bool:
        return self._abs(path).exists()

    def list(self, path: str) -> list[str]:
        return sorted(os.listdir(self._abs(path)))

    def makedirs(self, path: str) -> None:
        self._abs(path).mkdir(parents=True, exist_ok=True)

    def write_bytes(self, path: str, data: bytes) -> None:
        target = self._abs(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, target)

    def put_file(self, local_path: Path, path: str) -> None:
        target = self._abs(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(os.fspath(local_path), target)

    def publish(self, staging: str, final: str, run_id: str) -> None:
        """Exchange the staging and the published directory in one system call when the latter
        exists (readers never find the run directory missing), then delete the old one, now
        under the staging name; the two-rename replacement where the exchange is unavailable."""
        from .commit import exchange

        self._abs(final).parent.mkdir(parents=True, exist_ok=True)
        if self.exists(final) and exchange(self._abs(staging), self._abs(final)):
            self.delete(staging)
            return
        super().publish(staging, final, run_id)

    def read_bytes(self, path: str) -> bytes:
        return self._abs(path).read_bytes()

    def rename(self, src: str, dst: str) -> None:
        target = self._abs(dst)
        if target.exists():
            raise FileExistsError(target)
        os.rename(self._abs(src), target)

    def delete(self, path: str) -> None:
        target = self._abs(path)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


class HdfsLake(Lake):
    """The lake on HDFS through WebHDFS (``cluster`` profile), same layout under ``root``.

    ``url`` is the NameNode's WebHDFS endpoint (``http://namenode:9870``); ``default_fs`` is
    the URI Spark should use for paths (``hdfs://namenode:8020``), default ``webhdfs://``.
    """

    def __init__(self, url: str, root: str, user: Optional[str] = None, *,
                 default_fs: Optional[str] = None, client=None):
        if client is None:
            from hdfs import InsecureClient

            client = InsecureClient(url, user=user)
        self.client = client
        self.root = "/" + root.strip("/")
        if default_fs is None:
            parts = urlsplit(url)
            default_fs = f"{'swebhdfs' if parts.scheme == 'https' else 'webhdfs'}://{parts.netloc}"
        self.default_fs = default_fs.rstrip("/")

    def _abs(self, path: str) -> str:
        return posixpath.join(self.root, self.join(path)) if path else self.root

    def uri(self, path: str = "") -> str:
        return self.default_fs + self._abs(path)

    def exists(self, path: str) -> bool:
        return self.client.status(self._abs(path), strict=False) is not None

    def list(self, path: str) -> list[str]:
        return sorted(self.client.list(self._abs(path)))

    def makedirs(self, path: str) -> None:
        self.client.makedirs(self._abs(path))

    def write_bytes(self, path: str, data: bytes) -> None:
        self.client.write(self._abs(path), data=data, overwrite=True)

    def put_file(self, local_path: Path, path: str) -> None:
        self.client.upload(self._abs(path), os.fspath(local_path), overwrite=True)
        Path(local_path).unlink()

    def read_bytes(self, path: str) -> bytes:
        with self.client.read(self._abs(path)) as reader:
            return reader.read()

    def rename(self, src: str, dst: str) -> None:
        # WebHDFS moves src *into* dst when dst is a directory: refuse instead
        if self.exists(dst):
            raise FileExistsError(self._abs(dst))
        self.client.rename(self._abs(src), self._abs(dst))

    def delete(self, path: str) -> None:
        self.client.delete(self._abs(path), recursive=True)


def lake_for(profile) -> Lake:
    """The lake of a profile: ``lake.kind: hdfs`` (WebHDFS ``lake.url``, root ``lake.root``, as
    ``lake.user``) or a local directory ``lake.root``."""
    if profile.get("lake.kind") == "hdfs":
        return HdfsLake(str(profile.get("lake.url")), str(profile.get("lake.root")),
                        str(profile.get("lake.user")))
    return LocalLake(profile.path("lake.root"))
