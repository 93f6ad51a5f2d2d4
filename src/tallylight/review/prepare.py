"""Everything the review window draws, computed off the GUI thread in one call.

:func:`prepare` turns decoded columns into plain numpy arrays sized for drawing
(activity per second, a thinned pointer path for the static views, the full path
for replay, clicks, key events, rhythm histograms), so the GUI thread only hands
arrays to the plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tallylight.events import KeyClass, Kind, SessionInfo
from tallylight.review.pointer import pointer_track
from tallylight.review.summary import Summary, analyse, summarize
from tallylight.review.timeline import (
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


def prepare(
    cols: EventColumns,
    info: SessionInfo | None = None,
    verdict: str = "",
    verdict_note: str = "",
    task_titles: Sequence[str] = (),
    timing: dict[str, Any] | None = None,
) -> ReviewData:
    """Everything a review window draws; ``task_titles`` name a study's tasks by position."""
    an = analyse(cols)
    start, end = an.start_ns, an.end_ns
    summary = summarize(cols, info, verdict, verdict_note, an, timing)
    stretches, breaks = an.stretches, an.breaks
    act_t, act = activity_per_second(cols)
    tt, tx, ty = pointer_track(cols)
    px, py = _thin_path(tt, tx, ty, breaks)
    clicks = np.flatnonzero(cols.kind == Kind.BUTTON_DOWN)
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
        clicks_t=(cols.t_ns[clicks] - start) / 1e9,
        clicks_x=cols.x[clicks],
        clicks_y=cols.y[clicks],
        clicks_button=cols.button[clicks],
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
