"""The review window's plots, each fed plain arrays from :mod:`tallylight.review.prepare`.

pyqtgraph draws them (measured here: a 1 M-point path plus a 1 M-point timeline
first paint in about 0.2 s with ``setDownsampling(auto=True, mode="peak")``,
``setClipToView(True)`` and lines rather than scatter symbols). Time-ordered
curves use pyqtgraph's peak downsampling; the pointer path, which is not ordered
in x, is thinned off the GUI thread instead.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor

from tallylight.events import Kind
from tallylight.i18n import N_, _
from tallylight.review.prepare import Histogram, ReviewData
from tallylight.review.timeline import envelope

pg.setConfigOptions(antialias=False, background="w", foreground="k")

#: what the timeline draws: (label, Kind, colour)
TIMELINE_KINDS = (
    (N_("keys"), Kind.KEY_DOWN, "#1f77b4"),
    (N_("mouse moves"), Kind.MOVE, "#ff7f0e"),
    (N_("clicks"), Kind.BUTTON_DOWN, "#2ca02c"),
    (N_("scrolls"), Kind.SCROLL, "#9467bd"),
)
#: colours of stretches without capture, by GapReason name
STRETCH_COLOURS = {
    "paused_by_participant": (120, 120, 120, 70),
    "pause_hotkey": (120, 120, 120, 70),
    "private_app": (214, 39, 40, 50),
    "trimmed": (0, 0, 0, 110),
}


def stretch_legend(reasons: list[str]) -> str:
    """A line of rich text naming the shading of the stretches present (colour swatch + words)."""
    from tallylight.words import gap_reason_words

    seen: dict[str, str] = {}
    for reason in reasons:
        r, g, b, _alpha = STRETCH_COLOURS.get(reason, (140, 86, 75, 60))
        words = gap_reason_words(reason)
        seen.setdefault(words, f"#{r:02x}{g:02x}{b:02x}")
    return " &nbsp; ".join(
        f'<span style="background-color:{c}">&nbsp;&nbsp;&nbsp;</span> nothing captured: {w}'
        for w, c in seen.items()
    )


def _curve(plot: pg.PlotItem, x: np.ndarray, y: np.ndarray, colour: str, name: str) -> pg.PlotDataItem:
    """A step curve over bins (``x`` holds the bin edges, one more than ``y``).

    It is given at most a few points per pixel column (:func:`envelope`), not every bin:
    pyqtgraph's own downsampling breaks step curves (len(x) != len(y) + 1)."""
    item = plot.plot(x, y, stepMode="center", pen=pg.mkPen(colour, width=1), name=name, skipFiniteCheck=True)
    _cached(item)
    return item


def _cached(item: pg.PlotDataItem) -> None:
    """Keep the drawn curve as a picture: moving a cursor or a pointer over it then repaints
    a copy, not every segment again (that made scrubbing stall)."""
    item.curve.setCacheMode(pg.QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


class _Plot(pg.PlotWidget):  # type: ignore[misc]  # pyqtgraph has no type information
    """A plot that asks for little and takes the room it is given.

    The review window scrolls on small screens, and a scroll area sizes its
    content by the preferred heights of its children: pyqtgraph's large default
    preferred size made the window taller than any screen.
    """

    def sizeHint(self) -> QSize:
        return QSize(max(320, self.minimumWidth()), max(120, self.minimumHeight()))


class TimelinePlot(_Plot):
    """Events per second by kind, with the stretches without capture shaded and a cursor."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName(_("Timeline of activity"))
        self.setMinimumHeight(150)
        self.setMaximumHeight(220)  # the tabs below (replay, path, rhythm) take the rest
        p = self.getPlotItem()
        p.setLabel("bottom", _("time"), units="s")
        p.setLabel("left", _("events/s"))  # short: a long label was cut at 200 %
        # the legend in a row of its own under the plot: inside it, it covered the bars
        self.legend = pg.LegendItem(colCount=len(TIMELINE_KINDS))
        p.layout.addItem(self.legend, 4, 1)
        p.setMouseEnabled(y=False)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.stretch_items: list[pg.GraphicsObject] = []  # stretches, task bands and note lines
        self.task_labels: list[pg.InfLineLabel] = []
        self.cursor = pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#d62728", width=2))
        p.addItem(self.cursor)
        self.selection = pg.LinearRegionItem((0, 1), brush=(255, 200, 0, 80), movable=True)
        self.selection.setZValue(20)
        self.selection.hide()
        p.addItem(self.selection)
        self.edges = np.zeros(1)
        self.bins: dict[str, np.ndarray] = {}  # every bin of each kind; the curves get an envelope
        p.getViewBox().sigXRangeChanged.connect(self._detail)
        p.getViewBox().sigResized.connect(self._detail)

    def show_data(self, data: ReviewData) -> None:
        p = self.getPlotItem()
        for item in self.stretch_items:
            p.removeItem(item)
        self.stretch_items = []
        self.task_labels = []
        kinds = list(data.kinds)
        self.edges = (
            np.append(data.activity_t, data.activity_t[-1] + 1.0) if data.activity_t.size else np.zeros(1)
        )
        self.bins = {
            name: data.activity[:, kinds.index(kind)].astype(np.float64) for name, kind, _c in TIMELINE_KINDS
        }
        for name, _kind, colour in TIMELINE_KINDS:
            if name not in self.curves:
                self.curves[name] = _curve(p, np.zeros(1), np.zeros(0), colour, name)
                self.legend.addItem(self.curves[name], _(name))
        for start, end, reason in data.stretches:
            region = pg.LinearRegionItem(
                (start, max(end, start + 1e-3)),
                movable=False,
                brush=STRETCH_COLOURS.get(reason, (140, 86, 75, 60)),
                pen=pg.mkPen(None),
            )
            region.setToolTip(reason.replace("_", " "))
            region.setZValue(-10)
            p.addItem(region)
            self.stretch_items.append(region)
        for start, end, title in data.tasks:  # a study's tasks: a band with the task's title
            band = pg.LinearRegionItem(
                (start, max(end, start + 1e-3)),
                movable=False,
                brush=(31, 119, 180, 40),
                pen=pg.mkPen("#1f77b4", width=1),
            )
            band.setToolTip(_("Task: {title}").format(title=title))
            band.setZValue(-5)
            p.addItem(band)
            label = pg.InfLineLabel(
                band.lines[0], text=title, position=0.92, anchor=(0, 0.5), color="#1f77b4"
            )
            self.stretch_items.append(band)
            self.task_labels.append(label)
        for t in data.notes.tolist():
            line = pg.InfiniteLine(t, angle=90, pen=pg.mkPen("#9467bd", width=1, style=Qt.PenStyle.DashLine))
            line.setToolTip(_("Your note"))
            p.addItem(line)
            self.stretch_items.append(line)
        p.setXRange(0, max(data.duration_s, 1.0), padding=0.01)
        self._detail()

    def _detail(self, *_args: object) -> None:
        """Give each curve the level of detail of the span in view (on every zoom, pan, resize)."""
        if not self.bins:
            return
        x0, x1 = self.getPlotItem().getViewBox().viewRange()[0]
        columns = max(64, int(self.getPlotItem().getViewBox().width()))
        for name, counts in self.bins.items():
            e, y = envelope(self.edges, counts, x0, x1, columns)
            self.curves[name].setData(e, y, stepMode="center")


def frame(
    extent: tuple[int, int, int, int], desktop: tuple[int, int, int, int] | None
) -> tuple[int, int, int, int]:
    """The replay's frame: the desktop, grown to hold every position of the path."""
    if desktop is None:
        return extent
    return (
        min(extent[0], desktop[0]),
        min(extent[1], desktop[1]),
        max(extent[2], desktop[2]),
        max(extent[3], desktop[3]),
    )


class ReplayCanvas(_Plot):
    """A screen-shaped canvas: the whole path faded, the last seconds bold, the pointer and clicks."""

    TRAIL_S = 2.0

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName(_("Replay of the pointer"))
        self.setMinimumSize(320, 200)
        p = self.getPlotItem()
        p.invertY(True)
        p.setAspectLocked(True)
        p.hideAxis("left")
        p.hideAxis("bottom")
        self.path = p.plot(pen=pg.mkPen(200, 200, 200), skipFiniteCheck=True, connect="finite")
        _cached(self.path)
        self.trail = p.plot(pen=pg.mkPen("#1f77b4", width=2), skipFiniteCheck=True)
        self.clicks = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#2ca02c"), brush=pg.mkBrush(None))
        self.pointer = pg.ScatterPlotItem(size=12, pen=pg.mkPen("k"), brush=pg.mkBrush("#d62728"))
        p.addItem(self.clicks)
        p.addItem(self.pointer)
        self.screen = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
        self.screen.setPen(pg.mkPen(QColor(90, 90, 90), width=0))
        p.addItem(self.screen)
        self.data: ReviewData | None = None
        self.position: tuple[int, int] | None = None
        self.clicks_shown = 0  # clicks drawn: those before the time shown

    def show_data(self, data: ReviewData, desktop: tuple[int, int, int, int] | None = None) -> None:
        """``desktop`` (x0, y0, x1, y1 in device pixels) is the screen area the frame shows; the
        path's own extent only where it is unknown (or the path leaves it)."""
        self.data = data
        x0, y0, x1, y1 = frame(data.screen, desktop)
        self.screen.setRect(x0, y0, x1 - x0, y1 - y0)
        self.path.setData(data.path_x, data.path_y, connect="finite")
        self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)
        self.clicks.setData([], [])
        self.clicks_shown = 0
        self.seek(0.0)

    def seek(self, t: float) -> None:
        """Show the pointer where it was at session time ``t`` (seconds)."""
        d = self.data
        if d is None:
            return
        i = int(np.searchsorted(d.track_t, t, side="right"))
        if i == 0:
            self.position = None
            self.pointer.setData([], [])
            self.trail.setData([], [])
        else:
            j = int(np.searchsorted(d.track_t, t - self.TRAIL_S, side="left"))
            self.position = (int(d.track_x[i - 1]), int(d.track_y[i - 1]))
            self.pointer.setData([self.position[0]], [self.position[1]])
            self.trail.setData(d.track_x[j:i].astype(float), d.track_y[j:i].astype(float))
        # one mark per place clicked (ReviewData.marks_*): an 8-hour day has tens of thousands of clicks
        k = int(np.searchsorted(d.marks_t, t, side="right"))
        shown = self.clicks_shown
        if k > shown > 0:  # playing or scrubbing forward: add the new marks, keep the drawn ones
            self.clicks.addPoints(x=d.marks_x[shown:k].astype(float), y=d.marks_y[shown:k].astype(float))
        elif k != shown:
            self.clicks.setData(d.marks_x[:k].astype(float), d.marks_y[:k].astype(float))
        self.clicks_shown = k


class PathPlot(_Plot):
    """The whole trajectory with a click map (left clicks green, others purple)."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName(_("Pointer path and clicks"))
        p = self.getPlotItem()
        p.invertY(True)
        p.setAspectLocked(True)
        self.path = p.plot(pen=pg.mkPen(31, 119, 180, 120), skipFiniteCheck=True, connect="finite")
        _cached(self.path)
        # one item per colour: a brush per point costs a Python object per click
        self.left_clicks = pg.ScatterPlotItem(size=7, pen=None, brush=pg.mkBrush("#2ca02c"))
        self.other_clicks = pg.ScatterPlotItem(size=7, pen=None, brush=pg.mkBrush("#9467bd"))
        p.addItem(self.left_clicks)
        p.addItem(self.other_clicks)

    def show_data(self, data: ReviewData) -> None:
        self.path.setData(data.path_x, data.path_y, connect="finite")
        left = data.marks_left  # one mark per place clicked (and per colour)
        x, y = data.marks_x.astype(float), data.marks_y.astype(float)
        self.left_clicks.setData(x[left], y[left])
        self.other_clicks.setData(x[~left], y[~left])
        x0, y0, x1, y1 = data.screen
        self.getPlotItem().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)


class HistogramPlot(_Plot):
    def __init__(self, title: str, unit: str) -> None:
        super().__init__()
        self.setAccessibleName(title)
        self.getPlotItem().setTitle(title)
        self.getPlotItem().setLabel("bottom", unit)
        self.getPlotItem().setMouseEnabled(x=False, y=False)
        self.setMinimumHeight(120)
        # a filled step line: as readable as bars and far cheaper to build and draw
        self.bars = self.getPlotItem().plot(
            [0.0, 1.0], [0.0], stepMode="center", fillLevel=0, brush="#1f77b4", pen=pg.mkPen("#1f77b4")
        )
        self.unit = unit
        # the last bar also holds every longer value (they are clipped into it): said on it
        self.overflow = pg.TextItem("", color="#1f77b4", anchor=(1, 1))
        self.getPlotItem().addItem(self.overflow)
        self.overflow.hide()

    def show_histogram(self, h: Histogram) -> None:
        self.bars.setData(h.edges.astype(float), h.counts.astype(float), stepMode="center")
        last = float(h.counts[-1]) if h.counts.size else 0.0
        if last > 0:
            self.overflow.setText(
                _("{value:g} {unit} or more").format(value=float(h.edges[-2]), unit=self.unit)
            )
            self.overflow.setPos(float(h.edges[-1]), last)
            self.overflow.show()
        else:
            self.overflow.hide()
