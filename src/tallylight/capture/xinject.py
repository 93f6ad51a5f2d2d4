"""Inject a known input schedule through XTest and say exactly when each event was sent.

The timing self-test (``tallylight doctor --timing``), benchmarks/bench_timing.py
and the timing tests check recorded times against these stamps. Each event's
stamp is ``perf_counter_ns()`` just before its request is written; a round trip
to the server follows every event (so the server has processed it before the
next one is due, and ``rtt_ns`` bounds how long that took). On Linux
``perf_counter_ns`` is CLOCK_MONOTONIC, shared by all processes, so the stamps
compare directly with a recorder's delivery stamps.

Run as ``python -m tallylight.capture.xinject`` with a JSON schedule on stdin
(list of ``[due_ns_after_start, action, *args]``); prints one JSON object with
the stamps. Running the injector in its own process keeps it from competing for
the recorder's interpreter lock.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import time
from typing import Any

MS = 1_000_000

#: A schedule entry: (due ns after the start, action, args...) with actions
#: "key" (keycode, pressed 0/1), "move" (x, y), "button" (number, pressed 0/1).
Step = tuple[Any, ...]


def key_schedule(
    n_events: int,
    seed: int = 0,
    hold_ms: tuple[float, float] = (40, 140),
    gap_ms: tuple[float, float] = (30, 250),
    keycodes: tuple[int, ...] = (38, 39, 40, 41, 42, 43, 44, 45, 46),  # a s d f g h j k l (xkb evdev)
    start_ns: int = 0,
) -> list[Step]:
    """Press, hold, release, pause, ...: at least ``n_events`` key events (whole presses), no overlap."""
    rng = random.Random(seed)
    out: list[Step] = []
    t = start_ns
    while len(out) < n_events:
        code = rng.choice(keycodes)
        out.append((t, "key", code, 1))
        t += int(rng.uniform(*hold_ms) * MS)
        out.append((t, "key", code, 0))
        t += int(rng.uniform(*gap_ms) * MS)
    return out


def mouse_schedule(n_clicks: int, seed: int = 1, start_ns: int = 0) -> list[Step]:
    """Move somewhere, click (hold 40-120 ms), pause 60-200 ms: three events per click."""
    rng = random.Random(seed)
    out: list[Step] = []
    t = start_ns
    for _ in range(n_clicks):
        out.append((t, "move", rng.randrange(50, 1000), rng.randrange(50, 700)))
        t += int(rng.uniform(30, 80) * MS)
        out.append((t, "button", 1, 1))
        t += int(rng.uniform(40, 120) * MS)
        out.append((t, "button", 1, 0))
        t += int(rng.uniform(60, 200) * MS)
    return out


def inject(schedule: list[Step], display: str | None = None, lead_ns: int = 20 * MS) -> dict[str, Any]:
    """Send ``schedule`` (sleeping until each event is due, counted from ``lead_ns`` after the
    connection is up); the send stamps and round trips."""
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    d = xdisplay.Display(display)
    try:
        d.sync()
        now, sleep = time.perf_counter_ns, time.sleep
        sent: list[int] = []
        rtt: list[int] = []
        start = now() + lead_ns
        for due, action, *args in schedule:
            wait = start + due - now()
            if wait > 0:
                sleep(wait / 1e9)
            t = now()
            if action == "key":
                xtest.fake_input(d, X.KeyPress if args[1] else X.KeyRelease, args[0])
            elif action == "button":
                xtest.fake_input(d, X.ButtonPress if args[1] else X.ButtonRelease, args[0])
            elif action == "move":
                xtest.fake_input(d, X.MotionNotify, x=args[0], y=args[1])
            else:
                raise ValueError(f"unknown action {action!r}")
            d.sync()
            sent.append(t)
            rtt.append(now() - t)
        return {"sent_ns": sent, "rtt_ns": rtt}
    finally:
        d.close()


def interval_errors(sent_ns: list[int], recorded_ns: list[int]) -> list[int]:
    """Recorded minus injected interval between consecutive events (ns), as a researcher checks it."""
    if len(sent_ns) != len(recorded_ns):
        raise ValueError(f"{len(recorded_ns)} events recorded for {len(sent_ns)} injected")
    return [
        (r1 - r0) - (s1 - s0)
        for (s0, s1), (r0, r1) in zip(
            itertools.pairwise(sent_ns),
            itertools.pairwise(recorded_ns),
            strict=True,
        )
    ]


def percentile(values: list[int] | list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``."""
    s = sorted(values)
    if not s:
        return 0.0
    return float(s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))])


def main() -> int:
    schedule = [tuple(step) for step in json.load(sys.stdin)]
    print(json.dumps(inject(schedule)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
