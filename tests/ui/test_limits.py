"""Limits with the real recorder: idle timeout, maximum duration, reminders, stop on quit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tallylight import settings as settings_mod


@pytest.fixture
def fast_minutes(monkeypatch):
    """Make one settings 'minute' last 0.5 s so limits fire during a test."""
    from tallylight.ui.controller import AppController

    monkeypatch.setattr(AppController, "seconds_per_minute", 0.5)


@pytest.fixture
def real_recorder(monkeypatch, xserver):
    """The real recorder (it captures from the X server)."""
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)


def _app(make_app, **settings):
    app = make_app(use_tray=False)
    s = settings_mod.Settings(**{"reminder_every_min": 0, **settings})
    app.controller.apply_settings(s)
    return app


def test_idle_timeout_stops_and_tells(make_app, fast_minutes, real_recorder, qtbot):
    app = _app(make_app, idle_timeout_min=2, max_duration_min=0)
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=8000)
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=8000)
    assert app.controller.last_session["reason"] == "idle_timeout"
    qtbot.waitUntil(lambda: "no input" in app.window.message_label.text(), timeout=3000)  # the stop summary
    assert "Last session" in app.window.detail_label.text()


def test_max_duration_stops(make_app, fast_minutes, real_recorder, qtbot, xserver):
    app = _app(make_app, idle_timeout_min=0, max_duration_min=3)
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=8000)
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=8000)
    assert app.controller.last_session["reason"] == "duration_limit"
    assert 1.3 <= app.controller.last_session["summary"]["duration_s"] <= 3.0


def test_reminder_while_recording(make_app, fake_recorder, qtbot, monkeypatch):
    from tallylight.ui.controller import AppController

    monkeypatch.setattr(AppController, "seconds_per_minute", 0.1)  # a reminder every 0.1 s
    app = _app(make_app, reminder_every_min=1)
    notes = []
    app.controller.notify.connect(
        lambda t, m: notes.append((t, m)) if t == "Tallylight is still on" else None
    )
    app.controller.start_session()
    # waits, not speed limits: under load (two busy processes on two cores) the fake
    # recorder's Python start alone took longer than 5 s
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=20000)
    qtbot.waitUntil(lambda: len(notes) >= 2, timeout=20000)
    assert "still" in app.window.message_label.text() or "recording" in app.window.message_label.text()
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=20000)
    assert not app.controller.reminder_due  # no reminders once stopped


def test_shutdown_stops_recorder(make_app, real_recorder, qtbot):
    app = _app(make_app)
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=8000)
    pid = app.controller.recorder_pid
    app.controller.shutdown(wait_ms=3000)  # what quitting, logout and SIGTERM do
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().split(") ")[1][0] == "Z"  # gone, or a zombie
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=3000)
