"""A keyboard-only route to everything (issue 8, item 11): launching `tallylight` again opens
a main window with the tray menu's actions and shortcuts; state changes are announced."""

from __future__ import annotations

import pytest
from conftest_helpers import call_appctl, key, on_private_bus


@pytest.fixture
def tray_app(make_app, tray_host, fake_recorder):
    return make_app()


def _menu_actions(tray):
    return [a for a in tray.menu.actions() if a.text() and a is not tray.state_item and a.isVisible()]


def test_second_launch_opens_the_main_window(tray_app, qtbot):
    from PySide6.QtCore import Qt

    app = tray_app
    assert app.main_window is None
    call_appctl(qtbot, "show")  # what a second `tallylight` sends
    win = app.main_window
    assert win is not None
    qtbot.waitUntil(lambda: win.isVisible() and win.isActiveWindow(), timeout=5000)
    assert not win.windowFlags() & Qt.WindowType.WindowStaysOnTopHint  # an ordinary window here
    in_window = {b.defaultAction() for b in win.buttons.values()}
    missing = [a.text() for a in _menu_actions(app.tray) if a not in in_window and a.menu() is None]
    assert not missing, missing
    for action in in_window:
        assert not action.shortcut().isEmpty() or action.text() in ("S&hare…", "Stu&dies…", "End task"), (
            action.text()
        )

    # keyboard only: Ctrl+R, Enter, Ctrl+P, Ctrl+P, Ctrl+S
    key(win, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "start" in app.dialogs and app.dialogs["start"].isActiveWindow(), timeout=5000)
    key(app.dialogs["start"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    key(win, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.controller.state == "paused", timeout=5000)
    key(win, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    key(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)
    assert win.state_label.accessibleName() == "Not recording"  # what a screen reader reads there

    win.close()  # closing the main window only hides it: the tray stays
    assert not win.isVisible()
    assert app.tray.icon.isVisible()


def test_tab_reaches_every_command(tray_app, qtbot):
    from PySide6.QtCore import Qt

    app = tray_app
    win = app.show_main_window()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    seen = set()
    for _ in range(40):
        key(win.focusWidget() or win, Qt.Key.Key_Tab)
        seen.add(win.focusWidget())
    wanted = {b for b in win.buttons.values() if b.isVisible() and b.isEnabled()}
    assert wanted <= seen, [b.text() for b in wanted - seen]


APP_SCRIPT = r"""
import os, sys
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

qapp = QApplication([sys.argv[0], "-platform", "xcb"])
qapp.setQuitOnLastWindowClosed(False)
from tallylight import settings
from tallylight.ui.app import TallylightApp

app = TallylightApp(qapp, use_tray=False, show_welcome=False,
                    settings=settings.Settings(private_apps=[], reminder_every_min=0))

def until(check, ms=8000):
    for _ in range(ms // 20):
        if check():
            return
        QTest.qWait(20)  # the poll's interval
    raise SystemExit("timed out")

def heard(text):  # what the stand-in registry printed
    with open(os.environ["HEARD"]) as f:
        return text in f.read()

click = lambda w: QTest.mouseClick(w, Qt.MouseButton.LeftButton)
# the bridge is connected and knows a screen reader listens once a name change reaches the
# registry (changes made before that are not sent: so one each poll)
label = app.window.state_label
name = label.accessibleName()
probes = iter(range(1_000_000))
def bridge_ready():
    label.setAccessibleName(f"bridge ready? {next(probes)}")
    return heard('"bridge ready?')
until(bridge_ready)
label.setAccessibleName(name)
click(app.window.buttons["Start session…"])
until(lambda: "start" in app.dialogs and app.dialogs["start"].isVisible())
click(app.dialogs["start"].start_button)
until(lambda: app.controller.state == "recording")
until(lambda: heard('"Recording"'))
click(app.window.buttons["Pause"])
until(lambda: app.controller.state == "paused")
until(lambda: heard('"Paused (not recording)"'))
app.dispose()
"""


def test_a_screen_reader_hears_recording_and_paused(xserver, fake_recorder, vault_ready, tmp_path):
    """Real AT-SPI: Qt's bridge on a private session bus, heard by a stand-in registry."""
    proc = on_private_bus(
        xserver, "fake_atspi.py", APP_SCRIPT, tmp_path, QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1"
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    names = [
        line.split(" ", 2)[2]
        for line in proc.stdout.splitlines()
        if line.startswith("EVENT PropertyChange") and '"accessible-name"' in line
    ]
    said = [n for n in names if '"Recording"' in n or '"Paused (not recording)"' in n]
    assert said, names
    assert '"Recording"' in said[0], names
    assert any('"Paused (not recording)"' in n for n in said), names
