"""Issue 21 item 4: open windows follow the data, whoever changes it.

Real windows on Xvfb; the changes come from the real command line (a child
process: ``tallylight sessions delete``, ``tallylight study withdraw``) and from
the real recorder's session writer, as when a recording ends. Nothing tells a
window to reload: it hears it from the one data watch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_helpers import PASSPHRASE, click, write_session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "study"))
from study_helpers import STUDY_ID, record, write_signed

from tallylight.study import enrolment

pytestmark = pytest.mark.x11


@pytest.fixture
def tasks(qapp):  # listed before qtbot: its windows close before their worker pool does
    from tallylight.ui.tasks import TaskRunner

    runner = TaskRunner()
    yield runner
    runner.shutdown()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The participant's command line in a process of its own (same data folder, no terminal)."""
    env = {**os.environ, "TALLYLIGHT_PASSPHRASE": PASSPHRASE}
    proc = subprocess.run(
        [sys.executable, "-m", "tallylight.launcher", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def _join(tmp_path: Path) -> None:
    offer = enrolment.check_offer(write_signed(tmp_path / "study.toml").read_bytes())
    enrolment.join(offer, {"read": True, "agree": True})


def _shown(qtbot, widget) -> None:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)


def _watching(qtbot) -> None:
    """The app's data watch covers every folder (the app starts it long before a window opens)."""
    from tallylight.ui import data_watch

    watch = data_watch.shared()
    qtbot.waitUntil(lambda: watch.live, timeout=20000)


def _ids(dlg) -> list[str]:
    return [row.session_id for row in dlg.rows]


def test_sessions_window_follows_a_cli_delete_and_a_recording(tasks, qtbot, vault_ready) -> None:
    from tallylight.ui.dialogs.sessions import SessionsDialog

    write_session("first")
    write_session("second")
    _watching(qtbot)
    dlg = SessionsDialog(tasks)
    _shown(qtbot, dlg)
    qtbot.waitUntil(lambda: sorted(_ids(dlg)) == ["first", "second"], timeout=20000)
    dlg.table.selectRow(_ids(dlg).index("first"))
    cli("sessions", "delete", "second", "--yes")
    qtbot.waitUntil(lambda: _ids(dlg) == ["first"] and dlg.table.rowCount() == 1, timeout=20000)
    chosen = dlg.selected()  # the choice is kept
    assert chosen is not None
    assert chosen.session_id == "first"
    # a recording ends (the recorder's own session writer; the window is not told)
    write_session("third")
    qtbot.waitUntil(lambda: sorted(_ids(dlg)) == ["first", "third"], timeout=20000)
    chosen = dlg.selected()
    assert chosen is not None
    assert chosen.session_id == "first"
    assert "2 sessions" in dlg.status.text()


def test_studies_window_counts_follow_and_a_cli_withdrawal_clears_the_question(
    tasks, qtbot, vault_ready, tmp_path
) -> None:
    """The tester's route (issue 21, #2): the window stays open while the participant records,
    then Withdraw must name the sessions there are now, not those there were when it opened."""
    from tallylight.ui.dialogs.studies import StudiesDialog

    _join(tmp_path)
    record(STUDY_ID)
    _watching(qtbot)
    dlg = StudiesDialog(tasks)
    _shown(qtbot, dlg)
    qtbot.waitUntil(lambda: dlg.list.count() == 1 and "1 session" in dlg.list.item(0).text(), timeout=20000)
    click(dlg.withdraw_button)
    assert "1 session" in dlg.confirm_text.text()
    record(STUDY_ID)  # two more sessions are recorded while the question is open
    record(STUDY_ID)
    qtbot.waitUntil(lambda: "3 sessions" in dlg.confirm_text.text(), timeout=20000)
    assert "3 sessions" in dlg.list.item(0).text()
    assert dlg.confirm.isVisible()
    # the participant withdraws from a terminal instead: the window's question goes away
    cli("study", "withdraw", STUDY_ID, "--yes", "--no-send")
    qtbot.waitUntil(lambda: dlg.list.count() == 0 and not dlg.confirm.isVisible(), timeout=20000)
    assert dlg.empty.isVisible()
    assert not dlg.withdraw_button.isEnabled()


def test_share_window_follows_a_cli_delete_and_keeps_the_choice(tasks, qtbot, vault_ready, tmp_path) -> None:
    from tallylight.store import vault
    from tallylight.ui.dialogs.share import ShareDialog

    _join(tmp_path)
    keep, drop = record(STUDY_ID), record(STUDY_ID)
    _watching(qtbot)
    dlg = ShareDialog(tasks, vault.unlock(PASSPHRASE), study_id=STUDY_ID, session_ids=[keep])
    _shown(qtbot, dlg)
    qtbot.waitUntil(lambda: dlg.session_list.count() == 2, timeout=20000)
    assert dlg.chosen_sessions() == [keep]
    cli("sessions", "delete", drop, "--yes")
    qtbot.waitUntil(lambda: dlg.session_list.count() == 1, timeout=20000)
    assert dlg.chosen_sessions() == [keep]
    later = record(STUDY_ID)  # and a new one shows up, not chosen
    qtbot.waitUntil(lambda: dlg.session_list.count() == 2, timeout=20000)
    assert dlg.chosen_sessions() == [keep]
    from PySide6.QtCore import Qt

    listed = [
        dlg.session_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dlg.session_list.count())
    ]
    assert sorted(listed) == sorted([keep, later])


def test_one_watch_for_every_window_and_one_notice_per_burst(tasks, qtbot, vault_ready) -> None:
    from tallylight.ui import data_watch

    write_session("before")
    watch = data_watch.shared()
    assert data_watch.shared() is watch
    qtbot.waitUntil(lambda: watch.live, timeout=20000)
    assert any(p.endswith(os.path.join("sessions", "before")) for p in watch.watched())
    before = watch.changes
    write_session("burst")  # a folder, a key, a lock, segments, a closure: many file operations
    qtbot.waitUntil(lambda: watch.changes > before, timeout=20000)
    qtbot.waitUntil(lambda: any(p.endswith(os.path.join("sessions", "burst")) for p in watch.watched()))
    assert watch.changes - before == 1  # one burst (made while the GUI thread was busy) is one notice


def _links(win) -> bool:
    return "Open the session" in win.message_label.text()


def test_main_window_drops_the_link_to_a_session_deleted_elsewhere(make_app, qtbot) -> None:
    """After a recording the window offers "Open the session"; deleted from a terminal, the session
    is no longer offered (Enter on the link would open nothing), and a kept one still is."""
    from PySide6.QtCore import Qt

    write_session("kept")
    write_session("gone")
    _watching(qtbot)
    app = make_app(use_tray=False)
    indicator, main = app.window, app.show_main_window()
    qtbot.waitExposed(main)
    indicator.show_session_message("Recording stopped", "Recording stopped: 0:00:03.", "gone")
    main.show_session_message("Recording stopped", "Recording stopped: 0:00:03.", "kept")
    assert _links(indicator)
    assert _links(main)
    cli("sessions", "delete", "gone", "--yes")
    qtbot.waitUntil(lambda: not _links(indicator), timeout=20000)
    assert "deleted" in indicator.message_label.text()
    assert indicator.message_label.focusPolicy() == Qt.FocusPolicy.NoFocus  # no Tab stop to nothing
    assert _links(main)  # its session is still there
    cli("sessions", "delete", "kept", "--yes")
    qtbot.waitUntil(lambda: not _links(main), timeout=20000)
    assert main.message_label.focusPolicy() == Qt.FocusPolicy.NoFocus


def _review(tasks, qtbot, session_id: str):
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    win = ReviewWindow(tasks, session_id, vault.unlock(PASSPHRASE))
    _shown(qtbot, win)
    qtbot.waitUntil(lambda: win.ready, timeout=30000)
    return win


def test_review_window_shows_a_cut_made_elsewhere_and_says_a_delete(tasks, qtbot, vault_ready) -> None:
    """A review open while a terminal cuts the session shows it anew; deleted from a terminal, the
    window says so and offers nothing that would act on a session no longer there."""
    write_session("watched", seconds=6.0)
    _watching(qtbot)
    win = _review(tasks, qtbot, "watched")
    assert win.cut_button.isEnabled()
    assert win.loaded.data.summary.gaps == []
    cli("sessions", "cut", "watched", "--from", "2", "--to", "3", "--yes")
    # shown anew: the cut span is a stretch without capture
    qtbot.waitUntil(
        lambda: win.ready and win.loaded is not None and bool(win.loaded.data.summary.gaps), timeout=30000
    )
    assert [g.reason for g in win.loaded.data.summary.gaps] == ["trimmed"]
    assert "changed elsewhere" in win.status.text()
    cli("sessions", "delete", "watched", "--yes")
    qtbot.waitUntil(lambda: "deleted elsewhere" in win.status.text(), timeout=30000)
    assert win.loaded is None
    for button in (win.cut_button, win.export_button, win.delete_button, win.play_button):
        assert not button.isEnabled()
    click(win.close_button)
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=5000)


def test_review_window_does_not_reload_for_its_own_cut(tasks, qtbot, vault_ready) -> None:
    """Its own cut keeps the undo (a change seen from the watch is not news to the window)."""
    write_session("mine", seconds=6.0)
    _watching(qtbot)
    win = _review(tasks, qtbot, "mine")
    click(win.cut_button)
    win.cut_from.setValue(1.0)
    win.cut_to.setValue(4.0)
    click(win.apply_cut_button)
    qtbot.waitUntil(lambda: bool(win.undo_stack) and win.ready and win.undo_button.isEnabled(), timeout=30000)
    # the watch's notice of the cut's files reaches the window, which finds what it shows
    from tallylight.store import sessions

    qtbot.waitUntil(
        lambda: win.checked_stamp is not None and win.checked_stamp == sessions.version_stamp("mine"),
        timeout=30000,
    )
    assert win.checked_stamp == win.loaded.stamp
    assert "changed elsewhere" not in win.status.text()
    assert win.undo_button.isEnabled()
