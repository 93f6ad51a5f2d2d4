"""Private apps: the start dialog says before Start, once, whether they really pause capture
here; never a balloon at every session afterwards (issue 8, item 5)."""

from __future__ import annotations

import pytest
from conftest_helpers import click
from fake_wm import FakeWM

from tallylight import settings as settings_mod

pytestmark = pytest.mark.x11


def _open_start(app, qtbot):
    click(app.window.buttons["Start session…"])
    qtbot.waitUntil(lambda: "start" in app.dialogs and app.dialogs["start"].isVisible(), timeout=5000)
    dlg = app.dialogs["start"]
    return dlg, " ".join(lbl.text() for lbl in dlg.findChildren(type(dlg.summary)))


def test_no_focus_detection_is_said_in_the_dialog_not_after(make_app, fake_recorder, monkeypatch, qtbot):
    monkeypatch.setenv("FAKE_RECORDER_NOTICE", "1")  # the recorder says it too, as the real one does
    app = make_app(use_tray=False)
    app.controller.apply_settings(settings_mod.Settings(private_apps=["KeePassXC", "Signal"]))
    notes: list[str] = []
    app.controller.notify.connect(lambda t, m: notes.append(m))
    dlg, text = _open_start(app, qtbot)
    assert "cannot tell which app is in front" in text and "KeePassXC or Signal" in text
    assert "Ctrl+Alt+P" in text
    assert "pauses while these apps have focus" not in text  # no false promise
    click(dlg.start_button)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    qtbot.wait(500)
    assert not any("cannot be detected" in n for n in notes), notes  # said once, before Start
    assert not app.window.message_label.isVisible() or "detected" not in app.window.message_label.text()
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)


def test_with_focus_detection_the_dialog_promises_the_pause(make_app, fake_recorder, xserver, qtbot):
    wm = FakeWM(xserver.display)
    try:
        app = make_app(use_tray=False)
        app.controller.apply_settings(settings_mod.Settings(private_apps=["KeePassXC"]))
        _dlg, text = _open_start(app, qtbot)
        assert "pauses by itself while one of these apps is in front: KeePassXC" in text
        assert "cannot tell" not in text
    finally:
        wm.close()
