"""Acceptance: on a screen with room, a window's text never scrolls sideways (it was cut at the right
edge of the very first window a participant sees, the welcome dialog)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest_helpers import screen_of, settle
from PySide6.QtWidgets import QScrollArea


def _scrolling(widget) -> list[str]:
    return [
        type(a.widget()).__name__
        for a in widget.findChildren(QScrollArea)
        if a.isVisible() and (a.horizontalScrollBar().isVisible() or a.verticalScrollBar().isVisible())
    ]


def _sideways(widget) -> list[str]:
    return [
        type(a.widget()).__name__
        for a in widget.findChildren(QScrollArea)
        if a.isVisible() and a.horizontalScrollBar().isVisible()
    ]


@pytest.mark.parametrize("name", ["welcome", "studies", "join-study", "share", "start"])
def test_nothing_scrolls_when_the_screen_has_room(qtbot, tallylight_home, monkeypatch, name: str) -> None:
    from tallylight import settings
    from tallylight.ui.dialogs.share import ShareDialog
    from tallylight.ui.dialogs.start_session import StartSessionDialog
    from tallylight.ui.dialogs.studies import JoinStudyDialog, StudiesDialog
    from tallylight.ui.dialogs.welcome import WelcomeDialog
    from tallylight.ui.tasks import TaskRunner

    # a keychain that answers shows one more row on the passphrase page, after the window is up
    monkeypatch.setattr("tallylight.ui.dialogs.welcome.keychain_answers", lambda: True)
    tasks = TaskRunner()
    make = {
        "welcome": lambda: WelcomeDialog(tasks),
        "studies": lambda: StudiesDialog(tasks),
        "join-study": lambda: JoinStudyDialog(tasks),
        "share": lambda: ShareDialog(tasks),
        "start": lambda: StartSessionDialog(settings.Settings(), focus=(False, "")),
    }
    w: Any = make[name]()  # the dialogs differ in what they offer
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    settle()
    avail = screen_of(w).availableGeometry()
    assert w.frameGeometry().width() < avail.width()  # the screen has room to spare
    assert _sideways(w) == []
    if name == "start":  # a joined study adds a row once a worker has read the studies
        ceiling = {"keys": "class", "mouse_moves": True, "clicks": True, "scrolls": True}
        w.set_studies([("0b6a1a52-3c1e-4f7e-9d35-2d0f6c8f7a10", "A typing study", ceiling)])
        settle()
        assert _scrolling(w) == []
    if name == "welcome":
        for step in (w.next_page, w.show_next_step):  # every page fits without scrolling
            step()
            settle()
            assert _scrolling(w) == []
    tasks.shutdown()
