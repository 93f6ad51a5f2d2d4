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
import time
from typing import Any

from tallylight.capture.clockmap import ClockMap, ClockSource
from tallylight.capture.transform import RAW_LEN
from tallylight.events import Kind, RawEvent
from tallylight.store.timing_record import notes

QUALITY_VERSION = 1
# at most this long, at the end of a session, for the move audits' counts: the writer seals
# the session only after it, and the recorder gives the writer 5 s in all to finish
AUDIT_WAIT_S = 1.0
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
        self.unreleased_keys = 0  # keys held when capture paused or stopped (the writer counts them)
        self.without_os_time = 0
        self.inputs = 0
        self._second = -1
        self._in_second = 0
        self.peak_rate = 0
        self._load_start = _load()
        self._cpu_start = _cpu_s()
        #: each hook generation's move audit (tallylight.capture.xaudit), where there is one
        self.audits: list[Any] = []

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

    def dropped(self, wait_s: float = AUDIT_WAIT_S) -> int | None:
        """Moves the OS made that never reached the hooks, over all hook generations; None
        when not known (no audit here, or one that could not finish and found none lost).
        Waits up to ``wait_s`` in all for the audits' last counts (writer thread only)."""
        if not self.audits:
            return None
        deadline = time.monotonic() + wait_s
        lost, unknown = 0, False
        for audit in self.audits:
            if audit.done.wait(max(0.0, deadline - time.monotonic())) and audit.result is not None:
                lost += audit.result
            else:
                unknown = True
        return None if unknown and not lost else lost

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
            "unreleased_keys": self.unreleased_keys,
            "rate_mean_per_s": round(self.inputs / duration_s, 2) if duration_s > 0 else 0.0,
            "rate_peak_per_s": self.peak_rate,
            "dropped_or_merged": self.dropped(),
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
