"""A writer that takes in more than the seal interval at once (it was starved, the machine
was busy) seals those events before it tells anyone of them: a SIGKILL right after the
preview showed an event then never costs more than the interval. Seen under load: a kill
at 1.04 s of session time found nothing sealed, since sealing waited for the wall clock."""

from __future__ import annotations

import queue
import time
from collections.abc import Sequence

from helpers import wait_until
from tallylight.events import Event, Kind, StopReason
from tallylight.options import CaptureOptions
from tallylight.recorder.session import SEAL_INTERVAL_NS, Session
from tallylight.recorder.sink import MemorySink


class Hooks:
    live: list[Hooks] = []  # noqa: RUF012 - the test's handle on the session's hooks

    def __init__(self, q: queue.SimpleQueue, *_: object) -> None:
        self.q = q
        Hooks.live.append(self)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class SealWatch(MemorySink):
    """At each call the writer makes (the preview changes only between them), notes how far
    the preview's newest event is ahead of the newest sealed one: what a kill then loses."""

    session: Session | None = None
    ahead: list[int] = []  # noqa: RUF012 - one session per test
    sealed = 0

    def _look(self) -> None:
        assert SealWatch.session is not None
        shown = SealWatch.session.preview(1)
        if shown:
            sealed_t = self.events[self.sealed - 1].t_ns if self.sealed else 0
            SealWatch.ahead.append(shown[-1].t_ns - sealed_t)

    def write(self, events: Sequence[Event]) -> None:
        self._look()
        super().write(events)

    def seal(self) -> None:
        self._look()
        self.sealed = len(self.events)

    def close(self, reason: StopReason) -> None:  # noqa: ARG002 - the sink protocol
        self._look()


def test_a_late_batch_is_sealed_before_the_preview_shows_it() -> None:
    Hooks.live.clear()
    SealWatch.ahead = []
    session = Session(CaptureOptions(), SealWatch, hooks=Hooks)
    SealWatch.session = session
    session.start()
    t0 = session.t0_ns
    span, gap = 2 * SEAL_INTERVAL_NS, 2 * SEAL_INTERVAL_NS // 40
    try:
        # history to stamp the late moves with: the writer saw no event in that time
        wait_until(lambda: time.perf_counter_ns() > t0 + span + 200_000_000)
        for i in range(41):  # 41 moves over twice the interval, taken in (nearly) at once
            Hooks.live[0].q.put((t0 + 10_000_000 + i * gap, Kind.MOVE, i, i))
        wait_until(lambda: len(session.preview(1000)) >= 41)
    finally:
        session.stop()
    assert SealWatch.ahead, "the writer never called its sink with events shown"
    assert max(SealWatch.ahead) <= SEAL_INTERVAL_NS + gap, max(SealWatch.ahead) / 1e9
