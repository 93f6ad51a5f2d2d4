"""The Sessions list: unlock, date/label/duration/counts/verdict, delete."""

from __future__ import annotations

import pytest
from conftest_helpers import PASSPHRASE

pytestmark = pytest.mark.x11


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
    dlg.passphrase.setText("wrong passphrase")
    dlg.unlock_button.click()
    qtbot.waitUntil(
        lambda: dlg.unlock_button.isEnabled() and dlg.status.text() not in ("Unlocking…",), timeout=5000
    )
    assert dlg.vault is None
    dlg.passphrase.setText(PASSPHRASE)
    dlg.unlock_button.click()
    qtbot.waitUntil(
        lambda: dlg.vault is not None and dlg.table.item(0, 1) and dlg.table.item(0, 1).text() == "listed",
        timeout=5000,
    )
    row = [dlg.table.item(0, i).text() for i in range(5)]
    assert row[0][:2] == "20" and row[2].startswith("0:00:")
    assert "2 key presses" in row[3] and row[4] == "complete"
    dlg.table.selectRow(0)
    assert dlg.delete_button.isEnabled()
    dlg.delete_selected(confirm=False)
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 0, timeout=5000)
    assert store.session_ids() == []
    assert dlg.status.text() == "No sessions recorded yet."
