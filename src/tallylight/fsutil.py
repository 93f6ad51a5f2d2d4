"""Durable file operations and file locks: the only place that knows how each OS flushes.

fdatasync on Linux, F_FULLFSYNC on macOS (plain fsync there only reaches the
drive's cache), fsync (FlushFileBuffers) on Windows; a directory is flushed
after a file is created or renamed in it so the new name survives power loss.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tallylight.errors import StorageFull, StoreError
from tallylight.i18n import _

_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}

try:  # POSIX advisory locks; Windows has none we need (one writer per session there)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # no fcntl module on Windows: checked before each use


def sync_file(fd: int) -> None:
    if sys.platform == "darwin":
        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)  # type: ignore[union-attr,attr-defined]  # macOS only
            return
        except OSError:
            pass
        os.fsync(fd)
    elif hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:
        os.fsync(fd)


def sync_dir(path: Path) -> None:
    if os.name == "nt":
        return  # directories cannot be opened for flushing; NTFS journals renames
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), mode)
    try:
        write_all(fd, data)
        sync_file(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)
    sync_dir(path.parent)


@contextlib.contextmanager
def create_private(target: Path, *, replace: bool = False) -> Iterator[IO[str]]:
    """A new text file at ``target``, readable only by the user, that appears whole or not at all.

    Written to a temporary file beside ``target`` (``O_CREAT|O_EXCL|O_NOFOLLOW``,
    mode 0600 whatever the umask), flushed, then put in place: renamed over
    ``target`` when ``replace``, else linked so an existing file is never replaced
    (FileExistsError). A link at ``target`` is replaced, never followed.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        with open(fd, "w", encoding="utf-8", newline="", closefd=False) as fh:
            yield fh
            fh.flush()
        sync_file(fd)
        os.close(fd)
        fd = -1
        if replace:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target, follow_symlinks=False)
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT, some network file systems)
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
                os.rename(tmp, target)
        sync_dir(target.parent)
    finally:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def shred_file(path: Path) -> None:
    """Overwrite with zeros, flush, unlink, flush the folder (a key file or a consent record:
    nobody can decrypt what it protected afterwards). A missing file is fine."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    try:
        write_all(fd, b"\0" * os.fstat(fd).st_size)
        sync_file(fd)
    finally:
        os.close(fd)
    os.unlink(path)
    sync_dir(path.parent)


def storage_error(exc: OSError, what: str) -> StoreError:
    """A user-facing error for a failed write; StorageFull when space ran out."""
    if exc.errno in _FULL:
        return StorageFull(
            _(
                "The disk is full (or a size limit was reached) while {what}; everything saved before that "
                "is kept."
            ).format(what=what)
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreError(
            _(
                "Tallylight may not write its data folder while {what} ({strerror}); everything saved "
                "before that is kept."
            ).format(what=what, strerror=exc.strerror)
        )
    return StoreError(
        _("Writing failed while {what} ({strerror}); everything saved before that is kept.").format(
            what=what, strerror=exc.strerror or exc
        )
    )


class FileLock:
    """An exclusive advisory lock on a file, released when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
        self.fd = fd
        return True

    def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a holder that is expected to let go soon."""
        deadline = time.monotonic() + timeout
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)  # flock has no timed wait; a holder's moment is far longer
        return True

    def release(self, *, unlink: bool = False) -> None:
        if self.fd is None:
            return
        if unlink:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        os.close(self.fd)
        self.fd = None


def is_locked(path: Path) -> bool:
    """True if a live process holds the lock at ``path``."""
    if fcntl is None or not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
