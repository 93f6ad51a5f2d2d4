"""Is the tally light really on screen? A watch for the windows that stand in for the tray.

Capture may only run while its indicator can be seen. A window can disappear
without being "closed" in Qt's sense: another program can unmap it, destroy its
X window, minimise it or move it off every screen (``xdotool windowunmap``,
``windowclose``, ``windowmove``). Qt notices all of these: an unmapped or
destroyed window is no longer exposed, and a moved one reports its new
geometry. The watch polls that state every ``INTERVAL_MS`` and says once, with a
reason, when the window stopped being visible, so the owner stops recording
well within a second.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRect, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

INTERVAL_MS = 100
#: at least this much of the window (px, each way) must be on one screen
MIN_ON_SCREEN_PX = 24


def visibility_problem(widget: QWidget) -> str:
    """'' while ``widget`` can be seen; else why not: closed, unmapped, minimised, off-screen."""
    if not widget.isVisible():
        return "closed"
    handle = widget.windowHandle()
    if handle is None or not handle.isExposed():
        return "unmapped"
    if widget.isMinimized():
        return "minimised"
    frame: QRect = widget.frameGeometry()
    for screen in QGuiApplication.screens():
        seen = screen.geometry().intersected(frame)
        if seen.width() >= min(MIN_ON_SCREEN_PX, frame.width()) and seen.height() >= min(
            MIN_ON_SCREEN_PX, frame.height()
        ):
            return ""
    return "off-screen"


class VisibilityWatch(QObject):
    """Emits ``lost(reason)`` once when the armed window stops being visible."""

    lost = Signal(str)

    def __init__(self, widget: QWidget, *, grace_ms: int = 0, parent: QObject | None = None) -> None:
        super().__init__(parent or widget)
        self.widget = widget
        self.grace_ms = grace_ms
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self._check)
        self._grace = QTimer(self)
        self._grace.setSingleShot(True)

    @property
    def armed(self) -> bool:
        return self._timer.isActive()

    @property
    def watching(self) -> bool:
        """Armed and past the grace period: a window that is not visible now is reported."""
        return self._timer.isActive() and not self._grace.isActive()

    def arm(self) -> None:
        """Start watching (after ``grace_ms``, during which the window may still be appearing)."""
        self._grace.start(self.grace_ms)
        self._timer.start()

    def disarm(self) -> None:
        self._timer.stop()
        self._grace.stop()

    @Slot()
    def _check(self) -> None:
        if self._grace.isActive():
            return
        problem = visibility_problem(self.widget)
        if problem:
            self.disarm()
            self.lost.emit(problem)
