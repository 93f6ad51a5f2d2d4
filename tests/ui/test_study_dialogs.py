"""Joining, consent, the start dialog's study choice and withdrawal, driven with real clicks on Xvfb.

Screenshots go to ``conftest_helpers.screenshot_dir()``, outside the tree (``make screenshots``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest_helpers import PASSPHRASE, click, screen_of, screenshot_dir

from tallylight.options import CaptureOptions, KeyMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "study"))
from study_helpers import CONSENT_HEADINGS, OTHER, RESEARCHER, STUDY_ID, current_body, record, write_signed

from tallylight.study import enrolment, signing


def _shot(widget, name: str) -> None:
    from PySide6.QtWidgets import QApplication

    if widget.layout() is not None:
        widget.layout().activate()  # widgets shown in this event-loop turn get their place first
    QApplication.processEvents()
    assert widget.grab().save(str(screenshot_dir() / name))


@pytest.fixture
def tasks(qapp):
    from tallylight.ui.tasks import TaskRunner

    runner = TaskRunner()
    yield runner
    runner.shutdown()


def _join_dialog(qtbot, tasks):
    from tallylight.ui.dialogs.studies import JoinStudyDialog

    dlg = JoinStudyDialog(tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def _drop(widget, path: Path) -> None:
    """A drop of one file through Qt's event path (as a file manager's drag ends)."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = widget.rect().center()
    enter = QDragEnterEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, drop)


def _read_every_page(dlg) -> None:
    """Next through every consent page with real clicks; tick "I have read" once it is enabled."""
    assert not dlg.have_read.isEnabled()
    while dlg.pages.next_button.isEnabled():
        assert not dlg.have_read.isEnabled()
        click(dlg.pages.next_button)
    assert dlg.pages.current() == dlg.pages.count() - 1
    assert dlg.have_read.isEnabled()
    click(dlg.have_read)
    assert dlg.have_read.isChecked()


def test_drop_a_manifest_read_consent_and_join(qtbot, tasks, vault_ready, tmp_path) -> None:
    manifest = write_signed(tmp_path / "study.toml")
    dlg = _join_dialog(qtbot, tasks)
    assert not dlg.join_button.isVisible()
    _drop(dlg, manifest)
    qtbot.waitUntil(lambda: dlg.join_button.isVisible(), timeout=10000)
    fingerprint = signing.fingerprint(signing.split(manifest.read_bytes()).public_key or b"")
    assert fingerprint in dlg.signer.text()
    text = "\n".join(t.text() for t in dlg.pages.texts)
    for heading in CONSENT_HEADINGS:
        assert heading in text or heading in dlg.pages.titles
    assert "never which letter" in text
    assert "Dr. Jane Example" in text
    # "I have read" only after turning to the last page; then every required box, one at a time
    _read_every_page(dlg)
    assert not dlg.join_button.isEnabled()
    click(dlg.boxes["read"])
    assert not dlg.join_button.isEnabled()
    click(dlg.boxes["agree"])
    assert dlg.join_button.isEnabled()
    # the participant may allow less than the study asks: no exact keys offered, scrolling unticked
    assert dlg.allow_keys.findData("full") == -1
    assert dlg.allow_keys.currentData() == "class"
    click(dlg.allow_streams["scrolls"])
    _shot(dlg, "study-consent.png")
    click(dlg.join_button)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=10000)
    study = enrolment.load(STUDY_ID)
    from tallylight.store import vault

    record_ = enrolment.read_consent(study, vault.unlock(PASSPHRASE))
    assert record_.checkboxes == {"read": True, "agree": True, "contact-later": False}
    assert record_.capture["scrolls"] is False
    assert study.ceiling().scrolls is False
    assert study.ceiling().keys.label == "class"
    assert study.ceiling().clicks is True


def test_a_new_version_opens_with_the_earlier_narrowing(qtbot, tasks, vault_ready, tmp_path) -> None:
    """issue 17 item 5: the Join dialog for version 2 starts from what was allowed for version 1."""
    from tallylight.options import CaptureOptions, KeyMode

    v1 = enrolment.check_offer(write_signed(tmp_path / "v1.toml").read_bytes())
    narrowed = CaptureOptions(keys=KeyMode.NONE, scrolls=False)
    enrolment.join(v1, {"read": True, "agree": True}, narrowed)
    dlg = _join_dialog(qtbot, tasks)
    _drop(dlg, write_signed(tmp_path / "v2.toml", **{"version = 1 ": "version = 2 "}))
    qtbot.waitUntil(lambda: dlg.join_button.isVisible(), timeout=10000)
    assert dlg.allow_keys.currentData() == "none"
    assert not dlg.allow_streams["scrolls"].isChecked()
    assert dlg.allow_streams["clicks"].isChecked()
    _read_every_page(dlg)
    click(dlg.boxes["read"])
    click(dlg.boxes["agree"])
    click(dlg.join_button)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=10000)
    study = enrolment.load(STUDY_ID)
    assert study.enrolment.study_version == 2
    assert study.ceiling() == narrowed


def test_open_button_and_refusals_say_why(qtbot, tasks, vault_ready, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    tampered = tmp_path / "tampered.toml"
    tampered.write_bytes(signing.sign(current_body(), OTHER).replace(b"Jane", b"Joan"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(tampered), ""))
    dlg = _join_dialog(qtbot, tasks)
    click(dlg.open_button)
    qtbot.waitUntil(lambda: dlg.problem.isVisible(), timeout=10000)
    assert "changed after it was signed" in dlg.problem.text()
    assert not dlg.join_button.isVisible()
    _shot(dlg, "study-refused.png")
    expired = write_signed(
        tmp_path / "expired.toml", **{"approval_expires = ": "approval_expires = 2020-01-01 #"}
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(expired), ""))
    click(dlg.open_button)
    qtbot.waitUntil(lambda: "approval expired" in dlg.problem.text(), timeout=10000)
    assert enrolment.enrolled_ids() == []


def _join(path: Path, **capture) -> None:
    enrolment.join(enrolment.check_offer(path.read_bytes()), {"read": True, "agree": True})


def test_start_dialog_study_choice_cannot_widen(make_app, qtbot, xserver, tmp_path, monkeypatch) -> None:
    """Settings allow exact keys; the study allows the kind of key only. The dialog and the real
    recorder both hold the study's ceiling, whatever is chosen in the dialog."""
    from tallylight import settings

    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    monkeypatch.setenv("TALLYLIGHT_SINK", "memory")
    s = settings.Settings(welcome_done=True, reminder_every_min=0, capture=CaptureOptions(keys=KeyMode.FULL))
    settings.save(s)
    _join(write_signed(tmp_path / "study.toml", **{"scrolls = true": "scrolls = false"}))
    app = make_app(use_tray=False)
    app.controller.settings = s
    app.open_start_dialog()
    qtbot.waitUntil(lambda: "start" in app.dialogs, timeout=5000)
    dlg = app.dialogs["start"]
    qtbot.waitUntil(lambda: dlg.study.isVisible(), timeout=10000)
    assert dlg.study.count() == 2
    assert dlg.study_id() == ""
    assert dlg.options().keys.label == "full"  # personal: the settings' ceiling only
    dlg.keys.setCurrentIndex(dlg.keys.findData("full"))
    click(dlg.study)  # open the list with a real click, pick the study with the keyboard
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClick(dlg.study.view(), Qt.Key.Key_Down)
    QTest.keyClick(dlg.study.view(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.study_id() == STUDY_ID, timeout=3000)
    assert dlg.options().keys.label == "class"
    assert dlg.options().scrolls is False
    # only what the study allows is offered; even forcing the widgets, options() stays within it
    assert dlg.keys.findData("full") == -1
    assert dlg.keys.currentData() == "class"
    assert not dlg.scrolls.isEnabled()
    assert not dlg.scrolls.isChecked()
    assert "never which letter" in dlg.summary.text()
    assert "Scrolling: not recorded" in dlg.summary.text()
    _shot(dlg, "start-dialog-study.png")
    dlg.scrolls.setEnabled(True)  # forcing the widget does not widen what is sent
    dlg.scrolls.setChecked(True)
    assert dlg.options().scrolls is False
    click(dlg.start_button)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=15000)
    assert app.controller.study == STUDY_ID
    assert app.controller.options["keys"] == "class"
    assert app.controller.options["scrolls"] is False
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=15000)
    assert len(enrolment.load(STUDY_ID).session_ids()) == 1


def test_studies_window_withdraw(qtbot, tasks, vault_ready, tmp_path) -> None:
    """issue 17 item 9: the window asks for the passphrase and finds sessions by their headers."""
    from PySide6.QtTest import QTest

    from tallylight.store import sessions
    from tallylight.ui.dialogs.studies import StudiesDialog

    _join(write_signed(tmp_path / "study.toml"))
    mine = [record(STUDY_ID), record(STUDY_ID)]
    personal = record()
    dlg = StudiesDialog(tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.waitUntil(lambda: dlg.list.count() == 1 and dlg.withdraw_button.isEnabled(), timeout=10000)
    assert "2 sessions" in dlg.list.item(0).text()
    click(dlg.withdraw_button)
    assert dlg.confirm.isVisible()
    assert "2 sessions" in dlg.confirm_text.text()
    click(dlg.confirm_no)  # keep taking part: nothing happens
    assert not dlg.confirm.isVisible()
    assert enrolment.enrolled_ids() == [STUDY_ID]
    click(dlg.withdraw_button)
    _shot(dlg, "study-withdraw-confirm.png")
    click(dlg.confirm_yes)  # no passphrase yet: it is asked for, nothing happens
    assert "Enter your passphrase first" in dlg.receipt.text()
    assert enrolment.enrolled_ids() == [STUDY_ID]
    # a session whose note in the study folder is gone is found from its encrypted header
    (enrolment.study_dir(STUDY_ID) / enrolment.SESSIONS / mine[1]).unlink()
    QTest.keyClicks(dlg.passphrase, PASSPHRASE)
    click(dlg.confirm_yes)
    qtbot.waitUntil(lambda: dlg.receipt.isVisible() and "You withdrew" in dlg.receipt.text(), timeout=10000)
    assert "Destroyed: 2 sessions and 1 consent record" in dlg.receipt.text()
    qtbot.waitUntil(lambda: dlg.list.count() == 0, timeout=10000)
    _shot(dlg, "study-withdrawn.png")
    assert sessions.session_ids() == [personal]
    assert not set(mine) & set(sessions.session_ids())
    assert enrolment.enrolled_ids() == []


def test_tray_menu_opens_the_studies_window(make_app, qtbot) -> None:
    app = make_app(use_tray=False)
    app.actions.studies.trigger()
    qtbot.waitUntil(lambda: "studies" in app.dialogs, timeout=5000)
    studies = app.dialogs["studies"]
    click(studies.join_button)
    assert studies.join_dialog is not None
    assert studies.join_dialog.isVisible()


def test_tasks_and_notes_from_the_window(make_app, qtbot, xserver, tmp_path, monkeypatch) -> None:
    """The window shown without a tray: a study session's tasks and notes with real clicks."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    monkeypatch.setenv("TALLYLIGHT_SINK", "memory")
    _join(write_signed(tmp_path / "study.toml"))
    app = make_app(use_tray=False)
    win = app.window
    assert not win.task_button.isVisible()
    assert not win.note_button.isVisible()
    app.controller.start_session(study=STUDY_ID)
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=15000)
    qtbot.waitUntil(lambda: win.task_button.isVisible() and win.note_button.isVisible(), timeout=5000)
    from PySide6.QtCore import QTimer

    def pick() -> None:  # runs inside the menu's own event loop (the button's click opens it modally)
        if not win.task_menu.isVisible():
            QTimer.singleShot(50, pick)
            return
        (start,) = [a for a in win.task_menu.actions() if a.text().startswith("Start")]
        QTest.mouseClick(
            win.task_menu, Qt.MouseButton.LeftButton, pos=win.task_menu.actionGeometry(start).center()
        )

    QTimer.singleShot(50, pick)
    click(win.task_button)
    qtbot.waitUntil(lambda: app.controller.task == "copy-text", timeout=5000)
    assert "Copy a paragraph" in win.task_button.text()
    assert "Study: Typing rhythm and fatigue" in win.detail_label.text()
    assert "Task: Copy a paragraph" in win.detail_label.text()
    click(win.note_button)
    qtbot.waitUntil(lambda: app.controller.notes == 1, timeout=5000)
    _shot(win, "window-study-task.png")
    app.actions.end_task.trigger()
    qtbot.waitUntil(lambda: app.controller.task == "", timeout=5000)
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=15000)
    assert not win.task_button.isVisible()


def test_review_window_shows_tasks_and_notes(qtbot, tasks, vault_ready, tmp_path) -> None:
    """A study session with a task and a note: the review timeline draws the task's band, titled."""
    import io
    import json
    import time

    from study_helpers import NoHooks

    from tallylight.capture.transform import TIME_QUANTUM_NS
    from tallylight.events import StopReason
    from tallylight.recorder.process import RecorderProcess
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    _join(write_signed(tmp_path / "study.toml"))
    out = io.StringIO()
    proc = RecorderProcess(out, hooks=NoHooks, check_capture=lambda: None)

    def quantum(t_ns: int) -> int:
        assert proc.session is not None
        return (t_ns - proc.session.t0_ns) // TIME_QUANTUM_NS

    for msg in (
        {"cmd": "start", "options": {}, "study": STUDY_ID},
        {"cmd": "task", "action": "start", "task": "copy-text"},
        {"cmd": "note"},
        {"cmd": "task", "action": "end"},
    ):
        proc.handle(json.dumps(msg))
        # 0 < start < note < end, strictly: the next marker is put once the clock the recorder
        # stamps markers with (perf_counter_ns, kept to TIME_QUANTUM_NS) has moved past this one
        stamped = quantum(time.perf_counter_ns())
        qtbot.waitUntil(lambda: quantum(time.perf_counter_ns()) > stamped, timeout=1000)  # noqa: B023
    proc.stop(StopReason.PARTICIPANT)
    session_id = json.loads(out.getvalue().splitlines()[0])["session_id"]
    win = ReviewWindow(tasks, session_id, vault.unlock(PASSPHRASE))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    assert win.loaded is not None
    data = win.loaded.data
    assert [title for _, _, title in data.tasks] == ["Copy a paragraph"]
    assert data.notes.size == 1
    start, end, _ = data.tasks[0]
    assert 0 < start < data.notes[0] < end
    assert [label.format for label in win.timeline.task_labels] == ["Copy a paragraph"]
    _shot(win, "review-study-tasks.png")


def test_join_dialog_fits_its_pages(qtbot, tasks, vault_ready, tmp_path) -> None:
    """The short first page opens at its content's size (not a fixed 640x720 with the page floating in
    it); the consent page then grows to a comfortable reading size, never beyond the screen."""
    manifest = write_signed(tmp_path / "study.toml")
    dlg = _join_dialog(qtbot, tasks)
    first = dlg.size()
    hint = dlg.sizeHint()
    assert first.height() <= hint.height() + 2, (first, hint)
    assert first.height() < 400, (first, hint)
    _drop(dlg, manifest)
    qtbot.waitUntil(lambda: dlg.join_button.isVisible(), timeout=10000)
    lines = dlg.pages.fontMetrics().lineSpacing()
    avail = screen_of(dlg).availableGeometry()
    qtbot.waitUntil(lambda: dlg.pages.height() >= min(15 * lines, avail.height() // 3), timeout=3000)
    assert avail.contains(dlg.frameGeometry())


def test_join_dialog_is_modal_with_focus_and_opens_once(qtbot, tasks, vault_ready) -> None:
    """Issue 21 #14: the Join dialog was not modal and had no focus; Enter on "Join a study…"
    again opened a second one on top."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from tallylight.ui.dialogs.studies import JoinStudyDialog, StudiesDialog

    studies = StudiesDialog(tasks)
    qtbot.addWidget(studies)
    studies.show()
    qtbot.waitExposed(studies)
    click(studies.join_button)
    first = studies.join_dialog
    assert first is not None
    qtbot.waitExposed(first)
    assert first.isModal() or first.windowModality() != Qt.WindowModality.NonModal
    assert first.focusWidget() is first.open_button
    studies.join_button.setFocus()
    QTest.keyClick(studies.join_button, Qt.Key.Key_Return)
    QApplication.processEvents()
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, JoinStudyDialog) and w.isVisible()]
    assert shown == [first]
    first.close()


def test_a_refusal_is_shown_whole(qtbot, tasks, vault_ready, tmp_path) -> None:
    """Issue 21 #3: the Join dialog stayed at its first page's size when a manifest was refused,
    so the refusal was cut at the top and bottom. The dialog grows to show it whole."""
    tampered = tmp_path / "tampered.toml"
    tampered.write_bytes(signing.sign(current_body(), OTHER).replace(b"Jane", b"Joan"))
    dlg = _join_dialog(qtbot, tasks)
    dlg.load(tampered)
    qtbot.waitUntil(lambda: dlg.problem.isVisible(), timeout=10000)
    label = dlg.problem
    qtbot.waitUntil(lambda: label.heightForWidth(label.width()) <= label.height() + 1, timeout=3000)
    assert screen_of(dlg).availableGeometry().contains(dlg.frameGeometry())
    assert label.mapTo(dlg, label.rect().bottomRight()).y() <= dlg.height()


@pytest.mark.parametrize("allow", [False, True])
def test_typing_text_is_a_consent_choice_of_its_own(qtbot, tasks, vault_ready, tmp_path, allow) -> None:
    """A study with a typing task asks, apart from the key mode, whether the characters typed into
    the task's field may be kept; unticked unless the participant ticks it, and joined as chosen.
    A study without one does not ask."""
    from tallylight import words
    from tallylight.i18n import _
    from task_helpers import with_tasks

    plain = _join_dialog(qtbot, tasks)
    _drop(plain, write_signed(tmp_path / "plain.toml"))
    qtbot.waitUntil(lambda: plain.join_button.isVisible(), timeout=10000)
    assert not plain.allow_typing_row.isVisible()  # no typing task: no such question
    plain.close()

    path = tmp_path / "typing.toml"
    path.write_bytes(signing.sign(with_tasks(current_body()), RESEARCHER))
    dlg = _join_dialog(qtbot, tasks)
    _drop(dlg, path)
    qtbot.waitUntil(lambda: dlg.join_button.isVisible(), timeout=10000)
    _read_every_page(dlg)
    assert dlg.allow_typing_row.isVisible()
    assert dlg.allow_typing_row.label.text() == _(words.TYPING_CONSENT)  # what the participant reads
    assert dlg.allow_typing.accessibleName() == _(words.TYPING_CONSENT)  # and a screen reader
    assert not dlg.allow_typing.isChecked()  # never ticked for the participant
    assert dlg.allow_keys.currentData() == "class"  # and the key mode stays where it was
    click(dlg.boxes["read"])
    click(dlg.boxes["agree"])
    if allow:
        click(dlg.allow_typing)
        assert dlg.allow_typing.isChecked()
    click(dlg.join_button)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=10000)
    study = enrolment.load(STUDY_ID)
    assert study.enrolment.typing_text is allow
    assert study.ceiling().keys.label == "class"
