"""Every control named, every label's text reachable, checked in Qt's accessibility tree —
what a screen reader gets (issue 8, item 10)."""

from __future__ import annotations

from a11y_tree import names, problems
from conftest_helpers import click, settle, write_session

from tallylight import settings as settings_mod


def _show(qtbot, w):
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_start_dialog_reads_its_lists_not_their_titles(qapp, qtbot):
    from tallylight.ui.dialogs.start_session import StartSessionDialog

    dlg = _show(qtbot, StartSessionDialog(settings_mod.Settings(), focus=(False, "")))
    assert problems(dlg) == []
    all_names = " ".join(names(dlg))
    assert "never which letter" in all_names  # the list under "What will be captured"
    assert "Stops by itself" in all_names  # the limits, not the word "Limits"
    from PySide6.QtGui import QAccessible

    keys = QAccessible.queryAccessibleInterface(dlg.keys)
    # On Linux a list's name is its current text; its title comes from the "labelled by" relation
    labels = [i.text(QAccessible.Text.Name) for i, _ in keys.relations(QAccessible.Relation.Label)]
    assert any("Keyboard" in t for t in labels) or "Keyboard" in keys.text(QAccessible.Text.Name), labels


def test_settings_every_tab(make_app, qtbot):
    from tallylight.ui.dialogs.settings import SettingsDialog

    app = make_app(use_tray=False)
    dlg = _show(qtbot, SettingsDialog(settings_mod.Settings(), app.tasks))
    found = {}
    for i in range(dlg.tabs.count()):
        dlg.tabs.setCurrentIndex(i)
        settle()
        found[dlg.tabs.tabText(i)] = problems(dlg)
    assert not any(found.values()), found


def test_welcome_every_page(make_app, qtbot, tallylight_home):
    from tallylight.ui.dialogs.welcome import WelcomeDialog

    (tallylight_home / "data" / "vault.json").unlink()
    app = make_app(use_tray=False)
    dlg = _show(qtbot, WelcomeDialog(app.tasks))
    pages = {"what": problems(dlg)}
    click(dlg.next_button)
    qtbot.waitUntil(lambda: "Looking" not in dlg.keychain_note.text(), timeout=5000)
    pages["passphrase"] = problems(dlg)
    dlg.show_next_step()
    pages["next step"] = problems(dlg)
    assert not any(pages.values()), pages


def test_sessions_locked_unlocked_and_delete_question(make_app, qtbot):
    from conftest_helpers import PASSPHRASE, key
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from tallylight.ui.dialogs.sessions import SessionsDialog

    write_session("s-a11y", label="typing")
    app = make_app(use_tray=False)
    dlg = _show(qtbot, SessionsDialog(app.tasks))
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=5000)
    assert problems(dlg) == []
    QTest.keyClicks(dlg.passphrase, PASSPHRASE)
    key(dlg.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.vault is not None and dlg.table.item(0, 1).text() == "typing", timeout=5000)
    dlg.table.selectRow(0)
    assert problems(dlg) == []
    click(dlg.delete_button)
    qtbot.waitUntil(lambda: dlg.confirm_box is not None and dlg.confirm_box.isVisible(), timeout=3000)
    assert problems(dlg.confirm_box) == []
    key(dlg.confirm_box, Qt.Key.Key_Escape)


def test_windows(make_app, fake_recorder, qtbot):
    app = make_app(use_tray=False)
    qtbot.waitExposed(app.window)
    assert problems(app.window) == []
    app.controller.start_session()
    qtbot.waitUntil(lambda: app.controller.state == "recording", timeout=5000)
    settle()
    assert problems(app.window) == []
    main = app.show_main_window()
    qtbot.waitExposed(main)
    assert problems(main) == []
    app.controller.stop()
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=5000)


def test_the_other_windows(make_app, qtbot):
    """Studies, joining, sharing, the live view and the review window read as well."""
    from conftest_helpers import PASSPHRASE

    from tallylight.store import vault
    from tallylight.ui.dialogs.share import ShareDialog
    from tallylight.ui.dialogs.studies import JoinStudyDialog, StudiesDialog
    from tallylight.ui.live_view import LiveView
    from tallylight.ui.review.window import ReviewWindow

    write_session("s-review", label="typing", seconds=5)
    app = make_app(use_tray=False)
    found = {}
    for name, w in (
        ("studies", StudiesDialog(app.tasks)),
        ("join", JoinStudyDialog(app.tasks)),
        ("share", ShareDialog(app.tasks)),
        ("live", LiveView(app.controller)),
        ("review", ReviewWindow(app.tasks, "s-review", vault.unlock(PASSPHRASE))),
    ):
        _show(qtbot, w)
        if isinstance(w, ReviewWindow):  # its controls once the session is loaded
            qtbot.waitUntil(lambda w=w: w.ready, timeout=15000)
        settle()
        found[name] = problems(w)
    assert not any(found.values()), found


def test_the_task_window_reads_its_instructions_and_targets(qtbot):
    """A screen reader gets the instructions, the device choice, the phrase and where the target is."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAccessible
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from scale_check import task_window_tasks

    from tallylight.ui.task_window import TaskWindow

    tasks = task_window_tasks()
    sent: list[object] = []
    for kind, task in tasks.items():
        w = TaskWindow(task, lambda *a, **k: sent.append((a, k)))
        qtbot.addWidget(w)
        w.show_full_screen()  # as it opens for a task: full screen, active (its keys work)
        qtbot.waitExposed(w)
        qtbot.waitUntil(w.isActiveWindow, timeout=5000)
        assert problems(w) == [], kind
        text = QAccessible.queryAccessibleInterface(w.instructions)
        assert text.text(QAccessible.Text.Name) == str(task.title), kind
        assert text.text(QAccessible.Text.Description) == str(task.instructions), kind
        QTest.keyClick(w, Qt.Key.Key_Return)  # start
        qtbot.waitUntil(lambda w=w: w.running, timeout=3000)
        assert problems(w) == [], kind
        if kind == "pointing":
            canvas = QAccessible.queryAccessibleInterface(w.canvas)
            assert canvas.text(QAccessible.Text.Description).startswith("Sequence 1, target 0 of 9")
        else:
            assert task.typing is not None
            assert w.phrase.text() in " ".join(names(w))
        tally = QAccessible.queryAccessibleInterface(w.tally)
        assert tally.text(QAccessible.Text.Name).endswith("Recording"), kind
        QTest.keyClick(QApplication.focusWidget() or w, Qt.Key.Key_Escape)  # pause: the reader hears it
        qtbot.waitUntil(lambda w=w: w.paused, timeout=3000)
        assert tally.text(QAccessible.Text.Name).endswith("Paused (not recording)"), kind
        assert problems(w) == [], kind
        w.close()
