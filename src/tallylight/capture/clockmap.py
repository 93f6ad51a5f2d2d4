"""Map the operating system's event times onto the session clock (pure; runs on the writer thread).

A hook callback runs when Python gets round to it: on a busy machine that can be
milliseconds after the input happened. The OS stamps every event when it
happens (X11: the server's ``time``, ms; Windows hooks: ``time``, ms; macOS:
``CGEventGetTimestamp``). Both clocks tick at (nearly) the same rate but have an
unknown offset, so for each event

    offset = delivered_ns - os_ns = true offset + delivery lag + quantisation ≥ true offset.

The smallest offsets seen recently are therefore the best estimate of the true
one: :class:`ClockMap` keeps the minimum per bucket of delivery time over a
sliding window (with a drift slope fitted through the bucket minima when the
clocks really drift apart), and for each event picks the better time:

- delivery was prompt (its offset is within the OS clock's resolution plus a
  tolerance of the minimum): the fine delivery stamp, which is finer than the
  OS clock. While deliveries are often clearly late (a busy machine), an offset
  more than half the resolution above the minimum is more likely lag than the OS
  clock's rounding, so the limit drops to half the resolution: no event's time
  is then off by more than about half the resolution either way;
- delivery lagged: the OS time mapped onto the session clock with the typical
  offset of promptly delivered events (so mapped and fine stamps agree on
  average), never later than the delivery and never earlier than an event the
  OS stamped before it.

32-bit millisecond counters (X11, Windows) wrap every 49.7 days; they are
unwrapped against the previous event. A lasting jump of the offset (the OS clock
stepped) resets the estimate.
"""

from __future__ import annotations

import collections
import itertools
import statistics
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ClockSource:
    """Where an event's OS time comes from and what its numbers mean."""

    name: str
    unit_ns: float  # nanoseconds per OS tick
    wrap_bits: int  # the counter wraps at 2**wrap_bits ticks; 0 = never
    resolution_ns: int  # granularity of the OS time (what one stamp can tell apart)


#: The X server's ``time`` of each event: ms of its monotonic clock, 32-bit (X11 Timestamp).
X11_SERVER_TIME = ClockSource("x11-server-time", 1e6, 32, 1_000_000)
#: ``KBDLLHOOKSTRUCT.time`` / ``MSLLHOOKSTRUCT.time``: GetTickCount ms, 32-bit; it advances
#: with the system timer, every 15.6 ms unless an application raised the timer resolution.
WIN32_HOOK_TIME = ClockSource("win32-hook-time", 1e6, 32, 15_625_000)
#: ``CGEventGetTimestamp``: ns since boot (mach absolute time converted by the hook).
DARWIN_EVENT_TIME = ClockSource("cgevent-timestamp", 1.0, 0, 1_000)

BUCKET_NS = 2_000_000_000
WINDOW_NS = 20_000_000_000
TOLERANCE_NS = 250_000  # delivery jitter still counted as prompt, beyond the OS resolution
MIN_DRIFT = 20e-6  # slopes below this are noise of the bucket minima, not drift
MAX_DRIFT = 1e-3
DRIFT_SPAN_NS = 10_000_000_000  # fit a slope only over at least this much time
STEP_NS = 1_000_000_000  # offsets this far above the estimate ...
STEP_HOLD_NS = 3_000_000_000  # ... for this long (delivery time) mean the OS clock stepped
LAG_BIN_NS = 50_000
BUSY_SHARE = 0.05  # more recent deliveries than this clearly late: the machine is busy
_EMA = 1 / 64
_EMA_SHARE = 1 / 32


class ClockMap:
    """Best estimate of each event's time on the session clock; keeps the quality figures."""

    def __init__(
        self,
        source: ClockSource,
        *,
        bucket_ns: int = BUCKET_NS,
        window_ns: int = WINDOW_NS,
        tolerance_ns: int = TOLERANCE_NS,
    ) -> None:
        self.source = source
        self._bucket_ns = bucket_ns
        self._window_ns = window_ns
        self._prompt_limit = source.resolution_ns + tolerance_ns
        self._busy_limit = source.resolution_ns // 2
        self._late_share = 0.0  # recent share of clearly late deliveries
        self._mod = 1 << source.wrap_bits if source.wrap_bits else 0
        self._half = self._mod >> 1
        self._last_raw: int | None = None
        self._ext = 0
        # closed buckets: (delivery time of the minimum, minimum offset)
        self._buckets: collections.deque[tuple[int, int]] = collections.deque()
        self._cur: tuple[int, int] | None = None
        self._cur_start = 0
        self._slope = 0.0
        self._closed_base: float | None = None  # min_k(m_k - slope * t_k) over closed buckets
        self._typical = source.resolution_ns / 2  # mean residual of prompt events (quantisation + jitter)
        self._step_since: int | None = None
        self._last_best: int | None = None
        self._last_ext: int | None = None
        # quality figures
        self.events = 0
        self.retimed = 0
        self.resets = 0
        self.lag_max_ns = 0
        self._lag_bins: dict[int, int] = {}
        unit = source.unit_ns
        self._unit_int = int(unit) if unit == int(unit) else 0  # integer ns per tick: exact and faster

    # -- mapping -----------------------------------------------------------------------

    def map(self, delivered_ns: int, os_raw: int) -> int:
        """The best estimate, on the delivery clock, of when the event stamped ``os_raw`` happened."""
        ext = self._unwrap(os_raw)
        os_ns = ext * self._unit_int if self._unit_int else round(ext * self.source.unit_ns)
        offset = delivered_ns - os_ns
        est = self._estimate(delivered_ns)
        if est is None or (offset - est >= STEP_NS and self._stepped(delivered_ns)):
            if est is not None:
                self._reset()
            est = offset
        elif offset - est < STEP_NS:
            self._step_since = None
        self._observe(delivered_ns, offset)
        if offset < est:
            est = offset
        residual = offset - est
        self.events += 1
        clearly_late = residual > self._prompt_limit
        busy = self._late_share > BUSY_SHARE
        self._late_share += (clearly_late - self._late_share) * _EMA_SHARE
        if residual <= (self._busy_limit if busy else self._prompt_limit):
            if not busy:  # learnt while quiet: on a busy machine mild lags would creep in
                self._typical += (residual - self._typical) * _EMA
            best = delivered_ns
        else:
            best = round(os_ns + est) + round(self._typical)  # est is fractional once a slope is fitted
            self.retimed += 1
        if self._last_ext is not None and ext >= self._last_ext and self._last_best is not None:
            best = max(best, self._last_best)  # the OS says it came later: never place it earlier
        best = min(best, delivered_ns)  # nothing is known before it happened
        lag = delivered_ns - best
        self._record_lag(lag)
        if self._last_ext is None or ext >= self._last_ext:
            self._last_ext, self._last_best = ext, best
        return best

    def _unwrap(self, raw: int) -> int:
        last = self._last_raw
        self._last_raw = raw
        if last is None:
            self._ext = raw
        elif self._mod:
            self._ext += (raw - last + self._half) % self._mod - self._half
        else:
            self._ext += raw - last
        return self._ext

    def _estimate(self, t: int) -> float | None:
        best: float | None = None
        if self._closed_base is not None:
            best = self._closed_base + self._slope * t
        if self._cur is not None:
            ct, cm = self._cur
            v = cm + self._slope * (t - ct)
            best = v if best is None or v < best else best
        return best

    def _stepped(self, t: int) -> bool:
        """Offsets far above the estimate for long enough: the OS clock stepped."""
        if self._step_since is None:
            self._step_since = t
        return t - self._step_since >= STEP_HOLD_NS

    def _reset(self) -> None:
        self._buckets.clear()
        self._cur = None
        self._closed_base = None
        self._slope = 0.0
        self._step_since = None
        self._last_best = self._last_ext = None
        self.resets += 1

    def _observe(self, t: int, offset: int) -> None:
        if self._cur is None:
            self._cur, self._cur_start = (t, offset), t
            return
        if t - self._cur_start >= self._bucket_ns:
            self._buckets.append(self._cur)
            while self._buckets and self._buckets[0][0] < t - self._window_ns:
                self._buckets.popleft()
            self._slope = _drift(self._buckets)
            self._closed_base = (
                min(m - self._slope * bt for bt, m in self._buckets) if self._buckets else None
            )
            self._cur, self._cur_start = (t, offset), t
        elif offset < self._cur[1]:
            self._cur = (t, offset)

    # -- quality -----------------------------------------------------------------------

    def _record_lag(self, lag: int) -> None:
        if lag > self.lag_max_ns:
            self.lag_max_ns = lag
        b = lag // LAG_BIN_NS
        self._lag_bins[b] = self._lag_bins.get(b, 0) + 1

    def lag_percentile_ns(self, p: float) -> int:
        """Upper edge of the bin holding the p-th percentile of the delivery lag (50 µs bins)."""
        if not self.events:
            return 0
        rank = p / 100 * self.events
        seen = 0
        for b in sorted(self._lag_bins):
            seen += self._lag_bins[b]
            if seen >= rank:
                return min((b + 1) * LAG_BIN_NS, self.lag_max_ns)
        return self.lag_max_ns

    @property
    def drift_ppm(self) -> float:
        return self._slope * 1e6

    def quality(self) -> dict[str, Any]:
        """The figures a researcher needs to judge this session's timing (see docs/FORMAT.md)."""
        return {
            "os_clock": self.source.name,
            "os_clock_resolution_ns": self.source.resolution_ns,
            "events_with_os_time": self.events,
            "retimed": self.retimed,
            "delivery_lag_p50_us": self.lag_percentile_ns(50) / 1e3,
            "delivery_lag_p99_us": self.lag_percentile_ns(99) / 1e3,
            "delivery_lag_max_us": self.lag_max_ns / 1e3,
            "drift_ppm": round(self.drift_ppm, 2),
            "clock_resets": self.resets,
        }


def _drift(buckets: collections.deque[tuple[int, int]]) -> float:
    """Theil-Sen slope through the bucket minima, or 0 when it is within noise."""
    if len(buckets) < 3 or buckets[-1][0] - buckets[0][0] < DRIFT_SPAN_NS:
        return 0.0
    slopes = [(m2 - m1) / (t2 - t1) for (t1, m1), (t2, m2) in itertools.combinations(buckets, 2) if t2 > t1]
    if not slopes:
        return 0.0
    s = statistics.median(slopes)
    if abs(s) < MIN_DRIFT:
        return 0.0
    return max(-MAX_DRIFT, min(MAX_DRIFT, s))
