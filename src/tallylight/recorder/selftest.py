"""``tallylight doctor --timing``: inject a known schedule, record it, compare.

A lab checks a machine before a study: XTest presses and releases Shift (which
types nothing) and moves the pointer around where it is, on a schedule; the
recorder's own pipeline (hooks, writer thread, clock mapping; in this process,
into memory, nothing is stored) records it; the recorded intervals are compared
with the injected ones. The injector runs in its own process, like a keyboard.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from tallylight.capture import xinject
from tallylight.errors import CaptureUnavailable
from tallylight.events import Kind
from tallylight.hardening import child_env
from tallylight.i18n import _
from tallylight.options import CaptureOptions, KeyMode
from tallylight.recorder.session import Session
from tallylight.recorder.sink import MemorySink
from tallylight.reentry import child_argv

MS = 1_000_000
KEY_EVENTS = 40
MOVES = 30
GOOD_P99_MS = 1.0


@dataclass
class TimingReport:
    key_events: int
    moves: int
    span_s: float
    errors_ns: list[int]
    quality: dict[str, Any] = field(default_factory=dict)

    def p(self, q: float) -> float:
        return xinject.percentile([abs(e) / 1e6 for e in self.errors_ns], q)

    @property
    def good(self) -> bool:
        return self.p(99) <= GOOD_P99_MS

    def lines(self) -> list[str]:
        q = self.quality
        out = [
            f"Injected {self.key_events} key events (Shift) and {self.moves} pointer moves "
            f"over {self.span_s:.1f} s; recorded every one.",
            f"Recorded intervals against the injected ones: p50 {self.p(50):.2f} ms, "
            f"p99 {self.p(99):.2f} ms, max {max((abs(e) for e in self.errors_ns), default=0) / 1e6:.2f} ms.",
        ]
        if q:
            out.append(
                f"OS clock: {q.get('os_clock')}; {q.get('retimed', 0)} of {q.get('events_with_os_time', 0)} "
                f"events were re-timed from it; delivery lag p99 "
                f"{(q.get('delivery_lag_p99_us') or 0) / 1e3:.2f} ms, "
                f"max {(q.get('delivery_lag_max_us') or 0) / 1e3:.1f} ms."
            )
            load = q.get("load_average_stop") or []
            if load:
                out.append(f"Load average {load[0]:.2f} on {q.get('cpu_count')} CPUs.")
        if self.good:
            out.append(f"Timing is good for keystroke research here (p99 within {GOOD_P99_MS:g} ms).")
        else:
            out.append(
                f"Timing is coarser than {GOOD_P99_MS:g} ms at p99 here; "
                "close busy programs and run this again."
            )
        return out


def injection_possible(env: dict[str, str] | None = None) -> str:
    """'' when XTest injection works on this display, else a sentence saying why not."""
    env = dict(os.environ if env is None else env)
    if sys.platform != "linux" and not sys.platform.startswith("freebsd"):
        return (
            "The timing self-test needs X11 (it injects input with XTest); on this system it cannot "
            "inject input, so it cannot measure timing."
        )
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return (
            "The timing self-test cannot inject input in a Wayland session (XTest reaches only X11 clients)."
        )
    if not env.get("DISPLAY"):
        return "The timing self-test needs an X display (DISPLAY is not set)."
    try:
        from Xlib import display as xdisplay

        d = xdisplay.Display(env["DISPLAY"])
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the same answer
        return f"The timing self-test could not connect to the X display ({exc})."
    try:
        if not d.has_extension("XTEST"):
            return "The X server lacks the XTEST extension, so the timing self-test cannot inject input."
    finally:
        d.close()
    return ""


def schedule(display: str | None) -> tuple[list[xinject.Step], int]:
    """Shift presses, then pointer moves around the current pointer position (restored at the end)."""
    from Xlib import XK
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        shift = d.keysym_to_keycode(XK.XK_Shift_L)
        screen = d.screen()
        pointer = screen.root.query_pointer()
        x0, y0 = pointer.root_x, pointer.root_y
        bx = min(max(x0, 20), screen.width_in_pixels - 20)  # every move lands on screen, none repeats
        by = min(max(y0, 20), screen.height_in_pixels - 20)
    finally:
        d.close()
    keys = xinject.key_schedule(KEY_EVENTS, seed=13, keycodes=(shift,))
    t = keys[-1][0] + 150 * MS
    moves: list[xinject.Step] = []
    for i in range(MOVES):
        t += (17 + (i * 7) % 40) * MS
        dx, dy = ((i % 5) - 2) * 6 + 1, ((i % 3) - 1) * 5 + 1
        moves.append((t, "move", bx + dx, by + dy))
    if (x0, y0) != (bx + dx, by + dy):
        moves.append((t + 30 * MS, "move", x0, y0))
    return keys + moves, shift


def run(display: str | None = None) -> TimingReport:
    why = injection_possible()
    if why:
        raise CaptureUnavailable(why)
    steps, _shift = schedule(display)
    sinks: list[MemorySink] = []

    def sink(info: Any) -> MemorySink:
        sinks.append(MemorySink(info))
        return sinks[-1]

    session = Session(CaptureOptions(keys=KeyMode.CLASS, clicks=False, scrolls=False), sink)
    session.start()
    try:
        time.sleep(0.2)
        out = subprocess.run(  # noqa: S603 - our own module (child_argv)
            child_argv("tallylight.capture.xinject"),
            input=json.dumps(steps),
            stdout=subprocess.PIPE,
            text=True,
            check=True,
            timeout=60,
            env=child_env(),
        )
        sent = json.loads(out.stdout)["sent_ns"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _inputs(session) < len(steps):
            time.sleep(0.05)
        time.sleep(0.15)  # anything else (the participant's own input) shows up too
    finally:
        session.stop()
    events = [e for e in sinks[0].events if e.kind != Kind.MARKER] if sinks else []
    keys = [e.t_ns for e in events if e.kind in (Kind.KEY_DOWN, Kind.KEY_UP)]
    moves = [e.t_ns for e in events if e.kind == Kind.MOVE]
    n_keys = sum(1 for s in steps if s[1] == "key")
    if len(keys) != n_keys or len(moves) != len(steps) - n_keys:
        raise CaptureUnavailable(
            _(
                "The self-test recorded {keys} key events and {moves} moves for {n_keys} and {value} "
                "injected: other input arrived or some was lost. Run it again without touching the "
                "keyboard or mouse."
            ).format(keys=len(keys), moves=len(moves), n_keys=n_keys, value=len(steps) - n_keys)
        )
    errors = xinject.interval_errors(sent[:n_keys], keys) + xinject.interval_errors(sent[n_keys:], moves)
    return TimingReport(n_keys, len(moves), (sent[-1] - sent[0]) / 1e9, errors, session.timing_quality or {})


def _inputs(session: Session) -> int:
    return sum(v for k, v in session.stats.counts.items() if k != Kind.MARKER)
