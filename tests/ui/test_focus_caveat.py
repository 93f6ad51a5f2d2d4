"""Private apps: the start dialog says before Start, once, whether they really pause capture
here; never a balloon at every session afterwards (issue 8, item 5)."""

from __future__ import annotations

from conftest_helpers import click, stats_seen
from fake_wm import FakeWM

from tallylight import settings as settings_mod


def _open_start(app, qtbot):
    click(app.window.buttons["Start session…"])
    qtbot.waitUntil(lambda: "start" in app.dialogs and app.dialogs["start"].isVisible(), timeout=5000)
    dlg = app.dialogs["start"]
    return dlg, " ".join(lbl.text() for lbl in dlg.findChildren(type(dlg.summary)))


def test_no_focus_detection_is_said_in_the_dialog_not_after(make_app, fake_recorder, monkeypatch, qtbot):
    monkeypatch.setenv("FAKE_RECORDER_NOTICE", "1")  # the recorder says it too, as the real one does
    app = make_app(use_tray=False)
    stats = stats_seen(app.controller, monkeypatch)
    app.controller.apply_settings(settings_mod.Settings(private_apps=["KeePassXC", "Signal"]))
    notes: list[str] = []
    app.controller.notify.connect(lambda _t, m: notes.append(m))
    dlg, text = _open_start(app, qtbot)
    assert "cannot tell which app is in front" in text
    assert "KeePassXC or Signal" in text
    assert "Ctrl+Alt+P" in text
    assert "pauses while these apps have focus" not in text  # no false promise
    click(dlg.start_button)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    qtbot.waitUntil(lambda: bool(stats), timeout=5000)  # the recorder's notice came before its stats
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


def test_private_apps_are_chosen_from_open_windows(make_app, xserver, qtbot, tallylight_home):
    """Item 5: pick a private app from the windows open now (or type one); never "WM_CLASS"."""
    from conftest_helpers import key
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QLineEdit

    from tallylight.ui.dialogs.settings import SettingsDialog

    wm = FakeWM(xserver.display)
    try:
        wm.window("signal-desktop", "Signal")
        wm.window("gimp", "Gimp")
        app = make_app(use_tray=False)
        dlg = SettingsDialog(settings_mod.Settings(), app.tasks)
        qtbot.addWidget(dlg)
        dlg.show()
        qtbot.waitExposed(dlg)
        dlg.tabs.setCurrentIndex(2)
        qtbot.waitUntil(lambda: dlg.app_choice.count() >= 2, timeout=5000)
        offered = [dlg.app_choice.itemText(i) for i in range(dlg.app_choice.count())]
        assert "Signal" in offered
        assert "Gimp" in offered
        assert "Tallylight" not in offered
        dlg.app_choice.setFocus()
        while dlg.app_choice.currentText() != "Signal":  # the keyboard picks from the list
            key(dlg.app_choice, Qt.Key.Key_Down)
        click(dlg.add_app)
        items = [dlg.apps.item(i).text() for i in range(dlg.apps.count())]
        assert items[-1] == "Signal"
        assert "Tallylight" in items
        words = [w.text() for w in dlg.findChildren(QLabel)] + [dlg.new_app.placeholderText()]
        words += [w.accessibleName() + w.accessibleDescription() for w in dlg.findChildren(QLineEdit)]
        assert not any("WM_CLASS" in w for w in words)
    finally:
        wm.close()


def test_clicks_on_the_tray_menu_are_not_recorded(make_app, tray_host, monkeypatch, xserver, qtbot):
    """Item 5: while Tallylight's own tray menu is open nothing is captured (a private gap)."""
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    from conftest_helpers import PASSPHRASE, open_tray_menu, wait_recorded

    from tallylight.events import GapReason, Kind, Marker
    from tallylight.store import sessions as store
    from tallylight.store import vault

    app = make_app()
    app.controller.apply_settings(settings_mod.Settings(private_apps=[], reminder_every_min=0))
    c, tray = app.controller, app.tray
    c.start_session()
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    xserver.xdotool("mousemove", "600", "600", "click", "1")  # a click of the participant's
    qtbot.waitUntil(lambda: c.counts.get("button_down", 0) >= 1, timeout=8000)
    open_tray_menu(app, xserver, qtbot)  # this click on the icon counts
    qtbot.waitUntil(lambda: c.own_ui_private, timeout=5000)
    about = tray.menu.mapToGlobal(tray.menu.actionGeometry(app.actions.about).center())
    xserver.xdotool("mousemove", str(about.x()), str(about.y()), "click", "1")  # not data
    qtbot.waitUntil(lambda: "about" in app.dialogs and app.dialogs["about"].isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: not c.own_ui_private, timeout=5000)
    app.dialogs["about"].close()
    xserver.xdotool("mousemove", "500", "500", "click", "1")  # the participant's again
    # the recorder has handled everything up to this click (the About click came before it)
    wait_recorded(c, qtbot, "left button pressed at (500, 500)")
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)
    events = list(store.iter_events(c.last_session["session_id"], vault.unlock(PASSPHRASE)))
    downs = [e for e in events if e.kind == Kind.BUTTON_DOWN]
    assert len(downs) == 3, downs  # 600,600 + the tray icon + 500,500; not the menu's About
    gaps = [e for e in events if e.kind == Kind.MARKER and e.marker == Marker.GAP]
    assert any(e.reason == GapReason.PRIVATE_APP for e in gaps)
