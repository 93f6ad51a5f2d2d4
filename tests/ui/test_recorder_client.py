"""The QProcess client against misbehaving recorders (tests/ui/fake_recorder.py)."""

from __future__ import annotations

import time

from conftest_helpers import read_log

from tallylight.options import CaptureOptions, KeyMode


def test_start_command_carries_settings(make_app, fake_recorder, qtbot):
    from tallylight import settings as settings_mod

    app = make_app(use_tray=False)
    app.controller.apply_settings(
        settings_mod.Settings(
            private_apps=["KeePassXC"], pause_hotkey="<ctrl>+<alt>+p", max_duration_min=2, idle_timeout_min=1
        )
    )
    asked = CaptureOptions(keys=KeyMode.NONE, scrolls=False)
    app.controller.start_session(label="L", options=asked)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    start = next(m for m in read_log(fake_recorder) if m.get("cmd") == "start")
    assert start["options"] == asked.to_dict()
    assert start["options"]["keys"] == "none"
    assert start["options"]["scrolls"] is False
    assert start["label"] == "L"
    assert start["pause_hotkey"] == "<ctrl>+<alt>+p"
    assert start["private_apps"] == ["KeePassXC"]
    assert start["max_duration_s"] == 120
    assert start["idle_timeout_s"] == 60
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)
    assert read_log(fake_recorder)[-1].get("cmd") == "stop"


def test_hung_recorder_is_stopped_by_closing_its_stdin(make_app, fake_recorder, monkeypatch, qtbot):
    from tallylight.ui.controller import AppController

    monkeypatch.setenv("FAKE_RECORDER_IGNORE_STOP", "1")
    monkeypatch.setattr(AppController, "stop_grace_ms", 300)  # 3 s in the app
    app = make_app(use_tray=False)
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    t0 = time.monotonic()
    app.controller.stop()
    assert app.controller.state == "stopping"
    assert app.window.state_label.text() == "Stopping…"
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=8000)
    assert time.monotonic() - t0 >= 0.3  # its stdin was closed once the grace was over, not before
    assert {"exit": "eof"} in read_log(fake_recorder)  # and that is what ended it


def test_recorder_crash_shows_error(make_app, fake_recorder, monkeypatch, qtbot):
    monkeypatch.setenv("FAKE_RECORDER_CRASH", "1")
    app = make_app(use_tray=False)
    notes = []
    app.controller.notify.connect(lambda _t, m: notes.append(m))
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    qtbot.waitUntil(lambda: app.controller.state == "error", timeout=5000)
    assert "ended unexpectedly" in app.controller.error_message
    assert any("ended unexpectedly" in n for n in notes)
    assert app.actions.start.isEnabled()


def test_fatal_start_error(make_app, fake_recorder, monkeypatch, qtbot):
    monkeypatch.setenv("FAKE_RECORDER_FAIL", "Global input capture is not possible here.")
    app = make_app(use_tray=False)
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "error", timeout=5000)
    assert app.controller.error_message == "Global input capture is not possible here."
    assert "Global input capture" in app.window.detail_label.text()


def test_missing_recorder_program(make_app, monkeypatch, qtbot):
    monkeypatch.setenv("TALLYLIGHT_RECORDER_CMD", '["/nonexistent/recorder"]')
    app = make_app(use_tray=False)
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "error", timeout=5000)
    assert "could not be started" in app.controller.error_message


def test_refused_start_is_an_error_but_a_notice_is_not(make_app, fake_recorder, monkeypatch, qtbot):
    monkeypatch.setenv("FAKE_RECORDER_NOTICE", "1")
    app = make_app(use_tray=False)
    notes = []
    app.controller.notify.connect(lambda _t, m: notes.append(m))
    app.controller.start_session()  # default settings list private apps: the fake sends a notice
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    assert any("Private apps cannot be detected" in n for n in notes)
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)
    monkeypatch.setenv("FAKE_RECORDER_REFUSE", "No key vault exists yet.")
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "error", timeout=5000)
    assert app.controller.error_message == "No key vault exists yet."
    assert {"exit": "eof"} in read_log(fake_recorder)


def test_recorder_killed_says_why_what_was_kept_and_starts_again_in_one_click(
    make_app, fake_recorder, monkeypatch, qtbot, tallylight_home
):
    """issue 21 major 1 and issue 17 item 12: the cause and the log are named, the kept session is
    described, and Start again (a real click) starts the same session again."""
    import os
    import stat

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from tallylight.recorder import exitlog

    monkeypatch.setenv("FAKE_RECORDER_CRASH", "kill")
    app = make_app(use_tray=False)
    app.controller.start_session(label="walk 1")
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    qtbot.waitUntil(lambda: "recorder_lost" in app.dialogs, timeout=5000)
    dlg = app.dialogs["recorder_lost"]
    qtbot.waitUntil(dlg.isVisible, timeout=5000)
    text = dlg.text.text()
    assert "ended by the signal SIGKILL" in text
    assert "kept in the session “walk 1”" in text
    assert "marked as recovered" in text
    log = exitlog.log_path()
    assert str(log) in text
    assert log.parent == tallylight_home / "state"
    qtbot.waitUntil(log.exists, timeout=5000)
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    logged = log.read_text()
    assert "SIGKILL" in logged
    assert "RuntimeError: the value '…' went wrong" in logged
    assert "typed secret" not in logged
    assert app.controller.state == "error"
    QTest.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    starts = [m for m in read_log(fake_recorder) if m.get("cmd") == "start"]
    assert len(starts) == 2
    assert starts[1]["label"] == "walk 1"
    assert not dlg.isVisible()
    monkeypatch.delenv("FAKE_RECORDER_CRASH")
