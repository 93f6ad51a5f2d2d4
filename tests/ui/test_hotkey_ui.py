"""The pause hotkey (handled in the recorder) turns the light to paused and back."""

from __future__ import annotations

from conftest_helpers import PASSPHRASE


def test_hotkey_pauses_and_resumes_the_light(make_app, monkeypatch, qtbot, xserver):
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    from tallylight import settings as settings_mod
    from tallylight.events import Kind
    from tallylight.store import sessions as store
    from tallylight.store import vault

    app = make_app(use_tray=False)
    app.controller.apply_settings(
        settings_mod.Settings(pause_hotkey="<ctrl>+<alt>+p", private_apps=[], reminder_every_min=0)
    )
    c = app.controller
    notes = []
    c.notify.connect(lambda _t, m: notes.append(m))
    c.start_session()
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    xserver.xdotool("type", "--delay", "5", "ab")
    qtbot.waitUntil(lambda: c.counts.get("key_up", 0) >= 2, timeout=8000)
    xserver.xdotool("key", "ctrl+alt+p")
    qtbot.waitUntil(lambda: c.state == "paused", timeout=5000)
    assert app.window.state_label.text().startswith("Paused")
    assert any("paused by Ctrl+Alt+P" in n for n in notes)  # the human form, never <ctrl>
    xserver.xdotool("type", "--delay", "5", "zz")  # paused: not recorded
    xserver.xdotool("key", "ctrl+alt+p")
    qtbot.waitUntil(lambda: c.state == "recording", timeout=5000)
    xserver.xdotool("type", "--delay", "5", "c")
    qtbot.waitUntil(lambda: c.counts.get("key_up", 0) >= 3, timeout=8000)
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)
    events = list(store.iter_events(c.last_session["session_id"], vault.unlock(PASSPHRASE)))
    assert sum(1 for e in events if e.kind == Kind.KEY_DOWN) == 3  # a, b, c: not the hotkey, not "zz"
