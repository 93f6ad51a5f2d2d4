"""Issue 7 item 6: a session started through the control socket is announced like one from the menu.

The light turns on and a notification says who started it (the command line,
from the kernel's peer credentials, not from the request) and what is captured.
"""

from __future__ import annotations

import subprocess
import sys


def test_cli_start_shows_the_light_and_says_who_and_what(
    make_app, xserver, fake_recorder, qtbot, tallylight_home
):
    from PySide6.QtWidgets import QSystemTrayIcon

    qtbot.waitUntil(lambda: not QSystemTrayIcon.isSystemTrayAvailable(), timeout=5000)
    app = make_app()
    notices: list[tuple[str, str]] = []
    app.controller.notify.connect(lambda title, text: notices.append((title, text)))
    cli = subprocess.Popen(
        [sys.executable, "-m", "tallylight.cli.main", "start"],
        env=xserver.env(TALLYLIGHT_LABEL="from a script"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    qtbot.waitUntil(lambda: cli.poll() is not None, timeout=30000)
    _out, err = cli.communicate()
    assert cli.returncode == 0, err
    assert app.controller.state == "recording"
    assert app.window is not None
    assert app.window.state_label.text() == "Recording"
    started = [text for title, text in notices if title == "Recording started from the command line"]
    assert len(started) == 1, notices
    assert f"Started by tallylight start (process {cli.pid})" in started[0]
    assert app.controller.label == "from a script"  # from the environment, not the command line
    assert "Capturing: kind of key only (never which letter), mouse moves, clicks, scrolls." in started[0]
    assert "Recording started from the command line" in app.window.message_label.text()
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)


def test_menu_start_names_no_program(make_app, xserver, fake_recorder, qtbot):
    app = make_app()
    notices: list[tuple[str, str]] = []
    app.controller.notify.connect(lambda title, text: notices.append((title, text)))
    app.controller.start_session("menu")
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    assert not [n for n in notices if "command line" in n[0]]
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)
