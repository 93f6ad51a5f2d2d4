"""The X11 move audit: moves the server made that the hook never received, counted exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import wait_until
from tallylight.capture.xaudit import MotionAudit
from xserver import ServerClock, ServerTimes, XServer, fake_moves

pytestmark = pytest.mark.x11


@pytest.fixture
def made(xserver: XServer, audit: MotionAudit) -> Iterator[list[int]]:
    """The server times of 1 + 200 + 1 moves, each end alone in its millisecond (as the
    audit compares only the milliseconds strictly between the first and the last move
    received), read by a second client; ``audit`` runs from before the first move."""
    witness = ServerTimes(xserver.display, keys=False, moves=True)
    clock = ServerClock(xserver.display)
    try:
        fake_moves(xserver, [(5, 5)])
        clock.wait_past(clock.now())
        fake_moves(xserver, [(10 + i % 300, 10 + i % 2) for i in range(200)], sync_every=1)
        clock.wait_past(clock.now())
        fake_moves(xserver, [(700, 700)])
        wait_until(lambda: witness.read() >= 202, message=lambda: f"{len(witness.events)} raw motions")
        times = witness.ms
        assert len(times) == 202
        yield times
    finally:
        clock.close()
        witness.close()


@pytest.fixture
def audit(xserver: XServer) -> Iterator[MotionAudit]:
    audit = MotionAudit(xserver.display)
    yield audit
    audit.stop()


def _result(audit: MotionAudit) -> int | None:
    audit.stop()
    assert audit.done.wait(30)
    return audit.result


def test_every_move_received_counts_none_lost(audit: MotionAudit, made: list[int]) -> None:
    for t in made:
        audit.seen(t)
    assert _result(audit) == 0


@pytest.mark.parametrize("lost", [[1], [50, 51, 52], [10, 100, 200]])
def test_moves_the_hook_never_received_are_counted(
    audit: MotionAudit, made: list[int], lost: list[int]
) -> None:
    for i, t in enumerate(made):
        if i not in lost:
            audit.seen(t)
    assert _result(audit) == len(lost)


def test_a_move_the_server_never_made_makes_the_count_unknown(audit: MotionAudit, made: list[int]) -> None:
    """The raw stream missed something (or the hook saw a move without raw motion, as a
    touch screen's emulated pointer makes): the count cannot be trusted, so it is None."""
    for t in made:
        audit.seen(t)
    audit.seen(made[100])  # twice
    assert _result(audit) is None


def test_no_move_received_is_unknown_not_none_lost(audit: MotionAudit, made: list[int]) -> None:
    assert made
    assert _result(audit) is None


def test_the_record_socket_is_read_while_the_hook_thread_is_stuck(xserver: XServer) -> None:
    """The X server loses RECORD data only once it must hold output for the recorder: the
    drain reads everything it writes even while pynput's thread cannot parse (here: its
    callback waits), and every move still reaches the hook afterwards."""
    import threading

    from tallylight.capture.listeners import Hooks
    from tallylight.events import Kind
    from tallylight.options import CaptureOptions, KeyMode

    gate = threading.Event()
    got: list[tuple[int, int]] = []

    class Stuck:
        def put(self, item: tuple) -> None:
            if item[1] == Kind.MOVE:
                gate.wait()
                got.append((item[2], item[3]))

    n = 20_000
    points = [(1 + i % 900, 1 + i % 3) for i in range(n)]
    hooks = Hooks(Stuck(), CaptureOptions(keys=KeyMode.NONE))  # type: ignore[arg-type]  # only put()
    hooks.start()
    try:
        (drain,) = [listener.drain for listener in hooks._listeners]
        assert drain is not None
        fake_moves(xserver, [(950, 950)])  # the hook thread now waits in its first callback
        fake_moves(xserver, points, sync_every=1)
        # each move is at least 32 bytes of RECORD data; pynput's own buffer and the socket
        # pair hold well under the 640 kB that 20,000 of them make
        wait_until(lambda: drain.held() >= n * 32 - 512 * 1024, message=lambda: f"{drain.held()} B held")
        gate.set()
        wait_until(lambda: len(got) == n + 1, timeout=120, message=lambda: f"{len(got)} moves")
        assert got == [(950, 950), *points]
    finally:
        gate.set()
        hooks.stop()
