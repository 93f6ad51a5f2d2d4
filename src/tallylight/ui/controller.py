"""The tray app's session: the Qt adapter of the Qt-free session model.

Every decision about a session — its states and the steps between them, what each
recorder message means, which notice the participant reads, why a session failed, what
a dead recorder kept, the limits, the stop summary — is :class:`SessionModel`'s, shared
with ``tallylight record``. This adapter gives the model a :class:`RecorderProcess`
(``QProcess``) as its recorder link, feeds it the process's messages, runs the timers
(the light's tick, the reminder, the backstop, the stop's grace) and turns what the
model tells it (:class:`SessionEvents`) into Qt signals for the tray, the windows and the
app socket. ``starting`` already shows the recording light: the light turns on before
the first event could be captured, and goes off only after the recorder has exited.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from tallylight import settings as settings_mod
from tallylight.i18n import _
from tallylight.options import CaptureOptions
from tallylight.protocol import Command, RecorderMessage
from tallylight.recorder import exitlog
from tallylight.session_model import (
    RecorderLink,
    SessionEvents,
    SessionModel,
    reminder_interval_s,
)
from tallylight.ui.recorder_process import RecorderProcess
from tallylight.words import AppState


def _log_exit(ex: exitlog.RecorderExit) -> None:
    """The recorder's exit to the private log, off the GUI thread (its path is known already)."""
    threading.Thread(target=exitlog.note_exit, args=(ex,), name="tallylight-exitlog", daemon=True).start()


class AppController(QObject):
    changed = Signal()  # state, elapsed or counts changed; read the properties
    task_started = Signal(str, str)  # study id, task id: the recorder marked a study task's start
    notify = Signal(str, str)  # title, message (tray balloon / window banner)
    live_preview = Signal(object)  # the recorder's ``preview`` reply (the live view asked for it)
    session_ended = Signal(object)  # LastSession, once the recorder has exited (the stop summary)
    #: the recorder ended unexpectedly (a ``session_model.RecorderLost``); start_again() repeats the start
    recorder_lost = Signal(object)

    #: settings count in minutes; tests shrink this to make limits fire in seconds
    seconds_per_minute: float = 60.0
    #: how long a stopping recorder may take before its stdin is closed (which stops it for sure)
    stop_grace_ms: int = 3000
    #: how often the running time is redrawn; tests shorten it to see a redraw without waiting
    tick_ms: int = 1000

    def __init__(self, settings: settings_mod.Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        events = SessionEvents(
            changed=self.changed.emit,
            notice=self.notify.emit,
            running=self._run_timers,
            task_started=self.task_started.emit,
            stop_sent=self._give_grace,
            exit_seen=_log_exit,
            failed=lambda why: self.notify.emit(_("Tallylight could not record"), why),
            lost=self.recorder_lost.emit,
            ended=self.session_ended.emit,
        )
        self.model = SessionModel(events=events)  # Qt-free, the same as `record`'s
        self._recorder: RecorderProcess | None = None
        self._tick = QTimer(self)
        self._tick.setInterval(self.tick_ms)
        self._tick.timeout.connect(self.changed.emit)
        self._reminder = QTimer(self)
        self._reminder.timeout.connect(lambda: self.model.reminder(self.seconds_per_minute))
        self._backstop = QTimer(self)
        self._backstop.setSingleShot(True)
        self._backstop.timeout.connect(self.model.backstop)

    # ---- read side: the model's ------------------------------------------
    state = property(lambda self: self.model.state)
    active = property(lambda self: self.model.active)
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
    error_message = property(lambda self: self.model.error_message)
    paused_s = property(lambda self: self.model.paused_s)  # time this session spent paused so far
    elapsed_s = property(lambda self: self.model.elapsed_s)  # recorded so far (not paused time)

    last_stop = property(lambda self: self.model.last_stop)  # the session that ended last

    @property
    def last_session(self) -> dict[str, Any]:
        """The app-socket form of :attr:`last_stop` (empty before any session ended)."""
        return self.last_stop.to_dict() if self.last_stop is not None else {}

    @property
    def recorder_pid(self) -> int:
        return self._recorder.pid() if self._recorder is not None else 0

    def state_text(self) -> str:
        return self.model.state.words

    def summary_lines(self) -> list[str]:
        return self.model.summary_lines()

    def status_dict(self) -> dict[str, Any]:
        return self.model.status(self.recorder_pid)

    def task_title(self, task_id: str) -> str:
        return self.model.task_title(task_id)

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
        rec = RecorderProcess(self)
        said = (rec.started, rec.paused, rec.resumed, rec.stats, rec.private_changed, rec.marked, rec.stopped)
        for message in said:
            message.connect(self._on_message)
        # Only this QObject's own methods: PySide6 (6.11) keeps ~60-120 B for every connection
        # to a plain Python object's method or another signal's emit, after the sender is gone
        # (the soak's memory grew by it every session; tests/ui/test_session_no_growth.py)
        rec.preview.connect(self._on_preview)
        rec.error.connect(self._on_error)
        rec.start_refused.connect(self._on_start_refused)
        rec.finished.connect(self._on_finished)
        self._recorder = rec
        request = self.model.start(
            rec,
            self.settings,
            label,
            options,
            study,
            started_by=started_by,
            focus_caveat_said=focus_caveat_said,
            seconds_per_minute=self.seconds_per_minute,
        )
        rec.launch(request.fields())
        return True

    def start_again(self) -> bool:
        """Start a new session as the last one was started (after the recorder ended unexpectedly)."""
        again = self.model.again()
        return again is not None and self.start_session(*again)

    def request_preview(self, n: int = 40) -> bool:
        """Ask the recorder for its last ``n`` events (answered by ``live_preview``)."""
        return self.model.request_preview(n)

    def pause(self) -> bool:
        return self.model.pause()

    def resume(self) -> bool:
        return self.model.resume()

    def toggle_pause(self) -> None:
        self.model.toggle_pause()

    def stop(self, reason: str = "participant") -> bool:
        return self.model.stop(reason)

    def start_task(self, task_id: str) -> bool:
        """Start one of the study's tasks (a marker in the recording); False if it cannot be."""
        return self.model.start_task(task_id)

    def end_task(self) -> bool:
        return self.model.end_task()

    def add_note(self) -> bool:
        """Flag this moment in the recording (a note marker)."""
        return self.model.add_note()

    def send_task_window(self, cmd: Command, **fields: Any) -> None:
        """The task window's events and trials, to the running session's recorder."""
        self.model.forward(cmd, **fields)

    def own_ui_open(self, on: bool) -> None:
        """Tallylight's own menu opened (``on``) or closed: while it is open nothing is
        captured (a private gap), so clicks on the tray menu are not the participant's data."""
        self.model.own_ui_open(on)

    def shutdown(self, wait_ms: int = 3000) -> None:
        """Stop any session and wait for the recorder (the app is quitting)."""
        rec = self._recorder
        if rec is not None and rec.is_running():
            rec.stop("quit")
            rec.close_channel()
            rec.wait_stopped(wait_ms)

    # ---- timers ----------------------------------------------------------
    def apply_settings(self, new: settings_mod.Settings) -> None:
        self.settings = new
        if self.state in (AppState.RECORDING, AppState.PAUSED):
            self._arm_reminder()

    @property
    def reminder_due(self) -> bool:
        """A "still on" reminder is scheduled: only while a session records or is paused."""
        return self._reminder.isActive()

    def _arm_reminder(self) -> None:
        self._reminder.stop()
        every_s = reminder_interval_s(self.settings, self.seconds_per_minute)
        if every_s > 0:
            self._reminder.start(int(every_s * 1000))

    def _run_timers(self) -> None:
        """The recorder said started: the light's clock ticks, reminders, the backstop."""
        self._tick.start()
        self._arm_reminder()
        if self.model.backstop_s > 0:
            self._backstop.start(int(self.model.backstop_s * 1000))

    def _give_grace(self, link: RecorderLink) -> None:
        """A stop was sent: if the recorder does not answer, closing its stdin stops it for sure."""
        QTimer.singleShot(self.stop_grace_ms, self, lambda: self.model.force_stop(link))

    # ---- the recorder process ------------------------------------------
    @Slot(object)
    def _on_message(self, msg: RecorderMessage) -> None:
        self.model.on_message(msg)

    @Slot(object)
    def _on_preview(self, preview: object) -> None:
        self.live_preview.emit(preview)

    @Slot(str, bool)
    def _on_error(self, message: str, fatal: bool) -> None:
        self.model.on_error(message, fatal)

    @Slot(str)
    def _on_start_refused(self, message: str) -> None:
        self.model.on_start_refused(message)

    @Slot(int)
    def _on_finished(self, _code: int) -> None:
        for timer in (self._tick, self._reminder, self._backstop):
            timer.stop()
        rec, self._recorder = self._recorder, None
        if rec is not None:
            rec.deleteLater()
        self.model.on_exit()  # error if it failed, else idle: the model tells what ended
