"""Changing a stored session: cut a span out (and undo it), compact it, keep its summary current.

:mod:`tallylight.store.rewrite` replaces a session by a new version crash-safely
under a new key; this module decides what the new version holds. Each operation
holds the session's lock, so it never races a recorder or another edit. The list's
summary of a new version is computed by the caller's ``summarize``
(:data:`tallylight.store.index.Summarizer`): the store knows nothing of analysis.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tallylight.errors import StoreError
from tallylight.events import GapReason, Kind, Marker, SessionInfo, StopReason
from tallylight.fsutil import FileLock
from tallylight.i18n import _
from tallylight.store import index, rewrite
from tallylight.store import trials as trial_records
from tallylight.store.encoding import EventColumns
from tallylight.store.index import Summarizer
from tallylight.store.layout import LOCK_FILE, Closure, being_recorded, scan_segment, segment_files
from tallylight.store.reader import Report, Verdict, read_session
from tallylight.store.structure import no_capture_stretches
from tallylight.store.timing_record import after_cut

#: A stopped session with more EVENTS records than this per million events is compacted.
SUMMARY_WAIT_S = 60.0  # for another listing to finish summarising (compacting) a session
COMPACT_RECORD_BYTES = 256 << 10


@dataclass(frozen=True)
class Version:
    """One version of a session as read: what undo writes back."""

    info: SessionInfo
    columns: EventColumns
    report: Report
    timing: dict[str, Any] | None = None  # the TIMING record (docs/FORMAT.md section 12), carried over
    trials: tuple[dict[str, Any], ...] = ()  # task trials (docs/FORMAT.md section 14), carried over


def cut_columns(cols: EventColumns, start_ns: int, end_ns: int) -> EventColumns:
    """The events without those stamped in ``[start_ns, end_ns]``, and a TRIMMED gap in their place.

    The session's start and stop markers stay. If capture was off at ``end_ns``
    (a pause or private-app gap running through the span's end), it is reopened
    there, so the rest of that stretch still reads as time without capture.
    """
    if end_ns < start_ns:
        start_ns, end_ns = end_ns, start_ns
    t = cols.t_ns
    frame = (cols.kind == Kind.MARKER) & np.isin(cols.marker, (Marker.SESSION_START, Marker.SESSION_STOP))
    keep = ~((t >= start_ns) & (t <= end_ns)) | frame
    _drop_split_keystrokes(cols, keep)
    ts, ms, rs = [start_ns, end_ns], [int(Marker.GAP), int(Marker.RESUME)], [int(GapReason.TRIMMED), 0]
    for s in no_capture_stretches(cols):
        if s.start_ns <= end_ns < s.end_ns:  # capture was off when the span ended
            ts.append(end_ns)
            ms.append(int(Marker.PAUSE if s.participant_pause else Marker.GAP))
            rs.append(int(s.reason))
            break
    kept = cols.take(keep)
    before = (
        int(np.count_nonzero(kept.t_ns < start_ns))
        if kept.t_ns.size and np.all(np.diff(kept.t_ns) >= 0)
        else None
    )
    if before is None:  # not in time order: insert where the first later event is
        later = np.flatnonzero(kept.t_ns > end_ns)
        before = int(later[0]) if later.size else len(kept)
    return EventColumns.concat(
        [kept.take(slice(0, before)), EventColumns.markers(ts, ms, rs), kept.take(slice(before, None))]
    )


def _drop_split_keystrokes(cols: EventColumns, keep: np.ndarray) -> None:
    """A key held across an edge of the cut loses both its down and its up (in ``keep``).

    Otherwise the cut leaves an orphan: a down whose up was cut, or an up whose down
    was cut, which a FIFO pairing then matched with another key (a hold of −1.3 s was
    seen). Downs and ups are paired first-in, first-out per identity (class, key, text),
    as the recorder reports an up exactly as its down.
    """
    rows = np.flatnonzero((cols.kind == Kind.KEY_DOWN) | (cols.kind == Kind.KEY_UP))
    rows = rows[np.argsort(cols.t_ns[rows], kind="stable")]
    open_downs: dict[tuple[int, int, str], list[int]] = {}
    for r in rows.tolist():
        ident = (int(cols.key_class[r]), int(cols.key[r]), str(cols.text[r]))
        if cols.kind[r] == Kind.KEY_DOWN:
            open_downs.setdefault(ident, []).append(r)
        elif open_downs.get(ident):
            d = open_downs[ident].pop(0)
            if keep[d] != keep[r]:
                keep[d] = keep[r] = False


def _inputs(cols: EventColumns) -> int:
    return int(np.count_nonzero(cols.kind != Kind.MARKER))


def _locked(session_dir: Path) -> FileLock:
    lock = FileLock(session_dir / LOCK_FILE)
    if not lock.try_acquire():
        raise StoreError(
            _("Session {name} is being recorded or changed right now; try again later.").format(
                name=session_dir.name
            )
        )
    return lock


def _write(session_dir: Path, vault: Any, version: Version, summarize: Summarizer) -> None:
    rep = version.report
    complete = rep.verdict == Verdict.COMPLETE
    closure = None
    if not complete:  # stays recovered: the old note's reason and losses, the new version's last segment
        closure = rep.closure or Closure(0, 0, 0, rep.lost_bytes, "crash", time.time_ns())
    verdict = Verdict.COMPLETE if complete else Verdict.RECOVERED
    note = "" if complete else (rep.problem if rep.verdict == Verdict.RECOVERED else "Closed after a crash.")
    doc = summarize(version.columns, version.info, verdict.value, note)
    rewrite.write_version(
        session_dir,
        version.info,
        version.columns,
        vault.public_key,
        stop_reason=(rep.stop_reason or StopReason.NONE) if complete else None,
        closure=closure,
        summary=doc,
        timing=version.timing,
        trials=version.trials,
    )


def read_version(session_dir: Path, vault: Any) -> Version:
    data = read_session(session_dir, vault)
    if data.info is None:
        raise StoreError(
            _("Session {name} has no description and cannot be changed.").format(name=session_dir.name)
        )
    return Version(data.info, data.columns(), data.report, data.timing, tuple(data.trials))


def cut_session(
    session_dir: Path,
    vault: Any,
    start_ns: int,
    end_ns: int,
    *,
    summarize: Summarizer,
    clock: Callable[[], int] = time.time_ns,
) -> Version:
    """Cut ``[start_ns, end_ns]`` out (a new version under a new key); returns the old version for undo."""
    lock = _locked(session_dir)
    try:
        rewrite.settle(session_dir, locked=True)
        old = read_version(session_dir, vault)
        trims = list(old.info.extra.get("trimmed", [])) if isinstance(old.info.extra, dict) else []
        trims.append(
            {
                "start_ns": int(min(start_ns, end_ns)),
                "end_ns": int(max(start_ns, end_ns)),
                "cut_wall_ns": clock(),
            }
        )
        info = dataclasses.replace(old.info, extra={**(old.info.extra or {}), "trimmed": trims})
        cols = cut_columns(old.columns, start_ns, end_ns)
        removed = _inputs(old.columns) - _inputs(cols)
        timing = None if old.timing is None else after_cut(old.timing, cols.t_ns, cols.kind, removed)
        _write(
            session_dir,
            vault,
            Version(
                info,
                cols,
                old.report,
                timing,
                tuple(t for t in old.trials if not trial_records.overlaps(t, start_ns, end_ns)),
            ),
            summarize,
        )
        return old
    finally:
        lock.release()


def restore_session(session_dir: Path, vault: Any, version: Version, *, summarize: Summarizer) -> None:
    """Undo: write ``version`` back (under yet another new key)."""
    lock = _locked(session_dir)
    try:
        rewrite.settle(session_dir, locked=True)
        _write(session_dir, vault, version, summarize)
    finally:
        lock.release()


def needs_compaction(session_dir: Path) -> bool:
    """Small records (the recorder's once-a-second seals), judged from sizes alone, without the key."""
    segs = segment_files(session_dir)
    if len(segs) > 1:
        return True
    if not segs:
        return False
    lay = scan_segment(segs[0][1], segs[0][0])
    frames = [f for f in lay.frames if f.rtype == 2]
    return len(frames) > 1 and sum(f.length for f in frames) / len(frames) < COMPACT_RECORD_BYTES


def ensure_summary(session_dir: Path, vault: Any, *, summarize: Summarizer) -> dict[str, Any]:
    """The session's list summary: from ``summary.tls`` if current, else computed from the events,
    compacting the session on the way when it is stopped and made of small records."""
    rewrite.settle(session_dir)
    doc = index.read_summary(session_dir, vault)
    if doc is not None:
        return doc
    lock = FileLock(session_dir / LOCK_FILE)
    if not lock.try_acquire():
        if being_recorded(session_dir):
            raise StoreError(_("Session {name} is being recorded.").format(name=session_dir.name))
        # another listing (a second window, a refresh) is summarising or compacting it: its
        # summary is the answer, once it is written
        if not lock.acquire(timeout=SUMMARY_WAIT_S):
            busy = _("Session {name} is busy; try again in a moment.")
            raise StoreError(busy.format(name=session_dir.name))
        lock.release()
        return ensure_summary(session_dir, vault, summarize=summarize)
    try:
        version = read_version(session_dir, vault)
        if version.report.verdict in (Verdict.COMPLETE, Verdict.RECOVERED) and needs_compaction(session_dir):
            _write(session_dir, vault, version, summarize)
            doc = index.read_summary(session_dir, vault)
            if doc is not None:
                return doc
        rep = version.report
        doc = summarize(version.columns, version.info, rep.verdict.value, rep.problem)
        key, uid = vault.session_key(session_dir)
        index.write_summary(session_dir, key, uid, doc)
        return doc
    finally:
        lock.release()
