"""Real capture on a real X server: injected input in, exactly the in-session events out."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from helpers import wait_until
from tallylight.events import Event, KeyClass, Kind, Marker, RawEvent, SessionInfo
from tallylight.options import CaptureOptions, KeyMode
from tallylight.recorder.session import HookSet, Session, default_hooks
from tallylight.recorder.sink import MemorySink
from xserver import ServerClock, ServerTimes, XServer, fake_moves

pytestmark = pytest.mark.x11


class Recording:
    def __init__(self, options: CaptureOptions) -> None:
        self.sinks: list[MemorySink] = []
        self.session = Session(options, self._make_sink)

    def _make_sink(self, info):
        sink = MemorySink(info)
        self.sinks.append(sink)
        return sink

    @property
    def events(self) -> list[Event]:
        return list(self.sinks[0].events) if self.sinks else []

    def count(self, kind: Kind) -> int:
        return self.session.stats.counts[kind]


@pytest.fixture
def recording(xserver: XServer) -> Iterator[Callable[..., Recording]]:
    made: list[Recording] = []

    def make(**options: Any) -> Recording:
        rec = Recording(CaptureOptions(**options))
        made.append(rec)
        return rec

    yield make
    for rec in made:
        rec.session.stop()


def texts(events: list[Event]) -> list[str]:
    return [e.text for e in events if e.kind == Kind.KEY_DOWN]


def test_nothing_before_start_while_paused_or_after_stop(recording, xserver: XServer) -> None:
    rec = recording(keys=KeyMode.FULL)
    xserver.xdotool("type", "b")  # before start
    rec.session.start()
    xserver.xdotool("type", "in")
    wait_until(lambda: rec.count(Kind.KEY_UP) >= 2)
    rec.session.pause()
    xserver.xdotool("type", "paused")
    xserver.xdotool("mousemove", "300", "300")
    rec.session.resume()
    xserver.xdotool("type", "ok")
    wait_until(lambda: rec.count(Kind.KEY_UP) >= 4)
    rec.session.stop()
    xserver.xdotool("type", "after")
    xserver.xdotool("mousemove", "10", "10")
    events = rec.events
    assert texts(events) == ["i", "n", "o", "k"]
    assert not [e for e in events if e.kind == Kind.MOVE]
    markers = [Marker(e.marker) for e in events if e.kind == Kind.MARKER]
    assert markers == [Marker.SESSION_START, Marker.PAUSE, Marker.RESUME, Marker.SESSION_STOP]
    times = [e.t_ns for e in events]
    assert times == sorted(times)
    assert events[-1].kind == Kind.MARKER
    assert events[-1].marker == Marker.SESSION_STOP


def test_events_in_order_with_releases(recording, xserver: XServer) -> None:
    rec = recording(keys=KeyMode.FULL)
    xserver.xdotool("mousemove", "5", "5")
    rec.session.start()
    xserver.xdotool("type", "--delay", "20", "Hi!")
    xserver.xdotool("mousemove", "100", "120", "click", "1", "click", "3", "click", "5")
    wait_until(lambda: rec.count(Kind.SCROLL) >= 1)
    rec.session.stop()
    keys = [(e.kind, e.text) for e in rec.events if e.kind in (Kind.KEY_DOWN, Kind.KEY_UP)]
    downs = [t for k, t in keys if k == Kind.KEY_DOWN]
    ups = [t for k, t in keys if k == Kind.KEY_UP]
    assert [t for t in downs if t != "shift"] == ["H", "i", "!"]
    assert sorted(downs) == sorted(ups)  # every press has its release, reported the same way
    inputs = [e for e in rec.events if e.kind != Kind.MARKER]
    mouse = [(e.kind, e.button) for e in inputs if e.kind in (Kind.BUTTON_DOWN, Kind.BUTTON_UP)]
    assert mouse == [(Kind.BUTTON_DOWN, 1), (Kind.BUTTON_UP, 1), (Kind.BUTTON_DOWN, 3), (Kind.BUTTON_UP, 3)]
    assert any(e.kind == Kind.MOVE and (e.x, e.y) == (100, 120) for e in inputs)
    scrolls = [e for e in inputs if e.kind == Kind.SCROLL]
    assert scrolls[0].dy == -1
    assert (scrolls[0].x, scrolls[0].y) == (100, 120)
    times = [e.t_ns for e in rec.events]
    assert times == sorted(times)
    assert times[0] == 0


@pytest.mark.parametrize("mode", list(KeyMode))
def test_each_key_mode_yields_what_it_promises(recording, xserver: XServer, mode: KeyMode) -> None:
    rec = recording(keys=mode)
    rec.session.start()
    xserver.xdotool("type", "Aa1 .")
    xserver.xdotool("mousemove", "50", "60")
    wait_until(lambda: rec.count(Kind.MOVE) >= 1)
    rec.session.stop()
    keys = [e for e in rec.events if e.kind in (Kind.KEY_DOWN, Kind.KEY_UP)]
    if mode == KeyMode.NONE:
        assert keys == []
        return
    classes = [KeyClass(e.key_class) for e in keys if e.kind == Kind.KEY_DOWN]
    assert [c for c in classes if c != KeyClass.MODIFIER] == [
        KeyClass.LETTER,
        KeyClass.LETTER,
        KeyClass.DIGIT,
        KeyClass.SPACE,
        KeyClass.PUNCTUATION,
    ]
    if mode == KeyMode.CLASS:
        assert all(e.text == "" and e.key == 0 for e in keys)
    elif mode == KeyMode.HASHED:
        assert all(e.text == "" and e.key != 0 for e in keys)
        letters = [e.key for e in keys if e.kind == Kind.KEY_DOWN and e.key_class == KeyClass.LETTER]
        assert letters[0] == letters[1]  # 'A' and 'a' are the same physical key
    else:
        assert [e.text for e in keys if e.kind == Kind.KEY_DOWN and e.text != "shift"] == [
            "A",
            "a",
            "1",
            "space",
            ".",
        ]
    # nothing anywhere carries a character unless the mode is full
    if mode != KeyMode.FULL:
        assert all(e.text == "" for e in rec.events)


def test_mouse_only_session_installs_no_keyboard_hook(recording, xserver: XServer) -> None:
    rec = recording(keys=KeyMode.NONE, clicks=False, scrolls=False)
    rec.session.start()
    xserver.xdotool("type", "secret")
    xserver.xdotool("mousemove", "70", "80", "click", "1", "click", "4")
    wait_until(lambda: rec.count(Kind.MOVE) >= 1)
    rec.session.stop()
    assert {e.kind for e in rec.events} == {Kind.MOVE, Kind.MARKER}


class _HookTap:
    """The writer queue as the real input hooks see it, keeping a copy of each tuple they put:
    what reached our callbacks, to tell the losses of the X server and pynput from ours."""

    def __init__(self) -> None:
        self.raw: list[RawEvent] = []

    def hooks(self, q: queue.SimpleQueue[RawEvent], options: CaptureOptions) -> HookSet:
        tap = self

        class Put:
            def put(self, item: RawEvent) -> None:
                tap.raw.append(item)
                q.put(item)

        return default_hooks(Put(), options)  # type: ignore[arg-type]  # only put() is used

    def moves(self) -> list[tuple[int, int]]:
        return [(int(r[2]), int(r[3])) for r in list(self.raw) if r[1] == Kind.MOVE]

    def last_move_ms(self) -> int:
        return int(next(r[4] for r in reversed(list(self.raw)) if r[1] == Kind.MOVE))


class _RecordBytes:
    """Counts the MotionNotify events inside the RECORD replies python-xlib reads from the
    socket, before pynput parses them: what the X server really delivered to the hook."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from Xlib.ext import record

        self.motions = 0
        original = record.EnableContext._parse_response
        tap = self

        def parse(request: Any, data: bytes) -> Any:
            # only a running listener's: one stopped in an earlier test may linger until its next reply
            listener = getattr(request._callback, "__self__", None)
            if data[1] == record.FromServer and getattr(listener, "running", False):
                assert data[8] == 0, "pynput asks for no element headers"
                body = bytes(data[32:])
                tap.motions += sum(1 for i in range(0, len(body), 32) if body[i] & 0x7F == 6)
            return original(request, data)

        monkeypatch.setattr(record.EnableContext, "_parse_response", parse)


@pytest.mark.slow
def test_twenty_thousand_moves_none_lost(xserver: XServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every move is stored, or counted as lost in the session's timing record.

    Xvfb 21 loses a RECORD reply now and then to a recording client that fell behind (see
    tallylight.capture.xaudit): on a loaded machine some moves never reach our socket. So the
    test checks each layer against the one before it: the X server made every move (a second
    client's XInput 2 raw motion), the moves RECORD delivered reached the hooks, the hooks'
    moves were all stored, and the recorder's own count of lost moves is exactly the
    difference between what was made and what RECORD delivered.
    """
    tap = _HookTap()
    received = _RecordBytes(monkeypatch)
    sinks: list[MemorySink] = []

    def sink(info: SessionInfo) -> MemorySink:
        sinks.append(MemorySink(info))
        return sinks[-1]

    session = Session(CaptureOptions(keys=KeyMode.NONE), sink, hooks=tap.hooks)
    fake_moves(xserver, [(0, 0)])
    witness = ServerTimes(xserver.display, keys=False, moves=True)
    clock = ServerClock(xserver.display)
    first = (640, 640)
    points = [(1 + i % 1000, 1 + (i // 1000) % 2 + (i % 7)) for i in range(20_000)]
    # make every point differ from the one before, so the X server reports each move
    for i in range(1, len(points)):
        if points[i] == points[i - 1]:
            points[i] = (points[i][0], points[i][1] + 1)
    session.start()
    try:
        fake_moves(xserver, [first])
        wait_until(lambda: tap.moves(), message=lambda: "the first move never reached the hooks")
        # the loss count compares milliseconds strictly between the first and the last move
        # received: keep the first and the last (sentinel) move alone in their millisecond
        clock.wait_past(tap.last_move_ms())
        # one round trip per move: the X server itself merges motion events still in its queue
        fake_moves(xserver, points, sync_every=1)
        clock.wait_past(clock.now())
        # a last move to a point used nowhere else: the server delivers in order and the
        # writer keeps that order, so once it is stored, everything sent before it was
        # processed (a loaded machine only makes this take longer; the timeout is a hang guard)
        fake_moves(xserver, [_SENTINEL])
        wait_until(
            lambda: sinks[0].events[-1:] and (sinks[0].events[-1].x, sinks[0].events[-1].y) == _SENTINEL,
            timeout=60,
            message=lambda: f"the last move never arrived; hooks saw {len(tap.moves())} moves",
        )
    finally:
        session.stop()
        clock.close()
    sent = [first, *points, _SENTINEL]
    wait_until(lambda: witness.read() >= len(sent), timeout=60, message=lambda: f"{len(witness.events)} raw")
    witness.close()
    # the X server made every move sent, and no other
    assert len(witness.events) == len(sent)
    moves = [(e.x, e.y) for e in sinks[0].events if e.kind == Kind.MOVE]
    delivered = tap.moves()
    # what our code controls: every move RECORD delivered reached the hooks, and all were stored
    assert received.motions == len(delivered), "pynput or our adapter lost moves RECORD delivered"
    assert moves == delivered, f"the recorder lost moves its hooks received: {_missing(delivered, moves)}"
    assert delivered[0] == first
    assert _is_subsequence(delivered, sent), "moves the X server was never asked for"
    # the recorder's own loss count is the truth: each move the server made and RECORD lost
    quality = session.timing_quality
    assert quality is not None
    assert quality["dropped_or_merged"] == len(sent) - len(delivered), (
        f"the recorder counted {quality['dropped_or_merged']} lost moves; RECORD lost "
        f"{_missing(sent, delivered)} ({len(sent) - len(delivered)})"
    )


def _is_subsequence(got: list[tuple[int, int]], sent: list[tuple[int, int]]) -> bool:
    it = iter(sent)
    return all(any(p == q for q in it) for p in got)


_SENTINEL = (1234, 1010)


def _missing(points: list[tuple[int, int]], got: list[tuple[int, int]]) -> list:
    """The first points (index, point, the point before) absent from ``got``, in order."""
    out, j = [], 0
    for i, p in enumerate(points):
        if j < len(got) and got[j] == p:
            j += 1
        else:
            out.append((i, p, points[i - 1] if i else None))
    return out[:5]
