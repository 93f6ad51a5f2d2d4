"""The app's commands as QActions, shared by the tray menu and the fallback window."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from tallylight.i18n import _
from tallylight.ui.controller import AppController
from tallylight.words import AppState


class AppActions(QObject):
    """Start / Pause-Resume / Stop / Sessions / Settings / About / Quit."""

    def __init__(self, controller: AppController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.start = self._make(_("&Start session…"), _("Start a recording session"), "Ctrl+R")
        self.pause = self._make(_("&Pause"), _("Pause or resume the recording"), "Ctrl+P")
        self.stop = self._make(_("S&top"), _("Stop the recording"), "Ctrl+S")
        self.sessions = self._make(_("Sess&ions…"), _("List, inspect and delete recorded sessions"), "Ctrl+L")
        # in the tray menu (the fallback window reaches it through Sessions… → Share…)
        self.share = self._make(
            _("S&hare…"), _("Share a study's sessions with its researcher, after a preview"), None
        )
        self.studies = self._make(
            _("Stu&dies…"), _("Join a study, see the studies you joined, or withdraw"), None
        )
        self.live = self._make(
            _("&Live view…"), _("See what the running session captures, as it happens"), "Ctrl+E"
        )
        self.settings = self._make(
            _("S&ettings…"), _("Change what is captured, limits and private apps"), "Ctrl+,"
        )
        self.about = self._make(_("&About"), _("About Tallylight"), "F1")
        self.quit = self._make(_("&Quit"), _("Stop any recording and quit Tallylight"), "Ctrl+Q")
        self.note = self._make(
            _("Add &note"), _("Mark this moment in the recording (a note marker)"), "Ctrl+N"
        )
        self.end_task = self._make(_("End task"), _("End the study task that is running"), None)
        self.note.triggered.connect(controller.add_note)
        self.end_task.triggered.connect(controller.end_task)
        self.pause.triggered.connect(controller.toggle_pause)
        self.stop.triggered.connect(lambda: controller.stop())
        controller.changed.connect(self.sync)
        self.sync()

    def _make(self, text: str, tip: str, shortcut: str | None) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        self._button_text(action)
        return action

    @staticmethod
    def _button_text(action: QAction) -> None:
        """What a window's button for ``action`` shows: its text with the mnemonic, and its
        shortcut on a second line (a menu shows the shortcut itself; a button would show neither)."""
        shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setIconText(f"{action.text()}\n{shortcut}" if shortcut else action.text())

    def all(self) -> list[QAction]:
        return [
            a
            for a in (
                self.start,
                self.pause,
                self.stop,
                self.live,
                self.sessions,
                self.share,
                self.studies,
                self.settings,
                self.about,
                self.quit,
            )
            if a
        ]

    def fill_task_menu(self, menu: QMenu) -> None:
        """One entry per task of the running session's study (the running one ticked), then End task."""
        menu.clear()
        for task in self.controller.tasks:
            action = menu.addAction(_("Start “{title}”").format(title=task["title"]))
            action.setCheckable(True)
            action.setChecked(task["id"] == self.controller.task)
            action.triggered.connect(
                lambda _checked=False, task_id=task["id"]: self.controller.start_task(task_id)
            )
        menu.addSeparator()
        menu.addAction(self.end_task)

    @Slot()
    def sync(self) -> None:
        state = self.controller.state
        self.start.setEnabled(state in (AppState.IDLE, AppState.ERROR))
        self.pause.setEnabled(state in (AppState.RECORDING, AppState.PAUSED))
        self.pause.setText(_("&Resume") if state == AppState.PAUSED else _("&Pause"))
        self._button_text(self.pause)
        self.stop.setEnabled(state in (AppState.STARTING, AppState.RECORDING, AppState.PAUSED))
        self.note.setVisible(state in (AppState.RECORDING, AppState.PAUSED))  # shown only while recording
        self.end_task.setEnabled(
            bool(self.controller.task) and state in (AppState.RECORDING, AppState.PAUSED)
        )
