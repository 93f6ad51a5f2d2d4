"""The share dialog on Xvfb with real clicks: preview first, nothing sent before Share, then sent or kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "share"))

from conftest_helpers import click, key, screenshot_dir
from share_helpers import JoinedStudy, PutServer, make_vault, record_session, sample_events

from tallylight.share import outbox, transfer

FAST = {"base_delay_s": 0.05, "rng": lambda: 1.0}


@pytest.fixture
def setup(tmp_path: Path, tallylight_home: Path, qapp):
    data = tallylight_home / "data"
    vault = make_vault(data)
    servers: list[PutServer] = []

    def make(*server_args: str):
        srv = PutServer(tmp_path / f"srv{len(servers)}", *server_args)
        servers.append(srv)
        study = JoinedStudy(tmp_path / f"study{len(servers)}", data, upload_url=srv.url("/drop/"))
        study.record(data, "s1")
        study.record(data, "s2", sample_events()[:6])
        record_session(data, "personal", sample_events())
        return vault, srv, study

    yield make
    for s in servers:
        s.stop()


def _dialog(qtbot, vault, **kw):
    from tallylight.ui.dialogs.share import ShareDialog
    from tallylight.ui.tasks import TaskRunner

    tasks = TaskRunner()
    dlg = ShareDialog(tasks, vault, sender_options=FAST, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def _items(dlg) -> dict[str, object]:
    """Session id -> its list item."""
    from PySide6.QtCore import Qt

    items = [dlg.session_list.item(i) for i in range(dlg.session_list.count())]
    return {item.data(Qt.ItemDataRole.UserRole): item for item in items}


def test_preview_then_share_uploads(setup, qtbot) -> None:
    from PySide6.QtCore import Qt

    vault, srv, study = setup()
    dlg = _dialog(qtbot, vault, session_ids=["s1"])
    qtbot.waitUntil(lambda: dlg.share_button.isEnabled(), timeout=15000)
    assert set(_items(dlg)) == {"s1", "s2"}  # never the personal-mode session
    text = dlg.preview.toPlainText()
    assert "Sessions (1):" in text
    assert study.recipient in text
    assert srv.url("/drop/") in text
    # the purposes the bundle may be used for (issue 22), by the manifest's titles
    assert "It may be used for: Analysis for this study (analysis)\n" in text
    # tick s2 with the keyboard after a real click on it; the preview follows
    item = _items(dlg)["s2"]
    click(dlg.session_list.viewport(), dlg.session_list.visualItemRect(item).center())
    key(dlg.session_list, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "Sessions (2):" in dlg.preview.toPlainText(), timeout=15000)
    qtbot.waitUntil(lambda: dlg.share_button.isEnabled(), timeout=15000)
    assert dlg.grab().save(str(screenshot_dir() / "share-dialog.png"))
    # nothing written or sent before Share
    assert srv.requests() == []
    assert outbox.pending() == []
    assert outbox.read_log() == []
    click(dlg.share_button)
    qtbot.waitUntil(lambda: dlg.status.text().startswith("Sent."), timeout=20000)
    (_name,) = srv.files()
    assert outbox.pending() == []
    assert [e.action for e in outbox.read_log()] == ["queued", "sent"]
    assert outbox.read_log()[-1].sessions == ["s1", "s2"]
    assert not dlg.share_button.isEnabled()


def test_expired_link_keeps_the_bundle_and_offers_save(setup, qtbot, tmp_path: Path) -> None:
    vault, _srv, _ = setup("--status", "403")
    saved = tmp_path / "my-bundle.age"
    dlg = _dialog(qtbot, vault, session_ids=["s1"], choose_path=lambda _parent, _name: saved)
    qtbot.waitUntil(lambda: dlg.share_button.isEnabled(), timeout=15000)
    click(dlg.share_button)
    qtbot.waitUntil(lambda: dlg.save_button.isVisible(), timeout=20000)
    assert dlg.status.text() == transfer.EXPIRED
    (kept,) = outbox.pending()
    click(dlg.save_button)
    qtbot.waitUntil(lambda: saved.exists(), timeout=10000)
    assert saved.read_bytes() == kept.path().read_bytes()
    assert outbox.read_log()[-1].action == "saved"


def test_sessions_window_opens_share_and_shows_the_log(setup, qtbot) -> None:
    from tallylight.ui.dialogs.sessions import SessionsDialog
    from tallylight.ui.tasks import TaskRunner

    vault, _srv, _ = setup()
    win = SessionsDialog(TaskRunner())
    qtbot.addWidget(win)
    win._set_vault(vault)
    win.show()
    win.refresh()
    qtbot.waitUntil(lambda: win.share_log.text() == "Nothing was shared yet.", timeout=10000)
    qtbot.waitUntil(lambda: win.table.rowCount() == 3, timeout=15000)
    row = next(r for r, x in enumerate(win.rows) if x.session_id == "s2")
    item = win.table.item(row, 0)
    assert item is not None
    click(win.table.viewport(), win.table.visualItemRect(item).center())
    click(win.share_button)
    dlg = win.share_dialog
    dlg.sender_options = FAST
    qtbot.waitUntil(lambda: dlg.share_button.isEnabled(), timeout=15000)
    assert "Sessions (1):" in dlg.preview.toPlainText()
    click(dlg.share_button)
    qtbot.waitUntil(lambda: dlg.status.text().startswith("Sent."), timeout=20000)
    click(dlg.close_button)
    qtbot.waitUntil(lambda: "sent to" in win.share_log.text(), timeout=10000)


def test_from_the_tray_it_asks_for_the_passphrase_first(setup, qtbot) -> None:
    from PySide6.QtTest import QTest
    from share_helpers import PASS

    _, srv, _ = setup()
    dlg = _dialog(qtbot, None, session_ids=["s2"])
    assert dlg.unlock_box.isVisible()
    qtbot.waitUntil(lambda: dlg.session_list.count() == 2, timeout=15000)
    assert not dlg.share_button.isEnabled()
    QTest.keyClicks(dlg.passphrase, PASS)
    click(dlg.unlock_button)
    qtbot.waitUntil(lambda: dlg.share_button.isEnabled(), timeout=15000)
    assert not dlg.unlock_box.isVisible()
    assert "Sessions (1):" in dlg.preview.toPlainText()
    assert srv.requests() == []


def test_review_window_offers_share_for_study_sessions_only(setup, qtbot) -> None:
    from tallylight.ui.review.window import ReviewWindow
    from tallylight.ui.tasks import TaskRunner

    vault, _, _ = setup()
    tasks = TaskRunner()
    personal = ReviewWindow(tasks, "personal", vault)
    study_win = ReviewWindow(tasks, "s1", vault)
    for w in (personal, study_win):
        qtbot.addWidget(w)
        w.show()
    qtbot.waitUntil(lambda: study_win.share_button.isVisible(), timeout=15000)
    qtbot.waitUntil(lambda: personal.windowTitle() == "Review: task 1", timeout=15000)  # loaded
    assert not personal.share_button.isVisible()
    click(study_win.share_button)
    dlg = study_win.share_dialog
    qtbot.waitUntil(lambda: dlg.share_button.isEnabled(), timeout=15000)
    assert "Sessions (1):" in dlg.preview.toPlainText()


def test_a_refused_file_name_lets_the_participant_choose_another(
    setup, qtbot, tmp_path: Path, tallylight_home: Path
) -> None:
    vault, _, _ = setup()
    answers = [tallylight_home / "data" / "inside.age", tmp_path / "outside.age"]
    dlg = _dialog(qtbot, vault, session_ids=["s1"], choose_path=lambda _parent, _name: answers.pop(0))
    qtbot.waitUntil(lambda: dlg.share_button.isEnabled(), timeout=15000)
    dlg.file_radio.setChecked(True)
    click(dlg.share_button)
    qtbot.waitUntil(lambda: "data folder" in dlg.status.text(), timeout=15000)
    assert dlg.share_button.isEnabled()  # nothing was shared: Share again with another name
    click(dlg.share_button)
    qtbot.waitUntil(lambda: (tmp_path / "outside.age").exists(), timeout=15000)
    assert not (tallylight_home / "data" / "inside.age").exists()


def test_once_loaded_it_says_what_to_do_not_loading(setup, qtbot) -> None:
    vault, _, _ = setup()
    dlg = _dialog(qtbot, vault)
    qtbot.waitUntil(lambda: dlg.session_list.count() == 2, timeout=15000)
    qtbot.waitUntil(lambda: "Tick the sessions" in dlg.status.text(), timeout=5000)
