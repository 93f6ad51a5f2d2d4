"""The live view during a real session driven by injected input: plain words, counters, rate, coalescing."""

from __future__ import annotations

import time

from conftest_helpers import screenshot_dir


def test_live_view_shows_the_recorders_preview(make_app, monkeypatch, qtbot, xserver):
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    from conftest_helpers import click

    app = make_app(use_tray=False)
    c = app.controller
    click(app.window.buttons["Live view…"])
    view = app.dialogs["live"]
    qtbot.waitExposed(view)
    assert "Nothing is being recorded" in view.events.toPlainText()

    c.start_session(label="live")
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    t0 = time.monotonic()
    for i in range(60):
        xserver.xdotool("mousemove", str(900 + i), "600")
    qtbot.waitUntil(lambda: "mouse moved to (959, 600)" in view.events.toPlainText(), timeout=8000)
    xserver.xdotool("type", "--delay", "30", "ab")
    qtbot.waitUntil(lambda: view.events.toPlainText().count("key released: letter") == 2, timeout=8000)
    text = view.events.toPlainText()
    assert "key pressed: letter" in text
    assert "key released: letter" in text
    assert "'a'" not in text
    assert "'b'" not in text
    qtbot.waitUntil(lambda: "2 key presses" in view.counts_label.text(), timeout=5000)
    assert "mouse move" in view.counts_label.text()
    assert "events per second" in view.rate_label.text()
    elapsed = time.monotonic() - t0
    assert view.updates <= elapsed / 0.25 + 3  # coalesced: a few redraws a second at most

    view.grab().save(str(screenshot_dir() / "live-view.png"))
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)
