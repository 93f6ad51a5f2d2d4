"""Replace a session by a new version of itself, crash-safely (docs/FORMAT.md section 11).

Used to *compact* a stopped session into large records (reading it is then a few
numpy calls instead of thousands of small records) and to *cut* a span out of it.
Every new version gets a new session key; the old key file is overwritten and
removed, so the old version cannot be decrypted afterwards.

Crash safety: the new version is written completely into ``next/`` and made
durable; writing ``next/commit.json`` is the single commit point. Before it, the
old version is the session (a leftover ``next/`` is discarded); after it, the new
one is, and :func:`settle` finishes moving it into place (idempotently, so a
crash while moving is finished by the next :func:`settle`). Every reader settles
a session before reading it, so a kill at any moment leaves exactly one version.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tallylight.errors import StoreError
from tallylight.events import SessionInfo, StopReason
from tallylight.fsutil import FileLock, atomic_write, shred_file, storage_error, sync_dir
from tallylight.i18n import _
from tallylight.store import crypto, index
from tallylight.store.encoding import EventColumns
from tallylight.store.layout import CLOSED_FILE, KEY_FILE, LOCK_FILE, SEGMENT_RE, Closure, write_closure
from tallylight.store.writer import SessionWriter, encode_info

NEXT_DIR = "next"
COMMIT_FILE = "commit.json"
#: Events per record of a rewritten session (well inside the format's limits).
EVENTS_PER_RECORD = 1 << 18
#: A version's files, besides its segments.
VERSION_FILES = (KEY_FILE, CLOSED_FILE, index.SUMMARY_FILE)


def _version_file(name: str) -> bool:
    return name in VERSION_FILES or bool(SEGMENT_RE.match(name))


def _discard(nxt: Path) -> None:
    shred_file(nxt / KEY_FILE)
    shutil.rmtree(nxt, ignore_errors=True)


def _commit(nxt: Path) -> list[str] | None:
    try:
        doc = json.loads((nxt / COMMIT_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    files = doc.get("files") if isinstance(doc, dict) and doc.get("format") == "tallylight-version" else None
    if (
        not isinstance(files, list)
        or KEY_FILE not in files
        or not all(isinstance(f, str) and _version_file(f) for f in files)
    ):
        return None
    return files


def settle(session_dir: Path, *, locked: bool = False) -> None:
    """Finish a committed new version, or discard an uncommitted one. Safe to call at any time.

    ``locked``: the caller holds the session's lock; otherwise it is taken here
    (and nothing is done while someone else holds it).
    """
    nxt = session_dir / NEXT_DIR
    if not nxt.is_dir():
        return
    lock = None
    if not locked:
        lock = FileLock(session_dir / LOCK_FILE)
        try:
            if not lock.try_acquire():
                return
        except OSError:
            return
    try:
        files = _commit(nxt)
        if files is None:
            _discard(nxt)
            sync_dir(session_dir)
            return
        if (nxt / KEY_FILE).exists():
            shred_file(session_dir / KEY_FILE)  # the old version can no longer be decrypted
        for p in session_dir.iterdir():
            if p.is_file() and _version_file(p.name) and p.name not in files:
                p.unlink()
        for name in files:
            if (nxt / name).exists():
                os.replace(nxt / name, session_dir / name)
        sync_dir(session_dir)
        (nxt / COMMIT_FILE).unlink()
        shutil.rmtree(nxt, ignore_errors=True)
        sync_dir(session_dir)
    except OSError as exc:
        raise storage_error(
            exc, _("finishing the new version of session {name}").format(name=session_dir.name)
        ) from None
    finally:
        if lock is not None:
            lock.release()


def settled(session_dir: Path) -> Path:
    """Settle the session and return its directory; StoreError if a committed version is still moving."""
    settle(session_dir)
    if _commit(session_dir / NEXT_DIR) is not None:
        raise StoreError(
            _("Session {name} is being changed right now; try again in a moment.").format(
                name=session_dir.name
            )
        )
    return session_dir


def _keep_key_time(old: Path, new: Path) -> None:
    """The new key file keeps the old one's time: while the sessions are locked, that time is all
    the list can say of when a session started, and a cut or undo made it the edit's time. (It
    leaks nothing new: it is the time the first key file was written.)"""
    try:
        st = old.stat()
    except FileNotFoundError:
        return
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))


def write_version(
    session_dir: Path,
    info: SessionInfo,
    cols: EventColumns,
    public_key: bytes,
    *,
    stop_reason: StopReason | None,
    closure: Closure | None = None,
    summary: dict[str, Any] | None = None,
    timing: dict[str, Any] | None = None,
    trials: Sequence[dict[str, Any]] = (),
) -> None:
    """Replace the session in ``session_dir`` by ``cols`` under a new key. The caller holds its lock.

    ``timing`` (the old version's TIMING record) is written again before END, and
    ``trials`` (the old version's task trials, less any cut) as one TRIALS record.

    ``stop_reason`` None writes no END record (a session recovered after a crash
    stays recovered): then ``closure`` (the old sidecar) is carried over, pointing
    at the new last segment.
    """
    settle(session_dir, locked=True)
    nxt = session_dir / NEXT_DIR
    if nxt.exists():
        _discard(nxt)
    try:
        nxt.mkdir(mode=0o700)
        sync_dir(session_dir)
        key, uid = os.urandom(32), os.urandom(16)
        atomic_write(nxt / KEY_FILE, crypto.wrap_session_key(key, uid, info.session_id, public_key))
        _keep_key_time(session_dir / KEY_FILE, nxt / KEY_FILE)
    except OSError as exc:
        raise storage_error(exc, _("writing a new version of the session")) from None
    lock = FileLock(nxt / LOCK_FILE)
    lock.try_acquire()
    w = SessionWriter(info, nxt, key, uid, lock, seal_interval_s=1e12, max_buffer_events=EVENTS_PER_RECORD)
    try:
        w.start(encode_info(info))
        w.write_columns(cols)
        if trials:
            w.write_trials(trials)
        if stop_reason is not None:
            if timing is not None:
                w.note_timing(timing)
            w.close(stop_reason)
        else:
            w.abandon()
            if closure is not None:
                write_closure(
                    nxt, dataclasses.replace(closure, segment=w.segment, records=w.records, size=w.size)
                )
        if summary is not None:
            index.write_summary(nxt, key, uid, summary, info.session_id)
        files = sorted(p.name for p in nxt.iterdir() if p.is_file() and _version_file(p.name))
        sync_dir(nxt)
        atomic_write(
            nxt / COMMIT_FILE,
            json.dumps({"format": "tallylight-version", "version": 1, "files": files}).encode(),
        )
        sync_dir(nxt)
    except (OSError, StoreError) as exc:
        w.abandon()
        _discard(nxt)
        if isinstance(exc, StoreError):
            raise
        raise storage_error(exc, _("writing a new version of the session")) from None
    settle(session_dir, locked=True)
