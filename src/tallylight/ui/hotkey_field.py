"""The pause-hotkey field: the participant presses the hotkey instead of typing its syntax.

A ``QKeySequenceEdit`` records one key combination; it is turned into words
(``Ctrl+Alt+P``) and read by the one hotkey parser, ``tallylight.capture.hotkey``,
so what this field accepts is exactly what the recorder can use.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tallylight.capture.hotkey import parse_hotkey
from tallylight.errors import UsageError
from tallylight.i18n import _

_NAMED = {
    Qt.Key.Key_Space: "space",
    Qt.Key.Key_Tab: "tab",
    Qt.Key.Key_Escape: "esc",
    Qt.Key.Key_Return: "enter",
    Qt.Key.Key_Enter: "enter",
    Qt.Key.Key_Backspace: "backspace",
    Qt.Key.Key_Delete: "delete",
    Qt.Key.Key_Home: "home",
    Qt.Key.Key_End: "end",
    Qt.Key.Key_PageUp: "page_up",
    Qt.Key.Key_PageDown: "page_down",
    Qt.Key.Key_Up: "up",
    Qt.Key.Key_Down: "down",
    Qt.Key.Key_Left: "left",
    Qt.Key.Key_Right: "right",
}


def hotkey_text(sequence: QKeySequence, platform: str | None = None) -> str:
    """The first combination of ``sequence`` in words the hotkey parser reads ('' if empty).

    Qt names the Super/Windows key "Meta"; on macOS Qt's Control is the Command key
    and its Meta is Control, so they are swapped back here.
    """
    if sequence.isEmpty():
        return ""
    combo = sequence[0]  # type: ignore[index]  # PySide6 stubs lack QKeySequence.__getitem__; Qt has it
    mods = combo.keyboardModifiers()
    key = combo.key()
    mac = (platform or sys.platform) == "darwin"
    names = []
    for flag, name in (
        (Qt.KeyboardModifier.ControlModifier, "cmd" if mac else "ctrl"),
        (Qt.KeyboardModifier.AltModifier, "alt"),
        (Qt.KeyboardModifier.ShiftModifier, "shift"),
        (Qt.KeyboardModifier.MetaModifier, "ctrl" if mac else "cmd"),
    ):
        if mods & flag:
            names.append(name)
    if Qt.Key.Key_F1.value <= key.value <= Qt.Key.Key_F35.value:
        names.append(f"f{key.value - Qt.Key.Key_F1.value + 1}")
    elif key in _NAMED:
        names.append(_NAMED[key])
    else:
        text = QKeySequence(key.value).toString(QKeySequence.SequenceFormat.PortableText)
        names.append(text.lower() if len(text) == 1 else text)
    return "+".join(names)


class HotkeyField(QWidget):
    """Press the hotkey to set it; "No hotkey" clears it. ``spec()`` is what settings store."""

    changed = Signal()

    def __init__(self, spec: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec = ""
        self._problem = ""
        self.edit = QKeySequenceEdit()
        self.edit.setMaximumSequenceLength(1)
        self.edit.setAccessibleName(_("Pause hotkey"))
        inner = self.edit.findChild(QLineEdit)  # what a screen reader lands on
        if inner is not None:
            inner.setAccessibleName(_("Pause hotkey"))
            inner.setAccessibleDescription(_("Press the keys you want, for example Ctrl+Alt+P"))
        self.edit.setAccessibleDescription(_("Press the keys you want, for example Ctrl+Alt+P"))
        self.edit.setToolTip(_("Click here, then press the keys you want (for example Ctrl+Alt+P)"))
        self.clear_button = QPushButton(_("&No hotkey"))
        self.clear_button.setAccessibleName(_("No pause hotkey"))
        self.clear_button.setAccessibleDescription(_("Remove the pause hotkey"))
        self.status = QLabel()
        self.status.setObjectName("hotkeyStatus")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.edit.keySequenceChanged.connect(self._on_sequence)
        self.clear_button.clicked.connect(self.clear)
        self.set_spec(spec)

    def set_spec(self, spec: str) -> None:
        """Show a stored hotkey (``<ctrl>+<alt>+p``); a hotkey Qt cannot show (AltGr) is kept as words."""
        self._spec = ""
        self._problem = ""
        if spec.strip():
            try:
                hk = parse_hotkey(spec)
            except UsageError as exc:
                self._problem = str(exc)
            else:
                self._spec = hk.pynput()
                qt = hk.human(platform="linux").replace("Super", "Meta")
                self.edit.blockSignals(True)
                self.edit.setKeySequence(QKeySequence(qt) if "AltGr" not in qt else QKeySequence())
                self.edit.blockSignals(False)
        self._show()

    @Slot()
    def clear(self) -> None:
        self.edit.clear()
        self._spec = ""
        self._problem = ""
        self._show()
        self.changed.emit()

    @Slot(QKeySequence)
    def _on_sequence(self, sequence: QKeySequence) -> None:
        text = hotkey_text(sequence)
        self._spec = ""
        self._problem = ""
        if text:
            try:
                self._spec = parse_hotkey(text).pynput()
            except UsageError as exc:
                self._problem = str(exc)
        self._show()
        self.changed.emit()

    def _show(self) -> None:
        if self._problem:
            self.status.setText(self._problem)
        elif self._spec:
            self.status.setText(
                _(
                    "Pressing {human} pauses or resumes recording; that key press itself is not recorded."
                ).format(human=parse_hotkey(self._spec).human())
            )
        else:
            self.status.setText(_("No pause hotkey: pause from the tray menu or the Tallylight window."))

    def spec(self) -> str:
        """The hotkey as settings store it (``<ctrl>+<alt>+p``), '' for none."""
        return self._spec

    def problem(self) -> str:
        """Why the pressed keys cannot be the hotkey ('' if they can)."""
        return self._problem
