"""The tables the field analyses, from one session's columns (``tallylight-lab features``).

docs/LAB.md gives every column with its formula and source:

- ``keystrokes``: one row per key press, as in the Aalto 136M keystrokes data
  (Dhakal et al., CHI 2018): press and release time, hold, key class, and the
  intervals to the next press.
- ``digraphs``: latencies of consecutive presses by key-class pair (down-down,
  up-down, rollover), as keystroke-dynamics studies report them.
- ``writing``: Inputlog-style process measures (Leijten & Van Waes 2013):
  backspace and revision rates, P-bursts (ended by a pause) and R-bursts (ended
  by a revision), pauses by location (class mode: within a word, between words,
  after sentence punctuation).
- ``trajectories``: mousetrap-style trials (Kieslich et al. 2019), one per click:
  time-normalised x/y (101 steps), MAD, AD, AUC, x/y flips, initiation and
  movement time, peak velocity.

Intervals that span a stretch without capture (a pause, a private app, a cut)
are left out, as in the review. Pure numpy, no I/O.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tallylight.events import KeyClass, Kind
from tallylight.review.features import PRINTING, SPACING, WORDISH, Trajectory, mousetrap
from tallylight.review.keystrokes import pair_keys
from tallylight.review.pointer import pointer_track
from tallylight.review.timeline import no_capture_stretches, stretch_starts
from tallylight.store.encoding import EventColumns

STEPS = 101
DELETING = (KeyClass.BACKSPACE_DELETE,)
WRITING_PAUSE_PLACES = ("within_word", "between_words", "after_sentence", "other")


def _class_name(code: int) -> str:
    try:
        return KeyClass(code).name.lower()
    except ValueError:
        return "unknown"


def _same_stretch(breaks: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether times a and b (element-wise) lie between the same two breaks in capture."""
    if breaks.size == 0:
        return np.ones(a.size, bool)
    s = np.sort(breaks)
    same: np.ndarray = np.searchsorted(s, a, side="right") == np.searchsorted(s, b, side="right")
    return same


def _ms(ns: np.ndarray) -> np.ndarray:
    out: np.ndarray = ns.astype(np.float64) / 1e6
    return out


def keystroke_rows(cols: EventColumns) -> list[dict[str, Any]]:
    """One row per paired press, in press order."""
    ks = pair_keys(cols)
    n = len(ks)
    if n == 0:
        return []
    breaks = stretch_starts(no_capture_stretches(cols))
    nxt = np.zeros(n, bool)
    if n > 1:
        nxt[:-1] = _same_stretch(breaks, ks.down_t[:-1], ks.down_t[1:])
    dd = np.full(n, np.nan)
    ud = np.full(n, np.nan)
    dd[:-1] = _ms(ks.down_t[1:] - ks.down_t[:-1])
    ud[:-1] = _ms(ks.down_t[1:] - ks.up_t[:-1])
    keys = cols.key[ks.down_row]
    rows = []
    for i in range(n):
        rows.append(
            {
                "press": i + 1,
                "down_ms": float(_ms(ks.down_t[i : i + 1])[0]),
                "up_ms": float(_ms(ks.up_t[i : i + 1])[0]),
                "hold_ms": float(_ms(ks.hold_ns[i : i + 1])[0]),
                "key_class": _class_name(int(ks.key_class[i])),
                "key_id": f"{int(keys[i]):016x}" if int(keys[i]) else None,
                "down_down_ms": float(dd[i]) if nxt[i] else None,
                "up_down_ms": float(ud[i]) if nxt[i] else None,
                "rollover": bool(ud[i] < 0) if nxt[i] else None,
            }
        )
    return rows


def digraph_rows(cols: EventColumns) -> list[dict[str, Any]]:
    """Latencies of consecutive presses (within one stretch of capture) by class pair."""
    ks = pair_keys(cols)
    if len(ks) < 2:
        return []
    breaks = stretch_starts(no_capture_stretches(cols))
    ok = _same_stretch(breaks, ks.down_t[:-1], ks.down_t[1:])
    first, second = ks.key_class[:-1][ok], ks.key_class[1:][ok]
    dd = _ms(ks.down_t[1:] - ks.down_t[:-1])[ok]
    ud = _ms(ks.down_t[1:] - ks.up_t[:-1])[ok]
    rows = []
    for a, b in sorted(set(zip(first.tolist(), second.tolist(), strict=True))):
        sel = (first == a) & (second == b)
        rows.append(
            {
                "first_class": _class_name(a),
                "second_class": _class_name(b),
                "count": int(sel.sum()),
                "down_down_ms_mean": float(dd[sel].mean()),
                "down_down_ms_median": float(np.median(dd[sel])),
                "up_down_ms_mean": float(ud[sel].mean()),
                "up_down_ms_median": float(np.median(ud[sel])),
                "rollover_rate": float((ud[sel] < 0).mean()),
            }
        )
    return rows


def pause_place(before2: int, before: int, after: int) -> int:
    """Where a pause falls (WRITING_PAUSE_PLACES index) from the classes around it (class mode)."""
    if before == KeyClass.PUNCTUATION or (before in SPACING and before2 == KeyClass.PUNCTUATION):
        return 2  # after sentence punctuation (". " then the pause, or right after it)
    if before in WORDISH and after in WORDISH:
        return 0
    if before in SPACING or after in SPACING:
        return 1
    return 3


def writing_measures(cols: EventColumns, pause_threshold_s: float = 2.0) -> dict[str, Any]:
    """Inputlog-style process measures of one session or task (see the module docstring)."""
    ks = pair_keys(cols)
    n = len(ks)
    kc = ks.key_class
    deleting = np.isin(kc, DELETING)
    out: dict[str, Any] = {
        "keystrokes": n,
        "produced_characters": int(np.isin(kc, PRINTING).sum()),
        "backspaces": int(deleting.sum()),
        "backspace_rate": float(deleting.mean()) if n else None,
    }
    # a revision is a run of consecutive deleting presses
    starts_rev = deleting & ~np.concatenate(([False], deleting[:-1])) if n else deleting
    out["revisions"] = int(starts_rev.sum())
    out["revisions_per_100_keystrokes"] = 100.0 * out["revisions"] / n if n else None
    if n == 0:
        out.update(p_bursts=0, r_bursts=0, p_burst_keystrokes_mean=None, r_burst_keystrokes_mean=None)
        out.update(p_burst_duration_s_mean=None, r_burst_duration_s_mean=None)
        out.update({f"pauses_{p}": 0 for p in WRITING_PAUSE_PLACES})
        out.update({f"pause_{p}_mean_s": None for p in WRITING_PAUSE_PLACES})
        return out
    breaks = stretch_starts(no_capture_stretches(cols))
    gap = np.zeros(n, bool)  # gap[i]: a pause (or a break in capture) before press i
    dd = np.zeros(n)
    if n > 1:
        dd[1:] = (ks.down_t[1:] - ks.down_t[:-1]) / 1e9
        same = _same_stretch(breaks, ks.down_t[:-1], ks.down_t[1:])
        gap[1:] = (dd[1:] >= pause_threshold_s) | ~same
    pause = gap.copy()
    if n > 1:
        pause[1:] &= _same_stretch(breaks, ks.down_t[:-1], ks.down_t[1:])
    # bursts: runs of producing (non-deleting) presses; one ends at a pause (P) or a revision (R)
    p_len: list[int] = []
    r_len: list[int] = []
    p_dur: list[float] = []
    r_dur: list[float] = []
    i = 0
    while i < n:
        if deleting[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and not gap[j + 1] and not deleting[j + 1]:
            j += 1
        length, dur = j - i + 1, (ks.up_t[j] - ks.down_t[i]) / 1e9
        if j + 1 < n and deleting[j + 1] and not gap[j + 1]:
            r_len.append(length)
            r_dur.append(dur)
        else:
            p_len.append(length)
            p_dur.append(dur)
        i = j + 1
    out["p_bursts"], out["r_bursts"] = len(p_len), len(r_len)
    out["p_burst_keystrokes_mean"] = float(np.mean(p_len)) if p_len else None
    out["r_burst_keystrokes_mean"] = float(np.mean(r_len)) if r_len else None
    out["p_burst_duration_s_mean"] = float(np.mean(p_dur)) if p_dur else None
    out["r_burst_duration_s_mean"] = float(np.mean(r_dur)) if r_dur else None
    places: dict[int, list[float]] = {k: [] for k in range(len(WRITING_PAUSE_PLACES))}
    for k in np.flatnonzero(pause).tolist():
        before2 = int(kc[k - 2]) if k >= 2 else -1
        places[pause_place(before2, int(kc[k - 1]), int(kc[k]))].append(float(dd[k]))
    for idx, name in enumerate(WRITING_PAUSE_PLACES):
        out[f"pauses_{name}"] = len(places[idx])
        out[f"pause_{name}_mean_s"] = float(np.mean(places[idx])) if places[idx] else None
    return out


def time_normalised(t: np.ndarray, v: np.ndarray, steps: int = STEPS) -> np.ndarray:
    """``v`` at ``steps`` equally spaced times from the first to the last sample (linear)."""
    if t.size == 0:
        return np.full(steps, np.nan)
    if t.size == 1 or t[-1] == t[0]:
        return np.full(steps, float(v[-1]))
    grid = np.linspace(float(t[0]), float(t[-1]), steps)
    return np.interp(grid, t.astype(np.float64), v.astype(np.float64))


def trajectory_rows(
    cols: EventColumns, spans: list[tuple[int, int, str]] | None = None
) -> list[dict[str, Any]]:
    """One mousetrap trial per click: from the previous click's release (or the task's start) to
    this click's press. Clicks outside every span are skipped when spans are given."""
    t, x, y = pointer_track(cols)
    downs_rows = np.flatnonzero(cols.kind == Kind.BUTTON_DOWN)
    downs_rows = downs_rows[np.argsort(cols.t_ns[downs_rows], kind="stable")]
    ups = np.sort(cols.t_ns[cols.kind == Kind.BUTTON_UP])
    whole = (int(cols.t_ns.min()), int(cols.t_ns.max()), "") if len(cols) else (0, 0, "")
    windows = spans or [whole]
    rows: list[dict[str, Any]] = []
    for a, b, label in windows:
        start = a
        k = 0
        for r in downs_rows.tolist():
            click = int(cols.t_ns[r])
            if click < a or click > b:
                continue
            k += 1
            rows.append(
                {"task": label or None, "trial": k, **trial(t, x, y, start, click, cols.x[r], cols.y[r])}
            )
            after = ups[ups >= click]
            start = int(after[0]) if after.size else click
    return rows


def trial(
    t: np.ndarray, x: np.ndarray, y: np.ndarray, start: int, click: int, click_x: int, click_y: int
) -> dict[str, Any]:
    """One trial's measures: the pointer from where it was at ``start`` to the click at ``click``."""
    sel = (t >= start) & (t <= click)
    tt, xx, yy = t[sel], x[sel], y[sel]
    before = np.flatnonzero(t < start)
    if before.size:  # where the pointer was when the trial began
        j = before[-1]
        tt, xx, yy = np.append(start, tt), np.append(x[j], xx), np.append(y[j], yy)
    tt, xx, yy = np.append(tt, click), np.append(xx, click_x), np.append(yy, click_y)
    m = mousetrap(Trajectory(tt, xx, yy), start)
    return {
        "start_ms": start / 1e6,
        "click_ms": click / 1e6,
        "mad_px": m["mad_px"],
        "auc_px2": m["auc_px2"],
        "x_flips": m["x_flips"],
        **trajectory_measures(tt, xx, yy, start),
    }


def _flips(v: np.ndarray) -> int:
    d = np.sign(np.diff(v.astype(np.float64)))
    d = d[d != 0]
    return int((d[1:] != d[:-1]).sum()) if d.size > 1 else 0


def trajectory_measures(t: np.ndarray, x: np.ndarray, y: np.ndarray, start_ns: int) -> dict[str, Any]:
    """Time-normalised path, AD, y-flips, initiation and movement time, peak velocity of one trial."""
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    moved = np.flatnonzero((xf != xf[0]) | (yf != yf[0]))
    first_move = int(t[moved[0]]) if moved.size else None  # the first sample away from the start
    tx, ty = time_normalised(t, xf), time_normalised(t, yf)
    length = float(np.hypot(xf[-1] - xf[0], yf[-1] - yf[0]))
    if length > 0:
        dev = ((xf[-1] - xf[0]) * (ty - yf[0]) - (yf[-1] - yf[0]) * (tx - xf[0])) / length
        ad: float | None = float(dev.mean())
    else:
        ad = None
    dt = np.diff(t).astype(np.float64) / 1e9
    dist = np.hypot(np.diff(xf), np.diff(yf))
    speed = dist[dt > 0] / dt[dt > 0]
    return {
        "points": int(t.size),
        "initiation_ms": (first_move - start_ns) / 1e6 if first_move is not None else None,
        "movement_ms": (int(t[-1]) - first_move) / 1e6 if first_move is not None else None,
        "total_ms": (int(t[-1]) - start_ns) / 1e6,
        "ad_px": ad,
        "y_flips": _flips(yf),
        "peak_velocity_px_s": float(speed.max()) if speed.size else None,
        "x_norm": tx.tolist(),
        "y_norm": ty.tolist(),
    }
