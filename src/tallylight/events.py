"""The event model: what a session holds, independent of how it was captured or stored.

Times are integer nanoseconds of ``time.perf_counter_ns()`` since the session
started; the wall-clock start and the clock source are recorded once per session
(:class:`SessionInfo`). Every event is one :class:`Event` tuple; fields a kind does
not use are zero / empty, so the tuple shape stays fixed and cheap to vectorise.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

from tallylight.options import CaptureOptions

#: What an input hook puts on the recorder's queue: ``(t_ns, Kind, ...)`` with
#: kind-specific fields; only the writer thread turns it into an :class:`Event`.
RawEvent = tuple[Any, ...]


class Kind(enum.IntEnum):
    KEY_DOWN = 1
    KEY_UP = 2
    MOVE = 3
    BUTTON_DOWN = 4
    BUTTON_UP = 5
    SCROLL = 6
    MARKER = 7


class KeyClass(enum.IntEnum):
    """What ``class`` privacy mode keeps of a key: its role, never its character."""

    UNKNOWN = 0
    LETTER = 1
    DIGIT = 2
    PUNCTUATION = 3
    SPACE = 4
    ENTER = 5
    BACKSPACE_DELETE = 6
    MODIFIER = 7
    NAVIGATION = 8
    FUNCTION = 9
    OTHER = 10


class Button(enum.IntEnum):
    UNKNOWN = 0
    LEFT = 1
    MIDDLE = 2
    RIGHT = 3
    BACK = 8
    FORWARD = 9


class Marker(enum.IntEnum):
    """Session structure. PAUSE (the participant's, reason a GapReason) and GAP
    (capture stopped for ``reason``, e.g. a private app in front) each open a
    stretch without capture; RESUME closes it. SESSION_STOP's reason is a StopReason.
    TASK_START/TASK_END bracket a study task, NOTE is a moment the participant flagged."""

    SESSION_START = 1
    SESSION_STOP = 2
    PAUSE = 3
    RESUME = 4
    GAP = 5
    TASK_START = 6  # reason: the task's 1-based number in the study manifest (docs/FORMAT.md §10)
    TASK_END = 7  # reason: the same number
    NOTE = 8  # reason: the note's 1-based number in the session; the participant flagged this moment


class GapReason(enum.IntEnum):
    """Why a stretch of time holds no events; never names an application."""

    NONE = 0
    PAUSED_BY_PARTICIPANT = 1
    PRIVATE_APP = 2
    PAUSE_HOTKEY = 3
    CRASH = 4
    QUEUE_OVERFLOW = 5
    WRITE_ERROR = 6
    TRIMMED = 7
    HOOK_REMOVED = 8  # Windows removed the input hook silently; the recorder put it back


class StopReason(enum.IntEnum):
    NONE = 0
    PARTICIPANT = 1
    DURATION_LIMIT = 2
    IDLE_TIMEOUT = 3
    CONTROLLER_GONE = 4
    SIGNAL = 5
    WRITE_ERROR = 6
    QUIT = 7
    INDICATOR_HIDDEN = 8  # the tally light was closed, unmapped or moved off screen


class Event(NamedTuple):
    """One captured event.

    - KEY_DOWN / KEY_UP: ``key_class`` always (except mode ``none``, which has no
      key events); ``key`` is the per-session keyed hash (``hashed``) or the
      physical key id (``full``), else 0; ``text`` is the character or key name
      in ``full`` mode only.
    - MOVE: ``x``, ``y``.
    - BUTTON_DOWN / BUTTON_UP: ``x``, ``y``, ``button``.
    - SCROLL: ``x``, ``y``, ``dx``, ``dy``.
    - MARKER: ``marker`` and, for GAP and SESSION_STOP, ``reason``.
    """

    t_ns: int
    kind: Kind
    x: int = 0
    y: int = 0
    button: int = 0
    dx: int = 0
    dy: int = 0
    key_class: int = 0
    key: int = 0
    text: str = ""
    marker: int = 0
    reason: int = 0


def key_down(t_ns: int, key_class: KeyClass, key: int = 0, text: str = "") -> Event:
    return Event(t_ns, Kind.KEY_DOWN, key_class=int(key_class), key=key, text=text)


def key_up(t_ns: int, key_class: KeyClass, key: int = 0, text: str = "") -> Event:
    return Event(t_ns, Kind.KEY_UP, key_class=int(key_class), key=key, text=text)


def move(t_ns: int, x: int, y: int) -> Event:
    return Event(t_ns, Kind.MOVE, x=x, y=y)


def button(t_ns: int, x: int, y: int, which: Button, pressed: bool) -> Event:
    kind = Kind.BUTTON_DOWN if pressed else Kind.BUTTON_UP
    return Event(t_ns, kind, x=x, y=y, button=int(which))


def scroll(t_ns: int, x: int, y: int, dx: int, dy: int) -> Event:
    return Event(t_ns, Kind.SCROLL, x=x, y=y, dx=dx, dy=dy)


def marker(t_ns: int, which: Marker, reason: int = 0) -> Event:
    return Event(t_ns, Kind.MARKER, marker=int(which), reason=int(reason))


@dataclass(frozen=True)
class SessionInfo:
    """Facts recorded once per session, next to its events."""

    session_id: str
    started_wall_ns: int  # time.time_ns() at the session's t=0
    clock: str  # e.g. "perf_counter_ns"
    clock_resolution_ns: int
    options: CaptureOptions  # stored flat (key_mode, mouse_moves, …: docs/FORMAT.md section 12.2)
    label: str = ""
    platform: str = ""
    app_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # the study the session was recorded for, and the exact consent it ran under (docs/STUDY.md);
    # empty in personal mode
    study_id: str = ""
    manifest_hash: str = ""
    consent_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The INFO record's members, in the order FORMAT.md lists them."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "options":
                out.update(value.to_record())
            else:
                out[f.name] = dict(value) if isinstance(value, dict) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionInfo:
        """From an INFO record (UsageError if its capture fields are out of range; others are ignored)."""
        known = {f.name for f in fields(cls)} - {"options"}
        values = {k: v for k, v in data.items() if k in known}
        return cls(options=CaptureOptions.from_record(data), **values)


def describe(event: Event) -> str:
    """A plain-language line for the live view and the review list."""
    t = f"{event.t_ns / 1e9:9.3f}s"
    kind = event.kind
    if kind in (Kind.KEY_DOWN, Kind.KEY_UP):
        verb = "pressed" if kind == Kind.KEY_DOWN else "released"
        what = KeyClass(event.key_class).name.lower().replace("_", "/")
        if event.text:
            what = f"{what} {event.text!r}"
        elif event.key:
            what = f"{what} key #{event.key:08x}"
        return f"{t}  key {verb}: {what}"
    if kind == Kind.MOVE:
        return f"{t}  mouse moved to ({event.x}, {event.y})"
    if kind in (Kind.BUTTON_DOWN, Kind.BUTTON_UP):
        verb = "pressed" if kind == Kind.BUTTON_DOWN else "released"
        name = (
            Button(event.button).name.lower()
            if event.button in Button._value2member_map_
            else str(event.button)
        )
        return f"{t}  {name} button {verb} at ({event.x}, {event.y})"
    if kind == Kind.SCROLL:
        return f"{t}  scrolled ({event.dx:+d}, {event.dy:+d}) at ({event.x}, {event.y})"
    name = (
        Marker(event.marker).name.lower().replace("_", " ")
        if event.marker in Marker._value2member_map_
        else "marker"
    )
    if event.marker == Marker.GAP:
        reason = (
            GapReason(event.reason).name.lower().replace("_", " ")
            if event.reason in GapReason._value2member_map_
            else "unknown"
        )
        return f"{t}  gap ({reason})"
    return f"{t}  {name}"
