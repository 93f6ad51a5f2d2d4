"""Issue 21 item 1: the walkthrough's UI problems, each driven through the real widgets.

Each test names the problem it covers ("#6" is the sixth of the 25) and fails on the
window as it was before the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest_helpers import PASSPHRASE, click, key, screen_of, write_session

pytestmark = pytest.mark.x11


def _review(make_app, qtbot, sid: str = "s-fix", label: str = "walk"):
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    write_session(sid, label=label, seconds=3)
    app = make_app(use_tray=False)
    win = ReviewWindow(app.tasks, sid, vault.unlock(PASSPHRASE))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    return app, win


def _mnemonic(text: str) -> str:
    """The letter after the single & of a button or tab text ("" if none)."""
    i = text.replace("&&", "").find("&")
    return text.replace("&&", "")[i + 1].lower() if i >= 0 else ""


def test_review_delete_names_the_session(make_app, qtbot) -> None:
    """#6: Delete in Review named no session; now it says which, as Sessions' Delete does."""
    _app, win = _review(make_app, qtbot, label="names me")
    click(win.delete_button)
    qtbot.waitUntil(lambda: win.confirm_box is not None and win.confirm_box.isVisible(), timeout=3000)
    text = win.confirm_box.text()
    assert "“names me”" in text
    assert "cannot be undone" in text
    assert "0:03" in text  # its length
    win.confirm_box.reject()


def test_review_and_live_view_close_on_escape_and_ctrl_w(make_app, qtbot) -> None:
    """#9: the live view and Review ignored Escape and Ctrl+W; Review's Close had no mnemonic."""
    from PySide6.QtCore import Qt

    from tallylight.ui.live_view import LiveView

    app, win = _review(make_app, qtbot)
    assert _mnemonic(win.close_button.text()) == "c"
    for k, mods in (
        (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
    ):
        win.show()
        win.activateWindow()
        qtbot.waitUntil(lambda: win.isActiveWindow(), timeout=3000)
        key(win.slider, k, mods)
        qtbot.waitUntil(lambda: not win.isVisible(), timeout=3000)
        live = LiveView(app.controller)
        qtbot.addWidget(live)
        live.show()
        live.activateWindow()
        qtbot.waitUntil(live.isActiveWindow, timeout=3000)
        key(live.events, k, mods)
        qtbot.waitUntil(lambda w=live: not w.isVisible(), timeout=3000)


def test_review_mnemonics_are_unique(make_app, qtbot) -> None:
    """#10: Alt+T belonged to both "Typing rhythm" and "Cut a span…"."""
    _app, win = _review(make_app, qtbot)
    texts = [
        b.text()
        for b in (
            win.play_button,
            win.cut_button,
            win.undo_button,
            win.export_button,
            win.share_button,
            win.delete_button,
            win.close_button,
        )
    ]
    texts += [win.tabs.tabText(i) for i in range(win.tabs.count())]
    letters = [_mnemonic(t) for t in texts if _mnemonic(t)]
    assert len(letters) == len(set(letters)), texts


def test_export_opens_in_documents_names_the_file_and_warns(make_app, qtbot, monkeypatch, tmp_path) -> None:
    """#12: Export opened at "/", suggested no name, added no .csv, and said "NOT encrypted" only
    in its title bar."""
    import csv

    from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit

    from tallylight.ui.files import save_folder

    monkeypatch.chdir("/")  # as when started from the desktop
    _app, win = _review(make_app, qtbot)
    click(win.export_button)
    qtbot.waitUntil(lambda: win.export_dialog is not None and win.export_dialog.isVisible(), timeout=3000)
    dlg = win.export_dialog
    assert Path(dlg.directory().absolutePath()) == save_folder() != Path("/")
    name = dlg.findChild(QLineEdit, "fileNameEdit")
    assert name.text().startswith("tallylight-session-")
    assert name.text().endswith(".csv")
    warning = dlg.findChild(QLabel, "notEncryptedWarning")
    assert warning is not None
    assert warning.isVisible()
    assert "NOT encrypted" in warning.text()
    name.setText(str(tmp_path / "mine"))  # no ending typed: .csv is added
    click(dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save))
    qtbot.waitUntil(lambda: win.status.text().startswith(("Wrote", "Nothing")), timeout=10000)
    assert (tmp_path / "mine.csv").exists(), win.status.text()
    assert len(list(csv.DictReader((tmp_path / "mine.csv").open()))) == 3


def test_save_bundle_opens_in_documents(qapp, qtbot, monkeypatch) -> None:
    """#12: Save bundle opened at "/" (the working directory of a desktop start)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

    from tallylight.ui.dialogs.share import choose_save_path
    from tallylight.ui.files import save_folder

    monkeypatch.chdir("/")
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: dict[str, str] = {}

    def look() -> None:
        dlg = next(
            (w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()), None
        )
        if dlg is None:
            QTimer.singleShot(50, look)
            return
        seen["dir"] = dlg.directory().absolutePath()
        seen["files"] = ",".join(dlg.selectedFiles())
        dlg.reject()

    QTimer.singleShot(50, look)
    assert choose_save_path(parent, "b1.tallylight.age") is None
    assert Path(seen["dir"]) == save_folder() != Path("/")
    assert seen["files"].endswith("b1.tallylight.age")


def test_stop_summary_link_stays_and_opens_with_enter(make_app, qtbot, monkeypatch) -> None:
    """#7: the "Open the session" link vanished after 30 s; a keyboard user reached it at ~40 s."""
    from PySide6.QtCore import Qt

    from tallylight.ui import fallback_window

    monkeypatch.setattr(fallback_window, "MESSAGE_MS", 50)
    app = make_app(use_tray=False)
    win = app.window
    opened: list[str] = []
    win.open_session.connect(opened.append)
    win.show_message("Note", "a notice without a link")
    qtbot.waitUntil(lambda: not win.message_label.isVisible(), timeout=3000)  # plain notices go
    win.show_session_message("Recording stopped", "Recording stopped: 0:00:03.", "s-link")
    qtbot.wait(400)  # deliberate: many times the notice time, for a negative check
    assert win.message_label.isVisible()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    for _ in range(30):  # Tab, as the keyboard user did, until the link is selected
        if win.focusWidget() is win.message_label and win.message_label.selectedText():
            break
        key(win.focusWidget() or win, Qt.Key.Key_Tab)
    assert win.message_label.selectedText() == "Open the session"
    key(win.message_label, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: opened == ["s-link"], timeout=3000)


def _sessions(make_app, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    write_session("s-one", label="first")
    app = make_app(use_tray=False)
    app.actions.sessions.trigger()
    qtbot.waitUntil(lambda: "sessions" in app.dialogs, timeout=3000)
    dlg = app.dialogs["sessions"]
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=5000)
    dlg.passphrase.setFocus()
    QTest.keyClicks(dlg.passphrase, PASSPHRASE)
    QTest.keyClick(dlg.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            dlg.vault is not None
            and dlg.table.item(0, 1) is not None
            and dlg.table.item(0, 1).text() == "first"
        ),
        timeout=5000,
    )
    return app, dlg


def test_unlocked_sessions_have_a_selected_row_and_enter_opens_it(make_app, qtbot) -> None:
    """#8: after unlocking, the list had focus but no selected row (Open and Delete disabled), and
    Enter on a row did nothing."""
    from PySide6.QtCore import Qt

    _app, dlg = _sessions(make_app, qtbot)
    qtbot.waitUntil(lambda: dlg.open_button.isEnabled() and dlg.delete_button.isEnabled(), timeout=3000)
    assert dlg.table.selectionModel().hasSelection()
    qtbot.waitUntil(lambda: dlg.table.hasFocus(), timeout=3000)
    key(dlg.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(dlg.reviews) == 1, timeout=3000)
    win = dlg.reviews["s-one"]
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    win.close()


def test_ctrl_q_while_recording_asks_first(make_app, qtbot, fake_recorder) -> None:
    """#11: Ctrl+Q while recording quit at once, without a question."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    app = make_app(use_tray=False)
    quits: list[int] = []
    app.qapp.aboutToQuit.connect(lambda: quits.append(1))
    real_exit = app.qapp.exit
    win = app.window
    app.controller.start_session(label="busy")
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=8000)
    try:
        # the test's QApplication must live on; exit(), as quit() would close the indicator,
        # whose close asks again (tests/ui/test_e2e.py quits a real app by SIGTERM)
        app.qapp.exit = lambda _code=0: quits.append(2)
        win.activateWindow()
        qtbot.waitUntil(win.isActiveWindow, timeout=3000)
        key(win, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: isinstance(app.dialogs.get("quit"), QMessageBox), timeout=3000)
        box = app.dialogs["quit"]
        qtbot.waitExposed(box)
        assert "recording" in box.text()
        key(box, Qt.Key.Key_Return)  # Enter keeps recording
        qtbot.waitUntil(lambda: "quit" not in app.dialogs, timeout=3000)
        assert quits == []
        assert app.controller.state == "recording"
        key(win, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: "quit" in app.dialogs, timeout=3000)
        box = app.dialogs["quit"]
        qtbot.waitExposed(box)
        click(next(b for b in box.buttons() if "quit" in b.text()))
        qtbot.waitUntil(lambda: quits == [2], timeout=3000)
    finally:
        app.qapp.exit = real_exit
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=8000)


def test_about_shows_the_app_icon_not_the_recording_light(make_app, qtbot) -> None:
    """#23: About showed the red recording icon while idle."""
    from tallylight.ui import icons

    app = make_app(use_tray=False)
    app.actions.about.trigger()
    box = app.dialogs["about"]
    qtbot.waitExposed(box)
    shown = box.iconPixmap().toImage()
    assert shown == icons.app_icon().pixmap(64, 64).toImage()
    assert shown != icons.state_icon("recording").pixmap(64, 64).toImage()
    box.close()


def test_tray_and_main_window_show_mnemonics_and_shortcuts(make_app, tray_host, fake_recorder, qtbot) -> None:
    """#19: tray items and the main window's buttons showed no mnemonics or shortcuts, and one Tab
    stop (the notice) showed no focus."""
    from PySide6.QtCore import Qt

    app = make_app()
    menu = [a for a in app.tray.menu.actions() if a.text() and a is not app.tray.state_item]
    letters = [_mnemonic(a.text()) for a in menu]
    assert all(letters), [a.text() for a in menu]
    assert len(letters) == len(set(letters)), [a.text() for a in menu]

    win = app.show_main_window()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    for action in app.actions.all():
        button = win.buttons[action.text().replace("&", "")]
        assert _mnemonic(button.text()), button.text()
        shortcut = action.shortcut().toString()
        if shortcut:
            assert shortcut in button.text(), button.text()
    # Alt+L (the live view's mnemonic) presses its button
    key(win, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: "live" in app.dialogs and app.dialogs["live"].isVisible(), timeout=3000)
    app.dialogs["live"].close()

    # every Tab stop shows where the focus is: a button, or the notice's selected link
    win.show_message("Saved", "a notice without a link")
    win.show_session_message("Recording stopped", "Recording stopped: 0:00:03.", "s-x")
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    seen = set()
    for _ in range(30):
        key(win.focusWidget() or win, Qt.Key.Key_Tab)
        w = win.focusWidget()
        seen.add(w)
        if w is win.message_label:
            assert w.selectedText() == "Open the session"
        else:
            assert w in win.buttons.values() or w in (win.task_button, win.note_button), w
    assert win.message_label in seen


def test_main_window_keeps_its_buttons_in_place(make_app, qtbot, fake_recorder) -> None:
    """#22: "Study task ▾" showed two arrows and sat below Quit; the window changed height with
    its state, so buttons moved under the pointer."""
    from tallylight.ui.fallback_window import FallbackWindow

    app = make_app(use_tray=False)
    win: FallbackWindow = app.window
    qtbot.waitExposed(win)
    assert "▾" not in win.task_button.text()
    quit_button = win.buttons["Quit"]

    def places() -> list[tuple[int, int]]:
        return [
            (b.mapTo(win, b.rect().topLeft()).x(), b.mapTo(win, b.rect().topLeft()).y())
            for b in win.buttons.values()
        ]

    idle = places()

    # the study row is beside Quit, not below it
    def middle(b) -> int:
        return b.mapTo(win, b.rect().center()).y()

    assert middle(win.task_button) == middle(quit_button)
    app.controller.start_session(label="steady")
    qtbot.waitUntil(lambda: app.controller.state == "recording" and win.note_button.isVisible(), timeout=8000)
    qtbot.waitUntil(lambda: "Recorded: 0:00:0" in win.detail_label.text(), timeout=3000)
    qtbot.waitUntil(lambda: places() == idle, timeout=3000)  # once the layout has settled
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle" and win.message_label.isVisible(), timeout=8000)
    qtbot.waitUntil(lambda: places() == idle, timeout=3000)


def _share_dialog(qtbot, vault, **kw):
    from tallylight.ui.dialogs.share import ShareDialog
    from tallylight.ui.tasks import TaskRunner

    dlg = ShareDialog(TaskRunner(), vault, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def test_share_says_save_for_a_file_and_why_the_study_box_is_empty(
    tmp_path, tallylight_home, qapp, qtbot
) -> None:
    """#25: the preview said "Press Share to send" when saving to a file; with no study joined the
    Study box was empty with no word why."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "share"))
    from share_helpers import JoinedStudy, make_vault

    data = tallylight_home / "data"
    vault = make_vault(data)
    empty = _share_dialog(qtbot, vault)
    qtbot.waitUntil(lambda: "not joined a study" in empty.status.text(), timeout=15000)
    assert not empty.study_combo.isEnabled()
    assert empty.study_combo.currentIndex() == -1
    assert "No study joined" in empty.study_combo.placeholderText()
    empty.close()

    study = JoinedStudy(tmp_path / "study", data, upload_url="https://example.invalid/drop/")
    study.record(data, "s1")
    dlg = _share_dialog(qtbot, vault, session_ids=["s1"])
    qtbot.waitUntil(dlg.share_button.isEnabled, timeout=15000)
    assert "send" in dlg.status.text()
    from PySide6.QtCore import QPoint

    click(dlg.file_radio, QPoint(10, dlg.file_radio.height() // 2))  # on its circle
    qtbot.waitUntil(lambda: "save" in dlg.status.text(), timeout=3000)
    assert "send" not in dlg.status.text()
    click(dlg.upload_radio, QPoint(10, dlg.upload_radio.height() // 2))
    qtbot.waitUntil(lambda: "send" in dlg.status.text(), timeout=3000)


def _welcome(qtbot):
    from tallylight.ui.dialogs.welcome import WelcomeDialog
    from tallylight.ui.tasks import TaskRunner

    dlg = WelcomeDialog(TaskRunner())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def test_welcome_does_not_offer_a_file_keyring(qapp, qtbot, tallylight_home, monkeypatch, tmp_path) -> None:
    """#13: the welcome offered "keep the key in this computer's keychain" when the only backend
    was a file keyring that the vault refuses, and then dropped the choice silently."""
    import keyring
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    keyring.core.init_backend()
    try:
        dlg = _welcome(qtbot)
        click(dlg.next_button)
        qtbot.waitUntil(
            lambda: dlg.keychain_note.text() != "Looking for the computer's keychain…", timeout=8000
        )
        assert not dlg.keychain.isVisible()
        assert not dlg.use_keychain()
        assert "ordinary file" in dlg.keychain_note.text()
    finally:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        keyring.core.init_backend()


def test_welcome_shows_the_tray_light_and_no_band_at_the_top(
    qapp, qtbot, tallylight_home, monkeypatch
) -> None:
    """#20: the welcome spoke of "this icon in the tray" but showed none, and two pages had a blank
    band at the top (their text was centred in the height of the tallest page)."""
    dlg = _welcome(qtbot)
    idle, recording = (light.pixmap().toImage() for light in dlg.lights)
    assert not idle.isNull()
    assert not recording.isNull()
    assert idle != recording
    assert [light.accessibleName() for light in dlg.lights] == [
        "Tallylight's light: Not recording",
        "Tallylight's light: Recording",
    ]
    assert all(light.isVisible() for light in dlg.lights)

    def top_gap(label) -> int:
        """Pixels from the label's top to its first painted text (its grab, row by row)."""
        img = label.grab().toImage()
        background = img.pixel(0, 0)
        for y in range(img.height()):
            if any(img.pixel(x, y) != background for x in range(0, img.width(), 2)):
                return y
        return img.height()

    line = dlg.fontMetrics().lineSpacing()
    assert top_gap(dlg.intro) < 2 * line
    click(dlg.next_button)
    dlg.set_next_step("To start a session, choose Start session.")
    dlg.show_next_step()
    qtbot.waitUntil(lambda: dlg.stack.currentIndex() == 2, timeout=3000)
    assert top_gap(dlg.next_step) < 2 * line


def test_start_dialog_shows_the_study_limits(
    make_app, qtbot, tallylight_home, tmp_path, fake_recorder
) -> None:
    """#5: the Start dialog showed Settings' limits (2 hours / 15 minutes without input) for a study
    session whose manifest says 60 / 10 minutes (the recorder applies the stricter)."""
    import sys

    from PySide6.QtCore import Qt

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "share"))
    from share_helpers import JoinedStudy

    JoinedStudy(tmp_path / "study", tallylight_home / "data")  # the template's 60 / 10 minutes
    app = make_app(use_tray=False)
    assert (app.settings.max_duration_min, app.settings.idle_timeout_min) == (120, 15)
    app.actions.start.trigger()
    qtbot.waitUntil(lambda: "start" in app.dialogs, timeout=3000)
    dlg = app.dialogs["start"]
    qtbot.waitUntil(lambda: dlg.study.isVisible() and dlg.study.count() == 2, timeout=10000)
    assert "after 2 hours or after 15 minutes without input" in dlg.limits.text()  # personal
    dlg.study.setFocus()
    key(dlg.study, Qt.Key.Key_Down)  # the study
    qtbot.waitUntil(lambda: dlg.study_id() != "", timeout=3000)
    assert "after 1 hour or after 10 minutes without input" in dlg.limits.text()
    key(dlg.study, Qt.Key.Key_Up)  # personal again
    qtbot.waitUntil(lambda: "after 2 hours" in dlg.limits.text(), timeout=3000)
    dlg.reject()


def test_hotkey_notice_names_the_running_sessions_hotkey(make_app, monkeypatch, qtbot, xserver) -> None:
    """#18: after a new hotkey was set, the notice named it while the running session still used
    the old one."""
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    from tallylight import settings as settings_mod

    app = make_app(use_tray=False)
    app.controller.apply_settings(
        settings_mod.Settings(pause_hotkey="<ctrl>+<alt>+p", private_apps=[], reminder_every_min=0)
    )
    c = app.controller
    notes: list[str] = []
    c.notify.connect(lambda _t, m: notes.append(m))
    c.start_session()
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    # Settings saved with a new hotkey while the session runs
    c.apply_settings(
        settings_mod.Settings(pause_hotkey="<ctrl>+<alt>+o", private_apps=[], reminder_every_min=0)
    )
    xserver.xdotool("key", "ctrl+alt+p")  # the session's own hotkey still pauses it
    qtbot.waitUntil(lambda: c.state == "paused", timeout=5000)
    qtbot.waitUntil(lambda: any("paused by" in n for n in notes), timeout=3000)
    said = next(n for n in notes if "paused by" in n)
    assert "Ctrl+Alt+P" in said, said
    assert "Ctrl+Alt+O" not in said
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)


def test_settings_tabs_do_not_scroll_at_1x_and_the_app_hint_is_whole(make_app, qtbot) -> None:
    """#21: Settings at 1x needed scrolling on the Private apps tab, and its placeholder was cut."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QScrollArea

    from tallylight import settings as settings_mod
    from tallylight.ui.dialogs.settings import SettingsDialog

    app = make_app(use_tray=False)
    dlg = SettingsDialog(settings_mod.Settings(private_apps=["KeePassXC", "Signal"]), app.tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert screen_of(dlg).availableGeometry().height() >= 700  # a 1x screen with room
    for i in range(dlg.tabs.count()):
        key(dlg.tabs.tabBar(), Qt.Key.Key_Right) if i else dlg.tabs.tabBar().setFocus()
        qtbot.waitUntil(lambda i=i: dlg.tabs.currentIndex() == i, timeout=3000)
        area = dlg.tabs.currentWidget()
        assert isinstance(area, QScrollArea)
        qtbot.waitUntil(lambda a=area: a.widget().isVisible(), timeout=3000)
        assert not area.verticalScrollBar().isVisible(), dlg.tabs.tabText(i)
        assert not area.horizontalScrollBar().isVisible(), dlg.tabs.tabText(i)
    edit = dlg.new_app
    needed = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
    assert edit.width() > needed, (edit.width(), needed)


def _write_wide_session(sid: str) -> None:
    """A session whose pointer crosses a 1280-pixel screen six times (real writer)."""
    import dataclasses
    import time

    from store_helpers import make_info

    from tallylight import events as ev
    from tallylight.events import StopReason
    from tallylight.store import writer

    info = dataclasses.replace(make_info(sid, "wide"), started_wall_ns=time.time_ns())
    w = writer.open_session(info, seal_interval_s=1e9)
    moves = [ev.move(10_000_000 * (i + 1), 0 if i % 2 == 0 else 1279, 300) for i in range(7)]
    w.write(moves)
    w.seal()
    w.close(StopReason.PARTICIPANT)


def test_review_compares_the_path_with_this_screen_and_frames_it(make_app, qtbot) -> None:
    """#15: the summary said "across a 1920-pixel-wide screen" on a 1280-pixel screen, and the
    replay's frame was the path's extent, not the screen."""
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    _write_wide_session("s-wide")
    app = make_app(use_tray=False)
    win = ReviewWindow(app.tasks, "s-wide", vault.unlock(PASSPHRASE))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    screen = screen_of(win)
    width = round(screen.geometry().width() * screen.devicePixelRatio())
    assert width == 1280  # the test display
    text = win.summary_label.text()
    assert "about 6 times across a 1280-pixel-wide screen" in text, text
    assert "1920" not in text
    rect = win.replay.screen.rect()
    g = screen.virtualGeometry()
    assert (rect.width(), rect.height()) == (g.width(), g.height())  # not the path's 1279 x 300


def test_review_summary_is_plain_and_forgets_what_was_cut(make_app, qtbot) -> None:
    """#16: the summary spoke of "delivery lag percentiles" and load averages, contradicted itself
    (re-timed from the X server's times / timed from the OS clock instead), and after a cut still
    counted the removed events."""
    from store_helpers import timing_record

    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    write_session("s-timed", label="timed", seconds=3, timing=timing_record())
    app = make_app(use_tray=False)
    win = ReviewWindow(app.tasks, "s-timed", vault.unlock(PASSPHRASE))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    text = win.summary_label.text()
    for jargon in ("percentile", "Delivery lag", "Load average", "OS clock", "re-timed"):
        assert jargon not in text, (jargon, text)
    assert "3 of 6 events reached Tallylight late" in text
    assert "You pressed 1 key" in text
    # cut out the first second, which holds the key press
    click(win.cut_button)
    win.cut_from.setValue(0.0)
    win.cut_to.setValue(1.0)
    click(win.apply_cut_button)
    qtbot.waitUntil(lambda: win.ready and "You pressed 0 keys" in win.summary_label.text(), timeout=15000)
    after = win.summary_label.text()
    assert "of 6 events" not in after, after


def test_rhythm_overflow_is_labelled_and_the_legend_covers_no_bars(make_app, qtbot) -> None:
    """#24: the histograms' overflow bars were unlabelled, the timeline's legend covered its bars,
    and at 200 % the y-axis label was cut (it is now short enough for the axis at any scale)."""
    import dataclasses
    import time

    from store_helpers import make_info

    from tallylight import events as ev
    from tallylight.events import StopReason
    from tallylight.store import vault, writer
    from tallylight.ui.review.window import ReviewWindow

    info = dataclasses.replace(make_info("s-hold", "hold"), started_wall_ns=time.time_ns())
    w = writer.open_session(info, seal_interval_s=1e9)
    w.write(
        [
            ev.key_down(1_000_000, ev.KeyClass.LETTER, 1, ""),
            ev.key_up(901_000_000, ev.KeyClass.LETTER, 1),  # held 900 ms: beyond the 400 ms scale
            ev.key_down(1_000_000_000, ev.KeyClass.LETTER, 2, ""),
            ev.key_up(1_050_000_000, ev.KeyClass.LETTER, 2),
            ev.move(2_000_000_000, 10, 10),
        ]
    )
    w.seal()
    w.close(StopReason.PARTICIPANT)
    app = make_app(use_tray=False)
    win = ReviewWindow(app.tasks, "s-hold", vault.unlock(PASSPHRASE))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    hold = win.hists[0]
    assert hold.overflow.isVisible()
    assert hold.overflow.toPlainText() == "390 ms or more"
    assert not win.hists[3].overflow.isVisible()  # no pause beyond its scale

    timeline = win.timeline
    p = timeline.getPlotItem()
    legend = timeline.legend.sceneBoundingRect()
    assert legend.height() > 0
    assert not legend.intersects(p.getViewBox().sceneBoundingRect())
    axis = p.getAxis("left")
    assert axis.label.boundingRect().width() <= axis.geometry().height()  # the rotated label fits


def test_times_agree_and_share_names_sessions_in_date_order(
    make_app, qtbot, tallylight_home, tmp_path
) -> None:
    """#17: the locked list said "about 18:04" for a session recorded at 17:58 (its key file was
    rewritten by a cut); Share's list and its preview differed by a minute; Share showed hex ids
    instead of labels, out of date order."""
    import dataclasses
    import datetime as dt
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "share"))
    from share_helpers import JoinedStudy, info, sample_events

    from tallylight.events import StopReason
    from tallylight.store import sessions as store
    from tallylight.store import vault, writer
    from tallylight.store.layout import KEY_FILE
    from tallylight.study import enrolment
    from tallylight.ui.dialogs.sessions import SessionsDialog
    from tallylight.ui.review.window import ReviewWindow

    data = tallylight_home / "data"
    study = JoinedStudy(tmp_path / "study", data)
    base = 1_764_950_000_000_000_000  # 2025-12-05, at a minute's 20th second
    # recorded in this order; the second one started first
    for sid, minutes, label in (("s-later", 30, "afternoon"), ("s-earlier", 0, "morning")):
        header = dataclasses.replace(
            info(sid, base + minutes * 60 * 10**9 + 50 * 10**9), study_id=study.study_id, label=label
        )
        w = writer.open_session(header, data, seal_interval_s=1e9)
        w.write(sample_events())
        w.seal()
        w.close(StopReason.PARTICIPANT)
        enrolment.register_session(study.study_id, sid, data)
        start_s = (base + minutes * 60 * 10**9) / 1e9  # its key file was written at the start
        os.utime(store.session_dir(sid) / KEY_FILE, (start_s, start_s))

    app = make_app(use_tray=False)
    unlocked = vault.unlock(PASSPHRASE)
    # a cut and its undo, from the review window, rewrite the session's files
    win = ReviewWindow(app.tasks, "s-earlier", unlocked)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    click(win.cut_button)
    click(win.apply_cut_button)
    qtbot.waitUntil(lambda: win.ready and win.undo_button.isEnabled(), timeout=15000)
    click(win.undo_button)
    qtbot.waitUntil(lambda: win.ready and "undone" in win.status.text(), timeout=15000)
    win.close()
    locked = SessionsDialog(app.tasks)
    qtbot.addWidget(locked)
    locked.show()
    qtbot.waitUntil(lambda: locked.table.rowCount() == 2, timeout=5000)
    started = dt.datetime.fromtimestamp(base / 1e9).strftime("%Y-%m-%d %H:%M")
    dates = {item.text() for r in range(2) if (item := locked.table.item(r, 0)) is not None}
    assert f"about {started}" in dates, dates
    locked.close()

    share = _share_dialog(qtbot, unlocked, session_ids=["s-earlier"])
    qtbot.waitUntil(lambda: share.session_list.count() == 2 and share.share_button.isEnabled(), timeout=15000)
    qtbot.waitUntil(lambda: "morning" in share.session_list.item(0).text(), timeout=5000)
    exact = dt.datetime.fromtimestamp((base + 50 * 10**9) / 1e9).strftime("%Y-%m-%d %H:%M")
    texts = [share.session_list.item(i).text() for i in range(2)]
    assert texts[0].startswith(exact), texts  # the exact start, as the preview says it
    assert "“morning”" in texts[0], texts  # oldest first
    assert "“afternoon”" in texts[1], texts
    assert not any("s-earlier" in t or "s-later" in t for t in texts)
    assert exact in share.preview.toPlainText()  # the preview says the same minute


@pytest.mark.parametrize("language", ["en", "de", "en@pseudo"])
def test_mnemonics_are_unique_in_every_language(make_app, qtbot, language) -> None:
    """#10 and #19 in each shipped language: every tray item and main-window button, and every
    Review button and tab, has its own mnemonic."""
    from tallylight import i18n
    from tallylight.store import vault
    from tallylight.ui.actions import AppActions
    from tallylight.ui.fallback_window import FallbackWindow
    from tallylight.ui.review.window import ReviewWindow
    from tallylight.ui.tray import TrayUI

    write_session("s-lang", label="lang", seconds=3)
    app = make_app(use_tray=False)
    i18n.use_languages([language])
    try:
        actions = AppActions(app.controller)
        tray = TrayUI(app.controller, actions)
        menu = [a.text() for a in tray.menu.actions() if a.text() and a is not tray.state_item]
        letters = [_mnemonic(t) for t in menu]
        assert all(letters), menu
        assert len(letters) == len(set(letters)), menu
        win = FallbackWindow(app.controller, actions, indicator=False)
        qtbot.addWidget(win)
        buttons = [b.text() for b in win.buttons.values()] + [win.task_button.text(), win.note_button.text()]
        letters = [_mnemonic(t) for t in buttons]
        assert all(letters), buttons
        assert len(letters) == len(set(letters)), buttons
        review = ReviewWindow(app.tasks, "s-lang", vault.unlock(PASSPHRASE))
        qtbot.addWidget(review)
        texts = [
            b.text()
            for b in (
                review.play_button,
                review.cut_button,
                review.undo_button,
                review.export_button,
                review.share_button,
                review.delete_button,
                review.close_button,
            )
        ] + [review.tabs.tabText(i) for i in range(review.tabs.count())]
        letters = [_mnemonic(t) for t in texts]
        assert all(letters), texts
        assert len(letters) == len(set(letters)), texts
        review.close()
        tray.hide()
    finally:
        i18n.use_languages(None)


SETTINGS_AT_1X = r"""
import json, sys, threading, time
from PySide6.QtWidgets import QApplication
app = QApplication([sys.argv[0], "-platform", "xcb"])
from tallylight import settings
from tallylight.capture import focus
from tallylight.ui.dialogs.settings import SettingsDialog
from tallylight.ui.tasks import TaskRunner

# The dialog's workers (can focus be known here, which apps are open) answer only once it is
# shown with the Private apps tab in front: when they answered so on a loaded machine, the
# window kept its first size and that tab scrolled (the answer's text is a line longer).
answer = threading.Event()
def held(real):
    def run(*args, **kwargs):
        answer.wait(60)
        return real(*args, **kwargs)
    return run
focus.focus_support = held(focus.focus_support)
focus.open_apps = held(focus.open_apps)
apps_shown = []
show_apps = SettingsDialog._show_open_apps
def note_apps(self, names):
    show_apps(self, names)
    apps_shown.append(names)
SettingsDialog._show_open_apps = note_apps

def drain():  # the events posted in this process (layout requests, zero timers)
    for _ in range(50):
        app.processEvents()

dlg = SettingsDialog(settings.Settings(private_apps=["KeePassXC", "Signal", "Bitwarden"]), TaskRunner())
dlg.show()
drain()
private = next(i for i in range(dlg.tabs.count()) if dlg.tabs.widget(i).isAncestorOf(dlg.focus_note))
dlg.tabs.setCurrentIndex(private)
drain()
checking = dlg.focus_note.text()
answer.set()
deadline = time.monotonic() + 60
while dlg.focus_note.text() == checking or not apps_shown:
    if time.monotonic() > deadline:
        sys.exit("the dialog's workers did not answer")
    app.processEvents()
drain()
def bars():
    area = dlg.tabs.currentWidget()
    return [area.verticalScrollBar().isVisible(), area.horizontalScrollBar().isVisible()]
out = {"answered in front: " + dlg.tabs.tabText(private): bars()}
for i in range(dlg.tabs.count()):
    dlg.tabs.setCurrentIndex(i)
    drain()
    out[dlg.tabs.tabText(i)] = bars()
from tallylight.ui.fit import screen_of
out["screen"] = [screen_of(dlg).geometry().width(), screen_of(dlg).geometry().height()]
print(json.dumps(out))
"""


@pytest.mark.parametrize("language", ["en", "de", "en@pseudo"])
def test_settings_needs_no_scrolling_on_a_1280x800_screen(tallylight_home, language) -> None:
    """#21 on the tester's screen (1280x800 at 1x): the Private apps tab scrolled (in German and
    the pseudo-locale both ways, and This computer sideways); no tab scrolls now. Also when the
    dialog's workers answer after it is shown, with that tab in front (under load the window
    kept its first size, and the answer's longer text made the tab scroll)."""
    import json
    import subprocess
    import sys

    from xserver import xvfb

    with xvfb(screen="1280x800x24") as server:
        env = server.env(
            QT_QPA_PLATFORM="xcb",
            QT_SCALE_FACTOR="1",
            TALLYLIGHT_HOME=str(tallylight_home),
            LANGUAGE=language,
        )
        env.pop("QT_SCREEN_SCALE_FACTORS", None)
        proc = subprocess.run(
            [sys.executable, "-c", SETTINGS_AT_1X], env=env, capture_output=True, text=True, timeout=120
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result.pop("screen") == [1280, 800]
    scrolling = {tab: bars for tab, bars in result.items() if any(bars)}
    assert not scrolling, scrolling


def test_review_cut_row_speaks_german(make_app, qtbot) -> None:
    """The cut row read "Schneiden von … to …": its middle word missed gettext."""
    from PySide6.QtWidgets import QLabel

    from tallylight import i18n
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    write_session("s-cut-de", seconds=3)
    app = make_app(use_tray=False)
    i18n.use_languages(["de"])
    try:
        review = ReviewWindow(app.tasks, "s-cut-de", vault.unlock(PASSPHRASE))
        qtbot.addWidget(review)
        words = [label.text() for label in review.cut_row.findChildren(QLabel)]
        assert words[:2] == ["Schneiden von", "bis"], words
        review.close()
    finally:
        i18n.use_languages(None)
