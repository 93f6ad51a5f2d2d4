"""A session's structure from its markers: its span and the stretches without capture.

The recorder marks structure with MARKER events (docs/FORMAT.md, ``Marker``):
SESSION_START at t = 0, PAUSE (the participant's, reason a ``GapReason``) and GAP
(capture stopped for a reason, e.g. a private app in front, or a span cut out)
each open a stretch without capture, RESUME closes it, SESSION_STOP ends the
session. A PAUSE or GAP while a stretch is open ends that stretch and opens the
next one (a private app in front while the participant also paused). Part of the
store because a cut (:mod:`tallylight.store.edit`) must keep that structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tallylight.events import GapReason, Kind, Marker
from tallylight.store.encoding import EventColumns

#: Stretch reasons that are the participant's own pause.
PARTICIPANT_PAUSES = (GapReason.PAUSED_BY_PARTICIPANT, GapReason.PAUSE_HOTKEY)


@dataclass(frozen=True)
class Stretch:
    """A span of session time (ns) without capture, and why."""

    start_ns: int
    end_ns: int
    reason: GapReason

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def participant_pause(self) -> bool:
        return self.reason in PARTICIPANT_PAUSES


def _reason(value: int) -> GapReason:
    try:
        return GapReason(value)
    except ValueError:
        return GapReason.NONE


def session_span(cols: EventColumns) -> tuple[int, int]:
    """(start, end) of the session in ns: SESSION_START/STOP, else t = 0 and the last event."""
    if len(cols) == 0:
        return 0, 0
    mk = cols.kind == Kind.MARKER
    start_rows = np.flatnonzero(mk & (cols.marker == Marker.SESSION_START))
    stop_rows = np.flatnonzero(mk & (cols.marker == Marker.SESSION_STOP))
    # t = 0 is the session's start by definition (tallylight.events); SESSION_START marks it
    start = int(cols.t_ns[start_rows].min()) if start_rows.size else min(0, int(cols.t_ns.min()))
    end = int(cols.t_ns[stop_rows].max()) if stop_rows.size else int(cols.t_ns.max())
    return start, max(start, end, int(cols.t_ns.max()))


def no_capture_stretches(cols: EventColumns) -> list[Stretch]:
    """Every stretch without capture, in time order; one left open runs to the session's end."""
    rows = np.flatnonzero(
        (cols.kind == Kind.MARKER)
        & np.isin(cols.marker, (Marker.PAUSE, Marker.GAP, Marker.RESUME, Marker.SESSION_STOP))
    )
    if rows.size == 0:
        return []
    rows = rows[np.argsort(cols.t_ns[rows], kind="stable")]
    _, end = session_span(cols)
    out: list[Stretch] = []
    open_at: int | None = None
    open_reason = GapReason.NONE
    for t, m, r in zip(
        cols.t_ns[rows].tolist(), cols.marker[rows].tolist(), cols.reason[rows].tolist(), strict=True
    ):
        if m in (Marker.PAUSE, Marker.GAP):
            if open_at is not None:
                out.append(Stretch(open_at, t, open_reason))
            open_at, open_reason = t, _reason(r)
        elif open_at is not None:  # RESUME or SESSION_STOP closes
            out.append(Stretch(open_at, t, open_reason))
            open_at = None
    if open_at is not None:
        out.append(Stretch(open_at, max(open_at, end), open_reason))
    return [s for s in out if s.end_ns > s.start_ns or s.reason == GapReason.TRIMMED]
