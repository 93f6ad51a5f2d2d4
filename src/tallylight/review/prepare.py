"""Everything the review window draws, computed off the GUI thread in one call.

:func:`prepare` turns decoded columns into plain numpy arrays sized for drawing
(activity per second, a thinned pointer path for the static views, the full path
for replay, clicks, key events, rhythm histograms), so the GUI thread only hands
arrays to the plots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tallylight.events import KeyClass, Kind, SessionInfo
from tallylight.review.pointer import POSITIONAL, move_length
from tallylight.review.summary import Summary, analyse, summarize
from tallylight.review.timeline import (
    IDLE_PAUSE_NS,
    INPUT_KINDS,
    activity_per_second,
    note_times,
    task_spans,
)
from tallylight.store.encoding import EventColumns

#: The static path views draw at most this many points (replay uses every point).
MAX_PATH_POINTS = 60_000
HIST_BINS = 40


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # ms, len(counts) + 1
    counts: np.ndarray

    @property
    def total(self) -> int:
        return int(self.counts.sum())


@dataclass(frozen=True)
class ReviewData:
    """A session ready to draw. Times in seconds from the session's start."""

    summary: Summary
    start_ns: int  # session time of t = 0 in the arrays below
    duration_s: float
    stretches: list[tuple[float, float, str]]  # start, end, GapReason name (lower case)
    activity_t: np.ndarray  # bin starts
    activity: np.ndarray  # [bin, k] events per second for k over INPUT_KINDS
    track_t: np.ndarray  # every pointer position (replay)
    track_x: np.ndarray
    track_y: np.ndarray
    path_x: np.ndarray  # thinned pointer path (static views); NaN where capture stopped
    path_y: np.ndarray
    clicks_t: np.ndarray
    clicks_x: np.ndarray
    clicks_y: np.ndarray
    clicks_button: np.ndarray
    # the clicks as drawn: one mark per CLICK_CELL_PX square clicked and colour (left / other),
    # the first click there, in time order (tens of thousands of circles stalled every redraw)
    marks_t: np.ndarray
    marks_x: np.ndarray
    marks_y: np.ndarray
    marks_left: np.ndarray  # bool
    keys_t: np.ndarray  # every key event
    keys_down: np.ndarray  # bool
    keys_label: np.ndarray  # str objects: what the key strip shows: class name, or the text in full mode
    screen: tuple[int, int, int, int]  # x0, y0, x1, y1 that hold every position
    hold: Histogram
    down_down: Histogram
    up_down: Histogram
    pauses: Histogram  # idle pauses, seconds in `edges`
    tasks: list[tuple[float, float, str]] = field(default_factory=list)  # a study's tasks: start, end, title
    notes: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the participant's notes (s)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return INPUT_KINDS


def _hist(values_ms: np.ndarray, lo: float, hi: float, bins: int = HIST_BINS) -> Histogram:
    counts, edges = np.histogram(np.clip(values_ms, lo, hi), bins=bins, range=(lo, hi))
    return Histogram(edges, counts)


def _thin_path(t: np.ndarray, x: np.ndarray, y: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, ...]:
    """Drop points that add nothing visible; NaN between the two sides of each break."""
    if t.size == 0:
        return np.zeros(0), np.zeros(0)
    keep = np.ones(t.size, bool)
    grid = 2
    qx, qy = x // grid, y // grid
    keep[1:] = (qx[1:] != qx[:-1]) | (qy[1:] != qy[:-1])
    idx = np.flatnonzero(keep)
    if idx.size > MAX_PATH_POINTS:
        idx = idx[:: int(np.ceil(idx.size / MAX_PATH_POINTS))]
    px = x[idx].astype(np.float64)
    py = y[idx].astype(np.float64)
    if breaks.size:
        seg = np.searchsorted(np.sort(breaks), t[idx], side="right")
        cut = np.flatnonzero(seg[1:] != seg[:-1]) + 1
        px = np.insert(px, cut, np.nan)
        py = np.insert(py, cut, np.nan)
    return px, py


#: Clicks this close (device pixels, the recorder's unit) are drawn as one mark.
CLICK_CELL_PX = 4


def click_marks(t: np.ndarray, x: np.ndarray, y: np.ndarray, left: np.ndarray) -> tuple[np.ndarray, ...]:
    """(t, x, y, left) of the first click in each CLICK_CELL_PX square and colour, by time.

    The click map's level of detail: a mark is a few pixels wide, so further clicks
    in its square add nothing visible but the cost of drawing them."""
    if t.size == 0:
        return t, x, y, left
    off = 1 << 30  # positions are 32-bit: the squares' numbers fit in 31 bits each
    cell = ((x // CLICK_CELL_PX + off) << 32 | (y // CLICK_CELL_PX + off)) << 1 | left.astype(np.int64)
    order = np.argsort(t, kind="stable")
    _, first = np.unique(cell[order], return_index=True)
    rows = order[np.sort(first)]
    return t[rows], x[rows], y[rows], left[rows]


def key_label(key_class: int, text: str, key_mode: str) -> str:
    """What the key strip shows for one key event: never a character unless the mode is ``full``."""
    if key_mode == "full" and text:
        return text
    try:
        return KeyClass(key_class).name.lower().replace("_", "/")
    except ValueError:
        return "key"


_CLASS_LABELS = np.array([key_label(c, "", "") for c in range(len(KeyClass))] + ["key"], dtype=object)


def key_labels(key_class: np.ndarray, text: np.ndarray, key_mode: str) -> np.ndarray:
    """:func:`key_label` for many key events at once (object array of str)."""
    out: np.ndarray = _CLASS_LABELS[np.clip(key_class, 0, len(_CLASS_LABELS) - 1)]
    if key_mode == "full":
        has = text != ""
        out = np.where(has, text, out)
    return out


#: Moves kept for the analysis: the first and the last of each bucket this long (ns). Any
#: stretch without input at least IDLE_PAUSE_NS long is then seen exactly as in all the moves
#: (between the kept moves of one bucket lies less than a bucket), so idle pauses, task times
#: and the session's span come out the same from about two moves a second.
MOVE_BUCKET_NS = 1_000_000_000
assert MOVE_BUCKET_NS < IDLE_PAUSE_NS


class Gatherer:
    """A session's decoded pieces, in order, reduced to what :func:`prepare` needs.

    Mouse moves are most of a long session's events (about nine in ten). Every other
    event is kept as it was decoded; the moves only as a time/x/y track (16 bytes each,
    not the ~90 of a decoded row), so an 8-hour session never holds all its rows at once.
    """

    def __init__(self) -> None:
        self.events = 0
        self._rest: list[EventColumns] = []
        self._t: list[np.ndarray] = []
        self._x: list[np.ndarray] = []
        self._y: list[np.ndarray] = []
        # the path length, summed piece by piece while the pieces are small (valid while the
        # moves come in time order; the steps across pauses are taken out at the end)
        self._travel = 0.0
        self._ordered = True
        self._last: tuple[int, int, int] | None = None

    def add(self, cols: EventColumns) -> None:
        """Take the next piece (record order)."""
        self.events += len(cols)
        move = cols.kind == Kind.MOVE
        rows = np.flatnonzero(move)
        self._rest.append(cols.take(~move) if rows.size else cols)
        t = cols.t_ns[rows]
        x = cols.x[rows].astype(np.int32)  # the format keeps positions in 32 bits
        y = cols.y[rows].astype(np.int32)
        self._t.append(t)
        self._x.append(x)
        self._y.append(y)
        if t.size:
            if self._last is not None:
                lt, lx, ly = self._last
                self._ordered = self._ordered and int(t[0]) >= lt
                self._travel += float(np.hypot(float(x[0]) - lx, float(y[0]) - ly))
            self._ordered = self._ordered and bool(np.all(t[1:] >= t[:-1]))
            self._travel += move_length(t, x, y) if t.size > 1 else 0.0
            self._last = (int(t[-1]), int(x[-1]), int(y[-1]))

    def _path_px(self, t: np.ndarray, x: np.ndarray, y: np.ndarray, breaks: np.ndarray) -> float:
        """:func:`move_length` of the whole track, from the sums taken piece by piece."""
        if not self._ordered:
            return move_length(t, x, y, breaks)
        # a step spans a break b when t[k] < b <= t[k + 1]: k is the last move before b
        k = np.unique(np.searchsorted(t, breaks, side="left") - 1)
        k = k[(k >= 0) & (k < t.size - 1)]
        dx = np.subtract(x[k + 1], x[k], dtype=np.float64)
        dy = np.subtract(y[k + 1], y[k], dtype=np.float64)
        return max(0.0, self._travel - float(np.hypot(dx, dy).sum()))

    def prepare(
        self,
        info: SessionInfo | None = None,
        verdict: str = "",
        verdict_note: str = "",
        task_titles: Sequence[str] = (),
        timing: dict[str, Any] | None = None,
    ) -> ReviewData:
        """Everything a review window draws (as :func:`prepare`); the pieces are released."""
        rest = self._rest
        mt, mx, my = (_joined(parts) for parts in (self._t, self._x, self._y))
        self._rest, self._t, self._x, self._y = [], [], [], []
        if mt.size > 1 and not np.all(mt[1:] >= mt[:-1]):  # rare: keep the track in time order
            order = np.argsort(mt, kind="stable")
            mt, mx, my = mt[order], mx[order], my[order]
        cols = _with_moves(rest, mt, mx, my, _bucket_ends(mt))

        def travel(breaks: np.ndarray) -> float:
            return self._path_px(mt, mx, my, breaks)

        return _prepare(cols, (mt, mx, my), travel, info, verdict, verdict_note, task_titles, timing)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _bucket_ends(t: np.ndarray) -> np.ndarray:
    """The first and the last of each MOVE_BUCKET_NS of ``t`` (sorted)."""
    keep = np.ones(t.size, bool)
    if t.size > 2:
        b = t // MOVE_BUCKET_NS
        change = b[1:] != b[:-1]
        keep[1:-1] = change[:-1] | change[1:]  # the last of a bucket, or the first of the next
    return keep


def _with_moves(
    rest: list[EventColumns], t: np.ndarray, x: np.ndarray, y: np.ndarray, keep: np.ndarray
) -> EventColumns:
    """The pieces ``rest`` with the moves ``keep`` selects put back, in time order (one copy
    of every column joins them, one more orders them)."""
    n = int(keep.sum())
    z = np.zeros(n, np.int64)
    moves = EventColumns(
        t[keep],
        np.full(n, Kind.MOVE, np.uint8),
        x[keep].astype(np.int64),
        y[keep].astype(np.int64),
        z,
        z,
        z,
        z,
        np.zeros(n, np.uint64),
        np.full(n, "", dtype=object),
        z,
        z,
    )
    both = EventColumns.concat([*rest, moves])
    order = np.argsort(both.t_ns, kind="stable")
    return both.take(order)


def prepare(
    cols: EventColumns,
    info: SessionInfo | None = None,
    verdict: str = "",
    verdict_note: str = "",
    task_titles: Sequence[str] = (),
    timing: dict[str, Any] | None = None,
) -> ReviewData:
    """Everything a review window draws; ``task_titles`` name a study's tasks by position."""
    g = Gatherer()
    g.add(cols)
    return g.prepare(info, verdict, verdict_note, task_titles, timing)


def _positional(
    cols: EventColumns, moves: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, ...]:
    """(t_ns, x, y) of every positional event in time order (``pointer_track``), the moves apart."""
    mt, mx, my = moves
    rows = np.flatnonzero(np.isin(cols.kind, POSITIONAL) & (cols.kind != Kind.MOVE))
    if rows.size == 0:
        return mt, mx, my
    ot = cols.t_ns[rows]
    ox, oy = cols.x[rows].astype(np.int32), cols.y[rows].astype(np.int32)
    if ot.size > 1 and not np.all(ot[1:] >= ot[:-1]):
        order = np.argsort(ot, kind="stable")
        ot, ox, oy = ot[order], ox[order], oy[order]
    # merge two sorted tracks without sorting millions of moves: clicks and scrolls go before
    # moves at the same time
    at = np.searchsorted(mt, ot, side="left") + np.arange(ot.size)
    mine = np.zeros(mt.size + ot.size, bool)
    mine[at] = True
    out = []
    for a, b in ((ot, mt), (ox, mx), (oy, my)):
        c = np.empty(mine.size, a.dtype)
        c[mine] = a
        c[~mine] = b
        out.append(c)
    return out[0], out[1], out[2]


def _prepare(
    cols: EventColumns,
    moves: tuple[np.ndarray, np.ndarray, np.ndarray],
    travel: Callable[[np.ndarray], float],
    info: SessionInfo | None,
    verdict: str,
    verdict_note: str,
    task_titles: Sequence[str],
    timing: dict[str, Any] | None,
) -> ReviewData:
    """:func:`prepare` from every event but the moves, ``cols`` holding only some of these (the
    bucket ends), and every move as (t_ns, x, y) in time order."""
    an = analyse(cols)
    start, end = an.start_ns, an.end_ns
    mt = moves[0]
    stretches, breaks = an.stretches, an.breaks
    summary = summarize(cols, info, verdict, verdict_note, an, timing, (mt.size, travel(breaks)))
    act_t, act = activity_per_second(cols)
    col = INPUT_KINDS.index(Kind.MOVE)
    # the moves per second from the sorted track: where each second's edge falls (the first and
    # the last bin also hold what lies before and after, as activity_per_second's clip does)
    edges = start + np.arange(1, act.shape[0], dtype=np.int64) * 1_000_000_000
    at = np.concatenate(([0], np.searchsorted(mt, edges, side="left"), [mt.size]))
    act[:, col] = np.diff(at)
    tt, tx, ty = _positional(cols, moves)
    px, py = _thin_path(tt, tx, ty, breaks)
    clicks = np.flatnonzero(cols.kind == Kind.BUTTON_DOWN)
    clicks_t = (cols.t_ns[clicks] - start) / 1e9
    marks = click_marks(clicks_t, cols.x[clicks], cols.y[clicks], cols.button[clicks] == 1)
    keys = np.flatnonzero((cols.kind == Kind.KEY_DOWN) | (cols.kind == Kind.KEY_UP))
    keys = keys[np.argsort(cols.t_ns[keys], kind="stable")]
    labels = key_labels(cols.key_class[keys], cols.text[keys], info.options.keys.label if info else "")
    ks, iv, idle = an.keystrokes, an.intervals, an.idle_ns
    if tx.size:
        screen = (min(0, int(tx.min())), min(0, int(ty.min())), max(1, int(tx.max())), max(1, int(ty.max())))
    else:
        screen = (0, 0, 1920, 1080)
    s0 = start / 1e9
    return ReviewData(
        summary=summary,
        start_ns=start,
        duration_s=(end - start) / 1e9,
        stretches=[
            ((s.start_ns - start) / 1e9, (s.end_ns - start) / 1e9, s.reason.name.lower()) for s in stretches
        ],
        activity_t=act_t - s0,
        activity=act,
        track_t=(tt - start) / 1e9,
        track_x=tx,
        track_y=ty,
        path_x=px,
        path_y=py,
        clicks_t=clicks_t,
        clicks_x=cols.x[clicks],
        clicks_y=cols.y[clicks],
        clicks_button=cols.button[clicks],
        marks_t=marks[0],
        marks_x=marks[1],
        marks_y=marks[2],
        marks_left=marks[3],
        keys_t=(cols.t_ns[keys] - start) / 1e9,
        keys_down=cols.kind[keys] == Kind.KEY_DOWN,
        keys_label=labels,
        screen=screen,
        hold=_hist(ks.hold_ns / 1e6, 0, 400),
        down_down=_hist(iv.down_down / 1e6, 0, 1000),
        up_down=_hist(iv.up_down / 1e6, -300, 1000),
        pauses=_hist(idle / 1e9, 2, 62, bins=30),
        tasks=[
            ((t.start_ns - start) / 1e9, (t.end_ns - start) / 1e9, _task_title(t.number, task_titles))
            for t in task_spans(cols)
        ],
        notes=(note_times(cols) - start) / 1e9,
    )


def _task_title(number: int, titles: Sequence[str]) -> str:
    return titles[number - 1] if 1 <= number <= len(titles) else f"Task {number}"
