"""Find sessions a crash left unfinished and close them (docs/FORMAT.md section 8).

Needs no key: the frame structure and the record types are in the clear, so a
segment's whole records and its torn tail can be found without decrypting. A
session is closed by a small sidecar (``closed.json``) and never by writing to a
segment, so no nonce is ever used twice and no sealed byte is rewritten.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tallylight import words
from tallylight.fsutil import FileLock, is_locked
from tallylight.store import rewrite
from tallylight.store.crypto import KEYFILE_SIZE
from tallylight.store.layout import (
    KEY_FILE,
    LOCK_FILE,
    Closure,
    read_closure,
    scan_segment,
    segment_files,
    session_dirs,
    sessions_root,
    write_closure,
)


@dataclass(frozen=True)
class Recovered:
    """One session closed after a crash, and what it lost."""

    session_id: str
    segment: int
    records_kept: int
    lost_bytes: int
    reason: str

    def describe(self) -> str:
        kept = f"{words.count(self.records_kept, 'saved record')} kept"
        lost = (
            f"{self.lost_bytes} bytes of a partly written record discarded"
            if self.lost_bytes
            else "no partial record"
        )
        return (
            f"Session {self.session_id} was not closed ({self.reason}); recovered: {kept}, {lost}; "
            "events not yet saved at that moment (at most the last second) are lost."
        )


def _unfinished(session_dir: Path) -> tuple[int, int, int, int] | None:
    """(segment, records, size, lost_bytes) if the session needs closing, else None."""
    if not (session_dir / KEY_FILE).exists():
        return None  # being deleted, or never created: nothing readable to close
    segs = segment_files(session_dir)
    if not segs:
        return (0, 0, 0, 0)
    number, path = segs[-1]
    try:
        lay = scan_segment(path, number, uid=_uid(session_dir))
    except OSError:
        return None  # not a readable file (a folder, say): damage, for the reader to report
    if lay.ended:
        return None  # (a last segment ending in NEXT is a crash during rotation: unfinished)
    if lay.tail == "bad-length":
        return None  # damage, not a crash: leave it for the reader to report
    return (number, len(lay.frames), lay.end, lay.size - lay.end)


def _uid(session_dir: Path) -> bytes | None:
    """The session uid from the key file (in the clear), to recognise a header cut short."""
    try:
        raw = (session_dir / KEY_FILE).read_bytes()
    except OSError:
        return None
    return raw[12:28] if len(raw) == KEYFILE_SIZE else None


def find_unfinished(data_dir: Path | None = None) -> list[str]:
    """Ids of sessions that no live writer holds and that have no end and no closure."""
    out = []
    for d in session_dirs(data_dir):  # stray entries are never closed
        if is_locked(d / LOCK_FILE):
            continue
        rewrite.settle(d)  # finish (or drop) a new version a crash interrupted
        state = _unfinished(d)
        if state is None:
            continue
        c = read_closure(d)
        if c is not None and c.acknowledges(*state[:3]):
            continue
        out.append(d.name)
    return out


def recover_unfinished(data_dir: Path | None = None) -> list[Recovered]:
    """Close every unfinished session with a sidecar and report what each lost.

    Safe to call at any start: live sessions are skipped (their writer holds the
    lock), finished ones are left alone, and calling it twice changes nothing.
    """
    out = []
    for sid in find_unfinished(data_dir):
        d = sessions_root(data_dir) / sid
        lock = FileLock(d / LOCK_FILE)
        try:
            if not lock.try_acquire():
                continue
        except OSError:
            continue  # read-only: report nothing we could not record
        try:
            state = _unfinished(d)
            if state is None:
                continue
            segment, records, size, lost = state
            prev = read_closure(d)
            reason = prev.reason if prev else "crash"
            try:
                write_closure(d, Closure(segment, records, size, lost, reason, time.time_ns()))
            except OSError:
                # a full or read-only disk: leave it unfinished (readers report it so) and close
                # it next time; reading the other sessions must not fail for it
                continue
            out.append(
                Recovered(
                    sid,
                    segment,
                    records,
                    lost,
                    "stopped by a write error" if reason == "write-error" else "crash",
                )
            )
        finally:
            lock.release(unlink=True)
    return out
