"""Input from Tallylight's own task window, as the recorder takes it (docs/CONTROL.md, docs/TASKS.md).

The task window (a Qt window in the controller's process) sees only its own key and
pointer events. It sends them over the control channel with two stamps: the
controller's ``perf_counter_ns`` when Qt delivered the event (the same monotonic
clock as the recorder's on Linux, Windows and macOS) and ``QInputEvent.timestamp()``
(the X server's ms on X11, the compositor's on Wayland, the message time on Windows).
Here they become the same raw tuples the hooks produce, OS time last, so the
writer's clock mapping, the pause gaps and the privacy transform apply unchanged.

The capture ceiling is enforced here, not trusted from the window: a key keeps its
character beyond the session's key mode only when the participant allowed typing
tasks' characters, a typing task is running, and the key was typed into the task's
field.
"""

from __future__ import annotations

from typing import Any

from tallylight.capture.clockmap import DARWIN_EVENT_TIME, WIN32_HOOK_TIME, X11_SERVER_TIME, ClockSource
from tallylight.errors import UsageError
from tallylight.events import Kind, RawEvent
from tallylight.i18n import _

#: ``QInputEvent.timestamp()`` on Wayland (the compositor's ms, 32-bit in the protocol) and on
#: platforms whose Qt event time is another millisecond clock
QT_EVENT_TIME = ClockSource("qt-event-time", 1e6, 32, 1_000_000)
CLOCKS: dict[str, ClockSource] = {
    s.name: s for s in (X11_SERVER_TIME, WIN32_HOOK_TIME, DARWIN_EVENT_TIME, QT_EVENT_TIME)
}
MAX_EVENTS = 5_000  # per command: a window sends a batch at least every few hundred ms
_T_LIMIT = 1 << 62
_COORD = 1 << 31


class _Named:
    """A named key from the task window (backspace, enter, shift…): has ``name`` and no ``char``,
    which is how tallylight.capture.keys tells a pynput Key member from a character."""

    __slots__ = ("name", "task_text")

    def __init__(self, name: str, task_text: bool) -> None:
        self.name = name
        self.task_text = task_text


class _Char:
    """A typed character from the task window, shaped like a pynput KeyCode."""

    __slots__ = ("char", "task_text", "vk")

    def __init__(self, char: str, task_text: bool) -> None:
        self.char = char
        self.vk = None
        self.task_text = task_text


def clock_source(name: object) -> ClockSource | None:
    """The OS clock the window's event times come from ('' or None: the platform gives none)."""
    if name in (None, ""):
        return None
    if not isinstance(name, str) or name not in CLOCKS:
        raise UsageError(_("'clock' must be one of: {items}.").format(items=", ".join(CLOCKS)))
    return CLOCKS[name]


def raw_events(items: object, *, keep_text: bool) -> list[RawEvent]:
    """The window's event list as raw hook tuples; UsageError for a malformed one.

    Each item is ``[kind, t_ns, os_time, ...]``: keys ``[1|2, t, os, char, name, scancode,
    in_field]``, moves ``[3, t, os, x, y]``, buttons ``[4|5, t, os, x, y, button]``, scrolls
    ``[6, t, os, x, y, dx, dy]``. ``keep_text``: the ceiling allows characters typed into the
    typing task's field.
    """
    if not isinstance(items, list) or len(items) > MAX_EVENTS:
        raise UsageError(
            _("'events' must be a list of at most {MAX_EVENTS} events.").format(MAX_EVENTS=MAX_EVENTS)
        )
    return [_raw(item, keep_text) for item in items]


def _int(value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value < high:
        raise UsageError(_("A task window event has a value out of range."))
    return value


def _raw(item: object, keep_text: bool) -> RawEvent:
    if not isinstance(item, list) or len(item) < 5:
        raise UsageError(_("A task window event must be a list [kind, t_ns, os_time, ...]."))
    kind = _int(item[0], 1, 7)
    t = _int(item[1], -_T_LIMIT, _T_LIMIT)
    os_time = None if item[2] is None else _int(item[2], 0, 1 << 64)
    if kind in (Kind.KEY_DOWN, Kind.KEY_UP):
        if len(item) != 7:
            raise UsageError(
                _("A task window key event is [kind, t_ns, os_time, char, name, scancode, in_field].")
            )
        char, name, scancode, in_field = item[3], item[4], item[5], item[6]
        if not isinstance(char, str) or len(char) > 4 or not isinstance(name, str) or len(name) > 32:
            raise UsageError(_("A task window key has a malformed character or name."))
        if not isinstance(in_field, bool):
            raise UsageError(_("A task window key's in_field must be true or false."))
        text = keep_text and in_field
        key: Any = _Char(char, text) if char else _Named(name or "unknown", text)
        return (t, kind, key, _int(scancode, 0, 1 << 32) or None, os_time)
    x, y = _int(item[3], -_COORD, _COORD), _int(item[4], -_COORD, _COORD)
    if kind == Kind.MOVE and len(item) == 5:
        return (t, kind, x, y, os_time)
    if kind in (Kind.BUTTON_DOWN, Kind.BUTTON_UP) and len(item) == 6 and isinstance(item[5], str):
        return (t, kind, x, y, _Named(item[5][:16], False), os_time)
    if kind == Kind.SCROLL and len(item) == 7:
        return (t, kind, x, y, _int(item[5], -_COORD, _COORD), _int(item[6], -_COORD, _COORD), os_time)
    raise UsageError(_("A task window event has the wrong number of fields for its kind."))
