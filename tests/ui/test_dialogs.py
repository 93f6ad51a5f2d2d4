"""Dialogs: start (narrow only), settings (persist, private apps), welcome (passphrase), icons."""

from __future__ import annotations

from conftest_helpers import PASSPHRASE, click, settle

from tallylight import settings as settings_mod
from tallylight.options import CaptureOptions, KeyMode


def test_icons_differ_by_shape(qapp):
    from PySide6.QtGui import QImage

    from tallylight.ui import icons

    masks = {}
    for state in icons.STATES:
        img = icons.render(state, 32).convertToFormat(QImage.Format.Format_ARGB32)
        # the shape alone: which pixels are opaque, and how dark they are in greyscale
        masks[state] = tuple(
            (img.pixelColor(x, y).alpha() > 128, qgray(img.pixelColor(x, y)) // 64)
            for y in range(32)
            for x in range(32)
        )
    states = list(masks)
    for i, a in enumerate(states):
        for b in states[i + 1 :]:
            diff = sum(1 for p, q in zip(masks[a], masks[b], strict=True) if p != q)
            assert diff > 60, (a, b, diff)


def qgray(c) -> int:
    return (c.red() * 11 + c.green() * 16 + c.blue() * 5) // 32


def test_start_dialog_only_narrows(qapp, qtbot):
    from tallylight.ui.dialogs.start_session import StartSessionDialog

    s = settings_mod.Settings(capture=CaptureOptions(keys="class", mouse_moves=False))
    dlg = StartSessionDialog(s)
    qtbot.addWidget(dlg)
    modes = [dlg.keys.itemData(i) for i in range(dlg.keys.count())]
    assert modes == ["none", "class"]  # never wider than the defaults
    assert not dlg.moves.isEnabled()
    assert not dlg.moves.isChecked()
    dlg.moves.setChecked(True)  # even if forced, narrow() keeps it off
    dlg.clicks.setChecked(False)
    opts = dlg.options()
    assert opts == CaptureOptions(keys=KeyMode.CLASS, mouse_moves=False, clicks=False, scrolls=True)
    text = dlg.summary.text()
    assert "never which letter" in text
    assert "Mouse movement: not recorded" in text
    assert "Mouse clicks: not recorded" in text
    assert "Scrolling: how far and where" in text
    for w in (dlg.keys, dlg.moves, dlg.clicks, dlg.scrolls, dlg.label, dlg.start_button):
        assert w.accessibleName()


def test_settings_dialog_saves_atomically(qapp, qtbot, tallylight_home, xserver):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from tallylight.ui.dialogs.settings import SettingsDialog
    from tallylight.ui.tasks import TaskRunner

    tasks = TaskRunner()
    dlg = SettingsDialog(settings_mod.Settings(), tasks)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(
        lambda: "focus" in dlg.focus_note.text() and "Checking" not in dlg.focus_note.text(), timeout=5000
    )
    # Xvfb has no window manager: focus cannot be known, and the dialog says so
    assert "cannot" in dlg.focus_note.text()
    dlg.keys.setCurrentIndex(dlg.keys.findData("none"))
    dlg.reminder.setValue(7)
    dlg.new_app.setText("Signal")
    dlg.add_app.click()
    dlg.new_app.setText("signal")  # duplicates are ignored
    dlg.add_app.click()
    dlg.show()
    dlg.hotkey.edit.setFocus()
    QTest.keyClick(dlg.hotkey.edit, Qt.Key.Key_P)  # no modifier: refused
    assert not dlg.buttons.button(dlg.buttons.StandardButton.Save).isEnabled()
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    QTest.keyClick(dlg.hotkey.edit, Qt.Key.Key_F9, mods)
    with qtbot.waitSignal(dlg.saved, timeout=5000) as blocker:
        dlg.save()
    new = blocker.args[0]
    assert new.capture.keys is KeyMode.NONE
    assert new.reminder_every_min == 7
    assert new.pause_hotkey == "<ctrl>+<shift>+<f9>"
    assert new.private_apps[-1] == "Signal"
    assert new.private_apps.count("Signal") == 1
    assert settings_mod.load() == new
    tasks.shutdown()


def test_welcome_creates_vault(qapp, qtbot, tallylight_home, cheap_kdf):
    """Item 8: zxcvbn rates the passphrase; no recovery is said plainly; the welcome ends
    with the next step instead of vanishing."""
    from PySide6.QtTest import QTest

    from tallylight.store import vault
    from tallylight.ui.dialogs.welcome import WelcomeDialog, strength
    from tallylight.ui.tasks import TaskRunner

    assert strength("short")[0] == 0
    assert strength("aaaaaaaaaaaaaa")[0] == 0
    assert strength("passwordpassword")[0] == 0
    assert strength("hunter2hunter2")[0] == 1
    assert strength("correct horse battery staple")[1].startswith("Strong")  # was "Fair"
    assert strength("maple orbit candle river tundra")[0] == 4
    tasks = TaskRunner()
    dlg = WelcomeDialog(tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    text = dlg.intro.text()
    assert "does not do" in text
    assert "never in secret" in text
    click(dlg.next_button)
    assert "no way to reset or recover" in dlg.pass_intro.text()
    QTest.keyClicks(dlg.passphrase, "hunter2hunter2")
    QTest.keyClicks(dlg.confirm, "hunter2hunter2")
    click(dlg.understood)
    assert "Weak:" in dlg.strength.text()
    assert not dlg.finish_button.isEnabled()
    dlg.passphrase.clear()
    dlg.confirm.clear()
    QTest.keyClicks(dlg.passphrase, PASSPHRASE)
    QTest.keyClicks(dlg.confirm, PASSPHRASE[:-1])
    assert not dlg.finish_button.isEnabled()
    assert "differ" in dlg.status.text()
    QTest.keyClicks(dlg.confirm, PASSPHRASE[-1])
    assert "Strong:" in dlg.strength.text()
    assert dlg.finish_button.isEnabled()
    click(dlg.understood)  # the plain warning must be acknowledged
    assert not dlg.finish_button.isEnabled()
    click(dlg.understood)
    qtbot.waitUntil(lambda: dlg.keychain_note.text() != "Looking for the computer's keychain…", timeout=5000)
    click(dlg.finish_button)
    qtbot.waitUntil(lambda: dlg.stack.currentIndex() == 2, timeout=10000)
    assert "Start session" in dlg.next_step.text()
    assert "Ctrl+R" in dlg.next_step.text()
    assert dlg.isVisible()
    assert dlg.start_now_button.isVisible()
    assert vault.exists()
    vault.unlock(PASSPHRASE)
    with qtbot.waitSignal(dlg.accepted, timeout=3000):
        click(dlg.close_button)
    tasks.shutdown()


def test_welcome_next_step_starts_a_session(qapp, make_app, fake_recorder, qtbot, tallylight_home):
    app = make_app(use_tray=False, show_welcome=True)
    qtbot.waitUntil(lambda: "welcome" in app.dialogs, timeout=3000)
    dlg = app.dialogs["welcome"]
    click(dlg.next_button)  # the vault exists already (fixture)
    qtbot.waitUntil(
        lambda: dlg.finish_button.text() == "&Done" and dlg.finish_button.isEnabled(), timeout=3000
    )
    click(dlg.finish_button)
    assert "Tallylight window" in dlg.next_step.text()  # no tray here: the window's words
    click(dlg.start_now_button)
    qtbot.waitUntil(lambda: "start" in app.dialogs and app.dialogs["start"].isVisible(), timeout=5000)
    assert app.controller.state == "idle"  # the next step is offered, never taken for them


def test_first_run_shows_welcome_once(make_app, qtbot, tallylight_home):
    app = make_app(use_tray=False, show_welcome=True)
    qtbot.waitUntil(lambda: "welcome" in app.dialogs, timeout=3000)
    dlg = app.dialogs["welcome"]
    dlg.next_button.click()  # the vault exists already (fixture): nothing more to ask
    qtbot.waitUntil(
        lambda: dlg.finish_button.text() == "&Done" and dlg.finish_button.isEnabled(), timeout=3000
    )
    dlg.finish_button.click()
    dlg.close_button.click()
    qtbot.waitUntil(lambda: settings_mod.load().welcome_done, timeout=3000)
    again = make_app(use_tray=False, show_welcome=True)
    settle()  # a welcome would be opened from the event loop
    assert "welcome" not in again.dialogs
