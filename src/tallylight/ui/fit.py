"""Windows that fit small screens at high scaling (200 % on 1280x720 leaves 640x360).

Long content goes in a scroll area (:func:`scroll_body`), buttons stay outside it, and
every window is capped at its screen's free area and kept on it when first shown
(:func:`fit_on_show`), so no control is ever off-screen or clipped.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class _BodyArea(QScrollArea):
    def sizeHint(self) -> QSize:
        """At least the content's smallest size, so nothing scrolls where the screen has room
        (QScrollArea's own hint stops at about 36 by 24 characters; fit_to_screen caps it)."""
        hint = super().sizeHint()
        content = self.widget()
        if content is not None:
            least = content.minimumSizeHint()
            frame = 2 * self.frameWidth()
            width = max(hint.width(), least.width() + self.verticalScrollBar().sizeHint().width() + frame)
            height = least.height()
            if content.hasHeightForWidth():  # wrapped text: its height at that width
                height = max(height, content.heightForWidth(width - frame))
            hint.setWidth(width)
            hint.setHeight(max(hint.height(), height + frame))
        return hint


class _Regrow(QObject):
    """When the content's layout changes after the window was fitted (a row appears, a text is
    filled in from a worker), the window grows to fit it again, up to its screen.

    The content's change reaches the window's own layout only after a chain of posted layout
    requests (scroll area, stacked pages, tab widget, window); fitting before the chain ends
    reads the window's old size hint and leaves the content scrolling. So the window is
    refitted when its own layout request comes (:class:`_RefitOnLayout`)."""

    def __init__(self, area: QScrollArea) -> None:
        super().__init__(area)
        self.area = area

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            window = self.area.window()
            if window.isVisible() and not window.findChild(
                _RefitOnLayout, options=Qt.FindChildOption.FindDirectChildrenOnly
            ):
                window.installEventFilter(_RefitOnLayout(window))
            self.area.updateGeometry()  # starts the chain up to the window
        return False


class _RefitOnLayout(QObject):
    """Refits its window (while shown) whenever the window's own layout is asked to update."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        window = watched
        if event.type() == QEvent.Type.LayoutRequest and isinstance(window, QWidget) and window.isWindow():
            QTimer.singleShot(0, self, lambda: fit_to_screen(window) if window.isVisible() else None)
        return False


def scroll_body(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area that scrolls only when the screen is too small."""
    area = _BodyArea()
    content.installEventFilter(_Regrow(area))
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls inside
    return area


def screen_of(widget: QWidget) -> QScreen | None:
    """The screen ``widget``'s window is on (the primary one before it is placed); None without one.

    Never ``QWidget.screen()``: PySide makes the returned QScreen a Python child of the widget
    asked, and when the garbage collector later breaks a cycle that holds that widget, it hands
    the child to Python, whose wrapper then deletes the application's QScreen. Every window is
    left without a screen, and the next one hidden or closed crashes in Qt's xcb plugin (the
    scaling test's SIGSEGV in ``QXcbWindow::hide``). The static lookups make the screen no one's child.
    """
    centre = widget.window().frameGeometry().center()
    # None at run time without a screen, whatever the stubs say
    found: QScreen | None = QGuiApplication.screenAt(centre) or QGuiApplication.primaryScreen()
    return found


def fit_to_screen(window: QWidget) -> None:
    """Size ``window`` to what it wants, but never larger than its screen, and keep it on it."""
    screen = screen_of(window)
    if screen is None:
        return
    avail = screen.availableGeometry()
    frame_extra = window.frameGeometry().size() - window.size()
    room = avail.size() - frame_extra
    wanted = window.sizeHint().expandedTo(window.size()).expandedTo(window.minimumSizeHint())
    window.resize(wanted.boundedTo(room))
    frame = window.frameGeometry()
    x = min(max(frame.x(), avail.left()), avail.right() - frame.width() + 1)
    y = min(max(frame.y(), avail.top()), avail.bottom() - frame.height() + 1)
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


class _FitOnShow(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            fit_to_screen(watched)
        return False


def fit_on_show(window: QWidget) -> None:
    """Fit ``window`` to its screen every time it is shown."""
    f = _FitOnShow(window)
    window.installEventFilter(f)
