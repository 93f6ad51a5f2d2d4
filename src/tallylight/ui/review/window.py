"""The review window for one session: summary, timeline, replay, path and clicks, typing rhythm.

Decrypting, decoding and analysing run in a worker (:class:`~tallylight.ui.tasks.TaskRunner`);
the GUI thread only hands prepared arrays to the plots, one plot per event-loop
turn, so it never stalls for long while a large session opens. A progress line
says what is happening meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tallylight.review.prepare import ReviewData
from tallylight.ui.tasks import TaskRunner

SPEEDS = (1.0, 2.0, 10.0)
TICK_MS = 33
SLIDER_STEPS_PER_S = 10
KEY_STRIP_S = 3.0


@dataclass
class Loaded:
    """What the worker hands back: the prepared arrays, the raw columns, and how long each part took."""

    data: ReviewData
    columns: Any
    info: Any
    report: Any
    decode_s: float
    analysis_s: float


def load_session(session_id: str, vault: Any, stage: dict[str, str]) -> Loaded:
    """Decrypt, decode and analyse one session (worker thread; no Qt here)."""
    from tallylight.review.prepare import prepare
    from tallylight.store import sessions as store

    stage["text"] = "Decrypting and decoding…"
    t0 = time.perf_counter()
    data = store.read(session_id, vault)
    cols = data.columns()
    t1 = time.perf_counter()
    stage["text"] = f"Analysing {len(cols):,} events…"
    rep = data.report
    prepared = prepare(cols, data.info, rep.verdict.value, rep.problem)
    t2 = time.perf_counter()
    return Loaded(prepared, cols, data.info, rep, t1 - t0, t2 - t1)


class ReviewWindow(QWidget):
    """Everything one session holds, shown to the participant who recorded it."""

    def __init__(
        self,
        tasks: TaskRunner,
        session_id: str,
        vault: Any,
        parent: QWidget | None = None,
        on_changed: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        from tallylight.ui.review import plots  # pyqtgraph only once a review is opened

        self.tasks = tasks
        self.session_id = session_id
        self.vault = vault
        self.on_changed = on_changed
        self.loaded: Loaded | None = None
        self.timings: dict[str, float] = {}
        self.t = 0.0
        self.playing = False
        self._stage: dict[str, str] = {"text": "Opening…"}
        self.setWindowTitle("Review session")
        self.setAccessibleName("Review session")

        self.progress_label = QLabel("Opening…")
        self.progress_label.setAccessibleName("Progress")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName("Summary")
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.timeline = plots.TimelinePlot()
        self.replay = plots.ReplayCanvas()
        self.path = plots.PathPlot()
        self.hold_hist = plots.HistogramPlot("How long keys were held", "ms")
        self.dd_hist = plots.HistogramPlot("Time from one key to the next", "ms")
        self.ud_hist = plots.HistogramPlot("From releasing a key to pressing the next", "ms")
        self.pause_hist = plots.HistogramPlot("Pauses without input", "s")

        # replay controls
        self.play_button = QPushButton("&Play")
        self.play_button.setAccessibleName("Play or pause the replay")
        self.play_button.clicked.connect(self.toggle_play)
        self.speed = QComboBox()
        self.speed.setAccessibleName("Replay speed")
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("Replay position")
        self.slider.valueChanged.connect(self._slider_moved)
        self.time_label = QLabel("0:00")
        self.key_strip = QLabel("")
        self.key_strip.setAccessibleName("Keys around this moment")
        self.key_strip.setTextFormat(Qt.TextFormat.PlainText)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.speed)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        replay_tab = QWidget()
        rl = QVBoxLayout(replay_tab)
        rl.addWidget(self.replay, 1)
        rl.addWidget(self.key_strip)
        rl.addLayout(controls)
        rhythm_tab = QWidget()
        hl = QVBoxLayout(rhythm_tab)
        for h in (self.hold_hist, self.dd_hist, self.ud_hist, self.pause_hist):
            hl.addWidget(h)
        self.tabs = QTabWidget()
        self.tabs.addTab(replay_tab, "&Replay")
        self.tabs.addTab(self.path, "Path and &clicks")
        self.tabs.addTab(rhythm_tab, "&Typing rhythm")

        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.timeline)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(self.buttons)
        self.resize(900, 760)

        self._play_timer = QTimer(self)
        self._play_timer.setInterval(TICK_MS)
        self._play_timer.timeout.connect(self._tick)
        self._last_tick = 0.0
        self._stage_timer = QTimer(self)
        self._stage_timer.setInterval(50)
        self._stage_timer.timeout.connect(lambda: self.progress_label.setText(self._stage["text"]))
        self._set_controls(False)
        self.load()

    # ---- loading -----------------------------------------------------------
    def load(self) -> None:
        self._set_controls(False)
        self.progress.show()
        self.progress_label.show()
        self._stage["text"] = "Opening…"
        self._stage_timer.start()
        self._t_request = time.perf_counter()
        sid, vault, stage = self.session_id, self.vault, self._stage
        self.tasks.run(lambda: load_session(sid, vault, stage), self._on_loaded, self._on_failed)

    def _on_failed(self, exc: BaseException) -> None:
        self._stage_timer.stop()
        self.progress.hide()
        self.progress_label.setText(f"This session cannot be shown: {exc}")

    def _on_loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.timings = {"decode_s": loaded.decode_s, "analysis_s": loaded.analysis_s}
        self._t_render = time.perf_counter()
        self._stage["text"] = "Drawing…"
        steps: list[Callable[[], None]] = [
            self._render_summary,
            lambda: self.timeline.show_data(loaded.data),
            lambda: self.replay.show_data(loaded.data),
            lambda: self.path.show_data(loaded.data),
            self._render_histograms,
            self._render_done,
        ]
        self._run_steps(steps)

    def _run_steps(self, steps: list[Callable[[], None]]) -> None:
        """One step per event-loop turn, so painting and input are handled in between."""
        if not steps:
            return
        step = steps.pop(0)
        try:
            step()
        except RuntimeError:  # the window was closed meanwhile
            return
        QTimer.singleShot(0, lambda: self._run_steps(steps))

    def _render_summary(self) -> None:
        assert self.loaded is not None
        d = self.loaded.data
        s = d.summary
        info = self.loaded.info
        title = (info.label if info and info.label else "") or self.session_id
        self.setWindowTitle(f"Review: {title}")
        self.summary_label.setText("\n".join(s.plain_language()))
        self.slider.setRange(0, int(d.duration_s * SLIDER_STEPS_PER_S) + 1)

    def _render_histograms(self) -> None:
        assert self.loaded is not None
        d = self.loaded.data
        self.hold_hist.show_histogram(d.hold)
        self.dd_hist.show_histogram(d.down_down)
        self.ud_hist.show_histogram(d.up_down)
        self.pause_hist.show_histogram(d.pauses)

    def _render_done(self) -> None:
        self._stage_timer.stop()
        self.progress.hide()
        self.progress_label.hide()
        self.timings["render_s"] = time.perf_counter() - self._t_render
        self.timings["total_s"] = time.perf_counter() - self._t_request
        self._set_controls(True)
        self.seek(0.0)

    def _set_controls(self, enabled: bool) -> None:
        for w in (self.play_button, self.speed, self.slider):
            w.setEnabled(enabled)

    @property
    def ready(self) -> bool:
        return "render_s" in self.timings

    # ---- replay ------------------------------------------------------------
    def seek(self, t: float) -> None:
        """Show session time ``t`` (seconds) in the replay, the key strip and the timeline cursor."""
        if self.loaded is None:
            return
        d = self.loaded.data
        self.t = max(0.0, min(t, d.duration_s))
        self.replay.seek(self.t)
        self.timeline.cursor.setValue(self.t)
        m, s = divmod(self.t, 60)
        self.time_label.setText(f"{int(m)}:{s:04.1f}")
        import numpy as np

        i = int(np.searchsorted(d.keys_t, self.t, side="right"))
        j = int(np.searchsorted(d.keys_t, self.t - KEY_STRIP_S, side="left"))
        j = max(j, i - 14)
        self.key_strip.setText(
            "  ".join(f"{d.keys_label[k]} {'↓' if d.keys_down[k] else '↑'}" for k in range(j, i)) or " "
        )
        v = int(self.t * SLIDER_STEPS_PER_S)
        if self.slider.value() != v:
            self.slider.blockSignals(True)
            self.slider.setValue(v)
            self.slider.blockSignals(False)

    @Slot(int)
    def _slider_moved(self, value: int) -> None:
        self.seek(value / SLIDER_STEPS_PER_S)

    @Slot()
    def toggle_play(self) -> None:
        if self.loaded is None:
            return
        self.playing = not self.playing
        self.play_button.setText("&Pause" if self.playing else "&Play")
        if self.playing:
            if self.t >= self.loaded.data.duration_s:
                self.seek(0.0)
            self._last_tick = time.perf_counter()
            self._play_timer.start()
        else:
            self._play_timer.stop()

    @Slot()
    def _tick(self) -> None:
        now = time.perf_counter()
        speed = float(self.speed.currentData() or 1.0)
        self.seek(self.t + (now - self._last_tick) * speed)
        self._last_tick = now
        if self.loaded is not None and self.t >= self.loaded.data.duration_s:
            self.toggle_play()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self._play_timer.stop()
        self._stage_timer.stop()
        super().closeEvent(event)
