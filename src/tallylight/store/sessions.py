"""Sessions as the CLI and the GUI see them: list, show, read, delete (export: tallylight.share.export)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tallylight.errors import StoreError, UsageError
from tallylight.events import Event, SessionInfo
from tallylight.fsutil import is_locked, shred_file, sync_dir
from tallylight.i18n import _
from tallylight.store import rewrite
from tallylight.store.encoding import EventColumns
from tallylight.store.layout import (
    KEY_FILE,
    LOCK_FILE,
    being_recorded,
    data_root,
    session_entries,
    session_path,
)
from tallylight.store.reader import Keys, Report, SessionData, Verdict, read_session, verify_session


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    path: Path
    size_bytes: int
    recording: bool
    info: SessionInfo | None
    report: Report | None

    @property
    def verdict(self) -> Verdict | None:
        return self.report.verdict if self.report else None


def session_dir(session_id: str, data_dir: Path | None = None) -> Path:
    """The directory of an existing session; UsageError if there is none."""
    d = session_path(session_id, data_dir)
    if not d.is_dir():
        raise UsageError(_("There is no session {session_id}.").format(session_id=session_id))
    return d


def session_ids(data_dir: Path | None = None) -> list[str]:
    """Every session's id (stray entries of the sessions folder are left out: :func:`stray_entries`)."""
    return session_entries(data_dir)[0]


def stray_entries(data_dir: Path | None = None) -> list[str]:
    """Names in the sessions folder that are not sessions (skipped, and worth telling the participant)."""
    return session_entries(data_dir)[1]


def _size(d: Path) -> int:
    return sum(p.stat().st_size for p in d.iterdir() if p.is_file())


def summary(session_id: str, keys: Keys | None, data_dir: Path | None = None) -> SessionSummary:
    """Facts about one session; with its key (a key source or the vault), also its
    (verified) info and verdict."""
    d = session_dir(session_id, data_dir)
    rewrite.settle(d)
    info = report = None
    if keys is not None:
        report, data = verify_session(d, keys)
        info = data.info if data else None
    return SessionSummary(session_id, d, _size(d), being_recorded(d), info, report)


def list_sessions(keys: Keys | None = None, data_dir: Path | None = None) -> list[SessionSummary]:
    return [summary(s, keys, data_dir) for s in session_ids(data_dir)]


def read(
    session_id: str,
    keys: Keys,
    data_dir: Path | None = None,
    on_chunk: Callable[[EventColumns], None] | None = None,
) -> SessionData:
    """The authenticated session (AuthenticationError if it does not authenticate).

    ``on_chunk``: the events a piece at a time instead of kept (``reader.verify_session``)."""
    d = rewrite.settled(session_dir(session_id, data_dir))  # a committed new version is finished first
    return read_session(d, keys, on_chunk)


#: what :func:`version_stamp` gives: each file of a session with its modification time and size
Stamp = tuple[tuple[str, int, int], ...]


def version_stamp(session_id: str, data_dir: Path | None = None) -> Stamp | None:
    """What changes when a session is rewritten (a cut, an undo), or None when it is gone.

    The names, times and sizes of its files, nothing read: an open review window
    asks it when the data folder changes, to tell whether what it shows is still
    what is stored (cut or deleted elsewhere)."""
    try:
        with os.scandir(session_path(session_id, data_dir)) as entries:
            files = [(e.name, e.stat(follow_symlinks=False)) for e in entries]
    except (FileNotFoundError, NotADirectoryError):
        return None
    return tuple(sorted((name, st.st_mtime_ns, st.st_size) for name, st in files))


def read_columns(
    session_id: str, keys: Keys, data_dir: Path | None = None
) -> tuple[SessionInfo | None, Report, EventColumns]:
    """(info, report, numpy columns) for review windows."""
    data = read(session_id, keys, data_dir)
    return data.info, data.report, data.columns()


def iter_events(session_id: str, keys: Keys, data_dir: Path | None = None) -> Iterator[Event]:
    return read(session_id, keys, data_dir).events()


def check_export_target(out: Path, data_dir: Path | None = None, what: str = "An export") -> Path:
    """The absolute export path; UsageError if it lies inside the data directory.

    Writing there could replace the vault or a session file (every session lost).
    """
    target = Path(os.path.abspath(out))
    base = Path(os.path.realpath(data_root(data_dir)))
    where = Path(os.path.realpath(target.parent)) / target.name
    if (
        where == base
        or base in where.parents
        or target == data_root(data_dir)
        or data_root(data_dir) in target.parents
    ):
        raise UsageError(
            _(
                "{what} may not be written inside Tallylight's data folder ({data_dir}); choose a path "
                "outside it."
            ).format(what=what, data_dir=data_root(data_dir))
        )
    return target


def delete(session_id: str, data_dir: Path | None = None) -> None:
    """Destroy the session's wrapped key (overwrite, flush, unlink), then its files.

    Once the key file is gone no one can decrypt the segments, even if removing
    them is interrupted. Refuses a session that is being recorded. The participant's
    deletes come through ``share.edits.delete_session``, which drops the outbox's
    bundles that hold the session first.
    """
    d = session_dir(session_id, data_dir)
    if is_locked(d / LOCK_FILE):
        raise StoreError(
            _("Session {session_id} is being recorded; stop it before deleting it.").format(
                session_id=session_id
            )
        )
    try:
        shred_file(d / KEY_FILE)
        shutil.rmtree(d)
        sync_dir(d.parent)
    except OSError as exc:
        raise StoreError(
            _("Session {session_id} could not be fully deleted ({strerror}).").format(
                session_id=session_id, strerror=exc.strerror
            )
        ) from None
