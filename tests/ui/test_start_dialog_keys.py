"""The start dialog by keyboard: Enter starts from every field, Escape cancels, and only a
fresh press made while the dialog is visible starts (issue 8, items 2 and 3)."""

from __future__ import annotations

import time

import pytest
from conftest_helpers import activate, click, key, open_tray_menu

from tallylight import settings as settings_mod


def _dialog(qtbot):
    from tallylight.ui.dialogs.start_session import StartSessionDialog

    dlg = StartSessionDialog(settings_mod.Settings(private_apps=[]))
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    activate(dlg, qtbot)
    return dlg


def _tab_to(dlg, widget, qtbot) -> None:
    """Move focus with the Tab key (as a keyboard user does) until ``widget`` has it."""
    from PySide6.QtCore import Qt

    for _ in range(20):
        if dlg.focusWidget() is widget:
            return
        key(dlg.focusWidget() or dlg, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {widget.accessibleName()!r}")


@pytest.mark.parametrize("field", ["keys", "moves", "clicks", "scrolls", "label", "start_button"])
def test_enter_starts_from_every_field(qapp, qtbot, field):
    from PySide6.QtCore import Qt

    dlg = _dialog(qtbot)
    widget = getattr(dlg, field)
    _tab_to(dlg, widget, qtbot)
    if field == "label":
        from PySide6.QtTest import QTest

        QTest.keyClicks(widget, "morning task")
    with qtbot.waitSignal(dlg.accepted, timeout=2000):
        key(widget, Qt.Key.Key_Return)
    assert dlg.result() == dlg.DialogCode.Accepted
    if field == "label":
        assert dlg.session_label() == "morning task"


@pytest.mark.parametrize("field", ["keys", "moves", "label", "start_button"])
def test_escape_cancels_from_every_field(qapp, qtbot, field):
    from PySide6.QtCore import Qt

    dlg = _dialog(qtbot)
    widget = getattr(dlg, field)
    _tab_to(dlg, widget, qtbot)
    with qtbot.waitSignal(dlg.rejected, timeout=2000):
        key(widget, Qt.Key.Key_Escape)


def test_enter_on_cancel_cancels(qapp, qtbot):
    from PySide6.QtCore import Qt

    dlg = _dialog(qtbot)
    _tab_to(dlg, dlg.cancel_button, qtbot)
    with qtbot.waitSignal(dlg.rejected, timeout=2000):
        key(dlg.cancel_button, Qt.Key.Key_Return)


def test_auto_repeat_does_not_start(qapp, qtbot):
    """A held Enter (auto-repeat) or a release of a press made before the dialog does nothing."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    dlg = _dialog(qtbot)
    accepted = []
    dlg.accepted.connect(lambda: accepted.append(1))
    for widget in (dlg.start_button, dlg.label, dlg.keys):
        _tab_to(dlg, widget, qtbot)
        for _ in range(3):
            repeat = QKeyEvent(
                QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r", True
            )
            QApplication.sendEvent(widget, repeat)
        release = QKeyEvent(QEvent.Type.KeyRelease, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
        QApplication.sendEvent(widget, release)
        qtbot.wait(50)  # deliberate: a queued accept would run in this time (negative check)
        assert not accepted, widget.accessibleName()
        assert dlg.isVisible(), widget.accessibleName()
    click(dlg.start_button)  # a fresh click does start
    assert accepted


def test_holding_enter_on_the_tray_menu_does_not_start(make_app, tray_host, xserver, fake_recorder, qtbot):
    """Item 3 end to end: the real tray menu, a real held Return key (X server auto-repeat)."""
    app = make_app()
    open_tray_menu(app, xserver, qtbot)
    xserver.xdotool("key", "Down")
    qtbot.waitUntil(lambda: app.tray.menu.activeAction() is app.actions.start, timeout=3000)
    xserver.xdotool("keydown", "Return")
    try:
        qtbot.waitUntil(lambda: "start" in app.dialogs and app.dialogs["start"].isVisible(), timeout=5000)
        end = time.monotonic() + 1.5  # well past the X server's auto-repeat delay
        while time.monotonic() < end:
            qtbot.wait(50)  # deliberate time passage: the key is held down
    finally:
        xserver.xdotool("keyup", "Return")
    qtbot.wait(300)  # deliberate: a late auto-repeat would arrive in this time (negative check)
    dlg = app.dialogs.get("start")
    assert app.controller.state == "idle", "a held key started recording"
    assert dlg is not None
    assert dlg.isVisible()
    qtbot.waitUntil(dlg.isActiveWindow, timeout=3000)
    xserver.xdotool("key", "Return")  # a fresh press while the dialog is visible
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)
