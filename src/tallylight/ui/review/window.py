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
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tallylight import words
from tallylight.i18n import _, ngettext, pgettext
from tallylight.review.prepare import ReviewData
from tallylight.ui import data_watch
from tallylight.ui.a11y import close_keys
from tallylight.ui.files import save_folder
from tallylight.ui.fit import fit_on_show, screen_of, scroll_body
from tallylight.ui.tasks import TaskRunner, quietly

SPEEDS = (1.0, 2.0, 10.0)
TICK_MS = 33
SLIDER_STEPS_PER_S = 10
KEY_STRIP_S = 3.0


@dataclass
class Loaded:
    """What the worker hands back: the prepared arrays, the raw columns, and how long each part took."""

    data: ReviewData
    events: int  # how many events the session holds (their columns are not kept: ReviewData is)
    info: Any
    report: Any
    decode_s: float
    analysis_s: float
    trial_lines: tuple[str, ...] = ()  # the study tasks' trials and their measures (docs/TASKS.md)
    stamp: Any = None  # the session's files when it was read (store.sessions.version_stamp)


def load_session(session_id: str, vault: Any, stage: dict[str, str]) -> Loaded:
    """Decrypt, decode and analyse one session (worker thread; no Qt here).

    The events are decoded a piece at a time and each piece is reduced at once
    (:class:`~tallylight.review.prepare.Gatherer`): an 8-hour session is never
    held as all its decoded rows, and no single step holds the interpreter long."""
    from tallylight.review.prepare import Gatherer
    from tallylight.store import sessions as store

    stage["text"] = _("Decrypting and decoding…")
    t0 = time.perf_counter()
    stamp = store.version_stamp(session_id)  # before reading: a change while it reads is seen later
    gathered = Gatherer()

    def piece(cols: Any) -> None:
        gathered.add(cols)
        stage["text"] = _("Decoding… {n:,} events so far").format(n=gathered.events)

    data = store.read(session_id, vault, on_chunk=piece)
    t1 = time.perf_counter()
    stage["text"] = _("Analysing {n:,} events…").format(n=gathered.events)
    rep = data.report
    prepared = gathered.prepare(
        data.info, rep.verdict.value, rep.problem, _task_titles(data.info), data.timing
    )
    t2 = time.perf_counter()
    return Loaded(
        prepared, gathered.events, data.info, rep, t1 - t0, t2 - t1, _trial_lines(data.trials), stamp
    )


def _trial_lines(trials: list[dict[str, Any]]) -> tuple[str, ...]:
    """What the session's task trials say: how many, and the measures of typing and pointing."""
    if not trials:
        return ()
    from tallylight.tasks import results

    count = ngettext("{n} task trial recorded.", "{n} task trials recorded.", len(trials)).format(
        n=len(trials)
    )
    return (count, *words.task_result_lines(results.blocks(trials)))


def _task_titles(info: Any) -> tuple[str, ...]:
    """The study's task titles, if the session ran under the manifest still joined (worker)."""
    study_id = getattr(info, "study_id", "") if info is not None else ""
    if not study_id:
        return ()
    from tallylight.errors import TallylightError
    from tallylight.study import enrolment

    try:
        study = enrolment.load(study_id)
    except TallylightError:
        return ()
    if study.signed.hash != info.manifest_hash:
        return ()  # another version: positions may differ, so only numbers are shown
    return tuple(str(t.title) for t in study.manifest.tasks)


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
        self.tasks = tasks
        self.session_id = session_id
        self.vault = vault
        self.on_changed = on_changed
        self.loaded: Loaded | None = None
        self.timings: dict[str, float] = {}
        self._closing = False
        self.step_ms: list[float] = []  # how long each building or drawing step held the GUI thread
        self.step_end_ms: list[int] = []  # when each step ended (ms since the window asked for the data)
        self.t = 0.0
        self.playing = False
        self._stage: dict[str, str] = {"text": _("Opening…")}
        self.setWindowTitle(_("Review session"))
        self.setAccessibleName(_("Review session"))

        self._build_progress()

        # the plots are built one per event-loop turn once the data is there (_build_steps)
        self.timeline: Any = None
        self.replay: Any = None
        self.path: Any = None
        self.hists: list[Any] = []
        self._built = False
        self._pending: Loaded | None = None

        self._build_replay_controls()
        self._build_tabs()
        self._build_edit_buttons()
        self._build_cut_row()
        self._build_button_row()
        self._lay_out()
        self._build_timers()

        # the window follows the data: a cut or delete elsewhere (Sessions, a terminal) is seen
        self._busy = False  # loading or editing: a change then is checked once it is done
        self._recheck = False
        self.checked_stamp: Any = None
        data_watch.shared().changed.connect(self._data_changed)
        self.load()

    def _build_progress(self) -> None:
        """The progress line and the summary, above everything else."""
        self.progress_label = QLabel(_("Opening…"))
        self.progress_label.setAccessibleDescription(_("Progress"))
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleDescription(_("Summary"))
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def _build_replay_controls(self) -> None:
        """Play, speed, position and the keys around the moment; they lay nothing out."""
        self.play_button = QPushButton(_("&Play"))
        self.play_button.setAccessibleName(_("Play or pause the replay"))
        self.play_button.clicked.connect(self.toggle_play)
        self.speed = QComboBox()
        self.speed.setAccessibleName(_("Replay speed"))
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName(_("Replay position"))
        self.slider.valueChanged.connect(self._slider_moved)
        self.time_label = QLabel("0:00")
        self.key_strip = QLabel("")
        self.key_strip.setAccessibleDescription(_("Keys around this moment"))
        self.key_strip.setTextFormat(Qt.TextFormat.PlainText)
        # Neither changes the layout as the replay moves: a label that grew or shrank with its
        # text resized the plots under it at every step (a relayout and a repaint of all)
        self.key_strip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("888:88.8 "))

    def _build_tabs(self) -> None:
        """Replay, path and rhythm tabs: empty boxes the plots go into once the data is there."""
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.speed)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        replay_tab = QWidget()
        self.replay_box = QVBoxLayout(replay_tab)
        self.replay_box.addWidget(self.key_strip)
        self.replay_box.addLayout(controls)
        path_tab = QWidget()
        self.path_box = QVBoxLayout(path_tab)
        self.path_box.setContentsMargins(0, 0, 0, 0)
        rhythm_tab = QWidget()
        self.rhythm_box = QGridLayout(rhythm_tab)  # 2 x 2 histograms
        self.tabs = QTabWidget()
        self.tabs.addTab(replay_tab, _("&Replay"))
        self.tabs.addTab(path_tab, _("Path and c&licks"))  # Alt+C is Close
        self.tabs.addTab(rhythm_tab, _("T&yping rhythm"))  # Alt+T is "Cut a span…"
        self.stretch_legend = QLabel("")
        self.stretch_legend.setAccessibleName(_("What the shaded stretches of the timeline mean"))
        self.stretch_legend.setTextFormat(Qt.TextFormat.RichText)
        self.timeline_box = QVBoxLayout()
        self.timeline_box.setContentsMargins(0, 0, 0, 0)

    def _build_edit_buttons(self) -> None:
        """What the participant can do to the session: cut, undo, export, delete, share."""
        self.undo_stack: list[Any] = []
        self.cut_button = QPushButton(_("Cu&t a span…"))
        self.cut_button.setAccessibleName(_("Choose a span of time to cut out of this session"))
        self.cut_button.clicked.connect(self.begin_cut)
        self.undo_button = QPushButton(_("&Undo cut"))
        self.undo_button.setAccessibleName(_("Put the cut span back (only until this window closes)"))
        self.undo_button.clicked.connect(self.undo_cut)
        self.export_button = QPushButton(_("&Export…"))
        self.export_button.setAccessibleName(
            _("Export this session as plain CSV or JSON lines (not encrypted)")
        )
        self.export_button.clicked.connect(self.choose_export)
        self.delete_button = QPushButton(_("&Delete…"))
        self.delete_button.setAccessibleName(_("Delete this session for good"))
        self.delete_button.clicked.connect(self.confirm_delete)
        self.share_button = QPushButton(_("S&hare…"))
        self.share_button.setAccessibleName(
            _("Share this session with its study's researcher, after a preview")
        )
        self.share_button.clicked.connect(lambda _checked=False: self.open_share())
        self.share_button.hide()  # shown for a study session (nothing is shared from personal mode)

    def _build_cut_row(self) -> None:
        """The row that chooses a span to cut, hidden until a cut begins."""
        self.cut_from = QDoubleSpinBox()
        self.cut_to = QDoubleSpinBox()
        for box, name in ((self.cut_from, _("Cut from (seconds)")), (self.cut_to, _("Cut to (seconds)"))):
            box.setAccessibleName(name)
            box.setDecimals(1)
            box.setSuffix(" s")
            box.valueChanged.connect(self._spin_changed)
        self.apply_cut_button = QPushButton(_("Cut this span out"))
        self.apply_cut_button.setAccessibleName(_("Cut the chosen span out of the session"))
        self.apply_cut_button.clicked.connect(self.apply_cut)
        self.cancel_cut_button = QPushButton(_("Cancel"))
        self.cancel_cut_button.clicked.connect(self.end_cut)
        self.cut_row = QWidget()
        cr = QHBoxLayout(self.cut_row)
        cr.setContentsMargins(0, 0, 0, 0)
        cr.addWidget(QLabel(_("Cut from")))
        cr.addWidget(self.cut_from)
        cr.addWidget(QLabel(pgettext("a cut's span: from … to …", "to")))
        cr.addWidget(self.cut_to)
        cr.addWidget(QLabel(_("(or drag the yellow span on the timeline)")))
        cr.addStretch(1)
        cr.addWidget(self.apply_cut_button)
        cr.addWidget(self.cancel_cut_button)
        self.cut_row.hide()

    def _build_button_row(self) -> None:
        """The status line and the buttons, which stay under the scrolling body."""
        self.status = QLabel("")
        self.status.setAccessibleDescription(_("Status"))
        self.status.setWordWrap(True)
        self.export_dialog: QFileDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.close_button = QPushButton(_("&Close"))
        self.close_button.clicked.connect(self.close)
        close_keys(self)  # Escape and Ctrl+W, as in every dialog
        self.buttons = QHBoxLayout()
        for b in (
            self.cut_button,
            self.undo_button,
            self.export_button,
            self.share_button,
            self.delete_button,
        ):
            self.buttons.addWidget(b)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.close_button)

    def _lay_out(self) -> None:
        """Everything but the buttons scrolls on a small screen."""
        body = QWidget()  # scrolls on a small screen; the buttons never do
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary_label)
        layout.addLayout(self.timeline_box)
        layout.addWidget(self.cut_row)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll_body(body), 1)
        outer.addLayout(self.buttons)
        self.resize(920, 820)
        fit_on_show(self)  # never larger than the screen (200 % on 1280x720 too)

    def _build_timers(self) -> None:
        """The replay's tick and the progress line's refresh, both idle until asked."""
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(TICK_MS)
        self._play_timer.timeout.connect(self._tick)
        self._last_tick = 0.0
        self._stage_timer = QTimer(self)
        self._stage_timer.setInterval(50)
        self._stage_timer.timeout.connect(lambda: self.progress_label.setText(self._stage["text"]))
        self._set_controls(False)

    def _build_steps(self) -> list[Callable[[], None]]:
        def plots() -> Any:
            from tallylight.ui.review import plots as p  # pyqtgraph only once a review is opened

            return p

        def timeline() -> None:
            self.timeline = plots().TimelinePlot()
            self.timeline.selection.sigRegionChanged.connect(self._region_changed)
            self.timeline_box.addWidget(self.timeline)
            self.timeline_box.addWidget(self.stretch_legend)

        def replay() -> None:
            self.replay = plots().ReplayCanvas()
            self.replay_box.insertWidget(0, self.replay, 1)

        def path() -> None:
            self.path = plots().PathPlot()
            self.path_box.addWidget(self.path)

        def hist(title: str, unit: str) -> Callable[[], None]:
            def make() -> None:
                h = plots().HistogramPlot(title, unit)
                self.hists.append(h)
                n = len(self.hists) - 1
                self.rhythm_box.addWidget(h, n // 2, n % 2)

            return make

        def built() -> None:
            self._built = True
            if self._pending is not None:
                loaded, self._pending = self._pending, None
                self._on_loaded(loaded)

        return [
            timeline,
            replay,
            path,
            hist(_("How long keys were held"), "ms"),
            hist(_("Time from one key to the next"), "ms"),
            hist(_("From releasing a key to pressing the next"), "ms"),
            hist(_("Pauses without input"), "s"),
            built,
        ]

    # ---- loading -----------------------------------------------------------
    @Slot()
    def _data_changed(self) -> None:
        """Something under the data folder changed: is this session still what is shown?"""
        if self._closing:
            return
        if self._busy:
            self._recheck = True
            return
        from tallylight.store import sessions as store

        sid = self.session_id
        self.tasks.run(
            lambda: store.version_stamp(sid), self._compare_stamp, quietly("check the reviewed session")
        )

    def _compare_stamp(self, stamp: Any) -> None:
        if self._closing or self._busy or self.loaded is None:
            return
        self.checked_stamp = stamp  # what the window last found on disk (tests wait on it)
        if stamp is None:
            self._gone()
        elif stamp != self.loaded.stamp:
            # cut elsewhere: shown anew; an undo here would now undo more than this window did
            self.undo_stack.clear()
            self.status.setText(_("This session was changed elsewhere: it is shown as it is now."))
            self.load()

    def _gone(self) -> None:
        """Deleted elsewhere: nothing to show or act on any more; the window says so and stays."""
        if self.playing:
            self.toggle_play()
        self.loaded = None
        self.undo_stack.clear()
        self._set_controls(False)
        self.delete_button.setEnabled(False)
        self.share_button.setEnabled(False)
        self.status.setText(_("This session was deleted elsewhere."))
        self.close_button.setFocus()

    def _idle(self) -> None:
        """A load or an edit is over: a change seen meanwhile is checked now."""
        self._busy = False
        if self._recheck:
            self._recheck = False
            self._data_changed()

    def load(self) -> None:
        self._busy = True
        self.timings = {}
        self._set_controls(False)
        self.progress.show()
        self.progress_label.show()
        self._stage["text"] = _("Opening…")
        self._stage_timer.start()
        self._t_request = time.perf_counter()
        sid, vault, stage = self.session_id, self.vault, self._stage
        self.tasks.run(lambda: load_session(sid, vault, stage), self._on_loaded, self._on_failed)

    def _on_failed(self, exc: BaseException) -> None:
        if self._closing:
            return
        self._busy = False
        self._stage_timer.stop()
        self.progress.hide()
        self.progress_label.setText(_("This session cannot be shown: {exc}").format(exc=exc))

    def _on_loaded(self, loaded: Loaded) -> None:
        if self._closing:  # closed while the worker decoded: draw nothing into a window going away
            return
        if not self._built:
            # Build the plots now, one per event-loop turn, then draw. Not while the worker
            # decodes: both are Python, so doing them at once (one GIL) made decoding 3x slower.
            self._pending = loaded
            self._run_steps(self._build_steps())
            return
        self.loaded = loaded
        self.timings = {"decode_s": loaded.decode_s, "analysis_s": loaded.analysis_s}
        self._t_render = time.perf_counter()
        self._stage["text"] = _("Drawing…")
        steps: list[Callable[[], None]] = [
            self._render_summary,
            lambda: self.timeline.show_data(loaded.data),
            self._render_legend,
            lambda: self.replay.show_data(loaded.data, self._desktop_px()),
            lambda: self.path.show_data(loaded.data),
            self._render_histograms,
            self._render_done,
        ]
        self._run_steps(steps)

    def _run_steps(self, steps: list[Callable[[], None]]) -> None:
        """One step per event-loop turn, so painting and input are handled in between."""
        if not steps or self._closing:
            return
        step = steps.pop(0)
        t0 = time.perf_counter()
        try:
            step()
        except RuntimeError:  # the window was closed meanwhile
            return
        self.step_ms.append(round(1000 * (time.perf_counter() - t0), 1))
        self.step_end_ms.append(round(1000 * (time.perf_counter() - self._t_request)))
        # a real (1 ms) timer, not a zero one: posted zero-timers run back to back and starve
        # painting and input; a timer lets the event loop handle what is due in between
        QTimer.singleShot(1, self, lambda: self._run_steps(steps))  # cancelled if the window goes

    def _render_summary(self) -> None:
        assert self.loaded is not None
        d = self.loaded.data
        s = d.summary
        info = self.loaded.info
        title = (info.label if info and info.label else "") or self.session_id
        self.setWindowTitle(_("Review: {title}").format(title=title))
        self.share_button.setVisible(bool(getattr(info, "study_id", "")))
        timing = words.timing_plain(s.timing) if s.timing else []  # how exact the times are, if measured
        trials = list(self.loaded.trial_lines)
        self.summary_label.setText("\n".join(s.plain_language(self._screen_width_px()) + trials + timing))
        self.slider.setRange(0, int(d.duration_s * SLIDER_STEPS_PER_S) + 1)

    def _screen_width_px(self) -> int | None:
        """The width in device pixels (the recorder's unit) of the screen this window is on."""
        screen = screen_of(self)
        if screen is None:
            return None
        return round(screen.geometry().width() * screen.devicePixelRatio()) or None

    def _desktop_px(self) -> tuple[int, int, int, int] | None:
        """All screens together in device pixels (x0, y0, x1, y1): what the replay frames."""
        screen = screen_of(self)
        if screen is None:
            return None
        g, r = screen.virtualGeometry(), screen.devicePixelRatio()
        return (
            round(g.left() * r),
            round(g.top() * r),
            round((g.right() + 1) * r),
            round((g.bottom() + 1) * r),
        )

    def open_share(self) -> QWidget:
        """The share dialog with this session ticked."""
        from tallylight.ui.dialogs.share import ShareDialog

        dlg = ShareDialog(self.tasks, self.vault, session_ids=[self.session_id], parent=self)
        dlg.show()
        self.share_dialog = dlg
        return dlg

    def _render_legend(self) -> None:
        from html import escape

        from tallylight.ui.review.plots import stretch_legend

        assert self.loaded is not None
        reasons = [escape(r) for _start, _end, r in self.loaded.data.stretches]
        self.stretch_legend.setText(stretch_legend(reasons))
        self.stretch_legend.setVisible(bool(reasons))

    def _render_histograms(self) -> None:
        assert self.loaded is not None
        d = self.loaded.data
        for h, data in zip(self.hists, (d.hold, d.down_down, d.up_down, d.pauses), strict=True):
            h.show_histogram(data)

    def _render_done(self) -> None:
        self._stage_timer.stop()
        self.progress.hide()
        self.progress_label.hide()
        self.timings["render_s"] = time.perf_counter() - self._t_render
        self.timings["total_s"] = time.perf_counter() - self._t_request
        self._set_controls(True)
        self.seek(0.0)
        self._idle()

    def _set_controls(self, enabled: bool) -> None:
        for w in (self.play_button, self.speed, self.slider, self.cut_button, self.export_button):
            w.setEnabled(enabled)
        self.delete_button.setEnabled(enabled or self.loaded is None)
        self.undo_button.setEnabled(enabled and bool(self.undo_stack))
        self.apply_cut_button.setEnabled(enabled)

    # ---- cut and undo --------------------------------------------------------
    @property
    def session_path(self) -> Any:
        from tallylight.store import sessions as store

        return store.session_dir(self.session_id)

    @Slot()
    def begin_cut(self) -> None:
        if self.loaded is None:
            return
        dur = self.loaded.data.duration_s
        for box in (self.cut_from, self.cut_to):
            box.setRange(0.0, dur)
        self.timeline.selection.setBounds((0, dur))
        self.timeline.selection.setRegion((dur / 3, 2 * dur / 3))
        self.timeline.selection.show()
        self.cut_row.show()
        self.status.setText(_("Choose the span to cut out: nothing captured in it is kept."))

    @Slot()
    def end_cut(self) -> None:
        self.timeline.selection.hide()
        self.cut_row.hide()

    def _region_changed(self) -> None:
        a, b = self.timeline.selection.getRegion()
        for box, v in ((self.cut_from, a), (self.cut_to, b)):
            box.blockSignals(True)
            box.setValue(v)
            box.blockSignals(False)

    def _spin_changed(self) -> None:
        self.timeline.selection.blockSignals(True)
        self.timeline.selection.setRegion((self.cut_from.value(), self.cut_to.value()))
        self.timeline.selection.blockSignals(False)

    @Slot()
    def apply_cut(self) -> None:
        if self.loaded is None:
            return
        from tallylight.review.summary import list_summary
        from tallylight.share import edits
        from tallylight.share.outbox import dropped_words

        a, b = sorted((self.cut_from.value(), self.cut_to.value()))
        start = self.loaded.data.start_ns
        start_ns, end_ns = start + int(a * 1e9), start + int(b * 1e9)
        path, vault = self.session_path, self.vault
        self.end_cut()
        self._set_controls(False)
        self._busy = True  # the change this makes is not news to this window
        self.status.setText(_("Cutting {a:.1f} s – {b:.1f} s out…").format(a=a, b=b))

        def done(cut: edits.Cut) -> None:
            if self._closing:  # the cut is done; with the window gone there is no undo
                self._changed()
                return
            self.undo_stack.append(cut.old)
            said = _(
                "Cut {a:.1f} s – {b:.1f} s out: it is gone from the session, which now has a new "
                "key. You can undo this until you close this window."
            ).format(a=a, b=b)
            # a waiting bundle held the uncut session: it is gone, and undo does not bring it back
            self.status.setText(" ".join(t for t in (said, dropped_words(len(cut.dropped))) if t))
            self._changed()

        self.tasks.run(
            lambda: edits.cut_session(path, vault, start_ns, end_ns, summarize=list_summary),
            done,
            self._edit_failed,
        )

    @Slot()
    def undo_cut(self) -> None:
        if not self.undo_stack:
            return
        from tallylight.review.summary import list_summary
        from tallylight.store import edit

        old = self.undo_stack.pop()
        path, vault = self.session_path, self.vault
        self._set_controls(False)
        self._busy = True
        self.status.setText(_("Putting the span back…"))

        def done(_result: Any) -> None:
            if self._closing:
                self._changed()
                return
            self.status.setText(_("The cut was undone."))
            self._changed()

        self.tasks.run(
            lambda: edit.restore_session(path, vault, old, summarize=list_summary), done, self._edit_failed
        )

    def _edit_failed(self, exc: BaseException) -> None:
        if self._closing:
            return
        self.status.setText(_("Nothing was changed: {exc}").format(exc=exc))
        self._set_controls(True)
        self._idle()

    def _changed(self) -> None:
        if self.on_changed is not None:
            self.on_changed()
        if not self._closing:
            self.load()

    # ---- export and delete -------------------------------------------------
    @Slot()
    def choose_export(self) -> None:
        """The save dialog opens in the participant's documents folder with a name that says which
        session it is, adds the format's ending, and says inside it that the file is not encrypted."""
        dlg = QFileDialog(self, _("Export this session (the file is NOT encrypted)"))
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        filters = {"CSV (*.csv)": "csv", _("JSON lines (*.jsonl)"): "jsonl"}
        dlg.setNameFilters(list(filters))
        dlg.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dlg.setDefaultSuffix("csv")
        dlg.filterSelected.connect(lambda f: dlg.setDefaultSuffix(filters.get(f, "csv")))
        dlg.setDirectory(str(save_folder()))
        dlg.selectFile(self._export_name())
        warning = QLabel(words.plaintext_export_warning())
        warning.setObjectName("notEncryptedWarning")
        warning.setWordWrap(True)
        grid = dlg.layout()
        if isinstance(grid, QGridLayout):  # Qt's own dialog: the warning under its fields
            grid.addWidget(warning, grid.rowCount(), 0, 1, grid.columnCount())
        dlg.fileSelected.connect(self.export_to)
        self.export_dialog = dlg
        dlg.open()

    def _export_name(self) -> str:
        """A file name that says which session this is: the start time (labels may hold anything)."""
        import datetime as dt

        started = getattr(self.loaded.info, "started_wall_ns", 0) if self.loaded is not None else 0
        when = dt.datetime.fromtimestamp(started / 1e9).strftime("%Y-%m-%d-%H%M") if started else ""
        return f"tallylight-session-{when or self.session_id}.csv"

    @Slot(str)
    def export_to(self, path: str) -> None:
        """Write the session in plain text (the same code as ``tallylight sessions export``)."""
        from pathlib import Path

        from tallylight.share.export import export

        fmt = "jsonl" if path.endswith(".jsonl") else "csv"
        sid, vault = self.session_id, self.vault
        self.status.setText(_("Exporting…"))
        self.tasks.run(
            lambda: export(sid, vault, Path(path), fmt, force=True),  # the dialog asked before replacing
            lambda n: self.status.setText(
                _(
                    "Wrote {n:,} events to {path}. That file is not encrypted: keep it safe and "
                    "delete it when done."
                ).format(n=n, path=path)
            ),
            lambda exc: self.status.setText(_("Nothing was exported: {exc}").format(exc=exc)),
        )

    @Slot()
    def confirm_delete(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Delete this session?"),
            self._delete_question(),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        yes = box.addButton(_("Delete for good"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(_("Keep it"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.buttonClicked.connect(lambda b: self._delete() if b is yes else None)
        self.confirm_box = box
        box.open()

    def _delete_question(self) -> str:
        """The same words as the Sessions window's Delete: which session (date, label, length)."""
        import datetime as dt

        from tallylight.ui.dialogs.sessions import DATE_FORMAT, Row, delete_question

        if self.loaded is None:
            return delete_question(Row(self.session_id, "", "", "", "", "", False))
        s = self.loaded.data.summary
        info = self.loaded.info
        started = int(getattr(info, "started_wall_ns", 0) or s.started_wall_ns or 0)
        date = dt.datetime.fromtimestamp(started / 1e9).strftime(DATE_FORMAT) if started else ""
        label = str(getattr(info, "label", "") or "")
        return delete_question(Row(self.session_id, date, label, words.clock(s.recorded_s), "", "", False))

    def _delete(self) -> None:
        from tallylight.share.edits import delete_session
        from tallylight.share.outbox import dropped_words

        sid = self.session_id
        self.undo_stack.clear()
        self._busy = True  # deleted here: the window does what it says below, not "deleted elsewhere"

        def done(dropped: list[str]) -> None:
            if self.on_changed is not None:
                self.on_changed()
            if not dropped or self._closing:
                self.close()
                return
            # A waiting bundle held the session and was dropped: say so before the window goes.
            # The window stays, emptied, until the participant closes it.
            self.loaded = None
            self._set_controls(False)
            self.delete_button.setEnabled(False)
            self.share_button.setEnabled(False)
            self.status.setText(_("The session was deleted.") + " " + dropped_words(len(dropped)))
            self.close_button.setFocus()

        def failed(exc: BaseException) -> None:
            self.status.setText(_("Not deleted: {exc}").format(exc=exc))
            self._idle()

        self.tasks.run(lambda: delete_session(sid), done, failed)

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
        self.play_button.setText(_("&Pause") if self.playing else _("&Play"))
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

    def closeEvent(self, event: Any) -> None:
        self._closing = True
        self.undo_stack.clear()  # undo is offered until the window closes, never after
        self._play_timer.stop()
        self._stage_timer.stop()
        super().closeEvent(event)
