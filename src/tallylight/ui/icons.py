"""State icons drawn with QPainter, told apart by shape as well as colour.

- idle: a hollow ring (nothing is captured)
- recording: a filled disc inside a ring (the classic "REC" dot)
- paused: two vertical bars
- error: a triangle with "!"

Each shape has a dark outline and a light fill edge so it reads on light and
dark panels and in monochrome menu bars.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from tallylight.words import AppState

STATES = ("idle", "recording", "paused", "error")

COLOURS = {
    "idle": QColor(128, 128, 128),
    "recording": QColor(220, 30, 30),
    "paused": QColor(230, 160, 0),
    "error": QColor(240, 200, 0),
}
OUTLINE = QColor(20, 20, 20)
SIZES = (16, 22, 24, 32, 48, 64, 128)


def render(state: str, size: int = 64) -> QImage:
    """The icon for ``state`` as a square ARGB image of ``size`` pixels."""
    if state not in STATES:
        state = "error"
    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    try:
        _draw(p, state, size)
    finally:
        p.end()
    return img


def _draw(p: QPainter, state: str, size: int) -> None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 64.0, size / 64.0)  # draw on a 64x64 canvas
    colour = COLOURS[state]
    outline = QPen(OUTLINE, 3.0)
    outline.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    if state == "idle":
        p.setPen(QPen(OUTLINE, 12.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QRectF(10, 10, 44, 44))
        p.setPen(QPen(colour, 7.0))
        p.drawEllipse(QRectF(10, 10, 44, 44))
    elif state == "recording":
        p.setPen(outline)
        p.setBrush(QColor(255, 255, 255))
        p.drawEllipse(QRectF(3, 3, 58, 58))
        p.setBrush(colour)
        p.drawEllipse(QRectF(12, 12, 40, 40))
    elif state == "paused":
        p.setPen(outline)
        p.setBrush(colour)
        p.drawRoundedRect(QRectF(12, 6, 14, 52), 3, 3)
        p.drawRoundedRect(QRectF(38, 6, 14, 52), 3, 3)
    elif state == "error":
        p.setPen(outline)
        p.setBrush(colour)
        p.drawPolygon(QPolygonF([QPointF(32, 4), QPointF(61, 58), QPointF(3, 58)]))
        p.setPen(QPen(OUTLINE, 7.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(32, 22), QPointF(32, 40))
        p.drawPoint(QPointF(32, 50))


def app_icon() -> QIcon:
    """The application's own icon (windows, task switcher) from resources/, SVG with PNG beside it;
    the idle light if the installation lost its files (the app must still start)."""
    from tallylight import resources
    from tallylight.errors import ResourceMissing

    try:
        icon = QIcon(str(resources.path(resources.APP_ICON_SVG)))
        icon.addFile(str(resources.path(resources.APP_ICON_PNG)))
    except ResourceMissing:
        return state_icon("idle")
    return icon


def state_icon(state: str) -> QIcon:
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(QPixmap.fromImage(render(state, size)))
    return icon


_cache: dict[str, QIcon] = {}


def shape_for(state: str) -> str:
    """The icon shape of an app state: ``starting``/``stopping`` show the recording light."""
    return "recording" if state in (AppState.STARTING, AppState.STOPPING) else str(state)


def icon_for(state: str) -> QIcon:
    """Cached icon for an app state (:class:`tallylight.words.AppState`)."""
    state = shape_for(state)
    if state not in _cache:
        _cache[state] = state_icon(state)
    return _cache[state]


def label_font(base: QFont, scale: float = 1.2) -> QFont:
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    return font


def light_pixmap(state: str, size: int = 56) -> QPixmap:
    """The big light of the status windows for an app state, drawn at 2x so it stays sharp."""
    pix = QPixmap.fromImage(render(shape_for(state), size * 2))
    pix.setDevicePixelRatio(2.0)
    return pix


def light_row(light: QWidget, title: QWidget, detail: QWidget) -> QHBoxLayout:
    """The head of a status window: the light, then the state and its details under each other."""
    head = QHBoxLayout()
    head.addWidget(light)
    texts = QVBoxLayout()
    texts.addWidget(title)
    texts.addWidget(detail)
    head.addLayout(texts, 1)
    return head
