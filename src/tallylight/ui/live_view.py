"""The live view: what the running session captures, as it happens, in plain words.

It reads the recorder's own live preview over the control channel (the
``preview`` command and the once-a-second ``stats``; docs/CONTROL.md), never the
disk. What is *shown* is coalesced — at most a few redraws a second of the last
lines, whatever the input rate — while the recorder keeps every event.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from tallylight import words
from tallylight.i18n import _
from tallylight.protocol import RecorderMessage
from tallylight.ui.a11y import close_keys
from tallylight.ui.controller import AppController
from tallylight.ui.fit import fit_on_show

#: How often the view asks for the last events (and so at most how often it redraws).
REFRESH_MS = 250
LINES = 40
#: what the counters show: Kind name -> words
COUNTED = (("key_down", "key press"), ("move", "mouse move"), ("button_down", "click"), ("scroll", "scroll"))


class LiveView(QWidget):
    """Last events, counters per kind and the event rate of the running session."""

    def __init__(self, controller: AppController, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.controller = controller
        self.setWindowTitle(_("Tallylight — live view"))
        self.setAccessibleName(_("Live view"))
        self.state_label = QLabel()
        self.state_label.setAccessibleDescription(_("Recording state"))
        self.counts_label = QLabel()
        self.counts_label.setAccessibleDescription(_("Counts so far"))
        self.rate_label = QLabel()
        self.rate_label.setAccessibleDescription(_("Events per second"))
        self.events = QPlainTextEdit()
        self.events.setReadOnly(True)
        self.events.setAccessibleName(_("The last events, as they are stored"))
        self.events.setMaximumBlockCount(LINES)
        self.events.setFont(QFont("DejaVu Sans Mono"))
        self.events.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        note = QLabel(
            _(
                "This is what Tallylight stores right now, in the form it is stored (under the "
                "session's key setting). Nothing here leaves your computer."
            )
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.rate_label)
        layout.addWidget(self.events, 1)
        layout.addWidget(note)
        close_keys(self)  # Escape and Ctrl+W, as in every dialog
        self.resize(560, 520)
        fit_on_show(self)  # never larger than the screen (200 % on 1280x720 too)
        self.updates = 0  # redraws of the event list (for tests and the benchmark)
        self.last_lines: list[str] = []
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._ask)
        controller.live_preview.connect(self._on_preview)
        controller.changed.connect(self._sync)
        self._sync()

    def showEvent(self, event: object) -> None:
        self._timer.start()
        self._ask()
        super().showEvent(event)  # type: ignore[arg-type]  # a QShowEvent (typed object above)

    def hideEvent(self, event: object) -> None:
        self._timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]  # a QHideEvent (typed object above)

    @Slot()
    def _ask(self) -> None:
        self.controller.request_preview(LINES)

    @Slot(object)
    def _on_preview(self, msg: RecorderMessage) -> None:
        lines = list(msg.events[-LINES:])
        if lines == self.last_lines:
            return
        self.last_lines = lines
        self.events.setPlainText("\n".join(lines))
        self.events.verticalScrollBar().setValue(self.events.verticalScrollBar().maximum())
        self.updates += 1

    @Slot()
    def _sync(self) -> None:
        c = self.controller
        self.state_label.setText(f"{c.state_text()} — {words.clock(c.elapsed_s)}")
        counts = c.counts
        self.counts_label.setText(", ".join(words.count(int(counts.get(k, 0)), noun) for k, noun in COUNTED))
        self.rate_label.setText(_("{rate:,.0f} input events per second").format(rate=c.rate))
        if not c.active and not self.last_lines:
            self.events.setPlainText(_("Nothing is being recorded. Start a session to see its events here."))
