"""The GUI drives the real recorder (python -m tallylight.recorder) over QProcess."""

from __future__ import annotations

import os

import pytest
from conftest_helpers import call_appctl


@pytest.fixture
def memory_sink(monkeypatch):
    monkeypatch.setenv("TALLYLIGHT_SINK", "memory")
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)


def test_real_recorder_counts_injected_input(make_app, memory_sink, xserver, qtbot):
    app = make_app(use_tray=False)
    c = app.controller
    assert call_appctl(qtbot, "start", label="real")["state"] == "recording"
    pid = c.recorder_pid
    assert pid > 0
    xserver.xdotool("type", "--delay", "5", "hello")
    xserver.xdotool("mousemove", "100", "100", "mousemove", "200", "220", "click", "1")
    qtbot.waitUntil(
        lambda: c.counts.get("key_down", 0) >= 5 and c.counts.get("button_down", 0) >= 1, timeout=8000
    )
    reply = call_appctl(qtbot, "stop")
    assert reply["state"] == "idle"
    summary = reply["last_session"]["summary"]
    assert summary["counts"]["key_down"] == 5
    assert reply["last_session"]["reason"] == "participant"
    qtbot.waitUntil(lambda: not os.path.exists(f"/proc/{pid}") or _zombie(pid), timeout=3000)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_cli_start_without_passphrase_opens_welcome(make_app, memory_sink, qtbot, tallylight_home):
    from tallylight.errors import RecorderError

    (tallylight_home / "data" / "vault.json").unlink()
    app = make_app(use_tray=False)
    with pytest.raises(RecorderError, match="No passphrase is set up yet"):
        call_appctl(qtbot, "start")
    assert "welcome" in app.dialogs
    assert app.controller.state == "idle"


def test_refused_start_shows_error_state(make_app, monkeypatch, qtbot, tallylight_home, xserver):
    """The recorder refuses (here: the vault vanished after the check): the light shows an error."""

    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    monkeypatch.delenv("TALLYLIGHT_SINK", raising=False)
    app = make_app(use_tray=False)
    (tallylight_home / "data" / "vault.json").unlink()
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "error", timeout=8000)
    assert "vault" in app.controller.error_message
    assert app.window.state_label.text() == "Error"
    assert app.actions.start.isEnabled()
