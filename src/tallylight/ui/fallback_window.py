"""The Tallylight window: the state and every command of the tray menu, by keyboard too.

Where no system tray is available it is the indicator (``indicator=True``): always on
top, it cannot be minimised away while a session runs, and closing it quits the app
(which stops any recording), so the indicator never disappears while capture goes on.
Where there is a tray it is the main window (``indicator=False``), opened by launching
``tallylight`` again: an ordinary window that closing only hides.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tallylight.i18n import _
from tallylight.ui import icons
from tallylight.ui.a11y import announce
from tallylight.ui.actions import AppActions
from tallylight.ui.controller import AppController
from tallylight.ui.visibility import VisibilityWatch

#: how long a notice without a link stays on the window
MESSAGE_MS = 30_000


class FallbackWindow(QWidget):
    open_session = Signal(str)  # a stop summary's "Open the session" link

    def __init__(self, controller: AppController, actions: AppActions, *, indicator: bool = True) -> None:
        flags = Qt.WindowType.Window | Qt.WindowType.WindowTitleHint | Qt.WindowType.WindowCloseButtonHint
        if indicator:
            flags |= Qt.WindowType.WindowStaysOnTopHint
        else:
            flags |= Qt.WindowType.WindowMinimizeButtonHint
        super().__init__(None, flags)
        self.indicator = indicator
        self.controller = controller
        self.app_actions = actions
        self.setWindowTitle(_("Tallylight"))
        self.setAccessibleName(_("Tallylight recording status"))
        self.setObjectName("FallbackWindow")

        self.light = QLabel()
        self.light.setAccessibleName(_("Recording light"))
        self.light.setFixedSize(56, 56)
        self.state_label = QLabel()
        self.state_label.setObjectName("stateLabel")
        self.state_label.setFont(icons.label_font(self.font(), 1.4))
        self.state_label.setAccessibleDescription(_("What Tallylight is doing now"))
        self.detail_label = QLabel()
        self.detail_label.setObjectName("detailLabel")
        self.detail_label.setAccessibleDescription(_("Recorded and paused time, and what was captured"))
        self.detail_label.setWordWrap(False)
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)  # holds the label: participant text
        self.message_label = QLabel()
        self.message_label.setObjectName("messageLabel")
        self.message_label.setAccessibleDescription(_("Latest notice"))
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.RichText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.message_label.linkActivated.connect(self._on_link)
        self.message_label.hide()

        head = icons.light_row(self.light, self.state_label, self.detail_label)

        grid = QGridLayout()
        self.buttons: dict[str, QToolButton] = {}
        for i, action in enumerate(actions.all()):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            button.setAccessibleName(action.text().rstrip("…"))
            button.setAccessibleDescription(action.toolTip())
            grid.addWidget(button, i // 3, i % 3)
            self.buttons[action.text()] = button
        # shortcuts work while the window has focus
        for action in actions.all():
            self.addAction(action)
        # a study session's tasks and notes (shown only while one records)
        self.task_menu = QMenu(self)
        self.task_menu.aboutToShow.connect(lambda: actions.fill_task_menu(self.task_menu))
        self.task_button = QToolButton()
        self.task_button.setText(_("Study task ▾"))
        self.task_button.setAccessibleName(_("Study task"))
        self.task_button.setMenu(self.task_menu)
        self.task_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.note_button = QToolButton()
        self.note_button.setDefaultAction(actions.note)
        self.note_button.setAccessibleName(_("Add note"))
        self.addAction(actions.note)
        study_row = QHBoxLayout()
        study_row.addWidget(self.task_button)
        study_row.addWidget(self.note_button)
        study_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with its text, never clips it
        layout.addLayout(head)
        layout.addWidget(self.message_label)
        layout.addLayout(grid)
        layout.addLayout(study_row)

        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message_label.hide)
        controller.changed.connect(self.sync)
        controller.notify.connect(self.show_message)
        # While a session runs this window is the only indicator: if it is closed,
        # unmapped or moved off every screen, recording stops within a second.
        self.watch = VisibilityWatch(self, grace_ms=500)
        self.watch.lost.connect(self._indicator_lost)
        self._shown_state = ""
        self.sync()

    @Slot()
    def sync(self) -> None:
        if not self.indicator:
            pass  # the tray is the indicator; this window may be closed or minimised
        elif self.controller.active and self.controller.state != "stopping" and not self.watch.armed:
            self.bring_forward()
            self.watch.arm()
        elif not self.controller.active and self.watch.armed:
            self.watch.disarm()
        state = self.controller.state
        if state != self._shown_state:
            self._shown_state = state
            self.light.setPixmap(icons.light_pixmap(state))
            self.light.setAccessibleDescription(self.controller.state_text())
            self.setWindowTitle(
                _("Tallylight — {state_text}").format(state_text=self.controller.state_text())
            )
            self.state_label.setText(self.controller.state_text())
            announce(self.state_label, self.controller.state_text())  # a screen reader says it
        recording = state in ("recording", "paused")
        self.task_button.setVisible(recording and bool(self.controller.tasks))
        self.note_button.setVisible(recording)
        if self.controller.task:
            self.task_button.setText(
                _("Task: {task_title} ▾").format(task_title=self.controller.task_title(self.controller.task))
            )
        else:
            self.task_button.setText(_("Study task ▾"))
        lines = self.controller.summary_lines()
        self.detail_label.setText("\n".join(lines[1:]))
        for action in self.app_actions.all():
            # keep accessible names in step with Pause/Resume
            for button in self.buttons.values():
                if button.defaultAction() is action:
                    button.setAccessibleName(action.text().rstrip("…"))

    @Slot(str, str)
    def show_message(self, title: str, message: str, session_id: str = "") -> None:
        if message.startswith(title):  # "Recording stopped: …" under the title "Recording stopped"
            text = f"<b>{html.escape(title)}</b>{html.escape(message[len(title) :])}"
        else:
            text = f"<b>{html.escape(title)}</b>: {html.escape(message)}"
        if session_id:  # the stop summary: a link (reachable with Tab, opened with Enter)
            text += ' <a href="session:{id}">{open}</a>'.format(
                id=html.escape(session_id), open=html.escape(_("Open the session"))
            )
        self.message_label.setText(text)
        self.message_label.show()
        if session_id:  # the link stays until the next notice: a keyboard user may reach it late
            self._message_timer.stop()
        else:
            self._message_timer.start(MESSAGE_MS)

    def show_session_message(self, title: str, message: str, session_id: str) -> None:
        self.show_message(title, message, session_id)

    @Slot(str)
    def _on_link(self, link: str) -> None:
        if link.startswith("session:"):
            self.open_session.emit(link.removeprefix("session:"))

    @Slot(str)
    def _indicator_lost(self, why: str) -> None:
        self.controller.stop("indicator")
        self.controller.notify.emit(
            _("Recording stopped"),
            _("Recording stopped because the Tallylight window was {why}.").format(why=why),
        )
        # A fresh native window: the old one may have been destroyed under us.
        self.hide()
        self.destroy()
        self.create()
        QTimer.singleShot(0, self.bring_forward)

    def bring_forward(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def changeEvent(self, event: QEvent) -> None:
        if (
            self.indicator
            and event.type() == QEvent.Type.WindowStateChange
            and self.isMinimized()
            and self.controller.active
        ):
            QTimer.singleShot(0, self.showNormal)  # the indicator must stay on screen
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.indicator:  # the main window: the tray still shows the state
            event.accept()
            return
        # Closing the only indicator quits the app, which stops any recording.
        event.ignore()
        self.app_actions.quit.trigger()
