"""The pointer's path: positions over time and how far it travelled."""

from __future__ import annotations

import numpy as np

from tallylight.events import Kind
from tallylight.store.encoding import EventColumns

POSITIONAL = (Kind.MOVE, Kind.BUTTON_DOWN, Kind.BUTTON_UP, Kind.SCROLL)


def pointer_track(cols: EventColumns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t_ns, x, y) of every positional event, in time order."""
    rows = np.flatnonzero(np.isin(cols.kind, POSITIONAL))
    t = cols.t_ns[rows]
    if t.size > 1 and not np.all(t[1:] >= t[:-1]):  # usually in order already: numpy's sort holds the GIL
        rows = rows[np.argsort(t, kind="stable")]
    return cols.t_ns[rows], cols.x[rows], cols.y[rows]


def path_length(cols: EventColumns, breaks_ns: np.ndarray | None = None) -> float:
    """Total straight-line distance (px) between successive recorded mouse moves.

    Only MOVE events count: clicks and scrolls carry a position too, but the straight
    line between two clicks is not travel that was seen (with moves not captured it
    would invent a distance). ``breaks_ns``: times at which capture stopped; the jump from the last position
    before a break to the first after it is not travel that was seen, so it is
    left out.
    """
    rows = np.flatnonzero(cols.kind == Kind.MOVE)
    return move_length(cols.t_ns[rows], cols.x[rows], cols.y[rows], breaks_ns)


def move_length(t: np.ndarray, x: np.ndarray, y: np.ndarray, breaks_ns: np.ndarray | None = None) -> float:
    """:func:`path_length` of the moves given as arrays (the review keeps a long session's moves so)."""
    if t.size > 1 and not np.all(t[1:] >= t[:-1]):
        order = np.argsort(t, kind="stable")
        t, x, y = t[order], x[order], y[order]
    if t.size < 2:
        return 0.0
    # differences taken in float64: exact for 32-bit positions, and no int32 overflow
    step = np.hypot(
        np.subtract(x[1:], x[:-1], dtype=np.float64), np.subtract(y[1:], y[:-1], dtype=np.float64)
    )
    if breaks_ns is not None and breaks_ns.size:
        b = np.sort(breaks_ns)
        spans = np.searchsorted(b, t[1:], side="right") != np.searchsorted(b, t[:-1], side="right")
        step = step[~spans]
    return float(step.sum())
