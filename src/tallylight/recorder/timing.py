"""One session's timing: each event's best time, and the figures that say how good it was.

Runs on the writer thread only. Hook tuples arrive with the delivery stamp
(``perf_counter_ns`` when the callback ran) first and the OS time last
(:mod:`tallylight.capture.listeners`); :meth:`SessionTiming.retime` swaps in the
best estimate (:class:`tallylight.capture.clockmap.ClockMap`) and drops the OS
time, so the rest of the pipeline sees the shapes of
:mod:`tallylight.capture.transform`. :meth:`SessionTiming.quality` is the record
stored with the session (docs/FORMAT.md section 12).
"""

from __future__ import annotations

import os
from typing import Any

from tallylight.capture.clockmap import ClockMap, ClockSource
from tallylight.capture.transform import RAW_LEN
from tallylight.events import Kind, RawEvent

QUALITY_VERSION = 1
_MARKER = int(Kind.MARKER)


def _load() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # not available (Windows)
        return []


class SessionTiming:
    def __init__(self, t0_ns: int, session_clock: str) -> None:
        self.t0_ns = t0_ns
        self.session_clock = session_clock
        self.source: ClockSource | None = None
        self.map: ClockMap | None = None
        self.floor = t0_ns  # the latest time already handed on; later arrivals never go before it
        self.late = 0  # events that arrived after later ones had been written (moved up to them)
        self.without_os_time = 0
        self.inputs = 0
        self._second = -1
        self._in_second = 0
        self.peak_rate = 0
        self._load_start = _load()
        self._cpu_start = _cpu_s()

    def use(self, source: ClockSource | None) -> None:
        """The OS clock of the hooks just installed (None: the platform gives no OS times)."""
        if source is not None and (self.source is None or self.source != source):
            self.source = source
            self.map = ClockMap(source)

    def retime(self, raw: RawEvent) -> RawEvent:
        """``raw`` with its best time first and no OS time; never earlier than ``floor``."""
        kind = raw[1]
        if kind != _MARKER and len(raw) == RAW_LEN.get(kind, -1) + 1:
            os_time = raw[-1]
            if os_time is not None and self.map is not None:
                raw = (self.map.map(raw[0], os_time), *raw[1:-1])
            else:
                self.without_os_time += 1
                raw = raw[:-1]
        if raw[0] < self.floor:
            self.late += 1
            raw = (self.floor, *raw[1:])
        return raw

    def count(self, t_session_ns: int) -> None:
        """One input event written at session time ``t_session_ns`` (in time order)."""
        self.inputs += 1
        second = t_session_ns // 1_000_000_000
        if second != self._second:
            self._second, self._in_second = second, 0
        self._in_second += 1
        if self._in_second > self.peak_rate:
            self.peak_rate = self._in_second

    def quality(self, duration_s: float) -> dict[str, Any]:
        """The timing-quality record (docs/FORMAT.md); plain JSON values."""
        q: dict[str, Any] = {
            "version": QUALITY_VERSION,
            "stored_time": "best-estimate",
            "session_clock": self.session_clock,
            "os_clock": "none",
            "os_clock_resolution_ns": 0,
            "input_events": self.inputs,
            "events_with_os_time": 0,
            "events_without_os_time": self.without_os_time,
            "retimed": 0,
            "delivery_lag_p50_us": None,
            "delivery_lag_p99_us": None,
            "delivery_lag_max_us": None,
            "drift_ppm": 0.0,
            "clock_resets": 0,
            "late_reordered": self.late,
            "rate_mean_per_s": round(self.inputs / duration_s, 2) if duration_s > 0 else 0.0,
            "rate_peak_per_s": self.peak_rate,
            "dropped_or_merged": None,
            "cpu_count": os.cpu_count() or 0,
            "load_average_start": self._load_start,
            "load_average_stop": _load(),
            "recorder_cpu_s": round(_cpu_s() - self._cpu_start, 3),
        }
        if self.map is not None:
            q.update(self.map.quality())
        q["notes"] = notes(q)
        return q


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


#: figures counted per event at delivery: once events are cut out they cannot be told apart
PER_EVENT_FIGURES = (
    "events_with_os_time",
    "events_without_os_time",
    "retimed",
    "delivery_lag_p50_us",
    "delivery_lag_p99_us",
    "delivery_lag_max_us",
    "late_reordered",
)


def after_cut(q: dict[str, Any], t_ns: Any, kind: Any, removed: int) -> dict[str, Any]:
    """The TIMING record recomputed from the events that remain after a cut (docs/FORMAT.md 12.3).

    ``t_ns`` and ``kind`` are the remaining events' columns (numpy arrays), ``removed`` how
    many input events the cut took out. Counts and
    rates are counted again; the per-event delivery figures cannot be (which events were
    re-timed is not stored), so where input events were removed they become ``null``
    rather than keep describing what the participant removed.
    """
    import numpy as np

    inputs = np.asarray(t_ns)[np.asarray(kind) != _MARKER]
    n = int(inputs.size)
    t = np.asarray(t_ns)
    duration_s = (int(t.max()) - min(0, int(t.min()))) / 1e9 if t.size else 0.0
    out = dict(q)
    out["input_events"] = n
    out["rate_mean_per_s"] = round(n / duration_s, 2) if duration_s > 0 else 0.0
    out["rate_peak_per_s"] = int(np.unique(inputs // 1_000_000_000, return_counts=True)[1].max()) if n else 0
    if removed > 0:
        for name in PER_EVENT_FIGURES:
            if name in out:
                out[name] = None
    out["notes"] = notes(out)
    if removed > 0:
        out["notes"].append(
            f"{removed} input events were cut out afterwards; the per-event delivery figures "
            "are unknown for the events that remain."
        )
    return out


def notes(q: dict[str, Any]) -> list[str]:
    """Plain sentences about what the figures mean for this session's timing (members may be missing)."""
    out = []
    if q.get("os_clock") == "none":
        out.append(
            "This system gave no OS event times: times are when the recorder received each event "
            "(accurate only while the machine was not busy)."
        )
    elif q.get("events_with_os_time") and q.get("retimed") is not None:
        share = q["retimed"] / q["events_with_os_time"]
        out.append(
            f"{q['retimed']} of {q['events_with_os_time']} events ({share:.1%}) reached the recorder late "
            "and were timed from the OS clock instead."
        )
        if (q.get("os_clock_resolution_ns") or 0) > 2_000_000:
            out.append(
                f"The OS stamps events only every {q['os_clock_resolution_ns'] / 1e6:.1f} ms here, "
                "so re-timed events are that coarse."
            )
    cpus = q.get("cpu_count") or 1
    load = max((q.get("load_average_start") or [0])[:1] + (q.get("load_average_stop") or [0])[:1])
    if load > cpus:
        out.append(f"The machine was busy (load average {load:.1f} on {cpus} CPUs).")
    if q.get("late_reordered"):
        out.append(
            f"{q['late_reordered']} events arrived so late that they were placed right after "
            "events already saved (their times are a little too late)."
        )
    if q.get("os_clock") == "x11-server-time":
        out.append(
            "Dropped or merged events cannot be detected on X11 (the X server merges pointer motion "
            "still queued in it)."
        )
    return out
