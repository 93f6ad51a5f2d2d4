"""The pause hotkey is set by pressing it, read by the one parser, shown as "Ctrl+Alt+P"
everywhere, and an unusable one never stops a session from starting (issue 8, item 4)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest_helpers import click, read_log

from tallylight import settings as settings_mod


def _settings_dialog(qtbot, tasks, **fields):
    from tallylight.ui.dialogs.settings import SettingsDialog

    dlg = SettingsDialog(settings_mod.Settings(**fields), tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.tabs.setCurrentIndex(1)
    dlg.hotkey.edit.setFocus()
    return dlg


def _press(widget, key, *mods) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    m = Qt.KeyboardModifier.NoModifier
    for mod in mods:
        m |= mod
    QTest.keyClick(widget, key, m)


def test_pressing_the_hotkey_sets_it(make_app, qtbot, tallylight_home):
    from PySide6.QtCore import Qt

    app = make_app(use_tray=False)
    dlg = _settings_dialog(qtbot, app.tasks, pause_hotkey="")
    save = dlg.buttons.button(dlg.buttons.StandardButton.Save)
    Ctrl, Alt = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
    _press(dlg.hotkey.edit, Qt.Key.Key_F5)  # a lone F5 was accepted before and broke every session
    assert not save.isEnabled()
    assert dlg.error_label.isVisible()
    assert "modifier" in dlg.error_label.text()
    assert "<" not in dlg.error_label.text()
    _press(dlg.hotkey.edit, Qt.Key.Key_P, Ctrl, Alt)
    assert save.isEnabled()
    assert not dlg.error_label.isVisible()
    assert "Ctrl+Alt+P" in dlg.hotkey.status.text()
    with qtbot.waitSignal(dlg.saved, timeout=5000) as saved:
        click(save)
    assert saved.args[0].pause_hotkey == "<ctrl>+<alt>+p"
    assert settings_mod.load().pause_hotkey == "<ctrl>+<alt>+p"


def test_super_and_clearing(make_app, qtbot, tallylight_home):
    from PySide6.QtCore import Qt

    app = make_app(use_tray=False)
    dlg = _settings_dialog(qtbot, app.tasks)
    _press(dlg.hotkey.edit, Qt.Key.Key_P, Qt.KeyboardModifier.MetaModifier)
    assert dlg.hotkey.spec() == "<cmd>+p"
    assert "Super+P" in dlg.hotkey.status.text()
    click(dlg.hotkey.clear_button)
    assert dlg.hotkey.spec() == ""
    assert "No pause hotkey" in dlg.hotkey.status.text()
    assert dlg.buttons.button(dlg.buttons.StandardButton.Save).isEnabled()


def test_a_stored_hotkey_that_cannot_work_is_said_not_saved(make_app, qtbot, tallylight_home):
    app = make_app(use_tray=False)
    dlg = _settings_dialog(qtbot, app.tasks, pause_hotkey="<ctrl>+<alt>")
    assert not dlg.buttons.button(dlg.buttons.StandardButton.Save).isEnabled()
    assert "only modifiers" in dlg.error_label.text()


def test_human_form_in_the_start_dialog(qapp, qtbot):
    from tallylight.ui.dialogs.start_session import StartSessionDialog

    dlg = StartSessionDialog(settings_mod.Settings(pause_hotkey="<ctrl>+<alt>+p"))
    qtbot.addWidget(dlg)
    texts = " ".join(lbl.text() for lbl in dlg.findChildren(type(dlg.summary)))
    assert "Ctrl+Alt+P" in texts
    assert "<ctrl>" not in texts


@pytest.mark.parametrize("stored", ["<f5>", "<ctrl>+<alt>", "<ctrl>+<hyper>"])
def test_an_unusable_hotkey_never_stops_a_session(make_app, fake_recorder, qtbot, stored):
    app = make_app(use_tray=False)
    app.controller.apply_settings(settings_mod.Settings(pause_hotkey=stored, private_apps=[]))
    notes = []
    app.controller.notify.connect(lambda _t, m: notes.append(m))
    click(app.window.buttons["Start session…"])
    qtbot.waitUntil(lambda: "start" in app.dialogs, timeout=3000)
    click(app.dialogs["start"].start_button)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    start = next(c for c in read_log(fake_recorder) if c.get("cmd") == "start")
    assert "pause_hotkey" not in start
    assert any("cannot be used" in n for n in notes)
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)


def test_the_recorder_gets_pynput_spelling_of_a_human_hotkey(make_app, fake_recorder, qtbot):
    app = make_app(use_tray=False)
    app.controller.apply_settings(settings_mod.Settings(pause_hotkey="Ctrl+Alt+P", private_apps=[]))
    click(app.window.buttons["Start session…"])
    qtbot.waitUntil(lambda: "start" in app.dialogs, timeout=3000)
    click(app.dialogs["start"].start_button)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    start = next(c for c in read_log(fake_recorder) if c.get("cmd") == "start")
    assert start["pause_hotkey"] == "<ctrl>+<alt>+p"
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)


def test_cli_record_uses_the_same_parser():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tallylight.cli.main",
            "record",
            "--for",
            "1s",
            "--pause-hotkey",
            "<ctrl>+<alt>",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "only modifiers" in proc.stderr
    assert "Traceback" not in proc.stderr
