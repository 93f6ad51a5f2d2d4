"""The session state the tray, the fallback window and the CLI all share.

States: :class:`tallylight.words.AppState`. ``starting`` already shows the
recording light: the light turns on before the first event could be captured,
and goes off only after the recorder has exited.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from tallylight import protocol, words
from tallylight import settings as settings_mod
from tallylight.capture.focus import FOCUS_UNKNOWN_NOTICE
from tallylight.capture.hotkey import Hotkey
from tallylight.i18n import _
from tallylight.options import CaptureOptions
from tallylight.protocol import Command, LastSession, Message, RecorderMessage, StopSummary
from tallylight.recorder import exitlog
from tallylight.session_model import SessionModel, start_command, usable_hotkey
from tallylight.ui.recorder_process import RecorderProcess
from tallylight.words import AppState

log = logging.getLogger(__name__)


class AppController(QObject):
    changed = Signal()  # state, elapsed or counts changed; read the properties
    task_started = Signal(str, str)  # study id, task id: the recorder marked a study task's start
    notify = Signal(str, str)  # title, message (tray balloon / window banner)
    live_preview = Signal(object)  # the recorder's ``preview`` reply (the live view asked for it)
    session_ended = Signal(dict)  # last_session, once the recorder has exited (the stop summary)
    #: the recorder ended unexpectedly: {"message", "session_id", "label"}; start_again() repeats the start
    recorder_lost = Signal(dict)

    #: settings count in minutes; tests shrink this to make limits fire in seconds
    seconds_per_minute: float = 60.0
    #: how long a stopping recorder may take before its stdin is closed (which stops it for sure)
    stop_grace_ms: int = 3000

    def __init__(self, settings: settings_mod.Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        # the session: state, clock, start command, recorder link and what the recorder said
        # (Qt-free, shared with `record`); this adapter holds the process, timers and notices
        self.model = SessionModel()
        self.error_message = ""
        self._recorder: RecorderProcess | None = None
        self._lost: dict[str, Any] = {}  # the recorder ended unexpectedly (see recorder_lost)
        self._closed_by_us = False
        self._start_args: tuple[str, CaptureOptions | None, str] | None = None
        self._started_by = ""
        self._session_hotkey: Hotkey | None = None  # the pause hotkey the running session listens to
        self._stopped_now = False  # this recorder said "stopped": a session ended (stop summary)
        self._focus_caveat_said = False  # the start dialog said private apps cannot pause capture here
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)
        self._reminder = QTimer(self)
        self._reminder.timeout.connect(self._on_reminder)
        self._backstop = QTimer(self)
        self._backstop.setSingleShot(True)
        self._backstop.timeout.connect(self._on_backstop)

    # ---- read side -----------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state.active

    @property
    def state(self) -> AppState:
        return self.model.state

    # what the recorder said about this session (the model keeps it)
    label = property(lambda self: self.model.label)
    session_id = property(lambda self: self.model.session_id)
    options = property(lambda self: self.model.options)
    narrowed = property(lambda self: self.model.narrowed)
    counts = property(lambda self: self.model.counts)
    private = property(lambda self: self.model.private)
    rate = property(lambda self: self.model.rate)
    study = property(lambda self: self.model.study)  # the joined study ("" = personal)
    study_title = property(lambda self: self.model.study_title)
    tasks = property(lambda self: self.model.tasks)
    task = property(lambda self: self.model.task)
    notes = property(lambda self: self.model.notes)
    own_ui_private = property(lambda self: self.model.own_ui_private)

    @property
    def last_stop(self) -> LastSession | None:
        """The session that ended last (the model keeps it)."""
        return self.model.last_stop

    @property
    def _fatal_error(self) -> str:
        return self.model.fatal_error

    @_fatal_error.setter
    def _fatal_error(self, why: str) -> None:
        self.model.fatal_error = why

    @property
    def paused_s(self) -> float:
        """Time this session spent paused so far."""
        return self.model.paused_s

    @property
    def elapsed_s(self) -> float:
        """Time this session recorded so far (paused time not included)."""
        return self.model.elapsed_s

    @property
    def recorder_pid(self) -> int:
        return self._recorder.pid() if self._recorder is not None else 0

    def state_text(self) -> str:
        return self.state.words

    def summary_lines(self) -> list[str]:
        lines = [_("Tallylight: {state}").format(state=self.state_text())]
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
            lines.append(_("Last session: {words}").format(words=self.last_session_words()))
        return lines

    def last_session_words(self) -> str:
        """``0:12:34 recorded, 0:01:00 paused; 128 key presses, …`` for the session that ended last."""
        summary = self.last_stop.summary if self.last_stop is not None else StopSummary()
        recorded = summary.recorded_s if summary.recorded_s is not None else summary.duration_s or 0.0
        times = words.recorded_and_paused(recorded, summary.paused_s or 0.0)
        return f"{times}; {words.counts_summary(summary.counts)}"

    @property
    def last_session(self) -> dict[str, Any]:
        """The app-socket form of :attr:`last_stop` (empty before any session ended)."""
        return self.last_stop.to_dict() if self.last_stop is not None else {}

    def status_dict(self) -> dict[str, Any]:
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
            "last_session": self.last_session,
            "recorder_pid": self.recorder_pid,
            "study": self.study,
            "task": self.task,
            "tasks": [dict(t) for t in self.tasks],
            "notes": self.notes,
        }

    # ---- commands ------------------------------------------------------
    def start_session(
        self,
        label: str = "",
        options: CaptureOptions | None = None,
        study: str = "",
        *,
        started_by: str = "",
        focus_caveat_said: bool = False,
    ) -> bool:
        """Start recording now (for ``study``, a joined study's id); False if a session already runs.

        The recorder applies the study's ceiling itself, from the consent on disk.
        ``started_by`` names the program that asked (``tallylight start``): the
        participant is then told who started recording and what it captures.
        """
        if self.active:
            return False
        self._started_by = started_by
        self._start_args = (label, options, study)
        s = self.settings
        request = start_command(
            s, options, label=label, study=study, seconds_per_minute=self.seconds_per_minute
        )
        self._session_hotkey = usable_hotkey(s.pause_hotkey)  # the recorder keeps it until the session ends
        if (
            self._session_hotkey is None and s.pause_hotkey.strip()
        ):  # a hand-edited settings file: record anyway
            QTimer.singleShot(
                0,
                lambda: self.notify.emit(
                    _("Tallylight"),
                    _(
                        "The pause hotkey in Settings ({hotkey}) cannot be used, so this session has "
                        "none: pause from the tray menu, or choose a hotkey in Settings."
                    ).format(hotkey=s.pause_hotkey),
                ),
            )
        rec = RecorderProcess(self)
        rec.started.connect(self._on_started)
        rec.paused.connect(self._on_paused)
        rec.resumed.connect(self._on_resumed)
        rec.stats.connect(self._on_stats)
        rec.preview.connect(self.live_preview.emit)
        rec.stopped.connect(self._on_stopped)
        rec.error.connect(self._on_error)
        rec.private_changed.connect(self.model.on_private)
        rec.start_refused.connect(self._on_start_refused)
        rec.marked.connect(self._on_marked)
        rec.finished.connect(self._on_finished)
        self._recorder = rec
        self.error_message = ""
        self._stopped_now = False
        self._closed_by_us = False  # we closed its channel (a refused start, a stop not answered)
        self._focus_caveat_said = focus_caveat_said
        self.model.begin(rec, request)
        self.changed.emit()
        rec.launch(request.fields())
        return True

    def request_preview(self, n: int = 40) -> bool:
        """Ask the recorder for its last ``n`` events (answered by ``live_preview``)."""
        return self.model.request_preview(n)

    def pause(self) -> bool:
        return self.model.pause()

    def resume(self) -> bool:
        return self.model.resume()

    def start_task(self, task_id: str) -> bool:
        """Start one of the study's tasks (a marker in the recording); False if it cannot be."""
        return self.model.start_task(task_id)

    def end_task(self) -> bool:
        return self.model.end_task()

    def add_note(self) -> bool:
        """Flag this moment in the recording (a note marker)."""
        return self.model.add_note()

    def task_title(self, task_id: str) -> str:
        return self.model.task_title(task_id)

    @Slot(object)
    def _on_marked(self, msg: RecorderMessage) -> None:
        self.model.on_marked(msg)
        if msg.event == Message.NOTE:
            self.notify.emit(
                _("Note added"), _("This moment is marked in the recording (note {n}).").format(n=self.notes)
            )
        elif msg.action == "start":
            self.task_started.emit(self.study, msg.task)
        self.changed.emit()

    def send_task_window(self, cmd: Command, **fields: Any) -> None:
        """The task window's events and trials, to the running session's recorder."""
        self.model.forward(cmd, **fields)

    def own_ui_open(self, on: bool) -> None:
        """Tallylight's own menu opened (``on``) or closed: while it is open nothing is
        captured (a private gap), so clicks on the tray menu are not the participant's data."""
        self.model.own_ui_open(on)

    def toggle_pause(self) -> None:
        if self.state == AppState.RECORDING:
            self.pause()
        elif self.state == AppState.PAUSED:
            self.resume()

    def stop(self, reason: str = "participant") -> bool:
        asked = self.state != AppState.STOPPING
        if not self.model.stop(reason):
            return False
        if asked and self._recorder is not None:
            self.changed.emit()
            # If the recorder does not answer, closing its stdin stops it for sure.
            rec = self._recorder
            QTimer.singleShot(self.stop_grace_ms, self, lambda: self._force_stop(rec))
        return True

    def shutdown(self, wait_ms: int = 3000) -> None:
        """Stop any session and wait for the recorder (the app is quitting)."""
        rec = self._recorder
        if rec is None:
            return
        if rec.is_running():
            rec.stop("quit")
            rec.close_channel()
            rec.wait_stopped(wait_ms)

    # ---- settings-driven timers ---------------------------------------
    def apply_settings(self, new: settings_mod.Settings) -> None:
        self.settings = new
        if self.state in (AppState.RECORDING, AppState.PAUSED):
            self._arm_reminder()

    @property
    def reminder_due(self) -> bool:
        """A "still on" reminder is scheduled: only while a session records or is paused."""
        return self._reminder.isActive()

    def _arm_reminder(self) -> None:
        minutes = self.settings.reminder_every_min
        if minutes > 0:
            self._reminder.start(max(100, int(minutes * self.seconds_per_minute * 1000)))
        else:
            self._reminder.stop()

    # ---- recorder messages ----------------------------------------------
    @Slot(object)
    def _on_started(self, msg: RecorderMessage) -> None:
        self.model.on_started(msg)
        narrowed = self.narrowed
        if self._started_by:
            self.notify.emit(
                _("Recording started from the command line"),
                _("Started by {who}. Capturing: {summary}.").format(
                    who=self._started_by, summary=words.capture_summary(self.options)
                )
                + (_(" Narrowed: {narrowed}.").format(narrowed="; ".join(narrowed)) if narrowed else ""),
            )
        elif narrowed:
            self.notify.emit(_("Capture narrowed"), "; ".join(narrowed) + ".")
        if not msg.global_capture:
            self.notify.emit(_("Only study tasks are recorded"), _(words.WINDOW_TASKS_ONLY))
        self._tick.start()
        self._arm_reminder()
        if self.model.backstop_s > 0:
            self._backstop.start(int(self.model.backstop_s * 1000))
        self.changed.emit()

    @Slot(object)
    def _on_paused(self, msg: RecorderMessage) -> None:
        if self.state != AppState.STOPPING:
            self.model.paused()
            self.changed.emit()
            if msg.by == "hotkey":
                self.notify.emit(
                    _("Tallylight paused"),
                    _("Recording paused by {hotkey}; press it again to resume.").format(
                        hotkey=self._hotkey_words()
                    ),
                )

    @Slot(object)
    def _on_resumed(self, msg: RecorderMessage) -> None:
        if self.state != AppState.STOPPING:
            self.model.resumed()
            self.changed.emit()
            if msg.by == "hotkey":
                self.notify.emit(
                    _("Tallylight recording"),
                    _("Recording resumed by {hotkey}.").format(hotkey=self._hotkey_words()),
                )

    def _hotkey_words(self) -> str:
        """The hotkey the running session listens to: a hotkey set in Settings meanwhile applies
        from the next session, so naming it here would send the participant to a dead key."""
        hotkey = self._session_hotkey if self.active else None
        hotkey = hotkey or usable_hotkey(self.settings.pause_hotkey)
        return hotkey.human() if hotkey is not None else _("the hotkey")

    @Slot(object)
    def _on_stats(self, msg: RecorderMessage) -> None:
        self.model.on_stats(msg)  # never the state: that follows paused/resumed alone
        self.changed.emit()

    @Slot(str, bool)
    def _on_error(self, message: str, fatal: bool) -> None:
        log.warning("recorder error (fatal=%s): %s", fatal, message)
        if not fatal and self._focus_caveat_said and message.startswith(FOCUS_UNKNOWN_NOTICE):
            return  # the start dialog said it already, before Start: not again at every session
        if fatal:
            self._fatal_error = message
        else:
            self.notify.emit("Tallylight", message)

    @Slot(str)
    def _on_start_refused(self, message: str) -> None:
        """The start command was refused (no vault, capture unavailable...): no
        session started; end this recorder by closing its channel."""
        log.warning("recorder refused to start: %s", message)
        self._fatal_error = message
        self._closed_by_us = True
        if self._recorder is not None:
            self._recorder.close_channel()

    @Slot(object)
    def _on_stopped(self, msg: RecorderMessage) -> None:
        self._stopped_now = True
        self.model.on_stopped(msg)
        if msg.reason == protocol.RECORDER_EXITED:
            if self._closed_by_us and msg.exit_code == 0:
                if not self._fatal_error:  # we closed its channel and it ended cleanly
                    self._fatal_error = _("The recorder ended before it said why.")
            else:
                self._recorder_exited(msg)

    def _recorder_exited(self, msg: RecorderMessage) -> None:
        """Say what ended the recorder and what was kept; its exit goes to the private log."""
        rec = self._recorder
        ex = rec.exit if rec is not None else None
        if ex is None:
            ex = exitlog.RecorderExit(0, msg.exit_code, msg.signal)
        # the log is written off the GUI thread; its path is known now
        threading.Thread(target=exitlog.note_exit, args=(ex,), name="tallylight-exitlog", daemon=True).start()
        if self.session_id:
            label = f" “{self.label}”" if self.label else ""
            kept = _(
                "What it recorded until then is kept in the session{label} ({clock}; {counts}), "
                "marked as recovered: you can review, cut or delete it."
            ).format(label=label, clock=words.clock(self.elapsed_s), counts=words.counts_summary(self.counts))
        else:
            kept = _("It ended before the session started, so nothing was recorded.")
        message = exitlog.explain(ex, kept, exitlog.log_path())
        if self._fatal_error:  # the recorder said why before it ended: that comes first
            message = f"{self._fatal_error} {message}"
        self._fatal_error = message
        self._lost = {"message": message, "session_id": self.session_id, "label": self.label}

    def start_again(self) -> bool:
        """Start a new session as the last one was started (after the recorder ended unexpectedly)."""
        if self._start_args is None or self.active:
            return False
        label, options, study = self._start_args
        return self.start_session(label, options, study)

    @Slot(int)
    def _on_finished(self, _code: int) -> None:
        self._tick.stop()
        self._reminder.stop()
        self._backstop.stop()
        rec = self._recorder
        self._recorder = None
        if rec is not None:
            rec.deleteLater()
        lost, self._lost = self._lost, {}
        if self._fatal_error:
            self.error_message = self._fatal_error
            self.notify.emit(_("Tallylight could not record"), self._fatal_error)
        self.model.on_exit()  # error if it failed, else idle; the clock stops
        self.changed.emit()
        if lost:  # its window says what was kept and opens the session: no stop summary besides
            self._stopped_now = False
            self.recorder_lost.emit(lost)
        if self._stopped_now and self.last_stop is not None and self.last_stop.session_id:
            self._stopped_now = False
            self.session_ended.emit(dict(self.last_session))

    def stop_summary(self) -> str:
        """What the stop notice says: why (unless the participant stopped it), times, counts."""
        reason = self.last_stop.reason if self.last_stop is not None else ""
        if reason in ("", "participant", "quit"):
            return _("Recording stopped: {session}.").format(session=self.last_session_words())
        return _("Recording stopped because {why}: {session}.").format(
            why=words.stop_reason_words(reason), session=self.last_session_words()
        )

    # ---- timers ------------------------------------------------------
    @Slot()
    def _on_tick(self) -> None:
        self.changed.emit()

    @Slot()
    def _on_reminder(self) -> None:
        if self.state in (AppState.RECORDING, AppState.PAUSED):
            minutes = int(self.elapsed_s // self.seconds_per_minute)
            if self.state == AppState.RECORDING:
                text = _("Tallylight is recording ({minutes} min so far). Stop it from the tray menu.")
            else:
                text = _(
                    "Tallylight has a paused session ({minutes} min so far). Stop it from the tray menu."
                )
            self.notify.emit(_("Tallylight is still on"), text.format(minutes=minutes))

    @Slot()
    def _on_backstop(self) -> None:
        if self.state in (AppState.RECORDING, AppState.PAUSED):
            log.warning("recorder missed its maximum duration; stopping it from the GUI")
            self.stop()

    def _force_stop(self, rec: RecorderProcess) -> None:
        if self.state == AppState.STOPPING and self._recorder is rec and rec is not None:
            self._closed_by_us = True
            rec.close_channel()
