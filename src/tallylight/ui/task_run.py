"""``tallylight task run TASK_ID [--study ID]``: one typing or pointing task in its own session.

Starts a recorder for the study with ``global_capture`` off (the task window's own events are
all it takes, so this works on Wayland and on macOS without any permission), starts the task,
shows the task window, and ends the task and the session when the window closes. The window
is the visible part: when it goes, the recorder's control channel closes and capture stops.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tallylight import words
from tallylight.errors import StudyError
from tallylight.i18n import _
from tallylight.options import CaptureOptions, KeyMode
from tallylight.protocol import Command, Message, RecorderMessage, StartCommand
from tallylight.study import enrolment
from tallylight.study.manifest import Task
from tallylight.tasks import results
from tallylight.ui.gui_gc import collect_on_gui_thread
from tallylight.ui.recorder_process import RecorderProcess
from tallylight.ui.task_window import TaskWindow

WIDEST = CaptureOptions(keys=KeyMode.FULL, mouse_moves=True, clicks=True, scrolls=True)


def find_task(task_id: str, study_id: str | None) -> tuple[str, Task]:
    """The joined study (given, or the only one with this task) and its window task."""
    ids = [study_id] if study_id else enrolment.enrolled_ids()
    found = []
    for sid in ids:
        study = enrolment.load(sid)
        for task in study.manifest.tasks:
            if task.id == task_id:
                found.append((study.study_id, task))
    if not found:
        raise StudyError(_("No study you joined has a task {task_id!r}.").format(task_id=task_id))
    if len(found) > 1:
        raise StudyError(
            _("Several studies have a task {task_id!r}; name one with --study ID.").format(task_id=task_id)
        )
    sid, task = found[0]
    if not task.in_window:
        raise StudyError(
            _(
                "Task {task_id!r} is a free task: start a session and the task from the app or 'tallylight "
                "task start' instead."
            ).format(task_id=task_id)
        )
    return sid, task


class TaskRun:
    """The recorder and the window of one task run; ``code`` is the exit status."""

    def __init__(
        self,
        app: QApplication,
        study_id: str,
        task: Task,
        device: str = "",
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self.app, self.study_id, self.task = app, study_id, task
        self.on_done = on_done or app.quit
        self.finished = False
        self.code = 0
        self.window: TaskWindow | None = None
        self.device = device
        self.rec = RecorderProcess()
        self.rec.started.connect(self._on_started)
        self.rec.marked.connect(self._on_marked)
        self.rec.start_refused.connect(self._refused)
        self.rec.error.connect(self._on_error)
        self.rec.stopped.connect(self._on_stopped)
        self.rec.finished.connect(self._on_finished)

    def start(self) -> None:
        start = StartCommand(
            options=WIDEST.to_dict(),  # the recorder narrows it to the settings and the consent
            study=self.study_id,
            label=str(self.task.title),
            global_capture=False,
        )
        self.rec.launch(start.fields())

    def _send(self, cmd: Command, **fields: Any) -> None:
        self.rec.send(cmd, **fields)

    def _on_started(self, msg: RecorderMessage) -> None:  # noqa: ARG002 - the started signal's
        self.rec.send(Command.TASK, action="start", task=self.task.id)

    def _on_marked(self, msg: RecorderMessage) -> None:
        if msg.event != Message.TASK or msg.action != "start" or self.window is not None:
            return
        self.window = TaskWindow(self.task, self._send, device=self.device)
        self.window.finished.connect(self._on_window_closed)
        self.window.paused_changed.connect(lambda p: self.rec.pause() if p else self.rec.resume())
        self.window.show_full_screen()

    def _on_window_closed(self, trials: list[dict[str, Any]]) -> None:
        self.trials = trials
        self.rec.send(Command.TASK, action="end")
        self.rec.stop()

    def _on_finished(self, code: int) -> None:  # noqa: ARG002 - the finished signal's
        self.finished = True
        self.on_done()

    def _refused(self, message: str) -> None:
        print(f"tallylight: {words.printable(message)}", file=sys.stderr)
        self.code = 8

    def _on_error(self, message: str, fatal: bool) -> None:
        print(f"tallylight: {words.printable(message)}", file=sys.stderr)
        if self.window is None or fatal:  # the task itself was refused (no typing consent, say)
            self.code = 8
            self.rec.stop()

    def _on_stopped(self, msg: RecorderMessage) -> None:
        print(_("Session {session_id} recorded (encrypted).").format(session_id=msg.summary.session_id))
        for line in words.task_result_lines(results.blocks(getattr(self, "trials", []))):
            print(line)


def main(task_id: str, study_id: str | None, device: str = "") -> int:
    sid, task = find_task(task_id, study_id)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # the run ends when the recorder has stopped, not before
    collector = collect_on_gui_thread(app)  # the window is freed on this thread, never elsewhere
    run = TaskRun(app, sid, task, device)
    QTimer.singleShot(0, run.start)
    app.exec()
    collector.stop()
    if run.rec.is_running():
        run.rec.wait_stopped()
    return run.code
