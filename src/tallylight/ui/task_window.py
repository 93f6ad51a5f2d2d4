"""The task window: typing and pointing tasks in Tallylight's own full-screen window (docs/TASKS.md).

It sees only its own key and pointer events, stamps each with ``time.perf_counter_ns()`` when
Qt delivers it and with ``QInputEvent.timestamp()`` (the X server's or the compositor's ms),
and sends them and the trials to the recorder over the control channel (``task_input``,
``trials``): the recorder maps the times, enforces the consent, encrypts and writes, so review,
cut and share apply as to any session. The layout comes from :mod:`tallylight.tasks.layout`,
the same code ``tallylight-lab task layout`` prints.

Keys: Enter or Space starts, Esc pauses and resumes, F8 skips a trial, Ctrl+Q quits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QGuiApplication, QKeyEvent, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tallylight import words
from tallylight.i18n import _
from tallylight.protocol import Command
from tallylight.study.manifest import Task
from tallylight.tasks import layout, results
from tallylight.tasks.measures import BACKSPACE
from tallylight.ui.fit import screen_of

Send = Callable[..., Any]  # send(Command, **fields)
FLUSH_MS = 100
_CLOCKS = {
    "xcb": "x11-server-time",
    "windows": "win32-hook-time",
    "wayland": "qt-event-time",
    "cocoa": "qt-event-time",
}
_NAMED_KEYS = {
    Qt.Key.Key_Backspace: "backspace",
    Qt.Key.Key_Return: "enter",
    Qt.Key.Key_Enter: "enter",
    Qt.Key.Key_Shift: "shift",
    Qt.Key.Key_Control: "ctrl",
    Qt.Key.Key_Alt: "alt",
    Qt.Key.Key_AltGr: "alt_gr",
    Qt.Key.Key_Meta: "cmd",
    Qt.Key.Key_CapsLock: "caps_lock",
    Qt.Key.Key_Space: "space",
    Qt.Key.Key_Tab: "tab",
}
#: editing other than typing and backspace is not part of copy typing: these never reach the field
_BLOCKED_KEYS = {
    Qt.Key.Key_Left,
    Qt.Key.Key_Right,
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_Home,
    Qt.Key.Key_End,
    Qt.Key.Key_Delete,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
    Qt.Key.Key_Insert,
}
BACKGROUND, OUTLINE, CURRENT = QColor("#000000"), QColor("#FFFFFF"), QColor("#FFD700")


def _os_times(trial: dict[str, Any]) -> dict[str, Any]:
    """For the results shown at the end: the event times as the OS stamped them (ms), which a
    busy GUI thread cannot delay as it delays delivery (the recorder maps both for storage)."""
    if trial.get("start_os") is None or trial.get("end_os") is None:
        return trial
    return {**trial, "start_ns": trial["start_os"] * 1_000_000, "end_ns": trial["end_os"] * 1_000_000}


def clock_name() -> str:
    return _CLOCKS.get(QGuiApplication.platformName(), "")


class _Canvas(QWidget):
    """Draws the current sequence's circle of targets, the goal filled (yellow on black)."""

    pressed = Signal(object)  # the QMouseEvent

    def __init__(self, window: TaskWindow) -> None:
        super().__init__(window)
        self.task_window = window
        self.setMouseTracking(True)
        self.setAccessibleName(_("Targets: click the highlighted circle"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def paintEvent(self, event: Any) -> None:  # noqa: ARG002 - Qt's signature
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), BACKGROUND)
        w = self.task_window
        for target in w.sequence_targets():
            centre = w.to_local(target.x, target.y)
            radius = target.width / 2 / w.ratio
            current = w.current is not None and target.position == w.current.position
            p.setPen(QPen(OUTLINE, 3))
            p.setBrush(CURRENT if current else Qt.BrushStyle.NoBrush)
            p.drawEllipse(centre, radius, radius)

    def mousePressEvent(self, event: Any) -> None:
        self.pressed.emit(event)


class TaskWindow(QWidget):
    """One typing or pointing task, full screen; ``finished`` carries every trial (or is empty)."""

    finished = Signal(list)
    paused_changed = Signal(bool)

    def __init__(self, task: Task, send: Send, *, device: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if task.kind not in ("typing", "pointing"):
            raise ValueError("the task window runs typing and pointing tasks")
        self.task = task
        self.send = send
        self.device = device
        self.trials: list[dict[str, Any]] = []
        self._batch: list[list[Any]] = []
        self._sequence_trials: list[dict[str, Any]] = []
        self.paused = False
        self.running = False
        self.done = False
        self.ratio = 1.0
        self.targets: tuple[layout.Target, ...] = ()
        self.index = 0  # into targets (pointing) or phrases (typing)
        self.current: layout.Target | None = None
        self._last: tuple[int, int | None, float, float] | None = None  # ns, os, x, y of the last selection
        self.phrases = layout.typing_phrases(task.typing) if task.typing else ()
        self._stream: list[tuple[str, int, int | None]] = []  # key, ns, os of the current phrase

        self.setWindowTitle(str(task.title))
        self.setAccessibleName(str(task.title))
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), BACKGROUND)
        pal.setColor(self.foregroundRole(), OUTLINE)
        self.setPalette(pal)
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.6)

        self.tally = QLabel()  # the tally light: on while the task runs
        self.tally.setObjectName("task-tally")
        self.tally.setStyleSheet("color: #FF4040; font-weight: bold;")
        self._show_tally()
        self.keys_help = QLabel(_("Enter: start · Esc: pause or continue · F8: skip · Ctrl+Q: quit"))
        self.keys_help.setStyleSheet("color: white;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self._intro_page(device, big))
        self.canvas = _Canvas(self)
        self.canvas.pressed.connect(self._on_press)
        self.stack.addWidget(self.canvas)
        self.stack.addWidget(self._typing_page(big))
        self.stack.addWidget(self._end_page(big))

        # the targets use the whole screen (the layout is for a full screen): the tally light and
        # the keys float above it in the top right corner (resizeEvent) instead of taking rows
        layout_ = QVBoxLayout(self)
        layout_.setContentsMargins(0, 0, 0, 0)
        layout_.addWidget(self.stack, 1)
        self.tally.setParent(self)
        self.keys_help.setParent(self)

        for keys, slot in (("Esc", self.toggle_pause), ("F8", self.skip), ("Ctrl+Q", self.close)):
            QShortcut(QKeySequence(keys), self, slot, context=Qt.ShortcutContext.WindowShortcut)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._flush_timer.start()

    def _intro_page(self, device: str, big: QFont) -> QWidget:
        """The instructions and the start button; a pointing task also asks for the device."""
        intro = QWidget()
        intro_layout = QVBoxLayout(intro)
        self.instructions = QLabel(str(self.task.instructions))
        self.instructions.setWordWrap(True)
        self.instructions.setFont(big)
        self.instructions.setStyleSheet("color: white;")
        self.instructions.setAccessibleName(str(self.task.title))
        self.instructions.setAccessibleDescription(str(self.task.instructions))
        self.device_box = QComboBox()
        self.device_box.setAccessibleName(_("Input device you use"))
        devices = self.task.pointing.devices if self.task.pointing else ()
        self.device_box.addItems(list(devices))
        self.device_box.setVisible(bool(devices))
        if device in devices:
            self.device_box.setCurrentText(device)
        self.start_button = QPushButton(_("&Start"))
        self.start_button.setFont(big)
        self.start_button.setAccessibleDescription(str(self.task.instructions))
        self.start_button.clicked.connect(self.start)
        intro_layout.addStretch(1)
        intro_layout.addWidget(self.instructions)
        intro_layout.addWidget(self.device_box)
        intro_layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignHCenter)
        intro_layout.addStretch(1)
        return intro

    def _typing_page(self, big: QFont) -> QWidget:
        """The phrase and the field it is typed into, which nothing can be pasted or dropped into."""
        typing = QWidget()
        typing_layout = QVBoxLayout(typing)
        self.phrase = QLabel()
        self.phrase.setFont(big)
        self.phrase.setStyleSheet("color: white;")
        self.phrase.setWordWrap(True)
        self.field = QLineEdit()
        self.field.setFont(big)
        self.field.setObjectName("task-field")
        self.field.setAccessibleName(_("Type the phrase here, then press Enter"))
        self.field.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.field.setDragEnabled(False)
        self.field.setAcceptDrops(False)
        self.field.installEventFilter(self)
        typing_layout.addStretch(1)
        typing_layout.addWidget(self.phrase)
        typing_layout.addWidget(self.field)
        typing_layout.addStretch(1)
        return typing

    def _end_page(self, big: QFont) -> QWidget:
        """The result and the way out."""
        end = QWidget()
        end_layout = QVBoxLayout(end)
        self.result = QLabel()
        self.result.setFont(big)
        self.result.setWordWrap(True)
        self.result.setStyleSheet("color: white;")
        self.close_button = QPushButton(_("&Close"))
        self.close_button.setFont(big)
        self.close_button.clicked.connect(self.close)
        end_layout.addStretch(1)
        end_layout.addWidget(self.result)
        end_layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignHCenter)
        end_layout.addStretch(1)
        return end

    # ---------------------------------------------------------------- geometry

    def resizeEvent(self, event: Any) -> None:  # noqa: ARG002 - Qt's signature
        y = 8
        for label in (self.tally, self.keys_help):
            label.adjustSize()
            label.move(self.width() - label.width() - 8, y)
            label.raise_()
            y += label.height()

    def show_full_screen(self) -> None:
        """Full screen; the geometry is set too, for desktops without a window manager to honour it."""
        screen = screen_of(self)
        if screen is not None:
            self.setGeometry(screen.geometry())
        self.showFullScreen()
        self.raise_()
        self.activateWindow()

    def to_local(self, x: float, y: float) -> QPointF:
        """A screen-pixel point (what the layout and the recorder use) in the canvas's coordinates."""
        origin = self.canvas.mapToGlobal(QPointF(0, 0))
        return QPointF(x / self.ratio - origin.x(), y / self.ratio - origin.y())

    def sequence_targets(self) -> list[layout.Target]:
        if self.current is None:
            return []
        return [t for t in self.targets if t.sequence == self.current.sequence and t.trial > 0]

    # ---------------------------------------------------------------- flow

    @Slot()
    def start(self) -> None:
        if self.running or self.done:
            return
        self.running = True
        if self.task.pointing is not None:
            screen = screen_of(self)
            assert screen is not None  # shown full screen on one
            self.ratio = screen.devicePixelRatio()
            size = screen.geometry().size()
            w, h = round(size.width() * self.ratio), round(size.height() * self.ratio)
            self.device = self.device_box.currentText()
            self.screen_px = (w, h)
            self.dpi = screen.physicalDotsPerInch()
            self.targets = layout.pointing_layout(self.task.pointing, w, h, self.dpi)
            self.index = 0
            self.current = self.targets[0]
            self.stack.setCurrentWidget(self.canvas)
            self.canvas.setFocus()
            self._describe_target()
        else:
            self.index = 0
            self.stack.setCurrentIndex(2)
            self._show_phrase()
        self.canvas.update()

    def _describe_target(self) -> None:
        t = self.current
        if t is not None:
            self.canvas.setAccessibleDescription(
                _("Sequence {s}, target {k} of {n}").format(s=t.sequence, k=t.trial, n=self._per_sequence())
            )

    def _show_tally(self) -> None:
        """The tally light's text, and the same for a screen reader (paused or recording)."""
        text = ("❚❚ " + _("Paused (not recording)")) if self.paused else ("● " + _("Recording"))
        self.tally.setText(text)
        self.tally.setAccessibleName(text)

    def _per_sequence(self) -> int:
        return self.task.pointing.targets_per_circle if self.task.pointing else 0

    def _show_phrase(self) -> None:
        self.phrase.setText(self.phrases[self.index])
        self.phrase.setAccessibleName(self.phrases[self.index])
        self.field.clear()
        self._stream = []
        self.field.setFocus()

    @Slot()
    def toggle_pause(self) -> None:
        """Pause or continue; the sequence or phrase under way starts again afterwards."""
        if not self.running or self.done:
            return
        self.paused = not self.paused
        self._show_tally()
        self.flush()
        self.paused_changed.emit(self.paused)
        if not self.paused:
            self._restart_unit()

    def _restart_unit(self) -> None:
        if self.task.pointing is not None and self.current is not None:
            first = next(i for i, t in enumerate(self.targets) if t.sequence == self.current.sequence)
            self.index, self.current, self._last, self._sequence_trials = first, self.targets[first], None, []
            self.canvas.update()
        elif self.task.typing is not None:
            self._show_phrase()

    @Slot()
    def skip(self) -> None:
        """Skip the current trial (stored as skipped; measures leave it out)."""
        if not self.running or self.paused or self.done:
            return
        now = time.perf_counter_ns()
        if self.task.pointing is not None and self.current is not None:
            if self.current.trial == 0 or self._last is None:
                return
            self._record_tap(now, None, None, skipped=True)
        elif self.task.typing is not None:
            start = self._stream[0][1] if self._stream else now
            self._send_trials(
                [
                    {
                        "trial": self.index + 1,
                        "start_ns": start,
                        "end_ns": now,
                        "presented": self.phrases[self.index],
                        "skipped": True,
                        "condition": "",
                    }
                ]
            )
            self._next_phrase()

    def closeEvent(self, event: Any) -> None:
        self.flush()
        self._flush_timer.stop()
        self.done = True
        self.finished.emit(list(self.trials))
        super().closeEvent(event)

    # ---------------------------------------------------------------- events to the recorder

    def _stamp(self, event: Any) -> tuple[int, int | None]:
        os_time = int(event.timestamp())
        return time.perf_counter_ns(), (os_time if clock_name() and os_time > 0 else None)

    @Slot()
    def flush(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self.send(Command.TASK_INPUT, events=batch, clock=clock_name())

    def _send_trials(self, trials: list[dict[str, Any]]) -> None:
        self.flush()
        # as the recorder stores them (it stamps task and kind itself, whatever is sent)
        self.trials.extend({**_os_times(t), "task": self.task.id, "kind": self.task.kind} for t in trials)
        self.send(Command.TRIALS, trials=trials)

    def _screen_point(self, event: Any) -> tuple[float, float]:
        g = event.globalPosition()
        return g.x() * self.ratio, g.y() * self.ratio

    def mouseMoveEvent(self, event: Any) -> None:
        self._pointer(3, event)
        super().mouseMoveEvent(event)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.MouseButtonRelease:
            self._pointer(5, e)
        return super().event(e)

    def _pointer(self, kind: int, event: Any) -> None:
        if not self.running or self.paused or self.task.pointing is None:
            return
        ns, os_time = self._stamp(event)
        x, y = self._screen_point(event)
        item: list[Any] = [kind, ns, os_time, round(x), round(y)]
        if kind in (4, 5):
            item.append("left" if event.button() == Qt.MouseButton.LeftButton else "button")
        self._batch.append(item)

    # ---------------------------------------------------------------- pointing

    def _on_press(self, event: Any) -> None:
        if not self.running or self.paused or self.current is None:
            return
        self._pointer(4, event)
        ns, os_time = self._stamp(event)
        x, y = self._screen_point(event)
        if self.current.trial == 0:  # the start target: timing begins
            self._last = (ns, os_time, x, y)
            self._advance()
            return
        self._record_tap(ns, os_time, (x, y))

    def _record_tap(
        self, ns: int, os_time: int | None, point: tuple[float, float] | None, skipped: bool = False
    ) -> None:
        target, last = self.current, self._last
        assert target is not None
        assert last is not None
        prev = self.targets[self.index - 1]
        trial: dict[str, Any] = {
            "sequence": target.sequence,
            "trial": target.trial,
            "condition": self.device,
            "start_ns": last[0],
            "start_os": last[1] if not skipped else None,
            "end_ns": max(ns, last[0]),
            "end_os": os_time,
            "from_x": prev.x,
            "from_y": prev.y,
            "target_x": target.x,
            "target_y": target.y,
            "width": target.width,
            "amplitude": target.amplitude,
            "dpi": self.dpi,
            "screen_width": self.screen_px[0],
            "screen_height": self.screen_px[1],
        }
        if skipped or point is None:
            trial["skipped"] = True
        else:
            trial["select_x"], trial["select_y"] = point
            trial["hit"] = math.hypot(point[0] - target.x, point[1] - target.y) <= target.width / 2
        if trial["start_os"] is None or trial["end_os"] is None:
            trial["start_os"] = trial["end_os"] = None  # map both or neither
        self._sequence_trials.append(trial)
        self._last = (ns, os_time if not skipped else None, *(point or (last[2], last[3])))
        last_of_sequence = target.trial == self._per_sequence()
        if last_of_sequence:
            self._send_trials(self._sequence_trials)
            self._sequence_trials = []
        self._advance()

    def _advance(self) -> None:
        self.index += 1
        if self.index >= len(self.targets):
            self._finish()
            return
        self.current = self.targets[self.index]
        if self.current.trial == 0:
            self._last = None
        self._describe_target()
        self.canvas.update()

    # ---------------------------------------------------------------- typing

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:
        if obj is not self.field or not self.running:
            return False
        if e.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove):
            return True  # no cursor placement or selection with the mouse: copy typing only
        if e.type() not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or self.paused:
            return False
        assert isinstance(e, QKeyEvent)
        key = Qt.Key(e.key())
        mods = e.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)
        if key in _BLOCKED_KEYS or (mods and key != Qt.Key.Key_Control):
            return True
        if key == Qt.Key.Key_Escape or key == Qt.Key.Key_F8:
            return False
        ns, os_time = self._stamp(e)
        down = e.type() == QEvent.Type.KeyPress
        text = e.text()
        char = text if len(text) == 1 and text.isprintable() else ""
        name = "" if char else _NAMED_KEYS.get(key, "other")
        self._batch.append([1 if down else 2, ns, os_time, char, name, int(e.nativeScanCode()), True])
        if down and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._end_phrase()
            return True
        if down and key == Qt.Key.Key_Backspace:
            self._stream.append((BACKSPACE, ns, os_time))
        elif down and char:
            self._stream.append((char, ns, os_time))
        return False

    def _end_phrase(self) -> None:
        if not self._stream:
            return  # nothing typed yet: Enter does not skip a phrase (F8 does)
        first, last = self._stream[0], self._stream[-1]
        both = first[2] is not None and last[2] is not None
        self._send_trials(
            [
                {
                    "trial": self.index + 1,
                    "condition": "",
                    "start_ns": first[1],
                    "end_ns": max(last[1], first[1]),
                    "start_os": first[2] if both else None,
                    "end_os": last[2] if both else None,
                    "presented": self.phrases[self.index],
                    "transcribed": self.field.text(),
                    "input": "".join(k for k, _n, _o in self._stream),
                }
            ]
        )
        self._next_phrase()

    def _next_phrase(self) -> None:
        self.index += 1
        if self.index >= len(self.phrases):
            self._finish()
        else:
            self._show_phrase()

    # ---------------------------------------------------------------- the end

    def _finish(self) -> None:
        self.flush()
        self.running = False
        self.current = None
        if self.task.show_results:
            lines = words.task_result_lines(results.blocks(self.trials)) or [
                _("No results: every trial was skipped.")
            ]
            self.result.setText("\n".join([_("Thank you. Your results:"), *lines]))
            self.result.setAccessibleName(" ".join(lines))
            self.stack.setCurrentIndex(3)
            self.close_button.setFocus()
        else:
            self.close()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and not self.running:
            if self.stack.currentIndex() == 0:
                self.start()
                return
            if self.stack.currentIndex() == 3:
                self.close()
                return
        super().keyPressEvent(event)
