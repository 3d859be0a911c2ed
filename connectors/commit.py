"""Atomic replacement of output directories: write aside, then swap.

A zone or table directory (``curated/golden_resource/run_date=…``) is written complete under a
hidden sibling name (``.<name>.writing-<tag>``: Spark and Hive skip names starting with ``.`` or
``_``, so a reader of the parent never sees it), then swapped in:

* on local disk by ``renameat2(RENAME_EXCHANGE)`` — one system call exchanges the two
  directories, so a reader sees the old or the new one and never neither; the old one, now
  under the staging name, is deleted afterwards (a kill before that leaves only a hidden
  directory, removed by the next replacement);
* where the exchange is not available (another file system, another OS, HDFS), by two renames —
  ``final`` → ``.<name>.old-<tag>``, staging → ``final`` — and :func:`recover` (called before
  every replacement) puts the old directory back if a kill fell between the two renames, so the
  next run starts from the last complete state.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Callable, Optional

log = logging.getLogger(__name__)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_renameat2: Optional[Callable] = None
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    _renameat2 = _libc.renameat2
    _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    _renameat2.restype = ctypes.c_int
except (OSError, AttributeError):  # not glibc ≥ 2.28: the two-rename fallback
    _renameat2 = None


def exchange(a: os.PathLike | str, b: os.PathLike | str) -> bool:
    """Atomically exchange two existing paths; False when the system cannot (then nothing
    happened)."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), f"{a} <-> {b}")


def _tag(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", run_id) or "run"


def staging_path(final: Path, run_id: str = "") -> Path:
    """The hidden sibling a replacement of ``final`` is written into."""
    return final.with_name(f".{final.name}.writing-{_tag(run_id or str(os.getpid()))}")


def recover(final: Path) -> list[str]:
    """Repair what a killed replacement of ``final`` left: the old directory put back when
    ``final`` is missing, leftover hidden staging / old directories deleted."""
    done = []
    parent = final.parent
    if not parent.is_dir():
        return done
    old_prefix, writing_prefix = f".{final.name}.old-", f".{final.name}.writing-"
    leftovers = sorted(p for p in parent.iterdir()
                       if p.name.startswith(old_prefix) or p.name.startswith(writing_prefix))
    if not final.exists():
        olds = [p for p in leftovers if p.name.startswith(old_prefix)]
        if olds:
            os.rename(olds[-1], final)
            leftovers.remove(olds[-1])
            done.append(f"restored {final} from {olds[-1].name}")
            log.warning("restored %s, left missing by a replacement that was killed", final)
    for p in leftovers:
        _remove(p)
        done.append(f"removed {p}")
    return done


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def replace_directory(staging: Path, final: Path) -> None:
    """Swap the complete directory ``staging`` in for ``final`` (created when absent)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if not final.exists():
        os.rename(staging, final)
        return
    if exchange(staging, final):
        _remove(staging)  # the old content, under the hidden staging name
        return
    old = final.with_name(f".{final.name}.old-{staging.name.rpartition('-')[2]}")
    os.rename(final, old)
    try:
        os.rename(staging, final)
    except BaseException:
        os.rename(old, final)
        raise
    _remove(old)


def write_directory(final: Path, write: Callable[[Path], None], run_id: str = "") -> None:
    """Recover, write a fresh staging directory with ``write(staging)``, swap it in; on error the
    staging directory is removed and ``final`` is untouched."""
    recover(final)
    staging = staging_path(final, run_id)
    _remove(staging)
    try:
        write(staging)
        replace_directory(staging, final)
    except BaseException:
        _remove(staging)
        raise


# ---------------------------------------------------------------- Spark outputs

def local_path(uri: str) -> Optional[Path]:
    """The local path of a ``file:`` URI or a plain path; None for other file systems."""
    if uri.startswith("file://"):
        return Path(uri[len("file://"):])
    if "://" in uri:
        return None
    return Path(uri)


def write_spark_directory(df, uri: str, run_id: str = "") -> None:
    """``df`` as Parquet at ``uri``, replacing it atomically (see the module notes): local paths
    by exchange, other file systems (HDFS) by two renames through Hadoop's FileSystem, with the
    same recovery."""
    path = local_path(uri)
    if path is not None:
        write_directory(path, lambda staging: df.write.parquet("file://" + str(staging)), run_id)
        return
    _HadoopDirectory(df.sparkSession, uri).write(df, run_id)


class _HadoopDirectory:
    """The two-rename replacement on a Hadoop file system (no exchange there)."""

    def __init__(self, spark, uri: str):
        jvm = spark._jvm
        self.Path = jvm.org.apache.hadoop.fs.Path
        self.final = self.Path(uri)
        self.fs = self.final.getFileSystem(spark._jsc.hadoopConfiguration())
        parent, name = self.final.getParent(), self.final.getName()
        self.parent, self.name = parent, name

    def _sibling(self, kind: str, run_id: str):
        return self.Path(self.parent, f".{self.name}.{kind}-{_tag(run_id or str(os.getpid()))}")

    def recover(self) -> None:
        if not self.fs.exists(self.parent):
            return
        names = sorted(s.getPath().getName() for s in self.fs.listStatus(self.parent))
        old = [n for n in names if n.startswith(f".{self.name}.old-")]
        if old and not self.fs.exists(self.final):
            self.fs.rename(self.Path(self.parent, old[-1]), self.final)
            names.remove(old[-1])
            log.warning("restored %s, left missing by a replacement that was killed", self.final)
        for n in names:
            if n.startswith(f".{self.name}.old-") or n.startswith(f".{self.name}.writing-"):
                self.fs.delete(self.Path(self.parent, n), True)

    def write(self, df, run_id: str) -> None:
        self.recover()
        staging, old = self._sibling("writing", run_id), self._sibling("old", run_id)
        self.fs.delete(staging, True)
        try:
            df.write.parquet(staging.toString())
            if self.fs.exists(self.final):
                if not self.fs.rename(self.final, old):
                    raise OSError(f"cannot move {self.final} aside")
            if not self.fs.rename(staging, self.final):
                self.fs.rename(old, self.final)
                raise OSError(f"cannot rename {staging} to {self.final}")
        except BaseException:
            self.fs.delete(staging, True)
            raise
        self.fs.delete(old, True)
