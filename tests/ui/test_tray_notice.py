"""Issue 17 item 12: the tray's notices are one window of the app's own, made once and reused.

Qt's balloon (QSystemTrayIcon.showMessage on an XEmbed tray) was a new window per notice and
left pixmaps in QPixmapCache each time: the soak's memory grew with every session. These
tests drive the real notice window in a real tray host (trayer on Xvfb): what it says, that
it never takes focus, that a second notice reuses it, that it hides, closes with its ×, and
that a click on a stop summary opens the session.
"""

from __future__ import annotations

import pytest
from conftest_helpers import screen_of

pytestmark = pytest.mark.x11


@pytest.fixture
def tray(make_app, tray_host, fake_recorder, qtbot):
    app = make_app()
    assert app.tray is not None
    qtbot.waitUntil(app.tray.icon.isVisible, timeout=5000)
    assert app.tray.qt_draws_balloons()  # trayer is an XEmbed tray: Qt would draw balloons
    return app.tray


def _top_levels() -> int:
    from PySide6.QtWidgets import QApplication

    return len(QApplication.topLevelWidgets())


def test_a_notice_is_shown_without_taking_focus_and_the_next_replaces_it(tray, qtbot):
    from PySide6.QtWidgets import QApplication

    tray.controller.notify.emit("Recording paused", "Recording paused by Ctrl+Alt+P.")
    qtbot.waitUntil(lambda: tray.notice is not None and tray.notice.isVisible(), timeout=5000)
    notice = tray.notice
    assert notice.title_label.text() == "Recording paused"
    assert notice.message_label.text() == "Recording paused by Ctrl+Alt+P."
    assert notice.icon_label.pixmap() is not None
    assert not notice.icon_label.pixmap().isNull()
    screen = screen_of(notice).availableGeometry()
    assert screen.contains(notice.frameGeometry()), (notice.frameGeometry(), screen)
    assert QApplication.activeWindow() is not notice
    assert not notice.isActiveWindow()

    before = _top_levels()
    for i in range(20):
        tray.controller.notify.emit("Recording resumed", f"Notice {i} <b>not markup</b>")
    qtbot.waitUntil(lambda: notice.message_label.text() == "Notice 19 <b>not markup</b>", timeout=5000)
    assert tray.notice is notice
    assert notice.isVisible()
    assert notice.title_label.text() == "Recording resumed"
    assert _top_levels() <= before  # no window per notice (Qt's balloon made one each)
    assert notice.close_button.accessibleName()


def test_a_notice_hides_by_itself_and_with_its_close_button(tray, qtbot):
    tray.show_message("Tallylight", "first")
    notice = tray.notice
    qtbot.waitUntil(notice.isVisible, timeout=5000)
    notice.show_notice("Tallylight", "short", "idle", msecs=300)
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=5000)

    tray.show_message("Tallylight", "again")
    qtbot.waitUntil(notice.isVisible, timeout=5000)
    with qtbot.assertNotEmitted(tray.open_session):
        notice.close_button.click()
    assert not notice.isVisible()


def test_clicking_a_stop_summary_opens_its_session(tray, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    tray.show_session_message("Recording stopped", "Recording stopped: 12 key presses.", "s-123")
    notice = tray.notice
    qtbot.waitUntil(notice.isVisible, timeout=5000)
    assert notice.message_label.text().startswith("Recording stopped: 12 key presses.")
    with qtbot.waitSignal(tray.open_session, timeout=5000) as opened:
        QTest.mouseClick(notice.message_label, Qt.MouseButton.LeftButton)
    assert opened.args == ["s-123"]
    assert not notice.isVisible()

    # a notice that is about no session opens nothing when clicked
    tray.show_message("Tallylight", "a notice without a session")
    qtbot.waitUntil(notice.isVisible, timeout=5000)
    with qtbot.assertNotEmitted(tray.open_session):
        QTest.mouseClick(notice.message_label, Qt.MouseButton.LeftButton)
    assert not notice.isVisible()
