"""Drop folders: where the platforms deliver their file feeds — a local directory (``local``
profile) or an HDFS directory read through WebHDFS (``cluster`` profile, ``sources.feeds_kind:
hdfs``).

A drop folder lists the files that match a source's ``file.path`` glob (relative to the folder;
``*``, ``?`` and ``[…]`` within one path segment, no ``**``) as ``(name, handle)`` pairs sorted
by name — ``name`` is the path relative to the folder, which the raw zone's locations and the
processed-file ledger use — and gives a local file for a handle with :meth:`local_copy`. Files on
HDFS are copied into a local spool first (the feed readers need seekable local files: xlsx is a
zip); one that changes while copied raises :class:`FileChanged`.

A local drop folder resolves every path it lists (symbolic links and the folders on the way):
a file whose real path leaves the folder — a link to a system file, a linked folder pointing
elsewhere — is listed, so that the run says so, but :meth:`LocalDropFolder.local_copy` refuses
it with :class:`OutsideDropFolder` before anything opens it (the extraction quarantines it with
that reason, no size, no checksum). The real path is then opened one segment at a time from the
folder's own descriptor with ``O_NOFOLLOW`` (``openat``: no symbolic link is followed at any
level), checked to be a regular file on the descriptor itself (``fstat``) and copied into the
spool from that descriptor — the readers only ever see the spool copy. A file or folder swapped
for a link between the check and the open is therefore refused, never followed (no TOCTOU).

An HDFS drop folder refuses the same way: a listed entry that is not a plain file (a symbolic
link, should the cluster allow them), a name with ``.``/``..``/``.reserved`` segments, a path
whose normal form leaves the folder, and a file replaced (another inode id) between the listing
and the copy.
"""
from __future__ import annotations

import errno
import fnmatch
import os
import posixpath
import shutil
import stat
from pathlib import Path, PurePosixPath
from typing import Optional

_GLOB_CHARS = set("*?[")
#: path segments a drop folder never follows: HDFS resolves /.reserved/.inodes/<id> to any file
_UNSAFE_SEGMENTS = (".", "..", ".reserved")


def check_pattern(pattern: str) -> list[str]:
    """The segments of a relative glob; refuses absolute paths and ``..``."""
    parts = PurePosixPath(pattern).parts
    if not parts or PurePosixPath(pattern).is_absolute() or ".." in parts or "**" in parts:
        raise ValueError(f"file.path must be a glob relative to feeds_root (no '..' or '**'): {pattern!r}")
    return list(parts)


class FileChanged(Exception):
    """A file changed while it was being copied out of the drop folder."""


class OutsideDropFolder(Exception):
    """A listed path resolves outside the drop folder (or to something that is not a regular
    file); it is refused unopened."""


_NOFOLLOW = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_inside(root: Path, parts: tuple[str, ...], name: str) -> int:
    """A read-only descriptor of the regular file ``root/parts…``, every segment opened from its
    folder's descriptor with ``O_NOFOLLOW`` (folders also ``O_DIRECTORY``, the file
    ``O_NONBLOCK`` so a FIFO cannot block): a symbolic link anywhere below ``root`` — one
    swapped in after the path was checked — makes the open fail, and the file is refused."""
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise OutsideDropFolder(f"refused, not opened: {name} is not a path inside the drop folder")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            flags = _NOFOLLOW | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                nxt = os.open(part, flags, dir_fd=fd)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise OutsideDropFolder(
                        f"refused, not opened: {name}: {'/'.join(parts[:i + 1])} was replaced by a "
                        "symbolic link (or a non-folder) after the path was checked; not followed") from e
                raise OutsideDropFolder(f"refused, not opened: {name}: {e.strerror}") from e
            os.close(fd)
            fd = nxt
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutsideDropFolder(f"refused, not opened: {name} is not a regular file")
        os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


class LocalDropFolder:
    def __init__(self, root: os.PathLike | str):
        self.root = Path(root)

    def files(self, pattern: str) -> list[tuple[str, Path]]:
        """Regular files and symbolic links matching ``pattern`` (links are checked, and
        refused when they leave the folder, by :meth:`local_copy`)."""
        check_pattern(pattern)
        found = [(p.relative_to(self.root).as_posix(), p) for p in self.root.glob(pattern)
                 if p.is_symlink() or p.is_file()]
        return sorted(found)

    def local_copy(self, name: str, handle: Path, spool: Path) -> Path:
        """A spool copy of ``handle``, read from a descriptor opened without following any link,
        once it is known to be a regular file inside the folder."""
        root = self.root.resolve()
        try:
            real = handle.resolve(strict=True)
        except (OSError, RuntimeError) as e:  # a dangling link or a loop
            raise OutsideDropFolder(f"refused, not opened: {name} does not resolve ({type(e).__name__})") from e
        if not real.is_relative_to(root):
            raise OutsideDropFolder(f"refused, not opened: {name} resolves outside the drop folder "
                                    f"(to {real})")
        local = Path(spool, "drop", *name.split("/"))
        local.parent.mkdir(parents=True, exist_ok=True)
        fd = open_inside(root, real.relative_to(root).parts, name)
        with os.fdopen(fd, "rb") as src:
            before = os.fstat(src.fileno())
            with open(local, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            after = os.fstat(src.fileno())
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) \
                or local.stat().st_size != after.st_size:
            raise FileChanged("file changed while it was copied out of the drop folder")
        return local

    def __repr__(self) -> str:
        return f"LocalDropFolder({self.root})"


class HdfsDropFolder:
    """A drop folder on HDFS; ``client`` is an HdfsCLI client (``hdfs.InsecureClient``).

    HDFS has no descriptor to hold, but it has inode paths: a listed file is read as
    ``/.reserved/.inodes/<fileId>`` — exactly the file the listing saw, whatever is renamed onto
    its name meanwhile — and its name must still hold that inode, unchanged, after the copy.
    Entries that are not plain files (``SYMLINK``: HDFS refuses to create them unless a cluster
    enables them, but a listing may show one) are listed and refused unopened, like a local link
    that leaves the folder; so are names whose segments are ``.``, ``..`` or ``.reserved``."""

    def __init__(self, root: str, *, url: Optional[str] = None, user: Optional[str] = None, client=None):
        if client is None:
            from hdfs import InsecureClient

            client = InsecureClient(url, user=user)
        self.client = client
        parts = [p for p in str(root).split("/") if p]
        if any(p in _UNSAFE_SEGMENTS for p in parts):
            raise ValueError(f"HDFS drop folder {root!r}: no '.', '..' or '.reserved' segments")
        self.root = "/" + "/".join(parts)

    def _status(self, path: str) -> Optional[dict]:
        return self.client.status(path, strict=False)

    def _matches(self, base: list[str], pattern: list[str]) -> list[tuple[str, dict]]:
        """(relative name, FileStatus) of every entry that is not a folder matching the glob
        segments ``pattern`` below ``base`` (folders are walked, not listed)."""
        fixed = 0
        while fixed < len(pattern) and not (_GLOB_CHARS & set(pattern[fixed])):
            fixed += 1
        if fixed:  # leading segments without a glob: one status call for all of them
            rel = base + pattern[:fixed]
            status = self._status(posixpath.join(self.root, *rel))
            if status is None:
                return []
            if fixed == len(pattern):
                return [("/".join(rel), status)] if status["type"] != "DIRECTORY" else []
            if status["type"] != "DIRECTORY":
                return []
            return self._matches(rel, pattern[fixed:])
        directory = posixpath.join(self.root, *base)
        if not base and (self._status(directory) or {}).get("type") != "DIRECTORY":
            return []  # (below the root, only folders a status or a listing showed get here)
        found = []
        for name, status in self.client.list(directory, status=True):
            if not fnmatch.fnmatchcase(name, pattern[0]):
                continue
            if len(pattern) == 1:
                if status["type"] != "DIRECTORY":
                    found.append(("/".join(base + [name]), status))
            elif status["type"] == "DIRECTORY":
                found += self._matches(base + [name], pattern[1:])
        return found

    def files(self, pattern: str) -> list[tuple[str, dict]]:
        """Files (and links, refused by :meth:`local_copy`) matching ``pattern``."""
        return sorted(self._matches([], check_pattern(pattern)))

    def local_copy(self, name: str, handle: dict, spool: Path) -> Path:
        """Copy ``name`` into ``spool`` by its inode; ``handle`` is its FileStatus when listed."""
        parts = name.split("/")
        remote = posixpath.join(self.root, *parts)
        if any(p in _UNSAFE_SEGMENTS or not p for p in parts) or posixpath.normpath(remote) != remote \
                or not remote.startswith(self.root.rstrip("/") + "/"):
            raise OutsideDropFolder(f"refused, not opened: {name} is not a path inside the drop folder")
        kind = handle.get("type")
        if kind != "FILE":
            target = f" (to {handle['symlink']})" if handle.get("symlink") else ""
            raise OutsideDropFolder(f"refused, not opened: {name} is a {str(kind).lower()}{target}, "
                                    "not a regular file")
        file_id = handle.get("fileId")
        source = f"/.reserved/.inodes/{file_id}" if file_id is not None else remote
        local = Path(spool, "drop", *parts)
        local.parent.mkdir(parents=True, exist_ok=True)
        from hdfs.util import HdfsError

        try:
            with self.client.read(source) as reader, open(local, "wb") as f:
                shutil.copyfileobj(reader, f, 1 << 20)
        except HdfsError as e:
            if "not exist" in str(e) or "FileNotFound" in str(e):
                raise FileChanged(f"file replaced or removed after it was listed: {e}") from e
            raise
        after = self._status(remote)
        if after is None or after.get("fileId") != file_id or after.get("type") != "FILE" \
                or (after["length"], after["modificationTime"]) != (handle["length"], handle["modificationTime"]) \
                or local.stat().st_size != handle["length"]:
            raise FileChanged("file changed while it was copied out of the HDFS drop folder "
                              "(or its name was given to another file)")
        return local

    def __repr__(self) -> str:
        return f"HdfsDropFolder({self.root})"


def drop_folder_for(profile):
    """The drop folder the profile's ``sources.feeds_kind`` (``local`` | ``hdfs``) names."""
    kind = profile.get("sources.feeds_kind", "local")
    if kind == "local":
        return LocalDropFolder(profile.path("sources.feeds_root"))
    if kind == "hdfs":
        return HdfsDropFolder(str(profile.get("sources.feeds_root")), url=str(profile.get("lake.url")),
                              user=profile.get("lake.user"))
    raise ValueError(f"profile {profile.name}: sources.feeds_kind must be local or hdfs, not {kind!r}")
