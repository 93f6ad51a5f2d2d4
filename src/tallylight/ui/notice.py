"""The tray's notices ("Recording paused", "Recording stopped: …") in one window of our own.

Qt's ``QSystemTrayIcon.showMessage``, on a tray host with no notification service (an
XEmbed tray such as trayer, stalonetray or an older panel), draws each notice as a new
balloon window, and every balloon leaves pixmaps in Qt's global ``QPixmapCache`` under keys
no later balloon uses again (its close button's icon is made anew each time). A session
shows about five notices, so the app's memory grew by ~16 KB a session until the cache was
full (~17 MiB, about 1,100 sessions): benchmarks/bench_tray_messages.py measures it, the
soak (benchmarks/bench_soak.py) saw it. This window is made once, on the first notice; each
notice replaces its words, so showing one costs nothing that stays.

Like the balloon it never takes focus (a tool-tip window: the participant's typing goes on
where it was), hides itself after a while, closes with its × and, when the notice is about a
session, opens it when clicked. A screen reader is told each notice.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QMouseEvent, QPalette, QPixmap, QScreen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QToolButton, QVBoxLayout, QWidget

from tallylight.i18n import _
from tallylight.ui import icons
from tallylight.ui.a11y import announce

#: how long a notice stays, as the balloon's was
NOTICE_MS = 8000
#: the icon's size and the notice's widest, in logical pixels
ICON_PX = 32
MAX_WIDTH = 380
#: the gap to the tray icon or to the screen's edge
MARGIN = 8


class NoticeWindow(QFrame):
    """One notice at a time, near the tray icon (``anchor``: its global geometry, or an empty
    rectangle when unknown) or else in the top right corner of the screen."""

    clicked = Signal(str)  # the notice was clicked: the session it is about ("" for none)

    def __init__(self, anchor: Callable[[], QRect] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(
            parent,
            Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint,
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setObjectName("tallylight-notice")
        self.setFrameShape(QFrame.Shape.Box)
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.setAutoFillBackground(True)
        self.anchor = anchor
        self.session_id = ""
        self._pixmaps: dict[str, QPixmap] = {}  # by icon shape: drawn once each

        self.icon_label = QLabel()
        self.icon_label.setFixedSize(ICON_PX, ICON_PX)
        self.title_label = QLabel()
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.message_label = QLabel()
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setWordWrap(True)
        self.close_button = QToolButton()
        self.close_button.setAutoRaise(True)
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.close_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        self.close_button.setAccessibleName(_("Close this notice"))
        self.close_button.clicked.connect(self.dismiss)
        for label in (self.icon_label, self.title_label, self.message_label):
            label.setForegroundRole(QPalette.ColorRole.ToolTipText)

        head = QHBoxLayout()
        head.addWidget(self.title_label, 1)
        head.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        words = QVBoxLayout()
        words.addLayout(head)
        words.addWidget(self.message_label)
        layout = QHBoxLayout(self)
        layout.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(words, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)

    def show_notice(
        self, title: str, message: str, state: str, session_id: str = "", msecs: int = NOTICE_MS
    ) -> None:
        """Show ``title`` and ``message`` (plain text) with the light of ``state``, replacing
        whatever notice was there; it hides after ``msecs``."""
        self.session_id = session_id
        shape = icons.shape_for(state)
        if shape not in self._pixmaps:
            self._pixmaps[shape] = icons.icon_for(state).pixmap(ICON_PX, ICON_PX)
        self.icon_label.setPixmap(self._pixmaps[shape])
        self.title_label.setText(title)
        self.message_label.setText(message)
        self._place()
        self.show()
        self.raise_()
        announce(self.message_label, f"{title}. {message}")
        self._timer.start(msecs)

    def _place(self) -> None:
        anchor = self.anchor() if self.anchor is not None else QRect()
        # None at run time without a screen, whatever the stubs say
        screen: QScreen | None = (
            QGuiApplication.screenAt(anchor.center()) if anchor.isValid() else None
        ) or QGuiApplication.primaryScreen()
        if screen is None:
            return
        avail = screen.availableGeometry()
        self.setMaximumWidth(min(MAX_WIDTH, avail.width() - 2 * MARGIN))
        self.setMinimumWidth(0)
        self.adjustSize()
        size = self.size()
        if anchor.isValid() and avail.intersects(anchor):
            # beside the icon: under it when the panel is at the top, over it otherwise
            x = anchor.center().x() - size.width() // 2
            y = (
                anchor.bottom() + MARGIN
                if anchor.center().y() < avail.center().y()
                else anchor.top() - MARGIN - size.height()
            )
        else:
            x, y = avail.right() - MARGIN - size.width(), avail.top() + MARGIN
        x = max(avail.left(), min(x, avail.right() + 1 - size.width()))
        y = max(avail.top(), min(y, avail.bottom() + 1 - size.height()))
        self.move(QPoint(x, y))

    @Slot()
    def dismiss(self) -> None:
        self._timer.stop()
        self.hide()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on the notice (not its ×) closes it and says which session it was about."""
        if event.button() == Qt.MouseButton.LeftButton:
            session_id = self.session_id
            self.dismiss()
            self.clicked.emit(session_id)
        event.accept()
