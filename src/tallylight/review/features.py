"""Keystroke and mouse features for analysis (``tallylight-lab features``), with numpy.

Built on the review's own pairing and stretches (``keystrokes``, ``timeline``,
``pointer``), so the numbers match what the review window shows. Definitions
(docs/LAB.md lists them with their units):

Keys
- hold: up − down of one keystroke; down-down and up-down between consecutive
  keystrokes (up-down < 0 is rollover: the next key went down before this one
  came up); intervals across a pause or gap in capture are left out.
- rollover rate: share of up-down intervals < 0.
- typing speed: keystrokes per minute and words per minute (printing keystrokes
  — letters, digits, punctuation, space — / 5 per minute) over *typing time*,
  the sum of down-down intervals shorter than the pause threshold.
- pauses: down-down intervals ≥ the threshold (2 s by default, as in Inputlog),
  classed by position from the key classes on either side, no characters needed:
  ``within_word`` (letter/digit on both sides), ``between_words`` (space or enter
  on either side), ``around_punctuation`` (punctuation on either side), ``other``.
- bursts: runs of keystrokes between pauses (count, mean keystrokes, mean duration).

Mouse
- path length (px), speed (px/s) and acceleration (px/s²) profiles from
  successive pointer positions (mean, median, p95, max), idle time (stretches of
  recorded time without any input ≥ the threshold), clicks per button.
- per trial (mousetrap-style, Freeman & Ambady 2010; Kieslich et al. 2019): the
  trajectory from the trial's start to its first click, with MAD (the largest
  perpendicular deviation from the straight start→end line, px, signed: positive
  to the right of the direction of travel as seen on screen), AUC (signed area
  between trajectory and line, px², same sign convention), x-flips (reversals of
  horizontal direction) and initiation time (trial start to the first movement, ms).
  Trials (one per click) are built in tallylight.review.field_tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tallylight.events import Button, KeyClass, Kind
from tallylight.review.keystrokes import Keystrokes, key_intervals, pair_keys
from tallylight.review.pointer import path_length, pointer_track
from tallylight.review.timeline import idle_pauses, no_capture_stretches, stretch_starts
from tallylight.store.encoding import EventColumns

PAUSE_THRESHOLD_S = 2.0
PRINTING = (KeyClass.LETTER, KeyClass.DIGIT, KeyClass.PUNCTUATION, KeyClass.SPACE)
WORDISH = (KeyClass.LETTER, KeyClass.DIGIT)
SPACING = (KeyClass.SPACE, KeyClass.ENTER)
PAUSE_CLASSES = ("within_word", "between_words", "around_punctuation", "other")
#: features that are counts (integers in the tables); every other number is a float
COUNTS = frozenset(
    {"keystrokes", "pauses", "bursts", "clicks", "scrolls", "x_flips", "y_flips", "points", "press", "trial"}
    | {"count", "produced_characters", "backspaces", "revisions", "p_bursts", "r_bursts"}
    | {f"pauses_{p}" for p in ("within_word", "between_words", "after_sentence", "other")}
    | {f"pauses_{c}" for c in PAUSE_CLASSES}
    | {f"clicks_{b.name.lower()}" for b in (Button.LEFT, Button.RIGHT, Button.MIDDLE)}
)


def _stats(prefix: str, values: np.ndarray, scale: float = 1.0) -> dict[str, float | None]:
    """mean / median / sd / p95 / max of ``values * scale`` (None when there are none)."""
    if values.size == 0:
        return {f"{prefix}_{s}": None for s in ("mean", "median", "sd", "p95", "max")}
    v = values.astype(np.float64) * scale
    return {
        f"{prefix}_mean": float(v.mean()),
        f"{prefix}_median": float(np.median(v)),
        f"{prefix}_sd": float(v.std(ddof=1)) if v.size > 1 else None,
        f"{prefix}_p95": float(np.percentile(v, 95)),
        f"{prefix}_max": float(v.max()),
    }


def classify_pauses(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Position class of each pause from the key classes before and after it (PAUSE_CLASSES order)."""
    spacing = np.isin(before, SPACING) | np.isin(after, SPACING)
    punct = (before == KeyClass.PUNCTUATION) | (after == KeyClass.PUNCTUATION)
    word = np.isin(before, WORDISH) & np.isin(after, WORDISH)
    return np.select([word, spacing, punct], [0, 1, 2], default=3)


def key_features(cols: EventColumns, pause_threshold_s: float = PAUSE_THRESHOLD_S) -> dict[str, Any]:
    ks: Keystrokes = pair_keys(cols)
    stretches = no_capture_stretches(cols)
    iv = key_intervals(ks, stretch_starts(stretches))
    threshold_ns = int(pause_threshold_s * 1e9)
    out: dict[str, Any] = {"keystrokes": len(ks)}
    out.update(_stats("hold_ms", ks.hold_ns, 1e-6))
    out.update(_stats("down_down_ms", iv.down_down, 1e-6))
    out.update(_stats("up_down_ms", iv.up_down, 1e-6))
    out["rollover_rate"] = float((iv.up_down < 0).mean()) if iv.up_down.size else None
    is_pause = iv.down_down >= threshold_ns
    typing_ns = int(iv.down_down[~is_pause].sum())
    printing = int(np.isin(ks.key_class, PRINTING).sum())
    minutes = typing_ns / 60e9
    out["typing_time_s"] = typing_ns / 1e9
    out["keystrokes_per_min"] = len(ks) / minutes if minutes > 0 else None
    out["wpm"] = printing / 5 / minutes if minutes > 0 else None
    first = iv.first[is_pause]
    durations = iv.down_down[is_pause]
    out["pauses"] = int(first.size)
    out.update(_stats("pause_s", durations, 1e-9))
    classes = classify_pauses(ks.key_class[first], ks.key_class[first + 1])
    for i, name in enumerate(PAUSE_CLASSES):
        sel = durations[classes == i]
        out[f"pauses_{name}"] = int(sel.size)
        out[f"pause_{name}_median_s"] = float(np.median(sel)) / 1e9 if sel.size else None
    # bursts: keystrokes between pauses (and between stretches without capture)
    if len(ks):
        cuts = np.zeros(len(ks), bool)
        cuts[0] = True
        pause_next = iv.first[is_pause] + 1
        cuts[pause_next] = True
        # an interval left out of iv (it spans a gap) also splits
        kept = np.zeros(max(len(ks) - 1, 0), bool)
        kept[iv.first] = True
        cuts[1:][~kept] = True
        starts = np.flatnonzero(cuts)
        ends = np.append(starts[1:], len(ks)) - 1
        lengths = ends - starts + 1
        out["bursts"] = int(starts.size)
        out["burst_keystrokes_mean"] = float(lengths.mean())
        out["burst_duration_s_mean"] = float((ks.up_t[ends] - ks.down_t[starts]).mean() / 1e9)
    else:
        out.update(bursts=0, burst_keystrokes_mean=None, burst_duration_s_mean=None)
    return out


def _kinematics(t: np.ndarray, x: np.ndarray, y: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, ...]:
    """Speed (px/s) per step and acceleration (px/s²) between steps, skipping steps across breaks."""
    if t.size < 2:
        z = np.zeros(0)
        return z, z
    dt = np.diff(t).astype(np.float64) / 1e9
    dist = np.hypot(np.diff(x).astype(np.float64), np.diff(y).astype(np.float64))
    ok = dt > 0
    if breaks.size:
        b = np.sort(breaks)
        ok &= np.searchsorted(b, t[1:], side="right") == np.searchsorted(b, t[:-1], side="right")
    speed = np.where(ok, dist / np.where(ok, dt, 1), np.nan)
    mid = (t[1:] + t[:-1]) / 2e9
    dv = np.diff(speed)
    dmid = np.diff(mid)
    acc = dv / np.where(dmid > 0, dmid, np.nan)
    return speed[~np.isnan(speed)], acc[np.isfinite(acc)]


def mouse_features(cols: EventColumns, pause_threshold_s: float = PAUSE_THRESHOLD_S) -> dict[str, Any]:
    stretches = no_capture_stretches(cols)
    breaks = stretch_starts(stretches)
    t, x, y = pointer_track(cols)
    speed, acc = _kinematics(t, x, y, breaks)
    out: dict[str, Any] = {"path_length_px": path_length(cols, breaks)}
    out.update(_stats("speed_px_s", speed))
    out.update(_stats("acceleration_px_s2", np.abs(acc)))
    _, idle = idle_pauses(cols, stretches, int(pause_threshold_s * 1e9))
    out["idle_time_s"] = float(idle.sum()) / 1e9
    downs = cols.kind == Kind.BUTTON_DOWN
    out["clicks"] = int(downs.sum())
    for b in (Button.LEFT, Button.RIGHT, Button.MIDDLE):
        out[f"clicks_{b.name.lower()}"] = int((downs & (cols.button == b)).sum())
    out["scrolls"] = int((cols.kind == Kind.SCROLL).sum())
    return out


@dataclass(frozen=True)
class Trajectory:
    t_ns: np.ndarray
    x: np.ndarray
    y: np.ndarray


def mousetrap(tr: Trajectory, start_ns: int | None = None) -> dict[str, float | int | None]:
    """MAD, AUC, x-flips and initiation time of one trajectory (its last point is the response).

    Deviation is measured perpendicular to the straight line from the first to the
    last point; positive deviation lies to the right of the direction of travel
    on screen (y grows downwards). AUC is the signed area between the path and
    that line (shoelace formula over the closed polygon path + line back).
    """
    n = tr.t_ns.size
    none: dict[str, float | int | None] = {
        "mad_px": None,
        "auc_px2": None,
        "x_flips": None,
        "initiation_ms": None,
        "points": n,
    }
    if n < 2:
        return none
    x = tr.x.astype(np.float64)
    y = tr.y.astype(np.float64)
    x0, y0, x1, y1 = x[0], y[0], x[-1], y[-1]
    length = float(np.hypot(x1 - x0, y1 - y0))
    start = tr.t_ns[0] if start_ns is None else start_ns
    moved = np.flatnonzero((x != x0) | (y != y0))
    initiation = float(tr.t_ns[moved[0]] - start) / 1e6 if moved.size else None
    dxs = np.sign(np.diff(x))
    dxs = dxs[dxs != 0]
    flips = int((dxs[1:] != dxs[:-1]).sum()) if dxs.size > 1 else 0
    if length == 0:
        return {**none, "x_flips": flips, "initiation_ms": initiation}
    # cross product sign: (end - start) x (p - start); y down, so positive = right of travel
    dev = ((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)) / length
    mad = float(dev[np.argmax(np.abs(dev))])
    # polygon: path points, then straight back to the start (closing edge on the line itself);
    # with y down the shoelace sum is negative for a path right of travel, hence the minus
    area = -0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    return {"mad_px": mad, "auc_px2": area, "x_flips": flips, "initiation_ms": initiation, "points": n}


def session_features(cols: EventColumns, pause_threshold_s: float = PAUSE_THRESHOLD_S) -> dict[str, Any]:
    """Every key and mouse feature of one session (or one task's slice of it)."""
    return {**key_features(cols, pause_threshold_s), **mouse_features(cols, pause_threshold_s)}
