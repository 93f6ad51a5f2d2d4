"""Telling screen readers what changed (Qt's accessibility events)."""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import QWidget


def announce(widget: QWidget, text: str) -> None:
    """Make ``text`` the accessible name of ``widget`` and tell assistive technology it
    changed (NameChanged, then Alert), so a screen reader says "Recording" or "Paused"
    without the participant moving focus there."""
    widget.setAccessibleName(text)
    for kind in (QAccessible.Event.NameChanged, QAccessible.Event.Alert):
        QAccessible.updateAccessibility(QAccessibleEvent(widget, kind))


def spoken(text: str) -> str:
    """A command's text as a screen reader should say it: no mnemonic marker, no ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")


def close_keys(window: QWidget) -> None:
    """Escape and the platform's Close key (Ctrl+W) close ``window``, as they do a dialog: a
    keyboard user must be able to leave every window the way they leave the others."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence, QShortcut

    for seq in (QKeySequence(Qt.Key.Key_Escape), QKeySequence(QKeySequence.StandardKey.Close)):
        shortcut = QShortcut(seq, window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(window.close)
