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
