"""When capture ran and how busy it was: stretches without capture, idle pauses, activity.

The stretches without capture come from the session's markers
(:mod:`tallylight.store.structure`, named here too); this module measures around them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tallylight.events import Kind, Marker
from tallylight.store.encoding import EventColumns
from tallylight.store.structure import PARTICIPANT_PAUSES as PARTICIPANT_PAUSES
from tallylight.store.structure import Stretch as Stretch
from tallylight.store.structure import no_capture_stretches as no_capture_stretches
from tallylight.store.structure import session_span as session_span

#: Input kinds (everything but markers), in the order timelines show them.
INPUT_KINDS = (Kind.KEY_DOWN, Kind.KEY_UP, Kind.MOVE, Kind.BUTTON_DOWN, Kind.BUTTON_UP, Kind.SCROLL)
#: A stretch without any input this long counts as a pause (Inputlog's usual threshold).
IDLE_PAUSE_NS = 2_000_000_000


def stretch_starts(stretches: list[Stretch]) -> np.ndarray:
    return np.array([s.start_ns for s in stretches], np.int64)


def idle_pauses(
    cols: EventColumns, stretches: list[Stretch] | None = None, threshold_ns: int = IDLE_PAUSE_NS
) -> tuple[np.ndarray, np.ndarray]:
    """(start, duration) in ns of every stretch of recorded time without input ≥ ``threshold_ns``.

    Time without capture (pauses, gaps) is not idle time: an idle stretch that
    contains one is measured up to where capture stopped and from where it resumed.
    """
    if stretches is None:
        stretches = no_capture_stretches(cols)
    start, end = session_span(cols)
    t = cols.t_ns[cols.kind != Kind.MARKER]
    # boundaries of recorded time: session start/end and the edges of every stretch
    edges = [start, end] + [v for s in stretches for v in (s.start_ns, s.end_ns)]
    if t.size > 1 and not np.all(t[1:] >= t[:-1]):  # usually in order: numpy's sort holds the GIL
        t = np.sort(t, kind="stable")
    e = np.sort(np.array(edges, np.int64))
    points = np.insert(t, np.searchsorted(t, e), e)
    if points.size < 2:
        z = np.zeros(0, np.int64)
        return z, z
    gap = np.diff(points)
    cand = np.flatnonzero(gap >= threshold_ns)  # few: the rest cannot be pauses
    a, b = points[cand], points[cand + 1]
    mid = a + (b - a) // 2
    inside = _inside(mid, stretches)
    keep = ~inside & (a >= start) & (b <= end)
    return a[keep], (b - a)[keep]


def _inside(t: np.ndarray, stretches: list[Stretch]) -> np.ndarray:
    """Whether each time falls in a stretch (stretches are in order and do not overlap)."""
    if not stretches:
        return np.zeros(t.size, bool)
    starts = stretch_starts(stretches)
    ends = np.array([s.end_ns for s in stretches], np.int64)
    i = np.searchsorted(starts, t, side="right") - 1
    return (i >= 0) & (t < ends[np.maximum(i, 0)])


def activity_per_second(cols: EventColumns, bin_ns: int = 1_000_000_000) -> tuple[np.ndarray, np.ndarray]:
    """(bin start times in s, counts[bin, k] for k over INPUT_KINDS) from the session start."""
    start, end = session_span(cols)
    nbins = max(1, int((end - start) // bin_ns) + 1)
    inp = cols.kind != Kind.MARKER
    b = np.clip((cols.t_ns[inp] - start) // bin_ns, 0, nbins - 1)
    k = cols.kind[inp].astype(np.int64) - 1  # Kind 1..6 -> 0..5 = INPUT_KINDS order
    counts = np.bincount(b * len(INPUT_KINDS) + k, minlength=nbins * len(INPUT_KINDS))
    times = (start + np.arange(nbins, dtype=np.int64) * bin_ns) / 1e9
    return times, counts.reshape(nbins, len(INPUT_KINDS))


def envelope(
    edges: np.ndarray, counts: np.ndarray, x0: float, x1: float, columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """The bins of ``[x0, x1]`` as at most about ``columns`` steps: each the highest bin it covers.

    The timeline's level of detail: a whole working day has 28,800 one-second bins per
    kind, a view is a few hundred pixels wide. Zoomed in to fewer bins than pixels, every
    bin is drawn as it is. ``edges`` has one more value than ``counts``.
    """
    n = counts.size
    if n == 0:
        return edges, counts
    i0 = max(0, int(np.searchsorted(edges, x0, side="right")) - 1)
    i1 = min(n, int(np.searchsorted(edges, x1, side="left")) + 1)
    if i1 <= i0:
        i0, i1 = 0, n
    span = i1 - i0
    step = -(-span // max(1, columns))
    if step <= 1:
        return edges[i0 : i1 + 1], counts[i0:i1]
    starts = np.arange(i0, i1, step)
    peaks = np.maximum.reduceat(counts[i0:i1], starts - i0)
    return np.append(edges[starts], edges[i1]), peaks


@dataclass(frozen=True)
class TaskSpan:
    """A study task between its TASK_START and TASK_END markers (docs/FORMAT.md section 10)."""

    start_ns: int
    end_ns: int
    number: int  # 1-based position in the manifest's [[tasks]]


def task_spans(cols: EventColumns) -> list[TaskSpan]:
    """Every task in time order; one without an end runs to the session's end (or the next task)."""
    rows = np.flatnonzero(
        (cols.kind == Kind.MARKER) & np.isin(cols.marker, (Marker.TASK_START, Marker.TASK_END))
    )
    if rows.size == 0:
        return []
    rows = rows[np.argsort(cols.t_ns[rows], kind="stable")]
    _, end = session_span(cols)
    out: list[TaskSpan] = []
    open_at: int | None = None
    number = 0
    for t, m, r in zip(
        cols.t_ns[rows].tolist(), cols.marker[rows].tolist(), cols.reason[rows].tolist(), strict=True
    ):
        if open_at is not None:
            out.append(TaskSpan(open_at, t, number))
            open_at = None
        if m == Marker.TASK_START:
            open_at, number = t, int(r)
    if open_at is not None:
        out.append(TaskSpan(open_at, max(open_at, end), number))
    return out


def note_times(cols: EventColumns) -> np.ndarray:
    """Session times (ns) of the participant's notes, in order."""
    rows = np.flatnonzero((cols.kind == Kind.MARKER) & (cols.marker == Marker.NOTE))
    return np.sort(cols.t_ns[rows])


def window(cols: EventColumns, start_ns: int, end_ns: int) -> EventColumns:
    """The events of ``[start_ns, end_ns]`` as a session of their own (a task's slice of a session).

    The slice gets SESSION_START at ``start_ns`` and SESSION_STOP at ``end_ns``, and
    when it starts inside a stretch without capture, that stretch's PAUSE or GAP at
    ``start_ns``. Every time measure (idle, active, pauses, recorded time) then
    counts only inside the window: without the start marker the time from the
    session's t = 0 to the task's start was counted as idle.
    """
    end_ns = max(start_ns, end_ns)
    t = cols.t_ns
    mk = cols.kind == Kind.MARKER
    bounds = mk & np.isin(cols.marker, (Marker.SESSION_START, Marker.SESSION_STOP))
    inside = cols.take((t >= start_ns) & (t <= end_ns) & ~bounds)
    head_t, head_m, head_r = [start_ns], [int(Marker.SESSION_START)], [0]
    for s in no_capture_stretches(cols):
        if s.start_ns < start_ns < s.end_ns:  # the window opens while capture is stopped
            head_t.append(start_ns)
            head_m.append(int(Marker.PAUSE if s.participant_pause else Marker.GAP))
            head_r.append(int(s.reason))
    parts = [
        EventColumns.markers(head_t, head_m, head_r),
        inside,
        EventColumns.markers([end_ns], [int(Marker.SESSION_STOP)], [0]),
    ]
    return EventColumns.concat(parts)
