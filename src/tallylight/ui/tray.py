"""The tray icon: the tally light itself."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRect, Signal, Slot
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from tallylight.i18n import _
from tallylight.ui import icons
from tallylight.ui.actions import AppActions
from tallylight.ui.controller import AppController
from tallylight.ui.notice import NoticeWindow


class TrayUI(QObject):
    open_session = Signal(str)  # the participant clicked a stop summary: open that session

    def __init__(self, controller: AppController, actions: AppActions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.actions = actions
        self.menu = QMenu()
        self.menu.setAccessibleName(_("Tallylight menu"))
        self.state_item = self.menu.addAction("")
        self.state_item.setEnabled(False)  # a heading that repeats the state in words
        self.menu.addSeparator()
        for action in (actions.start, actions.pause, actions.stop):
            self.menu.addAction(action)
        self.task_menu = self.menu.addMenu(_("Study tas&ks"))
        self.task_menu.aboutToShow.connect(lambda: actions.fill_task_menu(self.task_menu))
        self.menu.addAction(actions.note)
        self.menu.addAction(actions.live)
        self.menu.addSeparator()
        for action in (actions.sessions, actions.share, actions.studies, actions.settings, actions.about):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(actions.quit)
        # Clicks on Tallylight's own menu are not the participant's data.
        self.menu.aboutToShow.connect(lambda: controller.own_ui_open(True))
        self.menu.aboutToHide.connect(lambda: controller.own_ui_open(False))
        self.icon = QSystemTrayIcon(icons.icon_for(controller.state))
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        # On an XEmbed tray notices go to a window of our own, made on the first one and
        # reused: Qt's showMessage made a balloon per notice there, each leaving pixmaps in
        # QPixmapCache (tallylight.ui.notice). Elsewhere the desktop shows them.
        self.notice: NoticeWindow | None = None
        self._message_session = ""  # the session the desktop's notice on screen is about
        self.icon.messageClicked.connect(self._on_native_message_clicked)
        controller.changed.connect(self.sync)
        controller.notify.connect(self.show_message)
        self._shown_state = ""
        self.sync()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def tooltip(self) -> str:
        return "\n".join(self.controller.summary_lines())

    @Slot()
    def sync(self) -> None:
        state = self.controller.state
        if state != self._shown_state:
            self.icon.setIcon(icons.icon_for(state))
            self._shown_state = state
        self.state_item.setText(self.controller.state_text())
        self.task_menu.menuAction().setVisible(bool(self.controller.tasks) and self.controller.active)
        self.task_menu.setTitle(
            _("Study tas&k: {task_title}").format(
                task_title=self.controller.task_title(self.controller.task).replace("&", "&&")
            )
            if self.controller.task
            else _("Study tas&ks")
        )
        self.icon.setToolTip(self.tooltip())

    @Slot(str, str)
    def show_message(self, title: str, message: str) -> None:
        self._show(title, message, "")

    def show_session_message(self, title: str, message: str, session_id: str) -> None:
        """A message that opens ``session_id`` when clicked (the stop summary)."""
        self._show(title, message + _(" Click here to open it."), session_id)

    def _show(self, title: str, message: str, session_id: str) -> None:
        if not self.icon.isVisible():
            return
        if not self.qt_draws_balloons():
            # the desktop shows it: the notification service (StatusNotifierItem trays), the OS
            if QSystemTrayIcon.supportsMessages():
                self._message_session = session_id
                self.icon.showMessage(title, message, icons.icon_for(self.controller.state), 8000)
            return
        if self.notice is None:
            self.notice = NoticeWindow(anchor=self._icon_geometry)
            self.notice.clicked.connect(self._on_message_clicked)
        self.notice.show_notice(title, message, self.controller.state, session_id)

    @staticmethod
    def qt_draws_balloons() -> bool:
        """Whether Qt's ``showMessage`` would draw a balloon of its own: the icon is an XEmbed
        one (Qt's ``QSystemTrayIconSys`` window). With a StatusNotifierItem tray Qt hands
        notices to the notification service over D-Bus, on Windows and macOS to the OS."""
        return any(w.metaObject().className() == "QSystemTrayIconSys" for w in QApplication.topLevelWidgets())

    @Slot()
    def _on_native_message_clicked(self) -> None:
        self._on_message_clicked(self._message_session)

    def _icon_geometry(self) -> QRect:
        return self.icon.geometry()

    @Slot(str)
    def _on_message_clicked(self, session_id: str) -> None:
        if session_id:
            self.open_session.emit(session_id)

    def dispose(self) -> None:
        self.icon.deleteLater()
        self.menu.deleteLater()
        if self.notice is not None:
            self.notice.dismiss()
            self.notice.deleteLater()

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            # geometry() of an XEmbed icon is not in screen coordinates; the click is.
            self.menu.popup(QCursor.pos())
