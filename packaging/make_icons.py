"""Make the app icon's PNG sizes, .ico (Windows) and .icns (macOS) from resources/icons/tallylight.svg.

Run it after editing the SVG: ``python packaging/make_icons.py``. It renders with Qt's
SVG renderer (in the venv on every OS, no system tools) and writes the .ico and .icns
containers itself: both are a small directory of PNG images.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: icns chunk types holding PNG data, by pixel size (Apple's "ic" types)
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256), ("ic09", 512))


def render(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose images are PNGs (Windows Vista and later read them)."""
    sizes = [s for s in ICO_SIZES if s in pngs]
    head = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        blob = pngs[s]
        entries += struct.pack("<BBBBHHII", s % 256, s % 256, 0, 0, 1, 32, len(blob), offset + len(blobs))
        blobs += blob
    return head + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    chunks = b"".join(kind.encode() + struct.pack(">I", 8 + len(pngs[s])) + pngs[s] for kind, s in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = ICONS / "tallylight.svg"
    pngs = {size: render(svg, size) for size in PNG_SIZES}
    (ICONS / "png").mkdir(exist_ok=True)
    for size, data in pngs.items():
        (ICONS / "png" / f"tallylight-{size}.png").write_bytes(data)
    (ICONS / "tallylight.ico").write_bytes(ico(pngs))
    (ICONS / "tallylight.icns").write_bytes(icns(pngs))
    print(f"wrote {len(pngs)} PNGs, tallylight.ico and tallylight.icns in {ICONS}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
