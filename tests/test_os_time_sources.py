"""The OS-time plumbing of the platforms that cannot run here (Windows, macOS), tested as far as
it is pure: the Windows hook-struct FIFO and the macOS timestamp unit."""

from __future__ import annotations

import queue
from types import SimpleNamespace

from tallylight.capture.listeners import _key_callbacks, _mouse_callbacks, _os_time_source, darwin_unit_ns
from tallylight.events import Kind


def test_windows_filter_times_reach_the_callbacks_in_order() -> None:
    """pynput runs the keyboard filter in the hook and the callback later from its message
    loop: each callback gets the time of its own event, in order; none is invented."""
    q: queue.SimpleQueue[tuple] = queue.SimpleQueue()
    box, extra = _os_time_source(win32=True)
    on_press, on_release = _key_callbacks(q.put, box)
    event_filter = extra["win32_event_filter"]
    for t in (1000, 1016, 4294967295):
        assert event_filter(0x100, SimpleNamespace(time=t)) is True
    on_press("a", None)
    on_release("a", None)
    on_press("b", None)
    on_press("c", None)  # no filter call before it: no time rather than a wrong one
    got = [q.get_nowait() for _ in range(4)]
    assert [(r[1], r[-1]) for r in got] == [
        (Kind.KEY_DOWN, 1000),
        (Kind.KEY_UP, 1016),
        (Kind.KEY_DOWN, 4294967295),
        (Kind.KEY_DOWN, None),
    ]


def test_stamped_listeners_read_the_stamp_set_before_the_callback() -> None:
    q: queue.SimpleQueue[tuple] = queue.SimpleQueue()
    box, extra = _os_time_source(win32=False)
    assert extra == {}
    stamp = SimpleNamespace(t=None)
    box[0] = lambda: stamp.t
    on_move, on_click, on_scroll = _mouse_callbacks(q.put, box)
    stamp.t = 77
    on_move(1, 2)
    stamp.t = 78
    on_click(1, 2, "left", True)
    on_scroll(1, 2, 0, -1)
    rows = [q.get_nowait() for _ in range(3)]
    assert [r[1:] for r in rows] == [
        (Kind.MOVE, 1, 2, 77),
        (Kind.BUTTON_DOWN, 1, 2, "left", 78),
        (Kind.SCROLL, 1, 2, 0, -1, 78),
    ]
    assert all(isinstance(r[0], int) for r in rows)


def test_macos_timestamp_unit() -> None:
    # Intel: mach ticks are ns (1/1); the timestamp reads like ns since boot
    assert darwin_unit_ns(5_000_000_123, 5_000_000_200, 1, 1) == 1.0
    # Apple silicon (125/3 ns per tick): a timestamp in ns, or one in mach ticks
    ticks = 120_000_000_000
    assert darwin_unit_ns(int(ticks * 125 / 3) - 500, ticks, 125, 3) == 1.0
    assert darwin_unit_ns(ticks - 12, ticks, 125, 3) == 125 / 3
