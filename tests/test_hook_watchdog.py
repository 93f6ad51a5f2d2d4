"""The hook watchdog wired into a real session (the code path Windows runs), on a real X server.

Windows removes a low-level hook that answers late and says nothing. Here the real pynput
hooks of a session are stopped behind its back (what Windows does to them), and the
X server's own record of the last input (MIT-SCREEN-SAVER idle time) stands in for
``GetLastInputInfo``: the one seam, :class:`~tallylight.capture.watchdog.InputClock`.
Everything else is what the recorder runs on Windows: the session's watchdog thread,
the writer telling it what was heard, the gap and the restarted hooks.
"""

from __future__ import annotations

import queue
import time
from typing import Any

import pytest

from helpers import wait_until
from tallylight.capture.listeners import Hooks
from tallylight.capture.watchdog import InputClock
from tallylight.events import GapReason, Kind, Marker, RawEvent
from tallylight.options import CaptureOptions, KeyMode
from tallylight.recorder.session import Session
from tallylight.recorder.sink import MemorySink
from xserver import XServer, fake_moves

pytestmark = pytest.mark.x11

MOVES_ONLY = CaptureOptions(keys=KeyMode.NONE, clicks=False, scrolls=False)


class X11InputClock(InputClock):
    """GetLastInputInfo's X11 twin: a tick count in ms, and the last input on it."""

    def __init__(self, display: str) -> None:
        from Xlib import display as xdisplay

        self._display = xdisplay.Display(display)
        self._root = self._display.screen().root

    def now_ms(self) -> int:
        return int(time.monotonic() * 1000) % 2**32

    def idle_ms(self) -> int:
        return int(self._root.screensaver_query_info().idle)

    def last_input_ms(self) -> int:
        now = self.now_ms()
        return (now - self.idle_ms()) % 2**32

    def close(self) -> None:
        self._display.close()


class Mover:
    """The participant, moving the pointer to a new place at each call."""

    def __init__(self, server: XServer) -> None:
        self.server = server
        self.x = 100

    def __call__(self) -> None:
        self.x = self.x % 1000 + 1
        fake_moves(self.server, [(self.x, 300)])


def keep_moving(clock: X11InputClock, move: Mover, ms: int) -> int:
    """Input for ``ms``, each move seen by the X server (its idle time drops) and paced by
    it (50 ms without input before the next); how many moves."""
    end = clock.now_ms() + ms
    n = 0
    while clock.now_ms() < end:
        move()
        n += 1
        wait_until(lambda: clock.idle_ms() < 50)
        wait_until(lambda: clock.idle_ms() >= 50)
    return n


def test_a_hook_windows_removed_is_restarted_and_the_gap_is_recorded(xserver: XServer) -> None:
    made: list[Hooks] = []

    def hooks(q: queue.SimpleQueue[RawEvent], options: CaptureOptions) -> Hooks:
        made.append(Hooks(q, options))
        return made[-1]

    sinks: list[MemorySink] = []

    def sink(info: Any) -> MemorySink:
        sinks.append(MemorySink(info))
        return sinks[-1]

    clock = X11InputClock(xserver.display)
    session = Session(MOVES_ONLY, sink, hooks=hooks, input_clock=clock)
    move = Mover(xserver)
    moves = lambda: session.stats.counts[Kind.MOVE]  # noqa: E731 - a short probe
    try:
        session.start()
        fake_moves(xserver, [(50 + i, 60) for i in range(5)])
        wait_until(lambda: moves() >= 5)
        moved = keep_moving(clock, move, 3_000)  # longer than the 2 s of silence: a hook that hears is kept
        wait_until(lambda: moves() >= 5 + moved)
        assert len(made) == 1
        made[0].stop()  # what Windows does to a hook that answered late: gone, and no word said

        def restarted() -> bool:
            move()  # the participant goes on moving the mouse; the OS sees it, the hook does not
            return len(made) >= 2

        wait_until(restarted, timeout=30, interval=0.05)
        before = moves()

        def recorded_again() -> bool:
            move()
            return moves() > before

        wait_until(recorded_again, timeout=30, interval=0.05)
    finally:
        session.stop()
        clock.close()
    assert session.watchdog is not None
    assert session.watchdog.restarts == 1
    events = sinks[0].events
    markers = [(Marker(e.marker), e.reason) for e in events if e.kind == Kind.MARKER]
    assert markers[1:3] == [(Marker.GAP, GapReason.HOOK_REMOVED), (Marker.RESUME, 0)]
    gap, resume = (
        e.t_ns for e in events if e.kind == Kind.MARKER and e.marker in (Marker.GAP, Marker.RESUME)
    )
    assert [e for e in events if e.kind == Kind.MOVE and gap <= e.t_ns < resume] == []
    assert len([e for e in events if e.kind == Kind.MOVE and e.t_ns < gap]) == 5 + moved  # before the removal
    assert [e for e in events if e.kind == Kind.MOVE and e.t_ns > resume]  # the restarted hook records


def test_a_paused_session_is_not_a_removed_hook(xserver: XServer) -> None:
    """In a pause the hooks are removed on purpose: input then is no reason to restart them."""
    made: list[Hooks] = []

    def hooks(q: queue.SimpleQueue[RawEvent], options: CaptureOptions) -> Hooks:
        made.append(Hooks(q, options))
        return made[-1]

    clock = X11InputClock(xserver.display)
    session = Session(MOVES_ONLY, MemorySink, hooks=hooks, input_clock=clock)
    move = Mover(xserver)
    try:
        session.start()
        session.pause()
        assert session.watchdog is not None
        # input for longer than the watchdog's 2 s of silence
        keep_moving(clock, move, 3_000)
        session.resume()  # the hooks come back: silence is counted from here
        before = session.stats.counts[Kind.MOVE]

        def recorded() -> bool:
            move()
            return session.stats.counts[Kind.MOVE] > before

        wait_until(recorded, interval=0.05)
    finally:
        session.stop()
        clock.close()
    assert len(made) == 2  # the first hooks, and those the resume installed
    assert session.watchdog.restarts == 0


def test_a_failed_restart_stops_the_session_and_says_why(xserver: XServer) -> None:
    made: list[Hooks] = []

    def hooks(q: queue.SimpleQueue[RawEvent], options: CaptureOptions) -> Hooks:
        if made:
            raise OSError("no hook for you")
        made.append(Hooks(q, options))
        return made[-1]

    fatal: list[str] = []
    clock = X11InputClock(xserver.display)
    session = Session(MOVES_ONLY, MemorySink, hooks=hooks, input_clock=clock, on_fatal=fatal.append)
    move = Mover(xserver)
    try:
        session.start()
        made[0].stop()

        def stopped() -> bool:
            move()
            return bool(fatal)

        wait_until(stopped, timeout=30, interval=0.05)
    finally:
        session.stop()
        clock.close()
    assert "could not be restarted (no hook for you)" in fatal[0]
    assert session.state == "stopped"
