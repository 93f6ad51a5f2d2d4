"""The Sessions list: unlock, date/label/duration/counts/verdict, delete (always asked first)."""

from __future__ import annotations

from conftest_helpers import PASSPHRASE, write_session
from conftest_helpers import click as _click


def _unlock(dlg, qtbot, passphrase: str = PASSPHRASE) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    dlg.passphrase.setFocus()
    QTest.keyClicks(dlg.passphrase, passphrase)
    QTest.keyClick(dlg.passphrase, Qt.Key.Key_Return)


def _open_with_one_row(make_app, qtbot):
    """The sessions window (locked), once it lists the one session written before."""
    from tallylight.ui.dialogs.sessions import SessionsDialog

    app = make_app(use_tray=False)
    dlg = SessionsDialog(app.tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=5000)
    return dlg


def _click_row(dlg, row: int) -> None:
    rect = dlg.table.visualRect(dlg.table.model().index(row, 1))
    _click(dlg.table.viewport(), rect.center())


def test_sessions_list_and_delete(make_app, monkeypatch, qtbot, xserver):
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    from tallylight.store import sessions as store

    app = make_app(use_tray=False)
    c = app.controller
    c.start_session(label="listed")
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    xserver.xdotool("type", "--delay", "5", "hi")
    qtbot.waitUntil(lambda: c.counts.get("key_up", 0) >= 2, timeout=8000)
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)
    assert len(store.session_ids()) == 1

    app.actions.sessions.trigger()
    qtbot.waitUntil(lambda: "sessions" in app.dialogs, timeout=3000)
    dlg = app.dialogs["sessions"]
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=5000)
    assert dlg.table.item(0, 4).text() == "locked"  # details need the passphrase
    _unlock(dlg, qtbot, "wrong passphrase")
    qtbot.waitUntil(lambda: dlg.unlock_button.isEnabled() and dlg.status.text() != "Unlocking…", timeout=5000)
    assert dlg.vault is None
    assert dlg.status.text() == "That passphrase is not right."
    dlg.passphrase.clear()
    _unlock(dlg, qtbot)
    qtbot.waitUntil(
        lambda: dlg.vault is not None and dlg.table.item(0, 1) and dlg.table.item(0, 1).text() == "listed",
        timeout=5000,
    )
    row = [dlg.table.item(0, i).text() for i in range(5)]
    assert row[0][:2] == "20"
    assert row[2].startswith("0:00:")
    assert "2 key presses" in row[3]
    assert row[4] == "complete"
    _click_row(dlg, 0)
    assert dlg.delete_button.isEnabled()
    _click(dlg.delete_button)
    qtbot.waitUntil(lambda: dlg.confirm_box is not None and dlg.confirm_box.isVisible(), timeout=3000)
    delete = next(b for b in dlg.confirm_box.buttons() if "Delete" in b.text())
    _click(delete)
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 0, timeout=5000)
    assert store.session_ids() == []
    # a data-change refresh may still be listing ("Loading…"): its end is what the list says
    qtbot.waitUntil(lambda: dlg.status.text() == "No sessions recorded yet.", timeout=5000)


def test_delete_always_asks_naming_the_session(make_app, qtbot):
    """Item 1: a click on Delete… never deletes at once; Escape and Enter keep the session."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from tallylight.store import sessions as store

    write_session("s-keep", label="typing task", seconds=65)
    dlg = _open_with_one_row(make_app, qtbot)
    _unlock(dlg, qtbot)
    qtbot.waitUntil(
        lambda: dlg.table.item(0, 1) is not None and dlg.table.item(0, 1).text() == "typing task",
        timeout=5000,
    )
    date = dlg.table.item(0, 0).text()
    _click_row(dlg, 0)
    assert dlg.delete_button.isEnabled()

    for answer in (Qt.Key.Key_Escape, Qt.Key.Key_Return):
        _click(dlg.delete_button)
        qtbot.waitUntil(lambda: dlg.confirm_box is not None and dlg.confirm_box.isVisible(), timeout=3000)
        box = dlg.confirm_box
        text = box.text()
        assert date in text, text
        assert "typing task" in text, text
        assert "0:01:05" in text, text
        assert "cannot be undone" in text
        assert store.session_ids() == ["s-keep"]  # nothing deleted while asking
        QTest.keyClick(box, answer)
        qtbot.waitUntil(lambda: dlg.confirm_box is None, timeout=3000)
        qtbot.waitUntil(lambda: not dlg.tasks.busy, timeout=5000)  # nothing was asked of a worker
        assert store.session_ids() == ["s-keep"], answer

    _click(dlg.delete_button)
    qtbot.waitUntil(lambda: dlg.confirm_box is not None and dlg.confirm_box.isVisible(), timeout=3000)
    _click(next(b for b in dlg.confirm_box.buttons() if "Delete" in b.text()))
    qtbot.waitUntil(lambda: store.session_ids() == [], timeout=5000)


def test_the_warm_up_off_the_gui_thread_imports_nothing_that_touches_qt() -> None:
    """pyqtgraph patches PySide6's modules when imported; doing that in a worker while the GUI
    thread runs crashed the app (a segfault seen opening Sessions, then Share)."""
    import subprocess
    import sys

    code = (
        "import sys, threading\n"
        "from tallylight.ui.dialogs import sessions\n"
        "before = set(sys.modules)\n"
        "t = threading.Thread(target=sessions._warm_review_imports); t.start(); t.join()\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] in ('pyqtgraph', 'PySide6', 'shiboken6')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_locked_date_says_it_is_approximate(make_app, qtbot):
    """Locked, the time is the key file's timestamp (readable without the passphrase), which can be a
    minute later than the encrypted start time shown once unlocked: the locked view says "about"."""
    import datetime as dt
    import os

    from tallylight.store.layout import KEY_FILE, session_path

    start = dt.datetime(2026, 11, 29, 18, 12, 50)
    write_session("s-time", label="timed", started_wall_ns=int(start.timestamp() * 1e9))
    written = start + dt.timedelta(seconds=20)  # 18:13:10
    key = session_path("s-time") / KEY_FILE
    os.utime(key, (written.timestamp(), written.timestamp()))
    dlg = _open_with_one_row(make_app, qtbot)
    assert dlg.table.item(0, 0).text() == "about 2026-11-29 18:13"
    assert dlg.table.item(0, 4).text() == "locked"
    _unlock(dlg, qtbot)
    qtbot.waitUntil(
        lambda: dlg.table.item(0, 1) is not None and dlg.table.item(0, 1).text() == "timed", timeout=5000
    )
    assert dlg.table.item(0, 0).text() == "2026-11-29 18:12"


def test_a_slower_locked_listing_never_replaces_the_unlocked_one(make_app, monkeypatch, qtbot):
    """Opening the window lists the sessions locked; unlocking lists them again. When the locked
    listing happens to finish last, it must not put the locked rows back over the unlocked ones."""
    import threading

    from tallylight.ui.dialogs import sessions

    write_session("s-race", label="race")
    real = sessions.load_rows
    unlocked_shown = threading.Event()

    def load_rows(vault):
        if vault is None:  # the listing started first finishes last: after the unlocked rows show
            assert unlocked_shown.wait(30)
        return real(vault)

    monkeypatch.setattr(sessions, "load_rows", load_rows)
    app = make_app(use_tray=False)
    dlg = sessions.SessionsDialog(app.tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    _unlock(dlg, qtbot)
    qtbot.waitUntil(
        lambda: dlg.table.item(0, 1) is not None and dlg.table.item(0, 1).text() == "race", timeout=10000
    )
    unlocked_shown.set()
    qtbot.waitUntil(lambda: not app.tasks.busy, timeout=10000)  # the locked listing's result arrived
    assert dlg.table.item(0, 1).text() == "race"
    assert dlg.table.item(0, 4).text() != "locked"
