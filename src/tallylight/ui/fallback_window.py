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
from PySide6.QtGui import QCloseEvent, QFocusEvent
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
from tallylight.store import layout
from tallylight.ui import data_watch, icons
from tallylight.ui.a11y import announce, spoken
from tallylight.ui.actions import AppActions
from tallylight.ui.controller import AppController
from tallylight.ui.tasks import TaskRunner, quietly
from tallylight.ui.visibility import VisibilityWatch


class LinkLabel(QLabel):
    """A notice whose link is selected as soon as Tab reaches it: a plain QLabel took one Tab
    stop with nothing shown as focused, and a second Tab to select its link."""

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        reason = event.reason()
        tabbed = reason in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason)
        if tabbed and not self.hasSelectedText():
            self.focusNextPrevChild(reason == Qt.FocusReason.TabFocusReason)


#: how long a notice without a link stays on the window
MESSAGE_MS = 30_000


class FallbackWindow(QWidget):
    open_session = Signal(str)  # a stop summary's "Open the session" link

    def __init__(
        self,
        controller: AppController,
        actions: AppActions,
        *,
        indicator: bool = True,
        tasks: TaskRunner | None = None,
    ) -> None:
        flags = Qt.WindowType.Window | Qt.WindowType.WindowTitleHint | Qt.WindowType.WindowCloseButtonHint
        if indicator:
            flags |= Qt.WindowType.WindowStaysOnTopHint
        else:
            flags |= Qt.WindowType.WindowMinimizeButtonHint
        super().__init__(None, flags)
        self.indicator = indicator
        self.controller = controller
        self.tasks = tasks if tasks is not None else TaskRunner(self, workers=1)
        #: the session the notice's "Open the session" link opens ("" when it holds no link)
        self.linked_session = ""
        self.app_actions = actions
        self.setWindowTitle(_("Tallylight"))
        self.setAccessibleName(_("Tallylight recording status"))
        self.setObjectName("FallbackWindow")

        self._build_labels()
        grid = self._action_grid(actions)
        self._add_study_buttons(grid, actions)
        self._lay_out(grid)

        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message_label.hide)
        controller.changed.connect(self.sync)
        controller.notify.connect(self.show_message)
        # the link to the last session follows the data: deleted elsewhere (Sessions, Review,
        # `tallylight sessions delete`), it no longer offers to open it
        data_watch.shared().changed.connect(self._check_link)
        # While a session runs this window is the only indicator: if it is closed,
        # unmapped or moved off every screen, recording stops within a second.
        self.watch = VisibilityWatch(self, grace_ms=500)
        self.watch.lost.connect(self._indicator_lost)
        self._shown_state = ""
        self.sync()

    def _build_labels(self) -> None:
        """The light, the state, the details and the latest notice (hidden until there is one)."""
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
        self.detail_label.setWordWrap(True)  # never widens the window (the buttons would spread)
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)  # holds the label: participant text
        self.message_label = LinkLabel()
        self.message_label.setObjectName("messageLabel")
        self.message_label.setAccessibleDescription(_("Latest notice"))
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.RichText)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.message_label.linkActivated.connect(self._on_link)
        self.message_label.hide()

    def _action_grid(self, actions: AppActions) -> QGridLayout:
        """A button per action, three to a row; their shortcuts work while the window has focus."""
        grid = QGridLayout()
        self.buttons: dict[str, QToolButton] = {}
        for i, action in enumerate(actions.all()):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setAccessibleName(spoken(action.text()))
            button.setAccessibleDescription(action.toolTip())
            grid.addWidget(button, i // 3, i % 3)
            self.buttons[action.text().replace("&", "")] = button  # e.g. "Start session…"
        # shortcuts work while the window has focus
        for action in actions.all():
            self.addAction(action)
        return grid

    def _add_study_buttons(self, grid: QGridLayout, actions: AppActions) -> None:
        """A study session's tasks and notes, shown only while one records."""
        self.task_menu = QMenu(self)
        self.task_menu.aboutToShow.connect(lambda: actions.fill_task_menu(self.task_menu))
        self.task_button = QToolButton()
        self.task_button.setText(_("Study tas&k"))  # the button draws the menu's arrow itself
        self.task_button.setAccessibleName(_("Study task"))
        self.task_button.setMenu(self.task_menu)
        self.task_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.note_button = QToolButton()
        self.note_button.setDefaultAction(actions.note)
        self.note_button.setAccessibleName(_("Add note"))
        self.addAction(actions.note)
        # beside Quit, in the grid's last row; their place is kept while they are hidden, so the
        # window keeps its height and no button moves under the pointer when recording starts
        n = len(actions.all())
        for i, button in enumerate((self.task_button, self.note_button), start=n):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            policy = button.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            button.setSizePolicy(policy)
            grid.addWidget(button, i // 3, i % 3)

    def _lay_out(self, grid: QGridLayout) -> None:
        """The light and the state on top; what changes with the state under the buttons."""
        head = QHBoxLayout()  # the light and the state; the details go under the buttons
        head.addWidget(self.light)
        head.addWidget(self.state_label, 1)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows with its text, never clips it
        # what changes with the state (details, notices) is under the buttons, so no button
        # moves under the pointer when a session starts, stops or says something
        layout.addLayout(head)
        layout.addLayout(grid)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.message_label)

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
                _("Tas&k: {task_title}").format(
                    task_title=self.controller.task_title(self.controller.task).replace("&", "&&")
                )
            )
        else:
            self.task_button.setText(_("Study tas&k"))
        self.detail_label.setText("\n".join(self.controller.summary_lines()[1:]))
        self._grow_to_fit()
        for action in self.app_actions.all():
            # keep accessible names in step with Pause/Resume
            for button in self.buttons.values():
                if button.defaultAction() is action:
                    button.setAccessibleName(spoken(action.text()))

    def _grow_to_fit(self) -> None:
        """Taller when the wrapped details or a notice need it (the minimum-size constraint does
        not count wrapped lines, and squeezed the buttons instead); never narrower or wider."""
        layout = self.layout()
        want = layout.totalHeightForWidth(self.width()) if layout is not None else -1
        if want > self.height():
            self.resize(self.width(), want)

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
        self.linked_session = session_id
        self.message_label.setText(text)
        # a Tab stop only when it holds a link (a stop that shows no focus is lost to the keyboard)
        self.message_label.setFocusPolicy(
            Qt.FocusPolicy.StrongFocus if session_id else Qt.FocusPolicy.NoFocus
        )
        self.message_label.show()
        self._grow_to_fit()
        if session_id:  # the link stays until the next notice: a keyboard user may reach it late
            self._message_timer.stop()
        else:
            self._message_timer.start(MESSAGE_MS)

    def show_session_message(self, title: str, message: str, session_id: str) -> None:
        self.show_message(title, message, session_id)

    @Slot()
    def _check_link(self) -> None:
        """Whether the linked session is still there: asked in a worker (it is I/O)."""
        session_id = self.linked_session
        if not session_id:
            return
        self.tasks.run(
            lambda: layout.session_path(session_id).is_dir(),
            lambda there: self._link_checked(session_id, bool(there)),
            quietly("checking the last session is still there"),
        )

    def _link_checked(self, session_id: str, there: bool) -> None:
        if there or session_id != self.linked_session:
            return  # still there, or a newer notice replaced it meanwhile
        self.linked_session = ""
        self.message_label.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.message_label.setText(
            "<b>{}</b>".format(html.escape(_("The session you last recorded has since been deleted.")))
        )
        self._message_timer.start(MESSAGE_MS)

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
