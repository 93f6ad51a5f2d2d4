"""macOS: the window that asks for Input Monitoring, shown at start while it is missing.

It says why the permission is needed and that nothing is recorded outside sessions, opens
System Settings at the right pane, and checks again whenever the participant comes back
to Tallylight; once allowed it says so and closes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from tallylight.capture.permission import Grant, PermissionFlow
from tallylight.i18n import _
from tallylight.ui.fit import fit_on_show


class InputMonitoringDialog(QDialog):
    granted = Signal()

    def __init__(self, flow: PermissionFlow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        self.setWindowTitle(_("Allow Tallylight to see keyboard and mouse input"))
        self.text = QLabel(
            _(
                "To record the sessions you start, macOS must allow Tallylight to see keyboard and "
                "mouse input (Input Monitoring). Tallylight records nothing outside a session you "
                "start, and its light is on while it records.\n\nOpen System Settings, switch "
                "Tallylight on under Privacy & Security → Input Monitoring, then come back here."
            )
        )
        self.text.setWordWrap(True)
        self.status = QLabel(_("Not allowed yet: sessions cannot start until it is."))
        self.status.setWordWrap(True)
        self.open_button = QPushButton(_("&Open System Settings"))
        self.open_button.clicked.connect(self.flow.open_settings)
        layout = QVBoxLayout(self)
        for widget in (self.text, self.status, self.open_button):
            layout.addWidget(widget)
        QGuiApplication.instance().applicationStateChanged.connect(self._on_app_state)  # type: ignore[union-attr]
        fit_on_show(self)

    @Slot(Qt.ApplicationState)
    def _on_app_state(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self.recheck()

    def recheck(self) -> None:
        """The participant came back: ask macOS again."""
        if self.flow.check() == Grant.GRANTED:
            self.status.setText(_("Allowed. You can start a session now."))
            self.granted.emit()
            self.accept()
