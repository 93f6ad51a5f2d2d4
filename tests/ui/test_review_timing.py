"""The review window's summary says how exact the times are when the session has a TIMING record."""

from __future__ import annotations

from conftest_helpers import PASSPHRASE, write_session
from store_helpers import timing_record

from tallylight import words


def _summary_text(app, qtbot, session_id: str) -> str:
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    win = ReviewWindow(app.tasks, session_id, vault.unlock(PASSPHRASE))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    text = win.summary_label.text()
    win.close()
    return text


def test_review_summary_shows_the_timing_quality(make_app, qtbot):
    write_session("timed", label="timed", seconds=3, timing=timing_record())
    write_session("older", label="older", seconds=3)
    app = make_app(use_tray=False)

    text = _summary_text(app, qtbot, "timed")
    assert "You pressed 1 key" in text
    lines = words.timing_plain(timing_record())  # the participant's words (issue 21 #16)
    assert text.splitlines()[-len(lines) :] == lines
    assert "Times come from the X server's event times." in text
    assert "3 of 6 events reached Tallylight late; their times are close estimates." in text
    assert "percentile" not in text
    assert "Load average" not in text

    older = _summary_text(app, qtbot, "older")
    assert "You pressed 1 key" in older
    assert "Times come from" not in older
    assert "how exact" not in older
