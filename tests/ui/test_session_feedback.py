"""Saying what happened, in the participant's words (issue 8, items 6, 7 and 9):
recorded and paused time apart, the light following every change, a stop summary that
opens the session, a recovered session said at the next start, dates and plurals."""

from __future__ import annotations

import os
import signal

from conftest_helpers import PASSPHRASE, click, key, open_tray_menu, stats_seen, write_session

from tallylight import settings as settings_mod
from tallylight.errors import TallylightError
from tallylight.events import Kind
from tallylight.store import sessions, vault


def _start_from_window(app, qtbot, label: str = "") -> None:
    from PySide6.QtTest import QTest

    click(app.window.buttons["Start session…"])
    qtbot.waitUntil(lambda: "start" in app.dialogs and app.dialogs["start"].isVisible(), timeout=5000)
    dlg = app.dialogs["start"]
    if label:
        QTest.keyClicks(dlg.label, label)
    click(dlg.start_button)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=8000)


def _line(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(name))


class _Clock:
    """The session model's clock, moved by the test: the light's times are exact whatever the load."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_recorded_and_paused_time_are_shown_apart(make_app, fake_recorder, qtbot, monkeypatch):
    from tallylight.ui.controller import AppController

    monkeypatch.setattr(AppController, "tick_ms", 50)  # the redraw's cadence is not the subject
    app = make_app(use_tray=False)
    clock = app.controller.model.clock = _Clock()
    app.controller.apply_settings(settings_mod.Settings(private_apps=[], reminder_every_min=0))
    _start_from_window(app, qtbot)
    clock.now += 61.5
    click(app.window.buttons["Pause"])
    qtbot.waitUntil(lambda: app.controller.state == "paused", timeout=5000)
    clock.now += 2.7
    # the window refreshes on the controller's tick
    qtbot.waitUntil(lambda: "Paused: 0:00:02" in app.window.detail_label.text(), timeout=5000)
    text = app.window.detail_label.text()
    assert _line(text, "Recorded:") == "Recorded: 0:01:01", text  # the clock does not run while paused
    assert "Elapsed" not in text
    click(app.window.buttons["Pause"])  # the same button, now "Resume"
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    click(app.window.buttons["Stop"])
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)
    last = _line(app.window.detail_label.text(), "Last session:")
    assert "recorded" in last, last
    assert "paused" in last, last
    assert app.controller.last_session["summary"]["paused_s"] == 2.7
    assert app.controller.last_session["summary"]["recorded_s"] == 61.5


def test_tooltip_follows_a_hotkey_resume(make_app, tray_host, monkeypatch, xserver, qtbot):
    """The light and its tooltip follow the recorder's paused/resumed events and nothing else."""
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    app = make_app()
    app.controller.apply_settings(
        settings_mod.Settings(pause_hotkey="<ctrl>+<alt>+p", private_apps=[], reminder_every_min=0)
    )
    c, tray = app.controller, app.tray
    stats = stats_seen(c, monkeypatch)
    c.start_session()
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    wrong: list[str] = []

    def tooltip_after_stats(n: int) -> bool:
        tip = tray.icon.toolTip()
        if not tip.startswith("Tallylight: Recording") or "Paused (not" in tip:
            wrong.append(tip)
        return len(stats) >= n

    for _ in range(3):
        xserver.xdotool("key", "ctrl+alt+p")
        qtbot.waitUntil(lambda: c.state == "paused", timeout=5000)
        assert "Paused" in tray.icon.toolTip()
        n = len(stats)
        qtbot.waitUntil(lambda n=n: len(stats) > n, timeout=8000)  # a stats message is written while paused
        xserver.xdotool("key", "ctrl+alt+p")
        qtbot.waitUntil(lambda: c.state == "recording", timeout=5000)
        # and it stays so through the next two stats messages: no stale stats turn it back
        n = len(stats) + 2
        qtbot.waitUntil(lambda n=n: tooltip_after_stats(n), timeout=10000)
        assert wrong == []
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)


def _balloon(qapp):
    """The tray's notice on screen (tallylight.ui.notice, which replaced Qt's QBalloonTip)."""
    from tallylight.ui.notice import NoticeWindow

    tips = [w for w in qapp.topLevelWidgets() if isinstance(w, NoticeWindow) and w.isVisible()]
    return tips[0] if tips else None


def test_stop_summary_opens_the_session(make_app, tray_host, monkeypatch, xserver, qtbot, qapp):
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLabel

    app = make_app()
    app.controller.apply_settings(settings_mod.Settings(private_apps=[], reminder_every_min=0))
    c, tray = app.controller, app.tray
    c.start_session(label="summary")
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    xserver.xdotool("type", "--delay", "5", "hi")
    qtbot.waitUntil(lambda: c.counts.get("key_up", 0) >= 2, timeout=8000)
    open_tray_menu(app, xserver, qtbot)
    click(tray.menu, tray.menu.actionGeometry(app.actions.stop).center())
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)
    qtbot.waitUntil(lambda: _balloon(qapp) is not None, timeout=5000)
    balloon = _balloon(qapp)
    text = " ".join(lbl.text() for lbl in balloon.findChildren(QLabel))
    assert "Recording stopped" in text, text
    assert "recorded" in text, text
    assert "2 key presses" in text, text
    sid = c.last_session["session_id"]
    click(balloon)
    qtbot.waitUntil(lambda: "sessions" in app.dialogs, timeout=5000)
    dlg = app.dialogs["sessions"]
    qtbot.waitUntil(lambda: dlg.selected() is not None and dlg.selected().session_id == sid, timeout=5000)
    assert "passphrase" in dlg.status.text()
    qtbot.waitUntil(lambda: dlg.passphrase.hasFocus(), timeout=3000)
    QTest.keyClicks(dlg.passphrase, PASSPHRASE)
    key(dlg.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sid in dlg.reviews, timeout=10000)  # unlocked: the session opens


def test_stop_summary_in_the_window_has_an_open_link(make_app, fake_recorder, qtbot):
    from PySide6.QtCore import Qt

    app = make_app(use_tray=False)
    app.controller.apply_settings(settings_mod.Settings(private_apps=[], reminder_every_min=0))
    _start_from_window(app, qtbot)
    click(app.window.buttons["Stop"])
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)
    msg = app.window.message_label
    qtbot.waitUntil(msg.isVisible, timeout=3000)
    assert "Recording stopped" in msg.text()
    assert "Open the session" in msg.text()
    opened = []
    app.window.open_session.connect(opened.append)
    msg.setFocus()
    key(msg, Qt.Key.Key_Tab)  # keyboard: Tab reaches the link in the notice, Enter follows it
    key(msg, Qt.Key.Key_Return)
    assert opened == ["fake-session"]


def test_a_killed_session_is_reported_at_the_next_start(make_app, monkeypatch, xserver, qtbot):
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    app = make_app(use_tray=False)
    app.controller.apply_settings(settings_mod.Settings(private_apps=[], reminder_every_min=0))
    notes: list[str] = []
    app.controller.notify.connect(lambda t, m: notes.append(f"{t}: {m}"))
    _start_from_window(app, qtbot, label="to be killed")
    xserver.xdotool("type", "--delay", "5", "abc")
    qtbot.waitUntil(lambda: app.controller.counts.get("key_up", 0) >= 3, timeout=8000)
    keys = vault.unlock(PASSPHRASE)

    def sealed_on_disk() -> int:
        """Key releases the recorder has sealed so far (read as the recovery reads them)."""
        try:
            events = sessions.iter_events(app.controller.session_id, keys)
            return sum(e.kind == Kind.KEY_UP for e in events)
        except TallylightError:  # the first record is not sealed yet
            return 0

    qtbot.waitUntil(lambda: sealed_on_disk() >= 3, timeout=8000)  # sealed at least once
    os.kill(app.controller.recorder_pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: app.controller.state == "error", timeout=8000)
    notes.clear()
    click(app.window.buttons["Start session…"])
    qtbot.waitUntil(lambda: any("recovered" in n for n in notes), timeout=8000)
    said = next(n for n in notes if "recovered" in n)
    assert "ended unexpectedly" in said, said
    assert "last second" in said, said
    assert "started about 20" in said, said
    qtbot.waitUntil(lambda: "start" in app.dialogs, timeout=5000)


def test_locked_list_shows_dates_and_counts_agree(make_app, qtbot):
    from tallylight.ui.dialogs.sessions import SessionsDialog

    write_session("s-locked", label="secret label")
    app = make_app(use_tray=False)
    dlg = SessionsDialog(app.tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=5000)
    first = dlg.table.item(0, 0).text()
    assert first.startswith("about 20")
    assert "s-locked" not in first
    assert dlg.table.item(0, 1).text() == ""  # the label stays encrypted
    assert dlg.status.text() == "1 session."
