"""Screenshots of every window, written by every test run under build/screenshots
(``conftest_helpers.screenshot_dir``); ``make screenshots`` copies the ones the README
shows into docs/screenshots/.

Also checks that the windows stay readable at 200% scaling (QT_SCALE_FACTOR=2):
they fit on a 1280x1024 screen without being squeezed below their minimum size.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_helpers import screenshot_dir

from xserver import trayer


@pytest.fixture
def fixed_numbers(fake_recorder, monkeypatch, qapp):
    """Same pictures on every run: fixed counts, no blinking text cursor."""
    monkeypatch.setenv("FAKE_RECORDER_FIXED", "1")
    hints = qapp.styleHints()
    flash = hints.cursorFlashTime()
    hints.setCursorFlashTime(0)
    yield
    hints.setCursorFlashTime(flash)


@pytest.fixture(scope="module")
def out_dir() -> Path:
    return screenshot_dir()


def _save(widget_or_pixmap, name: str, out_dir: Path) -> Path:
    from PySide6.QtWidgets import QWidget

    layout = widget_or_pixmap.layout() if isinstance(widget_or_pixmap, QWidget) else None
    if layout is not None:
        # apply a pending resize now (the window grows with its text a moment after it changes)
        layout.activate()
        assert widget_or_pixmap.width() >= widget_or_pixmap.minimumSizeHint().width(), name
    pix = widget_or_pixmap.grab() if isinstance(widget_or_pixmap, QWidget) else widget_or_pixmap
    path = out_dir / name
    assert pix.save(str(path), "PNG"), path
    assert path.stat().st_size > 500
    return path


def _grab_screen(qapp, x: int, y: int, w: int, h: int):
    screen = qapp.primaryScreen()
    return screen.grabWindow(0, x, y, w, h)


def test_tray_screenshots(make_app, xserver, fixed_numbers, qtbot, qapp, out_dir):
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QSystemTrayIcon, QToolTip

    with trayer(xserver):
        qtbot.waitUntil(QSystemTrayIcon.isSystemTrayAvailable, timeout=5000)
        app = make_app()
        tray = app.tray
        qtbot.waitUntil(
            lambda: tray.icon.geometry().isValid() and tray.icon.geometry().width() > 0, timeout=5000
        )
        sw = qapp.primaryScreen().geometry().width()

        def shot(name: str) -> None:
            """The tray strip as the X server shows it, with the icon's tooltip under it."""
            from PySide6.QtGui import QColor, QPainter, QPixmap

            geo = tray.icon.geometry()
            QToolTip.showText(QPoint(geo.left(), geo.bottom() + 4), tray.tooltip())
            qtbot.waitUntil(QToolTip.isVisible, timeout=3000)
            qtbot.wait(150)  # let the tooltip paint
            tips = [
                w
                for w in qapp.topLevelWidgets()
                if w.metaObject().className() == "QTipLabel" and w.isVisible()
            ]
            strip = _grab_screen(qapp, sw - 200, 0, 200, 32)
            tip = tips[0].grab() if tips else None
            width = max(strip.width(), tip.width() if tip else 0) + 24
            height = strip.height() + (tip.height() if tip else 0) + 30
            canvas = QPixmap(width, height)
            canvas.fill(QColor(235, 235, 235))
            p = QPainter(canvas)
            p.drawPixmap(width - strip.width() - 12, 10, strip)
            if tip:
                p.drawPixmap(width - tip.width() - 12, 10 + strip.height() + 8, tip)
            p.end()
            _save(canvas, name, out_dir)
            QToolTip.hideText()

        qtbot.wait(200)  # deliberate: time for the compositor to paint before the grab
        shot("tray-idle.png")
        app.controller.start_session(label="typing task")
        qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
        qtbot.waitUntil(lambda: app.controller.counts.get("key_down", 0) >= 2, timeout=5000)
        qtbot.wait(200)  # deliberate: time for the compositor to paint before the grab
        shot("tray-recording.png")
        tray.menu.popup(QPoint(sw - 260, 34))
        qtbot.waitExposed(tray.menu)
        qtbot.wait(100)  # deliberate: time for the menu to paint before the grab
        _save(tray.menu, "tray-menu.png", out_dir)
        tray.menu.hide()
        app.controller.stop()
        qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)


def test_dialog_and_window_screenshots(make_app, xserver, fixed_numbers, qtbot, out_dir, tallylight_home):
    from tallylight import settings as settings_mod
    from tallylight.ui.dialogs.settings import SettingsDialog
    from tallylight.ui.dialogs.start_session import StartSessionDialog
    from tallylight.ui.dialogs.welcome import WelcomeDialog

    app = make_app(use_tray=False)
    win = app.window
    qtbot.waitExposed(win)
    _save(win, "fallback-window-idle.png", out_dir)
    app.controller.start_session(label="typing task")
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    qtbot.waitUntil(lambda: app.controller.counts.get("key_down", 0) >= 2, timeout=5000)
    _save(win, "fallback-window-recording.png", out_dir)
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)

    start = StartSessionDialog(settings_mod.Settings())
    qtbot.addWidget(start)
    start.show()
    qtbot.waitExposed(start)
    _save(start, "start-dialog.png", out_dir)

    (tallylight_home / "data" / "vault.json").unlink()  # a first run: no passphrase yet
    welcome = WelcomeDialog(app.tasks)
    qtbot.addWidget(welcome)
    welcome.show()
    qtbot.waitExposed(welcome)
    welcome.adjustSize()
    _save(welcome, "welcome.png", out_dir)
    welcome.next_button.click()
    welcome.passphrase.setText("maple orbit candle river tundra")
    welcome.confirm.setText("maple orbit candle river tundra")
    assert welcome.pass_form.isVisible()
    qtbot.waitUntil(lambda: "Looking" not in welcome.keychain_note.text(), timeout=5000)
    _save(welcome, "welcome-passphrase.png", out_dir)

    settings_dlg = SettingsDialog(settings_mod.Settings(), app.tasks)
    qtbot.addWidget(settings_dlg)
    settings_dlg.show()
    qtbot.waitExposed(settings_dlg)
    qtbot.waitUntil(lambda: "Checking" not in settings_dlg.focus_note.text(), timeout=5000)
    _save(settings_dlg, "settings.png", out_dir)


SCALE_SCRIPT = r"""
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication([sys.argv[0], "-platform", "xcb"])
from tallylight import settings as settings_mod
from tallylight.ui.controller import AppController
from tallylight.ui.actions import AppActions
from tallylight.ui.fallback_window import FallbackWindow
from tallylight.ui.dialogs.start_session import StartSessionDialog
from tallylight.ui.dialogs.settings import SettingsDialog
from tallylight.ui.dialogs.welcome import WelcomeDialog
from tallylight.ui.dialogs.sessions import SessionsDialog
from tallylight.ui.tasks import TaskRunner

s = settings_mod.Settings()
tasks = TaskRunner()
c = AppController(s)
widgets = {
    "fallback": FallbackWindow(c, AppActions(c)),
    "start": StartSessionDialog(s),
    "settings": SettingsDialog(s, tasks),
    "welcome": WelcomeDialog(tasks),
    "sessions": SessionsDialog(tasks),
}
avail = app.primaryScreen().availableGeometry()
report = {"dpr": app.primaryScreen().devicePixelRatio(), "screen": [avail.width(), avail.height()]}
for name, w in widgets.items():
    w.show()
    app.processEvents()
    hint = w.sizeHint().expandedTo(w.minimumSizeHint())
    report[name] = {"hint": [hint.width(), hint.height()], "size": [w.width(), w.height()],
                    "fits": hint.width() <= avail.width() and hint.height() <= avail.height()}
widgets["start"].grab().save(sys.argv[1] + "/start-dialog-200pct.png", "PNG")
widgets["fallback"].grab().save(sys.argv[1] + "/fallback-window-200pct.png", "PNG")
print(json.dumps(report))
"""


def test_readable_at_200_percent(xserver, out_dir, tmp_path):
    env = xserver.env(QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR="2")
    proc = subprocess.run(
        [sys.executable, "-c", SCALE_SCRIPT, str(out_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["dpr"] == 2
    for name in ("fallback", "start", "settings", "welcome", "sessions"):
        assert report[name]["fits"], (name, report[name], report["screen"])
