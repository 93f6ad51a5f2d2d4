"""A write error or full disk stops capture: every hook (hotkey listener too) is removed."""

from __future__ import annotations

import queue
import threading
import time
from typing import ClassVar

from helpers import wait_until
from tallylight.errors import StorageFull
from tallylight.events import Kind, StopReason
from tallylight.options import CaptureOptions
from tallylight.recorder.session import Session
from tallylight.recorder.sink import MemorySink


class FakeHooks:
    """Stands in for the OS hooks; feeds one move per call of ``tick``."""

    live: ClassVar[list[FakeHooks]] = []

    def __init__(self, q: queue.SimpleQueue, *_: object) -> None:
        self.q = q
        self.running = False

    def start(self) -> None:
        self.running = True
        FakeHooks.live.append(self)

    def stop(self) -> None:
        self.running = False


class FullDisk(MemorySink):
    def write(self, events):
        if any(e.kind == Kind.MOVE for e in events):
            raise StorageFull(
                "The disk is full while writing a record; everything saved before that is kept."
            )
        super().write(events)


def test_full_disk_removes_every_hook_and_says_why() -> None:
    FakeHooks.live.clear()
    fatal: list[str] = []
    done = threading.Event()

    def on_fatal(msg: str) -> None:
        fatal.append(msg)
        done.set()

    session = Session(
        CaptureOptions(),
        FullDisk,
        hooks=FakeHooks,
        pause_hotkey="<ctrl>+<alt>+p",
        hotkey_listener=lambda _hotkey, _cb: FakeHooks(queue.SimpleQueue()),
        on_fatal=on_fatal,
    )
    session.start()
    assert [h.running for h in FakeHooks.live] == [True, True]  # capture hooks and hotkey listener
    FakeHooks.live[0].q.put((time.perf_counter_ns(), Kind.MOVE, 1, 2))
    assert done.wait(5)
    assert "disk is full" in fatal[0]
    assert session.state == "stopped"
    assert session.stop_reason == StopReason.WRITE_ERROR
    wait_until(lambda: not any(h.running for h in FakeHooks.live))
