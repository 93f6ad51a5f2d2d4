"""The GUI drives the real recorder (python -m tallylight.recorder) over QProcess."""

from __future__ import annotations

import os

import pytest

from conftest_helpers import call_appctl

pytestmark = pytest.mark.x11


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
    qtbot.waitUntil(lambda: c.counts.get("key_down", 0) >= 5 and c.counts.get("button_down", 0) >= 1, timeout=8000)
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
