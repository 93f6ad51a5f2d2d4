"""No tray host: the always-on-top window appears and recording still works."""

from __future__ import annotations

import time

import pytest
from conftest_helpers import call_appctl

from xserver import attack_window


@pytest.fixture
def window_app(make_app, xserver, fake_recorder, qtbot):
    from PySide6.QtWidgets import QSystemTrayIcon

    qtbot.waitUntil(lambda: not QSystemTrayIcon.isSystemTrayAvailable(), timeout=5000)
    app = make_app()
    assert app.tray is None
    assert app.window is not None
    qtbot.waitExposed(app.window)
    return app


def test_fallback_window_records(window_app, qtbot):
    from PySide6.QtCore import Qt

    win = window_app.window
    assert win.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert win.state_label.text() == "Not recording"
    names = {b.accessibleName() for b in win.buttons.values()}
    assert {"Start session", "Pause", "Stop", "Settings", "About", "Quit"} <= names

    win.buttons["Start session…"].click()
    qtbot.waitUntil(lambda: "start" in window_app.dialogs, timeout=3000)
    dlg = window_app.dialogs["start"]
    dlg.start_button.click()
    qtbot.waitUntil(lambda: window_app.controller.state == "recording", timeout=5000)
    assert win.state_label.text() == "Recording"
    qtbot.waitUntil(lambda: "Recorded: 0:00:0" in win.detail_label.text(), timeout=3000)
    win.buttons["Pause"].click()
    qtbot.waitUntil(lambda: win.state_label.text().startswith("Paused"), timeout=5000)
    assert call_appctl(qtbot, "stop")["state"] == "idle"
    assert win.state_label.text() == "Not recording"
    assert win.isVisible()


def test_window_cannot_be_minimised_while_recording(window_app, qtbot):
    win = window_app.window
    assert call_appctl(qtbot, "start")["state"] == "recording"
    win.showMinimized()
    qtbot.waitUntil(lambda: not win.isMinimized(), timeout=3000)
    call_appctl(qtbot, "stop")


def test_keyboard_only_start(window_app, qtbot):
    """Every action is reachable by keyboard: Ctrl+R opens the start dialog, Enter starts."""
    from PySide6.QtCore import Qt

    win = window_app.window
    win.activateWindow()
    qtbot.waitUntil(lambda: win.isActiveWindow(), timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "start" in window_app.dialogs, timeout=3000)
    dlg = window_app.dialogs["start"]
    qtbot.waitExposed(dlg)
    qtbot.keyClick(dlg, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window_app.controller.state == "recording", timeout=5000)
    win.activateWindow()
    qtbot.waitUntil(lambda: win.isActiveWindow(), timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window_app.controller.state == "idle", timeout=5000)


@pytest.mark.parametrize("attack", ["unmap", "move-off-screen", "destroy"])
def test_hiding_the_fallback_window_stops_recording_within_a_second(window_app, qtbot, xserver, attack):
    """The same watch as `tallylight record`'s window: no indicator on screen, no recording.

    The window is attacked from a second X client in this process (what xdotool's windowunmap,
    windowmove and windowclose send), so starting a program is not timed; and the stop is the
    moment the controller leaves "recording" (its own signal), not when a poll noticed it."""
    from Xlib import display as xdisplay

    win = window_app.window
    assert call_appctl(qtbot, "start")["state"] == "recording"
    qtbot.waitUntil(lambda: win.watch.watching, timeout=3000)  # past the grace after it came forward
    stopped_at: list[float] = []

    def changed() -> None:
        if window_app.controller.state != "recording" and not stopped_at:
            stopped_at.append(time.monotonic())

    window_app.controller.changed.connect(changed)
    other = xdisplay.Display(xserver.display)  # another client, as xdotool is
    try:
        t0 = time.monotonic()
        attack_window(other, int(win.winId()), attack, off_screen=7000)  # the GUI thread waits for no reply
        qtbot.waitUntil(lambda: bool(stopped_at), timeout=10_000)
    finally:
        window_app.controller.changed.disconnect(changed)
        other.close()
    took = stopped_at[0] - t0
    print(f"{attack}: recording stopped {took * 1000:.0f} ms after the window was attacked")
    assert took < 1.0, f"recording went on {took:.2f} s with the window {attack}"
    qtbot.waitUntil(lambda: window_app.controller.state == "idle", timeout=5000)
    assert window_app.controller.last_session["reason"] in ("indicator_hidden", "participant")
    qtbot.waitUntil(lambda: win.isVisible() and win.windowHandle().isExposed(), timeout=5000)


def test_the_stop_notice_says_recording_stopped_once(window_app, qtbot):
    win = window_app.window
    win.buttons["Start session…"].click()
    qtbot.waitUntil(lambda: "start" in window_app.dialogs, timeout=3000)
    window_app.dialogs["start"].start_button.click()
    qtbot.waitUntil(lambda: window_app.controller.state == "recording", timeout=5000)
    assert call_appctl(qtbot, "stop")["state"] == "idle"
    qtbot.waitUntil(lambda: win.message_label.isVisible(), timeout=3000)
    text = win.message_label.text()
    assert text.count("Recording stopped") == 1, text
    assert text.startswith("<b>Recording stopped</b>: 0:00:0"), text
