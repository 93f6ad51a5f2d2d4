"""The three local protocols, in one place: recorder control, the app socket, the tally window.

All are one JSON object per line, UTF-8.

- **Recorder control** (docs/CONTROL.md): a controller (the tray app through
  ``QProcess``, the CLI through :class:`tallylight.recorder.client.RecorderClient`,
  the tests' fake recorder) sends :class:`Command` objects on the recorder's stdin;
  the recorder answers with :class:`Message` objects on its stdout.
- **App socket** (docs/APP.md): ``tallylight start|pause|…`` sends one
  :class:`AppCommand` request to the running tray app and reads one reply
  (``{"ok": true, …status}`` or ``{"ok": false, "error": …}``).

- **Tally window** (``tallylight record`` without a terminal): the CLI sends
  :class:`TallyUpdate` lines to its window process; the window answers with
  :class:`TallyNotice` lines (shown, stop, hidden).

Both ends of each protocol build and parse their lines here, so a command, a
message name or a field has one spelling. Qt-free.
"""

from __future__ import annotations

import enum
import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tallylight import safejson
from tallylight.errors import UsageError
from tallylight.events import StopReason
from tallylight.i18n import _

#: the longest line either end reads; anything longer is refused
MAX_LINE_BYTES = 1 << 20

# ---------------------------------------------------------------- recorder control (CONTROL.md)


class Command(enum.StrEnum):
    """What a controller may ask of a recorder (the ``cmd`` field)."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STATUS = "status"
    PREVIEW = "preview"
    TASK = "task"  # start or end one of the study's tasks (a marker)
    NOTE = "note"  # the participant flags this moment (a marker)
    PRIVATE = "private"  # the participant says "private now" (or no longer): a gap, no hooks
    TASK_INPUT = "task_input"  # the task window's own key and pointer events (docs/TASKS.md)
    TRIALS = "trials"  # the task window's trials of the running task (docs/FORMAT.md section 14)
    STOP = "stop"


class Message(enum.StrEnum):
    """What a recorder says (the ``event`` field)."""

    READY = "ready"  # once, at start-up: version, pid
    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    STATUS = "status"  # the reply to ``status``
    STATS = "stats"  # the same fields, unasked, once a second while recording
    PREVIEW = "preview"
    TASK = "task"
    NOTE = "note"
    PRIVATE = "private"
    TRIALS = "trials"  # the reply to ``trials``: how many were taken
    STOPPED = "stopped"
    ERROR = "error"


#: the ``reason`` a ``stop`` command may give, and the stop reason each records
STOP_REASONS: Mapping[str, StopReason] = {
    "participant": StopReason.PARTICIPANT,
    "quit": StopReason.QUIT,
    "indicator": StopReason.INDICATOR_HIDDEN,
}
#: the ``stopped`` reason a controller reports itself when the recorder ended without one
RECORDER_EXITED = "recorder_exited"


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num_or_none(value: Any) -> float | None:
    return None if value is None else _num(value)


def _counts(value: Any) -> dict[str, int] | None:
    """Event counts by kind name; None when the message has none."""
    if not isinstance(value, dict):
        return None
    return {
        str(k): int(v) for k, v in value.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


@dataclass(frozen=True)
class TaskRef:
    """A study task as ``started`` names it."""

    id: str
    title: str


def _tasks(value: Any) -> tuple[TaskRef, ...]:
    return tuple(TaskRef(str(t.get("id")), str(t.get("title"))) for t in _list(value) if isinstance(t, dict))


@dataclass(frozen=True)
class StopSummary:
    """What ``stopped`` says of the session (and what a controller adds: recorded and paused time)."""

    session_id: str = ""
    counts: dict[str, int] | None = None  # None: the recorder did not say
    duration_s: float | None = None
    rate: float = 0.0
    recorded_s: float | None = None
    paused_s: float | None = None
    timing: dict[str, Any] | None = None

    @classmethod
    def parse(cls, value: Any) -> StopSummary:
        d = value if isinstance(value, dict) else {}
        return cls(
            session_id=_str(d.get("session_id")),
            counts=_counts(d.get("counts")),
            duration_s=_num_or_none(d.get("duration_s")),
            rate=_num(d.get("rate")),
            recorded_s=_num_or_none(d.get("recorded_s")),
            paused_s=_num_or_none(d.get("paused_s")),
            timing=d.get("timing") if isinstance(d.get("timing"), dict) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "session_id": self.session_id or None,
            "counts": dict(self.counts or {}),
            "duration_s": self.duration_s or 0.0,
            "rate": self.rate,
        }
        if self.recorded_s is not None:
            out["recorded_s"] = self.recorded_s
        if self.paused_s is not None:
            out["paused_s"] = self.paused_s
        if self.timing is not None:
            out["timing"] = self.timing
        return out


@dataclass(frozen=True)
class RecorderMessage:
    """One line from the recorder (docs/CONTROL.md), each field read once with its type.

    A field the message does not carry keeps its default; ``raw`` is the object as sent.
    """

    event: str
    reply_to: Any = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    message: str = ""  # error
    fatal: bool = False  # error
    session_id: str = ""  # started, status, stats
    options: dict[str, Any] = field(default_factory=dict)  # started
    narrowed: tuple[str, ...] = ()  # started: one sentence per narrowing
    study: str = ""  # started
    study_title: str = ""  # started
    tasks: tuple[TaskRef, ...] = ()  # started
    #: started: False when only the task window's own events are recorded (no global capture)
    global_capture: bool = True
    by: str = ""  # paused, resumed: "hotkey" when the hotkey did it
    state: str = ""  # status, stats
    elapsed_s: float = 0.0  # status, stats
    counts: dict[str, int] | None = None  # status, stats
    rate: float | None = None  # status, stats
    private: bool | None = None  # status, stats
    task: str = ""  # status, stats, task
    action: str = ""  # task: start or end
    number: int = 0  # note
    on: bool = False  # private
    events: tuple[str, ...] = ()  # preview
    reason: str = ""  # stopped
    summary: StopSummary = field(default_factory=StopSummary)  # stopped
    exit_code: int | None = None  # stopped, when the controller saw the recorder exit
    signal: int | None = None  # stopped, likewise

    @classmethod
    def parse(cls, obj: Mapping[str, Any]) -> RecorderMessage:
        d = dict(obj)
        narrowed, events = _list(d.get("narrowed")), _list(d.get("events"))
        private = d.get("private")
        return cls(
            event=_str(d.get("event")),
            reply_to=d.get("id"),
            raw=d,
            message=_str(d.get("message")),
            fatal=d.get("fatal") is True,
            session_id=_str(d.get("session_id")),
            options=d["options"] if isinstance(d.get("options"), dict) else {},
            narrowed=tuple(str(n.get("message")) for n in narrowed if isinstance(n, dict)),
            study=_str(d.get("study")),
            study_title=_str(d.get("study_title")),
            tasks=_tasks(d.get("tasks")),
            global_capture=d.get("global_capture") is not False,
            by=_str(d.get("by")),
            state=_str(d.get("state")),
            elapsed_s=_num(d.get("elapsed_s")),
            counts=_counts(d.get("counts")),
            rate=_num(d["rate"]) if isinstance(d.get("rate"), (int, float)) else None,
            private=private if isinstance(private, bool) else None,
            task=_str(d.get("task")),
            action=_str(d.get("action")),
            number=int(_num(d.get("number"))),
            on=d.get("on") is True,
            events=tuple(e for e in events if isinstance(e, str)),
            reason=_str(d.get("reason")),
            summary=StopSummary.parse(d.get("summary")),
            exit_code=_int_or_none(d.get("exit_code")),
            signal=_int_or_none(d.get("signal")),
        )


@dataclass(frozen=True)
class StartCommand:
    """The ``start`` command, both ends: what the tray app and ``record`` send (:meth:`fields`),
    what the recorder reads (:meth:`parse`, with a clear sentence for a bad field).

    ``options`` are the capture options asked for (``CaptureOptions.to_dict()``); the recorder
    narrows them by its ceiling, whoever sent them. Limits are seconds; 0 means none.
    """

    options: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    study: str = ""
    max_duration_s: float = 0.0
    idle_timeout_s: float = 0.0
    pause_hotkey: str = ""  # pynput's form (``<ctrl>+<alt>+p``); "" for none
    private_apps: tuple[str, ...] = ()
    global_capture: bool = True
    #: where global capture is unavailable (Wayland), start a study with typing or pointing
    #: tasks window-only instead of refusing: for a controller that can show the task window
    window_tasks_fallback: bool = False

    def fields(self) -> dict[str, Any]:
        """The command's fields (``command(Command.START, **fields)``); empty ones left out."""
        out: dict[str, Any] = {
            "options": dict(self.options),
            "max_duration_s": float(self.max_duration_s),
            "idle_timeout_s": float(self.idle_timeout_s),
            "private_apps": list(self.private_apps),
        }
        for name in ("label", "study", "pause_hotkey"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if not self.global_capture:
            out["global_capture"] = False
        if self.window_tasks_fallback:
            out["window_tasks_fallback"] = True
        return out

    @classmethod
    def parse(cls, msg: Mapping[str, Any]) -> StartCommand:
        """The command as the recorder received it; UsageError naming a field it cannot use."""
        return cls(
            options=mapping(msg, "options"),
            label=text(msg, "label", 200, "The label"),
            study=_study_id(msg),
            max_duration_s=seconds(msg, "max_duration_s"),
            idle_timeout_s=seconds(msg, "idle_timeout_s"),
            pause_hotkey=text(msg, "pause_hotkey", 100, "'pause_hotkey'"),
            private_apps=tuple(names(msg, "private_apps", "application names")),
            global_capture=flag(msg, "global_capture", True),
            window_tasks_fallback=flag(msg, "window_tasks_fallback", False),
        )


@dataclass(frozen=True)
class StopCommand:
    """``stop``: why the session ends (default: the participant stopped it)."""

    reason: StopReason = StopReason.PARTICIPANT

    @classmethod
    def parse(cls, msg: Mapping[str, Any]) -> StopCommand:
        return cls(stop_reason(msg))


@dataclass(frozen=True)
class PreviewCommand:
    """``preview``: the last ``n`` events, described (the live view)."""

    n: int = 50

    @classmethod
    def parse(cls, msg: Mapping[str, Any]) -> PreviewCommand:
        return cls(whole(msg, "n", 50))


@dataclass(frozen=True)
class TaskCommand:
    """``task``: start a study task (``task``: its id, checked by the recorder against the
    study's tasks) or end the running one."""

    action: str
    task: Any = None

    @classmethod
    def parse(cls, msg: Mapping[str, Any]) -> TaskCommand:
        action = choice(msg, "action", ("start", "end"))
        return cls(action, msg.get("task") if action == "start" else None)


@dataclass(frozen=True)
class PrivateCommand:
    """``private``: Tallylight's own menu is open (``on``) or closed; a private gap while open."""

    on: bool

    @classmethod
    def parse(cls, msg: Mapping[str, Any]) -> PrivateCommand:
        return cls(flag(msg, "on"))


@dataclass(frozen=True)
class TaskInputCommand:
    """``task_input``: the task window's own events and their clock, as sent; the recorder's
    window-input reader (``recorder.window_input``) owns the rule for each event."""

    events: Any = None
    clock: Any = None

    @classmethod
    def parse(cls, msg: Mapping[str, Any]) -> TaskInputCommand:
        return cls(msg.get("events"), msg.get("clock"))


@dataclass(frozen=True)
class TrialsCommand:
    """``trials``: the running task's trials (1 to ``max_items`` objects); each trial's fields
    are checked by the trials record's own rule (``store.trial_records``)."""

    trials: tuple[dict[str, Any], ...]

    @classmethod
    def parse(cls, msg: Mapping[str, Any], max_items: int) -> TrialsCommand:
        items = msg.get("trials")
        if not isinstance(items, list) or not 1 <= len(items) <= max_items:
            raise UsageError(_("'trials' must be a non-empty list of trials."))
        if not all(isinstance(item, dict) for item in items):
            raise UsageError(_("Each trial must be an object."))
        return cls(tuple(items))


def _study_id(msg: Mapping[str, Any]) -> str:
    study = msg.get("study")
    if study is None or study == "":
        return ""
    if not isinstance(study, str) or len(study) > 64:
        raise UsageError(_("'study' must be a study id."))
    return study


def command(cmd: Command | str, msg_id: Any = None, **fields: Any) -> dict[str, Any]:
    """A command object; fields that are None are left out (the recorder's default applies)."""
    out: dict[str, Any] = {"cmd": str(cmd)}
    if msg_id is not None:
        out["id"] = msg_id
    out.update((k, v) for k, v in fields.items() if v is not None)
    return out


def message(event: Message | str, reply_to: Any = None, **fields: Any) -> dict[str, Any]:
    """A recorder message; ``reply_to`` is the ``id`` of the command it answers."""
    out: dict[str, Any] = {"event": str(event), **fields}
    if reply_to is not None:
        out["id"] = reply_to
    return out


def encode(obj: Mapping[str, Any]) -> str:
    """One protocol line: compact JSON and a newline (send it as UTF-8)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"


def decode(line: bytes | str) -> dict[str, Any]:
    """The object on one protocol line; ValueError if it is not a JSON object."""
    if len(line) > MAX_LINE_BYTES:
        raise ValueError("the line is too long")
    obj = safejson.loads(line)  # ValueError, never RecursionError, for deeply nested input
    if not isinstance(obj, dict):
        raise ValueError("a protocol line must hold a JSON object")
    return obj


def decode_command(line: bytes | str) -> tuple[str, Any, dict[str, Any]]:
    """(cmd, id, the whole object) of a command line; UsageError if it is not one."""
    try:
        msg = decode(line)
    except ValueError as exc:
        raise UsageError(_("Unreadable command: {exc}").format(exc=exc)) from None
    if not isinstance(msg.get("cmd"), str):
        raise UsageError(_("Unreadable command: a command must be a JSON object with a 'cmd' string."))
    return msg["cmd"], msg.get("id"), msg


# field readers: one rule per kind of field, for every command that has one


def seconds(msg: Mapping[str, Any], name: str) -> float:
    """A duration in seconds (absent or 0 = none); UsageError unless a number >= 0."""
    value = msg.get(name) or 0
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
        raise UsageError(_("'{name}' must be a number of seconds of at least 0.").format(name=name))
    return float(value)


def text(msg: Mapping[str, Any], name: str, max_len: int, what: str) -> str:
    """A text field (absent = empty); UsageError unless text of at most ``max_len`` characters."""
    value = msg.get(name) or ""
    if not isinstance(value, str) or len(value) > max_len:
        raise UsageError(
            _("{what} must be text of at most {max_len} characters.").format(what=what, max_len=max_len)
        )
    return value


def names(msg: Mapping[str, Any], name: str, what: str, max_items: int = 200) -> list[str]:
    """A list of short names (absent = empty); blank names are dropped."""
    value = msg.get(name) or []
    if (
        not isinstance(value, list)
        or len(value) > max_items
        or not all(isinstance(a, str) and len(a) < 200 for a in value)
    ):
        raise UsageError(_("'{name}' must be a list of {what}.").format(name=name, what=what))
    return [a for a in value if a.strip()]


def mapping(msg: Mapping[str, Any], name: str) -> dict[str, Any]:
    """An object field (absent = empty); UsageError unless a JSON object."""
    value = msg.get(name) or {}
    if not isinstance(value, dict):
        raise UsageError(_("'{name}' must be an object.").format(name=name))
    return value


def flag(msg: Mapping[str, Any], name: str, default: bool | None = None) -> bool:
    """A true/false field (absent = ``default``; no default: it is required)."""
    value = msg.get(name, default)
    if not isinstance(value, bool):
        raise UsageError(_("'{name}' must be true or false.").format(name=name))
    return value


def whole(msg: Mapping[str, Any], name: str, default: int) -> int:
    """A whole number of at least 0 (absent = ``default``)."""
    value = msg.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UsageError(_("'{name}' must be a whole number of at least 0.").format(name=name))
    return value


def choice(msg: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``; UsageError naming them otherwise."""
    value = msg.get(name)
    if value not in choices:
        raise UsageError(_("'{name}' must be {items}.").format(name=name, items=" or ".join(choices)))
    return str(value)


def stop_reason(msg: Mapping[str, Any]) -> StopReason:
    """The stop reason a ``stop`` command asks for (default: the participant)."""
    reason = STOP_REASONS.get(msg.get("reason") or "participant")
    if reason is None:
        raise UsageError(_("'reason' must be one of: {items}.").format(items=", ".join(STOP_REASONS)))
    return reason


# ---------------------------------------------------------------- app socket (APP.md)


def recv_line(sock: socket.socket, limit: int) -> bytes | None:
    """The first line a peer sends, without its newline (all it sent, if it closed first), or
    None once more than ``limit`` bytes came: one end never holds an endless line in memory."""
    buf = bytearray()
    while b"\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
        if len(buf) > limit:
            return None
    return bytes(buf.split(b"\n", 1)[0])


class AppCommand(enum.StrEnum):
    """What ``tallylight start|pause|…`` may ask of the running tray app."""

    SHOW = "show"  # a second ``tallylight``: bring the app forward
    STATUS = "status"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    TASK = "task"
    NOTE = "note"
    STOP = "stop"


APP_SOCKET_NAME = "app.sock"
#: where a running ``tallylight record`` answers the same requests (its session's tasks, notes,
#: status); ``tallylight task|note|status`` ask it first, then the app
RECORD_SOCKET_NAME = "record.sock"


@dataclass(frozen=True)
class LastSession:
    """The session that ended last, as the app's status reports it (``last_session``)."""

    reason: str
    summary: StopSummary
    label: str = ""
    session_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "summary": self.summary.to_dict(),
            "label": self.label,
            "session_id": self.session_id,
        }


def app_request(cmd: AppCommand | str, **fields: Any) -> dict[str, Any]:
    """A request to the app; UsageError for a command the app does not know."""
    try:
        name = AppCommand(cmd)
    except ValueError:
        choices = ", ".join(c.value for c in AppCommand)
        raise UsageError(
            _("Unknown command {cmd!r}; use one of: {choices}.").format(cmd=cmd, choices=choices)
        ) from None
    return {"cmd": name.value, **{k: v for k, v in fields.items() if v is not None}}


@dataclass(frozen=True)
class AppRequest:
    """One request to the app, its fields read once (UsageError says what is wrong with it)."""

    cmd: AppCommand
    label: str = ""  # start
    study: str = ""  # start
    action: str = ""  # task: start or end
    task: str = ""  # task start

    @classmethod
    def parse(cls, obj: Mapping[str, Any]) -> AppRequest:
        try:
            cmd = AppCommand(str(obj.get("cmd")))
        except ValueError:
            raise UsageError(_("Unknown command {cmd!r}.").format(cmd=obj.get("cmd"))) from None
        values = {name: obj.get(name) or "" for name in ("label", "study", "action", "task")}
        what = {"label": _("The label must be text."), "study": _("The study must be a study id.")}
        for name, value in values.items():
            if not isinstance(value, str):
                raise UsageError(what.get(name) or _("The {name} must be text.").format(name=name))
        return cls(cmd, **values)


@dataclass(frozen=True)
class AppStatus:
    """The app's reply (docs/APP.md): whether it did it, and its status."""

    ok: bool
    error: str = ""
    message: str = ""
    state: str = "unknown"
    label: str = ""
    session_id: str = ""
    elapsed_s: float = 0.0
    paused_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    narrowed: tuple[str, ...] = ()
    study: str = ""
    task: str = ""
    tasks: tuple[TaskRef, ...] = ()
    last_session: LastSession | None = None

    @classmethod
    def parse(cls, obj: Mapping[str, Any]) -> AppStatus:
        last = obj.get("last_session")
        return cls(
            ok=obj.get("ok") is True,
            error=_str(obj.get("error")),
            message=_str(obj.get("message")),
            state=_str(obj.get("state")) or "unknown",
            label=_str(obj.get("label")),
            session_id=_str(obj.get("session_id")),
            elapsed_s=_num(obj.get("elapsed_s")),
            paused_s=_num(obj.get("paused_s")),
            counts=_counts(obj.get("counts")) or {},
            options=obj["options"] if isinstance(obj.get("options"), dict) else {},
            narrowed=tuple(str(n) for n in _list(obj.get("narrowed"))),
            study=_str(obj.get("study")),
            task=_str(obj.get("task")),
            tasks=_tasks(obj.get("tasks")),
            last_session=(
                LastSession(
                    _str(last.get("reason")),
                    StopSummary.parse(last.get("summary")),
                    _str(last.get("label")),
                    _str(last.get("session_id")),
                )
                if isinstance(last, dict) and last
                else None
            ),
        )


def app_ok(status: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """A successful reply: the app's status and any extra fields."""
    return {"ok": True, **status, **extra}


def app_error(message: str, status: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A refusal: a sentence for the user, and the app's status."""
    return {"ok": False, "error": message, **(status or {})}


# ---------------------------------------------------------------- tally window (tallylight record)


class TallyEvent(enum.StrEnum):
    """What the tally window tells ``tallylight record``."""

    SHOWN = "shown"  # once, when it is really on screen: recording may start
    STOP = "stop"  # the participant pressed Stop
    HIDDEN = "hidden"  # closed, unmapped, minimised or moved off screen: stop at once


@dataclass(frozen=True)
class TallyUpdate:
    """CLI → window: the state to show (``starting``, ``recording``, ``paused``, ``stopped``) and lines."""

    state: str = "recording"
    lines: tuple[str, ...] = ()

    def encode(self) -> str:
        return encode({"state": self.state, "lines": list(self.lines)})

    @classmethod
    def decode(cls, line: bytes | str) -> TallyUpdate | None:
        """The update on ``line``, or None if it is not one (the window ignores it)."""
        try:
            msg = decode(line)
        except ValueError:
            return None
        state, lines = msg.get("state"), msg.get("lines")
        return cls(
            state if isinstance(state, str) and state else "recording",
            tuple(str(x) for x in lines) if isinstance(lines, list) else (),
        )


@dataclass(frozen=True)
class TallyNotice:
    """Window → CLI: one :class:`TallyEvent` and, for ``hidden``, why."""

    event: TallyEvent
    why: str = ""

    def encode(self) -> str:
        return encode({"event": self.event.value, **({"why": self.why} if self.why else {})})

    @classmethod
    def decode(cls, line: bytes | str) -> TallyNotice | None:
        """The notice on ``line``, or None if it is not one."""
        try:
            msg = decode(line)
            event = TallyEvent(str(msg.get("event")))
        except ValueError:
            return None
        why = msg.get("why")
        return cls(event, why if isinstance(why, str) else "")
