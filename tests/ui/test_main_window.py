"""A keyboard-only route to everything (issue 8, item 11): launching `tallylight` again opens
a main window with the tray menu's actions and shortcuts; state changes are announced."""

from __future__ import annotations

import pytest
from conftest_helpers import call_appctl, key

pytestmark = pytest.mark.x11


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
        assert not action.shortcut().isEmpty() or action.text() in ("Share…", "Studies…", "End task"), (
            action.text()
        )

    # keyboard only: Ctrl+R, Enter, Ctrl+P, Ctrl+P, Ctrl+S; each change is announced
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
    said = win.announced
    assert said[-4:] == ["Recording", "Paused (not recording)", "Recording", "Not recording"] or (
        "Paused (not recording)" in said and said[-1] == "Not recording"
    ), said
    assert win.state_label.accessibleName() == "Not recording"  # what a screen reader reads there

    win.close()  # closing the main window only hides it: the tray stays
    assert not win.isVisible() and app.tray.icon.isVisible()


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
