"""Private apps: nothing is captured while one has focus; the gap never names it."""

from __future__ import annotations

import pytest
from conftest_helpers import PASSPHRASE
from fake_wm import FakeWM


@pytest.fixture
def wm(xserver):
    w = FakeWM(xserver.display)
    yield w
    w.close()


def test_settings_say_focus_is_known_with_an_ewmh_wm(wm, qapp, qtbot):
    from tallylight.capture.focus import focus_support

    ok, text = focus_support()
    assert ok
    assert "can tell" in text


def test_nothing_captured_while_private_app_focused(make_app, wm, xserver, monkeypatch, qtbot):
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    from tallylight import settings as settings_mod
    from tallylight.events import GapReason, Kind, Marker
    from tallylight.store import sessions as store
    from tallylight.store import vault

    editor = wm.window("xterm", "XTerm")
    secret = wm.window("keepassxc", "KeePassXC")
    wm.focus(editor)
    app = make_app(use_tray=False)
    app.controller.apply_settings(settings_mod.Settings(private_apps=["KeePassXC"], reminder_every_min=0))
    c = app.controller
    c.start_session(label="private")
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    xserver.xdotool("type", "--delay", "5", "ab")
    qtbot.waitUntil(lambda: c.counts.get("key_up", 0) >= 2, timeout=8000)
    wm.focus(secret)
    qtbot.waitUntil(lambda: c.private, timeout=8000)  # the recorder says so in its stats
    xserver.xdotool("type", "--delay", "5", "hunter2")  # returns once the X server has the keys
    wm.focus(editor)
    qtbot.waitUntil(lambda: not c.private, timeout=8000)
    xserver.xdotool("type", "--delay", "5", "cd")
    qtbot.waitUntil(lambda: c.counts.get("key_up", 0) >= 4, timeout=8000)
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)
    sid = c.last_session["session_id"]
    events = list(store.iter_events(sid, vault.unlock(PASSPHRASE)))
    downs = [e for e in events if e.kind == Kind.KEY_DOWN]
    assert len(downs) == 4, downs  # "ab" + "cd"; nothing of "hunter2"
    gaps = [e for e in events if e.kind == Kind.MARKER and e.marker == Marker.GAP]
    assert any(g.reason == GapReason.PRIVATE_APP for g in gaps)
    assert not any("keepass" in (e.text or "").lower() for e in events)
