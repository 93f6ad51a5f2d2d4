"""``python -m tallylight.ui.tally_window``: the tally light of ``tallylight record`` without a terminal.

The CLI is Qt-free, so when ``tallylight record`` has no interactive terminal
to show its notice in, it runs this small Qt process and records only while the
window is on screen. Protocol (``tallylight.protocol``, one JSON object per line):

- CLI → window (stdin): a ``TallyUpdate`` (state and lines). End of file: the
  CLI is gone; the window closes.
- window → CLI (stdout): a ``TallyNotice``: ``shown`` once it is on screen (the
  CLI starts recording only then); ``stop`` when the participant presses Stop;
  ``hidden`` (and why) when it was closed, unmapped, minimised or moved off every
  screen — then it exits, and the CLI stops recording at once.
"""

from __future__ import annotations

import queue
import sys
import threading

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QVBoxLayout, QWidget

from tallylight import words
from tallylight.i18n import _
from tallylight.protocol import TallyEvent, TallyNotice, TallyUpdate
from tallylight.ui import icons
from tallylight.ui.gui_gc import collect_on_gui_thread
from tallylight.ui.visibility import VisibilityWatch, visibility_problem

TITLE = "Tallylight — tallylight record"


def _send(notice: TallyNotice) -> None:
    try:
        sys.stdout.write(notice.encode())
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


class TallyWindow(QWidget):
    """The light, what is captured, and a Stop button; always on top."""

    def __init__(self) -> None:
        super().__init__(
            None,
            Qt.WindowType.Window
            | Qt.WindowType.WindowTitleHint
            | Qt.WindowType.WindowCloseButtonHint
            | Qt.WindowType.WindowStaysOnTopHint,
        )
        self.setObjectName("TallyWindow")
        self.setWindowTitle(TITLE)
        self.setAccessibleName(_("Tallylight recording status"))
        self.light = QLabel()
        self.light.setAccessibleName(_("Recording light"))
        self.light.setFixedSize(56, 56)
        self.state_label = QLabel()
        self.state_label.setFont(icons.label_font(self.font(), 1.4))
        self.detail = QLabel()
        self.detail.setTextFormat(Qt.TextFormat.PlainText)  # labels are participant text, never markup
        self.stop_button = QPushButton(_("Stop recording"))
        self.stop_button.clicked.connect(lambda: _send(TallyNotice(TallyEvent.STOP)))
        layout = QVBoxLayout(self)
        layout.addLayout(icons.light_row(self.light, self.state_label, self.detail))
        layout.addWidget(self.stop_button)
        self.watch = VisibilityWatch(self)
        self.watch.lost.connect(self._lost)
        self._shown = False
        self._closing = False
        self.set_state("starting", [])

    def set_state(self, state: str, lines: list[str]) -> None:
        self.light.setPixmap(icons.light_pixmap("idle" if state == "stopped" else state))
        text = words.app_state_words(state) if state != "stopped" else _("Not recording")
        self.state_label.setText(text)
        self.light.setAccessibleDescription(text)
        self.setWindowTitle(_("Tallylight — {text}").format(text=text))
        self.detail.setText("\n".join(lines))

    @Slot()
    def check_shown(self) -> None:
        """Tell the CLI once the window can really be seen; then watch it."""
        if self._shown or visibility_problem(self):
            return
        self._shown = True
        self.watch.arm()
        _send(TallyNotice(TallyEvent.SHOWN))

    @Slot(str)
    def _lost(self, why: str) -> None:
        _send(TallyNotice(TallyEvent.HIDDEN, why))
        QApplication.quit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            _send(TallyNotice(TallyEvent.HIDDEN, "closed"))
            QTimer.singleShot(0, QApplication.quit)
        super().closeEvent(event)


def _read_commands(inbox: queue.SimpleQueue[TallyUpdate | None]) -> None:
    """Lines from the CLI, read on a plain thread; the GUI thread drains ``inbox`` (no signals here)."""
    for line in sys.stdin:
        update = TallyUpdate.decode(line)
        if update is not None:
            inbox.put(update)
    inbox.put(None)  # end of file: the CLI is gone


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Tallylight")
    app.setQuitOnLastWindowClosed(False)
    collect_on_gui_thread(app)  # its reader thread never frees a widget
    window = TallyWindow()
    inbox: queue.SimpleQueue[TallyUpdate | None] = queue.SimpleQueue()

    def tick() -> None:
        window.check_shown()
        while True:
            try:
                msg = inbox.get_nowait()
            except queue.Empty:
                return
            if msg is None:
                window._closing = True
                app.quit()
                return
            window.set_state(msg.state, list(msg.lines))

    window.show()
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(tick)
    timer.start()
    threading.Thread(
        target=_read_commands, args=(inbox,), name="tallylight-tally-commands", daemon=True
    ).start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
