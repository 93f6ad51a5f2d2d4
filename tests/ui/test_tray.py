"""The tray icon in a real tray host (trayer on Xvfb): state, menu, tooltip, CLI."""

from __future__ import annotations

import pytest
from conftest_helpers import call_appctl

from xserver import trayer


@pytest.fixture
def tray_app(make_app, xserver, fake_recorder, qtbot):
    with trayer(xserver):
        from PySide6.QtWidgets import QSystemTrayIcon

        qtbot.waitUntil(QSystemTrayIcon.isSystemTrayAvailable, timeout=5000)
        app = make_app()
        yield app


def test_tray_appears_in_trayer(tray_app, qtbot, xserver):
    from conftest_helpers import tray_icon_centres

    assert tray_app.tray is not None
    assert tray_app.window is None
    qtbot.waitUntil(
        lambda: len(tray_icon_centres(xserver.display)) == 1, timeout=5000
    )  # embedded in trayer's panel
    assert tray_app.tray.icon.isVisible()


def test_menu_start_pause_stop(tray_app, qtbot, fake_recorder):
    tray = tray_app.tray
    texts = [a.text().replace("&", "") for a in tray.menu.actions() if a.text()]
    for wanted in ("Start session…", "Pause", "Stop", "Settings…", "About", "Quit"):
        assert wanted in texts
    assert all(
        a.isEnabled() or a is tray.state_item or a.text() in ("&Pause", "S&top")
        for a in tray.menu.actions()
        if a.text() and a.isVisible()  # study tasks and notes appear only while recording
    )
    assert "Not recording" in tray.icon.toolTip()

    tray_app.actions.start.trigger()
    qtbot.waitUntil(lambda: "start" in tray_app.dialogs, timeout=3000)
    dlg = tray_app.dialogs["start"]
    dlg.label.setText("menu test")
    dlg.start_button.click()
    qtbot.waitUntil(lambda: tray_app.controller.state == "recording", timeout=5000)
    assert "Recording" in tray.icon.toolTip()
    assert "Label: menu test" in tray.icon.toolTip()
    qtbot.waitUntil(
        lambda: "key presses" in tray.icon.toolTip() and not tray.icon.toolTip().count("0 key presses"),
        timeout=5000,
    )

    tray_app.actions.pause.trigger()
    qtbot.waitUntil(lambda: tray_app.controller.state == "paused", timeout=5000)
    assert tray_app.actions.pause.text() == "&Resume"
    assert "Paused" in tray.icon.toolTip()
    tray_app.actions.pause.trigger()
    qtbot.waitUntil(lambda: tray_app.controller.state == "recording", timeout=5000)
    tray_app.actions.stop.trigger()
    qtbot.waitUntil(lambda: tray_app.controller.state == "idle", timeout=5000)
    assert "Last session" in tray.icon.toolTip()


def test_cli_controls_tray(tray_app, qtbot):
    c = tray_app.controller
    reply = call_appctl(qtbot, "status")
    assert reply["state"] == "idle"
    reply = call_appctl(qtbot, "start", label="from cli")
    assert reply["state"] == "recording"
    assert c.state == "recording"
    assert "Label: from cli" in tray_app.tray.icon.toolTip()
    assert call_appctl(qtbot, "pause")["state"] == "paused"
    assert call_appctl(qtbot, "resume")["state"] == "recording"
    reply = call_appctl(qtbot, "stop")
    assert reply["state"] == "idle"
    from tallylight.errors import RecorderError

    with pytest.raises(RecorderError, match="nothing to stop"):
        call_appctl(qtbot, "stop")


def test_tray_host_going_away_shows_the_window(make_app, xserver, fake_recorder, qtbot):
    """No hidden recording: if the tray host dies mid-session, the window takes over."""
    from PySide6.QtWidgets import QSystemTrayIcon

    with trayer(xserver):
        qtbot.waitUntil(QSystemTrayIcon.isSystemTrayAvailable, timeout=5000)
        app = make_app()
        assert app.window is None
        app.controller.start_session()
        qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    qtbot.waitUntil(lambda: app.window is not None and app.window.isVisible(), timeout=5000)
    assert app.window.state_label.text() == "Recording"
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)


def test_menu_has_no_placeholders(tray_app):
    """Entries for features not built yet do not appear; none is a disabled stub."""
    tray = tray_app.tray
    # (the study's tasks and "Add note" are shown only while a session records)
    entries = [a for a in tray.menu.actions() if a.text() and a.isVisible() and a is not tray.state_item]
    texts = [a.text().replace("&", "") for a in entries]
    assert texts == [
        "Start session…",
        "Pause",
        "Stop",
        "Live view…",
        "Sessions…",
        "Share…",
        "Studies…",
        "Settings…",
        "About",
        "Quit",
    ]
    for a in entries:
        if a.text() not in ("&Pause", "S&top"):  # those wait for a session
            assert a.isEnabled(), a.text()


def test_clicking_the_icon_opens_the_menu(tray_app, qtbot, xserver):
    tray = tray_app.tray
    qtbot.waitUntil(lambda: tray.icon.geometry().isValid() and tray.icon.geometry().width() > 0, timeout=5000)
    from conftest_helpers import click_tray_icon

    x, _y = click_tray_icon(xserver, qtbot)
    qtbot.waitUntil(tray.menu.isVisible, timeout=5000)
    assert abs(tray.menu.pos().x() - x) < 300
    assert tray.menu.pos().y() < 200
    tray.menu.hide()
