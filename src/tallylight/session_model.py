"""One session's states and clock, without Qt: the model the tray app and ``tallylight record`` share.

States (``words.AppState``): ``idle`` → ``starting`` (a recorder is launched) →
``recording`` ⇄ ``paused`` → ``stopping`` → ``idle``; ``error`` (failed) when the
recorder refused to start, reported a fatal error, or ended without saying
``stopped``. :meth:`SessionModel.go` refuses any other step, so a late message
can never turn the light back on. The model keeps the light's clock: recorded
and paused time are apart, and both freeze when the recorder ends.

The model owns the session: the start command it sends (the ceiling applied, the limits,
:func:`start_command`), the link to its recorder (:class:`RecorderLink`: what may be asked of
the recorder in which state), and what the recorder said (session id, options, narrowing,
counts, tasks, notes). It decides what each recorder message means (:meth:`SessionModel.on_message`):
which notice the participant reads, when a session failed and why, what a recorder that
died kept, when a missed limit is stopped from outside, what the stop summary says. It
tells its adapter through :class:`SessionEvents`. The adapters (``ui.controller``,
``cli.record_cmd``) give it a link to their recorder process, feed it the recorder's
messages and show what it tells them; they hold the Qt timers, signals and processes.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from tallylight import protocol, words
from tallylight.capture.focus import FOCUS_UNKNOWN_NOTICE
from tallylight.capture.hotkey import Hotkey, parse_hotkey
from tallylight.errors import UsageError
from tallylight.i18n import _
from tallylight.options import CaptureOptions
from tallylight.protocol import Command, LastSession, Message, RecorderMessage, StartCommand, StopSummary
from tallylight.recorder import exitlog
from tallylight.settings import Settings
from tallylight.words import AppState

log = logging.getLogger(__name__)

#: how long past the maximum duration the app stops a recorder that missed its own limit
BACKSTOP_GRACE_S = 15.0

#: every step the model takes; anything else is refused (UsageError)
TRANSITIONS: dict[AppState, frozenset[AppState]] = {
    AppState.IDLE: frozenset({AppState.STARTING}),
    AppState.ERROR: frozenset({AppState.STARTING, AppState.IDLE}),
    AppState.STARTING: frozenset({AppState.RECORDING, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.RECORDING: frozenset({AppState.PAUSED, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.PAUSED: frozenset({AppState.RECORDING, AppState.STOPPING, AppState.IDLE, AppState.ERROR}),
    AppState.STOPPING: frozenset({AppState.IDLE, AppState.ERROR}),
}


class RecorderLink(Protocol):
    """The model's side of a recorder process: a command down its stdin, or its stdin closed."""

    def send(self, cmd: Command, **fields: Any) -> Any: ...

    def close_channel(self) -> None: ...


def _nothing(*_args: Any) -> None:
    return None


@dataclasses.dataclass
class SessionEvents:
    """What the model tells whoever shows it (the tray app's Qt adapter, ``record``); each
    does nothing unless given. They are called on the thread that fed the model."""

    changed: Callable[[], None] = _nothing  # state, clock or facts changed: read the model
    notice: Callable[[str, str], None] = _nothing  # title, text: a notice the participant reads now
    running: Callable[[], None] = _nothing  # the recorder said started: the clock runs
    task_started: Callable[[str, str], None] = _nothing  # study id, task id
    task_ended: Callable[[str], None] = _nothing  # task id
    #: a stop was sent down this link: if the recorder does not answer, call ``force_stop(link)``
    stop_sent: Callable[[RecorderLink], None] = _nothing
    #: the recorder ended unexpectedly: note its exit in the private log (I/O: the adapter's thread)
    exit_seen: Callable[[exitlog.RecorderExit], object] = _nothing
    failed: Callable[[str], None] = _nothing  # the session could not record: why
    lost: Callable[[RecorderLost], None] = _nothing  # the recorder died: what it kept
    ended: Callable[[LastSession], None] = _nothing  # a session ended: its stop summary


@dataclasses.dataclass(frozen=True)
class RecorderLost:
    """The recorder ended unexpectedly: what the participant is told, and the session it kept."""

    message: str
    session_id: str = ""
    label: str = ""


def usable_hotkey(text: str) -> Hotkey | None:
    """A pause hotkey as the one parser reads it; None if empty or unusable."""
    if not text.strip():
        return None
    try:
        return parse_hotkey(text)
    except UsageError:
        return None


def start_command(
    settings: Settings,
    options: CaptureOptions | None = None,
    *,
    label: str = "",
    study: str = "",
    seconds_per_minute: float = 60.0,
) -> StartCommand:
    """What the tray app asks its recorder for: ``options`` narrowed by the participant's
    settings (their ceiling; the settings' own options if none are asked), the settings'
    limits (minutes, ``seconds_per_minute`` long), pause hotkey (left out if unusable) and
    private apps. The recorder narrows again by every ceiling it knows, the study's too.
    A study session falls back to the task window alone where global capture is unavailable
    (Wayland): the app can show that window."""
    effective = settings.narrow(options) if options is not None else settings.capture
    hotkey = usable_hotkey(settings.pause_hotkey)
    return StartCommand(
        options=effective.to_dict(),
        label=label,
        study=study,
        max_duration_s=float(settings.max_duration_min * seconds_per_minute),
        idle_timeout_s=float(settings.idle_timeout_min * seconds_per_minute),
        pause_hotkey=hotkey.pynput() if hotkey is not None else "",
        private_apps=tuple(settings.private_apps),
        window_tasks_fallback=bool(study),
    )


def reminder_interval_s(settings: Settings, seconds_per_minute: float = 60.0) -> float:
    """How often a running session says "still on" (0: never; at least every 0.1 s)."""
    minutes = settings.reminder_every_min
    return max(0.1, minutes * seconds_per_minute) if minutes > 0 else 0.0


def last_session_words(last: LastSession | None) -> str:
    """``0:12:34 recorded, 0:01:00 paused; 128 key presses, …`` for the session that ended last."""
    summary = last.summary if last is not None else StopSummary()
    recorded = summary.recorded_s if summary.recorded_s is not None else summary.duration_s or 0.0
    times = words.recorded_and_paused(recorded, summary.paused_s or 0.0)
    return f"{times}; {words.counts_summary(summary.counts)}"


def stop_summary(last: LastSession | None) -> str:
    """What the stop notice says: why (unless the participant stopped it), times, counts."""
    reason = last.reason if last is not None else ""
    if reason in ("", "participant", "quit"):
        return _("Recording stopped: {session}.").format(session=last_session_words(last))
    return _("Recording stopped because {why}: {session}.").format(
        why=words.stop_reason_words(reason), session=last_session_words(last)
    )


class SessionModel:
    """The one session a controller runs: its state, clock (``clock``: monotonic seconds),
    start command, recorder link and what the recorder said about it. ``events`` are told
    what to show; ``kept_where`` ends the sentence on what a dead recorder kept (where the
    participant finds it; the app's words by default)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        events: SessionEvents | None = None,
        *,
        kept_where: str = "",
    ) -> None:
        self.clock = clock
        self.events = events or SessionEvents()
        self.kept_where = kept_where
        self.state = AppState.IDLE
        self.fatal_error = ""  # why the running recorder failed, once it said so
        self.error_message = ""  # why the last session failed (shown until the next start)
        self.last_stop: LastSession | None = None  # the session that ended last
        self.link: RecorderLink | None = None  # the running recorder (None once it exited)
        self.request = StartCommand()  # what the session was started with
        self.hotkey: Hotkey | None = None  # the pause hotkey the running session listens to
        self.started_by = ""  # the program that asked for this session (``tallylight start``)
        self.focus_caveat_said = False  # the start dialog said private apps cannot pause capture here
        self._asked: tuple[str, CaptureOptions | None, str] | None = None  # the app's last start
        self._reset_facts()
        self._started_at = 0.0
        self._ended_at = 0.0
        self._paused_since = 0.0
        self._paused_total = 0.0

    def _reset_facts(self) -> None:
        self.label = self.request.label
        self.study = self.request.study
        self.options: dict[str, Any] = dict(self.request.options)  # the recorder's, once it started
        self.session_id = ""
        self.narrowed: list[str] = []  # what the recorder's ceiling narrowed, in words
        self.counts: dict[str, int] = {}
        self.private = False  # a private app has focus: nothing is captured
        self.rate = 0.0  # input events per second over the last second
        self.study_title = ""
        self.tasks: list[dict[str, str]] = []  # the study's tasks: {"id", "title"}
        self.task = ""  # the task running now
        self.notes = 0
        self.own_ui_private = False  # the recorder confirmed: our own menu is open, nothing captured
        self.lost: RecorderLost | None = None  # the recorder ended unexpectedly (told at its exit)
        self._closed_by_us = False  # we closed its channel (a refused start, a stop not answered)
        self._said_stopped = False  # this recorder said "stopped": a session ended (stop summary)

    @property
    def limits(self) -> tuple[float, float]:
        """(maximum duration, idle timeout) in seconds that this session was started with; 0 = none."""
        return self.request.max_duration_s, self.request.idle_timeout_s

    @property
    def backstop_s(self) -> float:
        """When the app stops a recorder that missed its maximum duration (0: no maximum)."""
        max_s = self.request.max_duration_s
        return max_s + BACKSTOP_GRACE_S if max_s > 0 else 0.0

    def task_title(self, task_id: str) -> str:
        return next((t["title"] for t in self.tasks if t["id"] == task_id), task_id)

    # ---- starting ---------------------------------------------------------
    def start(
        self,
        link: RecorderLink,
        settings: Settings,
        label: str = "",
        options: CaptureOptions | None = None,
        study: str = "",
        *,
        started_by: str = "",
        focus_caveat_said: bool = False,
        seconds_per_minute: float = 60.0,
    ) -> StartCommand:
        """The tray app's start: the command from ``settings`` (:func:`start_command`) for a new
        session on ``link``; an unusable hotkey (a hand-edited settings file) is said, not fatal.
        ``started_by`` names the program that asked: the participant is told who started it."""
        request = start_command(
            settings, options, label=label, study=study, seconds_per_minute=seconds_per_minute
        )
        self._asked = (label, options, study)
        hotkey = usable_hotkey(settings.pause_hotkey)  # the recorder keeps it until the session ends
        self.begin(link, request, hotkey=hotkey, started_by=started_by, focus_caveat_said=focus_caveat_said)
        if hotkey is None and settings.pause_hotkey.strip():
            self.events.notice(
                _("Tallylight"),
                _(
                    "The pause hotkey in Settings ({hotkey}) cannot be used, so this session has "
                    "none: pause from the tray menu, or choose a hotkey in Settings."
                ).format(hotkey=settings.pause_hotkey),
            )
        return request

    def again(self) -> tuple[str, CaptureOptions | None, str] | None:
        """(label, options, study) of the app's last start, to start it again; None while one runs."""
        return None if self.active else self._asked

    def begin(
        self,
        link: RecorderLink,
        request: StartCommand,
        *,
        hotkey: Hotkey | None = None,
        started_by: str = "",
        focus_caveat_said: bool = False,
    ) -> StartCommand:
        """A new session on ``link``'s recorder: a fresh clock and facts; returns the command to send."""
        self.launching()
        self.link = link
        self.request = request
        self.hotkey, self.started_by, self.focus_caveat_said = hotkey, started_by, focus_caveat_said
        self.error_message = ""
        self._reset_facts()
        self.events.changed()
        return request

    # ---- the recorder link: what may be asked in which state --------------
    def pause(self) -> bool:
        if self.state != AppState.RECORDING or self.link is None:
            return False
        self.link.send(Command.PAUSE)
        return True

    def resume(self) -> bool:
        if self.state != AppState.PAUSED or self.link is None:
            return False
        self.link.send(Command.RESUME)
        return True

    def toggle_pause(self) -> bool:
        return self.pause() or self.resume()

    def stop(self, reason: str = "participant") -> bool:
        """Ask the recorder to stop (once); False if no session runs."""
        if not self.active or self.link is None:
            return False
        if self.state != AppState.STOPPING:
            self.go(AppState.STOPPING)
            self.link.send(Command.STOP, reason=reason)
            self.events.changed()
            self.events.stop_sent(self.link)
        return True

    def force_stop(self, link: RecorderLink) -> bool:
        """The stop sent down ``link`` was not answered: close its stdin, which stops it for sure."""
        if self.state != AppState.STOPPING or self.link is not link:
            return False
        self._closed_by_us = True
        link.close_channel()
        return True

    def backstop(self) -> bool:
        """The recorder missed its maximum duration (``backstop_s`` went by): stop it from here."""
        if self.state not in (AppState.RECORDING, AppState.PAUSED):
            return False
        log.warning("recorder missed its maximum duration; stopping it from the controller")
        return self.stop()

    def overdue(self) -> bool:
        """The recorder should have stopped at its maximum duration ``BACKSTOP_GRACE_S`` ago."""
        if self.backstop_s <= 0 or not self._started_at:
            return False
        return (self._ended_at or self.clock()) - self._started_at >= self.backstop_s

    def request_preview(self, n: int = 40) -> bool:
        """Ask the recorder for its last ``n`` events."""
        if self.link is None or not self.active:
            return False
        self.link.send(Command.PREVIEW, n=n)
        return True

    def start_task(self, task_id: str) -> bool:
        """Start one of the study's tasks (a marker in the recording); False if it cannot be."""
        if not self.active or self.link is None or task_id not in {t["id"] for t in self.tasks}:
            return False
        self.link.send(Command.TASK, action="start", task=task_id)
        return True

    def task_refusal(self, action: str, task: str = "") -> str:
        """Why ``task start TASK`` or ``task end`` cannot be done now ("" when it can): the
        same sentences from the app and from ``record``."""
        if action not in ("start", "end"):
            return _("A task can be started or ended.")
        if not self.active:
            return _("No session is recording, so no task can be started or ended.")
        if action == "end":
            return "" if self.task else _("No task is running, so there is none to end.")
        if task in {t["id"] for t in self.tasks}:
            return ""
        if not self.tasks:
            return _("This session is not for a study with tasks (start it with --study).")
        known = ", ".join(t["id"] for t in self.tasks)
        return _("This session's study has no task {task!r} (its tasks: {known}).").format(
            task=str(task)[:64], known=known
        )

    def end_task(self) -> bool:
        if not self.active or self.link is None or not self.task:
            return False
        self.link.send(Command.TASK, action="end")
        return True

    def add_note(self) -> bool:
        """Flag this moment in the recording (a note marker)."""
        if not self.active or self.link is None:
            return False
        self.link.send(Command.NOTE)
        return True

    def own_ui_open(self, on: bool) -> bool:
        """Tallylight's own menu opened or closed: a private gap while it is open."""
        if self.link is None or self.state not in (AppState.RECORDING, AppState.PAUSED):
            return False
        self.link.send(Command.PRIVATE, on=bool(on))
        return True

    def forward(self, cmd: Command, **fields: Any) -> bool:
        """The task window's events and trials, to the running session's recorder."""
        if not self.active or self.link is None:
            return False
        self.link.send(cmd, **fields)
        return True

    # ---- what the recorder said ------------------------------------------
    def on_message(self, msg: RecorderMessage) -> None:
        """One message from the recorder, whatever it is (``ready``, ``preview``, ``trials``
        and unknown ones change nothing here); then ``events.changed``."""
        handlers: dict[str, Callable[[RecorderMessage], Any]] = {
            Message.STARTED: self.on_started,
            Message.PAUSED: self.on_paused,
            Message.RESUMED: self.on_resumed,
            Message.STATS: self.on_stats,
            Message.STATUS: self.on_stats,
            Message.TASK: self.on_marked,
            Message.NOTE: self.on_marked,
            Message.PRIVATE: self.on_private,
            Message.STOPPED: self.on_stopped,
            Message.ERROR: self._on_error_message,
        }
        handle = handlers.get(msg.event)
        if handle is not None:
            handle(msg)
            self.events.changed()

    def on_started(self, msg: RecorderMessage) -> None:
        """``started``: the session's id, options, narrowing and tasks; the clock runs, and the
        participant is told who started it (another program), what was narrowed, and when only
        the task window is recorded."""
        self.session_id = msg.session_id
        self.study_title = msg.study_title
        self.tasks = [{"id": t.id, "title": t.title} for t in msg.tasks]
        if msg.options:
            self.options = dict(msg.options)
        self.narrowed = list(msg.narrowed)
        self.started()
        narrowed = "; ".join(self.narrowed)
        if self.started_by:
            self.events.notice(
                _("Recording started from the command line"),
                _("Started by {who}. Capturing: {summary}.").format(
                    who=self.started_by, summary=words.capture_summary(self.options)
                )
                + (_(" Narrowed: {narrowed}.").format(narrowed=narrowed) if narrowed else ""),
            )
        elif narrowed:
            self.events.notice(_("Capture narrowed"), narrowed + ".")
        if not msg.global_capture:
            self.events.notice(_("Only study tasks are recorded"), _(words.WINDOW_TASKS_ONLY))
        self.events.running()

    def on_paused(self, msg: RecorderMessage) -> None:
        """``paused`` (never while stopping); a pause by the hotkey is said, with the hotkey."""
        if self.state not in (AppState.RECORDING, AppState.PAUSED):
            return
        self.paused()
        if msg.by == "hotkey":
            self.events.notice(
                _("Tallylight paused"),
                _("Recording paused by {hotkey}; press it again to resume.").format(
                    hotkey=self._hotkey_words()
                ),
            )

    def on_resumed(self, msg: RecorderMessage) -> None:
        if self.state not in (AppState.RECORDING, AppState.PAUSED):
            return
        self.resumed()
        if msg.by == "hotkey":
            self.events.notice(
                _("Tallylight recording"),
                _("Recording resumed by {hotkey}.").format(hotkey=self._hotkey_words()),
            )

    def _hotkey_words(self) -> str:
        """The hotkey the running session listens to: a hotkey set in Settings meanwhile applies
        from the next session, so naming it would send the participant to a dead key."""
        return self.hotkey.human() if self.hotkey is not None else _("the hotkey")

    def on_stats(self, msg: RecorderMessage) -> None:
        """Counts, rate and private focus; never the state (a stats message written just before a
        hotkey resume used to turn the light back to paused)."""
        if msg.counts is not None:
            self.counts = dict(msg.counts)
        if msg.rate is not None:
            self.rate = msg.rate
        if msg.private is not None:
            self.private = msg.private

    def on_marked(self, msg: RecorderMessage) -> None:
        """A note was added (said), or a study task started (``events.task_started``) or ended."""
        if msg.event == Message.NOTE:
            self.notes = msg.number or self.notes + 1
            self.events.notice(
                _("Note added"),
                _("Note {n} marked.").format(n=self.notes)
                + " "
                + _("This moment is flagged in the recording."),
            )
        elif msg.action == "start":
            self.task = msg.task
            self.events.task_started(self.study, msg.task)
        else:
            ended, self.task = msg.task or self.task, ""
            self.events.task_ended(ended)

    def on_private(self, msg: RecorderMessage) -> None:
        self.own_ui_private = bool(msg.on)

    def _on_error_message(self, msg: RecorderMessage) -> None:
        self.on_error(msg.message or _("The recorder reported an error."), msg.fatal)

    def on_error(self, message: str, fatal: bool) -> None:
        """An error the recorder reported: a fatal one fails the session (said when the recorder
        has ended), any other is said now — but not the focus caveat the start dialog said."""
        log.info("recorder error (fatal=%s): %s", fatal, message)  # said below: not twice
        if fatal:
            self.failed(message)
        elif not (self.focus_caveat_said and message.startswith(FOCUS_UNKNOWN_NOTICE)):
            self.events.notice("Tallylight", message)

    def on_start_refused(self, message: str) -> None:
        """The start command was refused (no vault, capture unavailable...): no session
        started; this recorder is ended by closing its channel."""
        log.info("recorder refused to start: %s", message)  # said by failed()
        self.failed(message)
        self._closed_by_us = True
        if self.link is not None:
            self.link.close_channel()

    def on_stopped(self, msg: RecorderMessage) -> LastSession:
        """``stopped``, or one the adapter made up (``RECORDER_EXITED``) for a recorder that
        ended without saying it: the final counts, the clock stops, the summary is kept. A
        recorder that ended by itself is lost (:meth:`_lost`); one whose channel we closed
        and that ended cleanly failed without saying why."""
        self._said_stopped = True
        if msg.summary.counts is not None:
            self.counts = dict(msg.summary.counts)
        last = self.stopped_with(msg, self.counts, self.label, self.session_id)
        if msg.reason == protocol.RECORDER_EXITED:
            if self._closed_by_us and msg.exit_code == 0:
                self.failed(_("The recorder ended before it said why."))
            else:
                self._lost(msg)
        return last

    def _lost(self, msg: RecorderMessage) -> None:
        """Say what ended the recorder and what was kept; its exit goes to the private log."""
        ex = getattr(self.link, "exit", None)
        if not isinstance(ex, exitlog.RecorderExit):
            ex = exitlog.RecorderExit(0, msg.exit_code, msg.signal)
        self.events.exit_seen(ex)
        if self.session_id:
            label = f" “{self.label}”" if self.label else ""
            kept = _(
                "What it recorded until then is kept in the session{label} ({clock}; {counts}), "
                "marked as recovered: {where}"
            ).format(
                label=label,
                clock=words.clock(self.elapsed_s),
                counts=words.counts_summary(self.counts),
                where=self.kept_where or _("you can review, cut or delete it."),
            )
        else:
            kept = _("It ended before the session started, so nothing was recorded.")
        message = exitlog.explain(ex, kept, exitlog.log_path())
        if self.fatal_error:  # the recorder said why before it ended: that comes first
            message = f"{self.fatal_error} {message}"
        self.fatal_error = message
        self.lost = RecorderLost(message, self.session_id, self.label)

    def on_exit(self) -> AppState:
        """The recorder process is gone: no link any more; ``error`` if it failed (said: why, and
        what a recorder that died kept), else ``idle`` and the stop summary."""
        self.link = None
        lost, said_stopped = self.lost, self._said_stopped
        self.lost, self._said_stopped = None, False
        if self.fatal_error:
            self.error_message = self.fatal_error
            self.events.failed(self.fatal_error)
        state = self.ended()
        self.events.changed()
        if lost is not None:  # its window says what was kept and opens the session: no stop summary
            self.events.lost(lost)
        elif said_stopped and self.last_stop is not None and self.last_stop.session_id:
            self.events.ended(self.last_stop)
        return state

    # ---- what the adapters show --------------------------------------------
    def reminder(self, seconds_per_minute: float = 60.0) -> bool:
        """Say that a session is still on (recording or paused); False if none is."""
        if self.state not in (AppState.RECORDING, AppState.PAUSED):
            return False
        minutes = int(self.elapsed_s // seconds_per_minute)
        if self.state == AppState.RECORDING:
            text = _("Tallylight is recording ({minutes} min so far). Stop it from the tray menu.")
        else:
            text = _("Tallylight has a paused session ({minutes} min so far). Stop it from the tray menu.")
        self.events.notice(_("Tallylight is still on"), text.format(minutes=minutes))
        return True

    def summary_lines(self) -> list[str]:
        """The light's words: state, then the running session (label, study, task, times,
        counts), the last error, or the last session."""
        lines = [_("Tallylight: {state}").format(state=self.state.words)]
        if self.active:
            if self.label:
                lines.append(_("Label: {label}").format(label=self.label))
            if self.study:
                lines.append(_("Study: {study}").format(study=self.study_title or self.study))
            if self.task:
                lines.append(_("Task: {task}").format(task=self.task_title(self.task)))
            lines.append(_("Recorded: {clock}").format(clock=words.clock(self.elapsed_s)))
            if self.state == AppState.PAUSED or self.paused_s >= 1:
                lines.append(_("Paused: {clock}").format(clock=words.clock(self.paused_s)))
            lines.append(words.counts_summary(self.counts))
        elif self.state == AppState.ERROR and self.error_message:
            lines.append(self.error_message)
        elif self.last_stop is not None:
            lines.append(_("Last session: {words}").format(words=last_session_words(self.last_stop)))
        return lines

    def status(self, recorder_pid: int = 0) -> dict[str, Any]:
        """The session as ``tallylight status`` reads it (docs/APP.md), from the app or ``record``."""
        return {
            "state": self.state,
            "label": self.label,
            "session_id": self.session_id,
            "elapsed_s": round(self.elapsed_s, 3),
            "paused_s": round(self.paused_s, 3),
            "counts": dict(self.counts),
            "options": dict(self.options),
            "narrowed": list(self.narrowed),
            "last_error": self.error_message,
            "last_session": self.last_stop.to_dict() if self.last_stop is not None else {},
            "recorder_pid": recorder_pid,
            "study": self.study,
            "task": self.task,
            "tasks": [dict(t) for t in self.tasks],
            "notes": self.notes,
        }

    # ---- the clock -------------------------------------------------------
    @property
    def active(self) -> bool:
        """A recorder exists for this session: the light is on."""
        return self.state.active

    @property
    def paused_s(self) -> float:
        """Time this session spent paused so far."""
        if not self._started_at:
            return 0.0
        now = self._ended_at or self.clock()
        return self._paused_total + (now - self._paused_since if self._paused_since else 0.0)

    @property
    def elapsed_s(self) -> float:
        """Time this session recorded so far (paused time not included)."""
        if not self._started_at:
            return 0.0
        now = self._ended_at or self.clock()
        return max(0.0, now - self._started_at - self.paused_s)

    # ---- steps -----------------------------------------------------------
    def can(self, state: AppState) -> bool:
        return state == self.state or state in TRANSITIONS[self.state]

    def go(self, state: AppState) -> None:
        """Take one step (staying put is allowed); UsageError for a step the model does not take."""
        if not self.can(state):
            raise UsageError(
                _("A session cannot go from {value} to {value2}.").format(
                    value=self.state.value, value2=state.value
                )
            )
        now = self._ended_at or self.clock()
        if state == AppState.PAUSED and not self._paused_since:
            self._paused_since = now
        elif state in (AppState.RECORDING, AppState.IDLE, AppState.ERROR) and self._paused_since:
            self._paused_total += now - self._paused_since
            self._paused_since = 0.0
        self.state = state

    def launching(self) -> None:
        """A recorder is being started for a new session: a fresh clock."""
        self.go(AppState.STARTING)
        self.fatal_error = ""
        self._started_at = self._ended_at = self._paused_since = 0.0
        self._paused_total = 0.0

    def started(self) -> None:
        """The recorder said ``started``: the clock runs (recording, unless a stop was asked already)."""
        if self.active and not self._started_at:
            self._started_at = self.clock()
        if self.state == AppState.STARTING:
            self.go(AppState.RECORDING)

    def paused(self) -> None:
        """The recorder said ``paused`` (never while stopping)."""
        if self.state in (AppState.RECORDING, AppState.PAUSED):
            self.go(AppState.PAUSED)

    def resumed(self) -> None:
        if self.state in (AppState.RECORDING, AppState.PAUSED):
            self.go(AppState.RECORDING)

    def stopping(self) -> bool:
        """The controller asked the recorder to stop; False if there is nothing to stop."""
        if not self.active:
            return False
        self.go(AppState.STOPPING)
        return True

    def failed(self, why: str) -> None:
        """The recorder refused to start or reported a fatal error (the first reason is kept)."""
        if self.active and not self.fatal_error:
            self.fatal_error = why

    def stopped(self) -> None:
        """The recorder said ``stopped`` (or ended): the clock stops."""
        if self._started_at and not self._ended_at:
            self._ended_at = self.clock()

    def stopped_with(
        self, msg: RecorderMessage, counts: dict[str, int], label: str, session_id: str
    ) -> LastSession:
        """The recorder said ``stopped`` (or ended: a synthesised one): the clock stops and the
        session's summary is kept — the recorder's figures, its counts else the last ones seen
        (``counts``), and the light's own recorded and paused time."""
        self.stopped()
        said = msg.summary
        summary = dataclasses.replace(
            said,
            counts=dict(counts) if said.counts is None else said.counts,
            duration_s=self.elapsed_s + self.paused_s if said.duration_s is None else said.duration_s,
            recorded_s=round(self.elapsed_s, 3),
            paused_s=round(self.paused_s, 3),
        )
        self.last_stop = LastSession(msg.reason, summary, label, session_id or summary.session_id)
        return self.last_stop

    def ended(self) -> AppState:
        """The recorder process is gone: ``error`` if it failed, else ``idle``."""
        self.stopped()
        self.go(AppState.ERROR if self.fatal_error else AppState.IDLE)
        return self.state
