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
    lines = words.timing_summary(timing_record())
    assert text.splitlines()[-len(lines) :] == lines
    assert "Times are the best estimate from the X server's event times (1 ms steps); " in text
    assert "3 events of 6 reached the recorder late and were re-timed." in text
    assert "Delivery lag: median 0.05 ms, 99th percentile 0.85 ms, longest 4.15 ms." in text

    older = _summary_text(app, qtbot, "older")
    assert "You pressed 1 key" in older
    assert "Delivery lag" not in older
    assert "timing record" not in older
