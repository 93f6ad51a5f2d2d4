"""The recorder ended unexpectedly: what happened, what was kept, and Start again in one click."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from tallylight.i18n import _
from tallylight.session_model import RecorderLost
from tallylight.ui.a11y import announce


class RecorderLostDialog(QDialog):
    """Non-modal: the participant may read it, start again, open the kept session or close it."""

    start_again = Signal()
    open_session = Signal(str)

    def __init__(self, lost: RecorderLost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Tallylight — recording stopped unexpectedly"))
        self.setObjectName("RecorderLostDialog")
        self.session_id = lost.session_id
        heading = QLabel(_("<b>Recording stopped unexpectedly</b>"))
        heading.setTextFormat(Qt.TextFormat.RichText)
        self.text = QLabel(lost.message)
        self.text.setTextFormat(Qt.TextFormat.PlainText)  # holds the label: participant text
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)
        buttons = QDialogButtonBox()
        self.start_button = QPushButton(_("&Start again"))
        self.start_button.setAccessibleDescription(_("Start a new session with the same settings"))
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button = QPushButton(_("&Open the session"))
        self.open_button.setVisible(bool(self.session_id))
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.start_button.clicked.connect(self._start)
        self.open_button.clicked.connect(self._open)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.start_button.setDefault(True)
        self.start_button.setFocus()
        announce(self.text, self.text.text())

    @Slot()
    def _start(self) -> None:
        self.accept()
        self.start_again.emit()

    @Slot()
    def _open(self) -> None:
        self.accept()
        self.open_session.emit(self.session_id)
