"""The review window on a session recorded from injected input: counts, summary, timeline, replay."""

from __future__ import annotations

from conftest_helpers import PASSPHRASE, screenshot_dir, settle, wait_recorded
from conftest_helpers import click as _click

from xserver import ServerClock

PATH = [(1000, 800), (1040, 830), (1100, 870), (1180, 900), (1230, 960)]


def _unlock(dlg, qtbot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    dlg.passphrase.setFocus()
    QTest.keyClicks(dlg.passphrase, PASSPHRASE)
    QTest.keyClick(dlg.passphrase, Qt.Key.Key_Return)


def record_injected(app, qtbot, xserver) -> None:
    c = app.controller
    c.start_session(label="review me")
    # "recording" comes with the recorder's `started`, sent once the X server confirmed its
    # RECORD context (StartOfData): the first move below is captured
    qtbot.waitUntil(lambda: c.state == "recording", timeout=8000)
    # the path's moves get distinct times: the next one is injected once the recorder has
    # written this one and the X server's clock has moved past it
    clock = ServerClock(xserver.display)
    try:
        for x, y in PATH:
            xserver.xdotool("mousemove", str(x), str(y))
            wait_recorded(c, qtbot, f"mouse moved to ({x}, {y})")
            clock.wait_past(clock.now())
    finally:
        clock.close()
    xserver.xdotool("click", "1")
    xserver.xdotool("type", "--delay", "40", "hello")
    qtbot.waitUntil(
        lambda: c.counts.get("key_up", 0) >= 5 and c.counts.get("button_up", 0) >= 1, timeout=8000
    )
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=8000)


def open_review(app, qtbot):
    app.actions.sessions.trigger()
    qtbot.waitUntil(lambda: "sessions" in app.dialogs, timeout=3000)
    dlg = app.dialogs["sessions"]
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 1, timeout=5000)
    _unlock(dlg, qtbot)
    qtbot.waitUntil(
        lambda: dlg.vault is not None and dlg.table.item(0, 1).text() == "review me", timeout=5000
    )
    dlg.grab().save(str(screenshot_dir() / "injected-sessions-window.png"))
    rect = dlg.table.visualRect(dlg.table.model().index(0, 1))
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    # a double click as the view sees it: press/release, then the double-click event
    _click(dlg.table.viewport(), rect.center())
    QTest.mouseDClick(
        dlg.table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center()
    )
    qtbot.waitUntil(lambda: len(dlg.reviews) == 1, timeout=3000)
    win = next(iter(dlg.reviews.values()))
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    return dlg, win


def test_review_shows_what_was_injected(make_app, monkeypatch, qtbot, xserver):
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    app = make_app(use_tray=False)
    record_injected(app, qtbot, xserver)
    # the recorder compacted the session when it stopped and wrote the list's encrypted summary
    from tallylight.store import edit, index, vault
    from tallylight.store import sessions as store

    (sid,) = store.session_ids()
    d = store.session_dir(sid)
    doc = index.read_summary(d, vault.unlock(PASSPHRASE))
    assert doc is not None
    assert doc["counts"]["key_down"] == 5
    assert doc["label"] == "review me"
    assert not edit.needs_compaction(d)
    dlg, win = open_review(app, qtbot)
    d = win.loaded.data
    s = d.summary

    # counts and summary match what was injected
    assert s.key_presses == 5
    assert s.clicks == 1
    assert s.counts["key_up"] == 5
    assert s.counts["button_up"] == 1
    assert "You pressed 5 keys, clicked 1 time" in win.summary_label.text()
    assert s.median_hold_ms is not None
    assert s.recorded_s > 0.3
    # the timeline holds every input event once
    assert int(d.activity.sum()) == sum(v for k, v in s.counts.items() if k != "marker")
    assert win.timeline.curves["keys"].yData.sum() == 5

    # the replay goes through the injected path, in order
    track = list(zip(d.track_x.tolist(), d.track_y.tolist(), strict=True))
    idx = [track.index(p) for p in PATH]
    assert idx == sorted(idx)
    for p, i in zip(PATH, idx, strict=True):
        win.seek(float(d.track_t[i]))
        assert win.replay.position == p
    # the scrubber drives the replay: its end shows the last position and the click
    win.slider.setValue(win.slider.maximum())
    assert win.replay.position == (int(d.track_x[-1]), int(d.track_y[-1]))
    assert len(win.replay.clicks.data) == 1
    # key strip: class names only in the default (class) mode, never characters
    assert "letter ↓" in win.key_strip.text()
    assert "h" not in win.key_strip.text().replace("↓", "")

    # play at 10x advances the replay
    win.seek(0.0)
    win.speed.setCurrentIndex(2)
    _click(win.play_button)
    qtbot.waitUntil(lambda: win.t > 0.5 or not win.playing, timeout=3000)
    if win.playing:
        _click(win.play_button)
    assert win.t > 0.3

    # cut the span that holds the typing (class names, from the key events' times), then undo it
    from PySide6.QtTest import QTest

    a, b = float(d.keys_t.min()) - 0.05, float(d.keys_t.max()) + 0.05
    _click(win.cut_button)
    assert win.cut_row.isVisible()
    assert win.timeline.selection.isVisible()
    for box, v in ((win.cut_from, a), (win.cut_to, b)):
        box.selectAll()
        QTest.keyClicks(box.lineEdit(), f"{v:.1f}")
    assert abs(win.timeline.selection.getRegion()[0] - round(a, 1)) < 1e-9
    _click(win.apply_cut_button)
    qtbot.waitUntil(lambda: win.ready and len(win.undo_stack) == 1, timeout=15000)
    cut = win.loaded.data
    assert cut.summary.key_presses == 0
    assert cut.summary.counts.get("key_up", 0) == 0
    assert [g.reason for g in cut.summary.gaps] == ["trimmed"]
    assert "trimmed" in win.loaded.info.extra
    assert "you cut this span out" in win.summary_label.text()
    assert win.undo_button.isEnabled()
    _click(win.undo_button)
    qtbot.waitUntil(
        lambda: win.ready and not win.undo_stack and win.loaded.data.summary.key_presses == 5, timeout=15000
    )
    assert win.loaded.data.summary.gaps == []
    _click(win.cut_button)
    _click(win.apply_cut_button)
    qtbot.waitUntil(lambda: win.ready and len(win.undo_stack) == 1, timeout=15000)

    win.grab().save(str(screenshot_dir() / "injected-review-window.png"))
    for i, name in ((1, "injected-review-path"), (2, "injected-review-rhythm")):
        win.tabs.setCurrentIndex(i)
        settle()
        win.grab().save(str(screenshot_dir() / f"{name}.png"))
    win.close()
    assert win.undo_stack == []  # undo is offered until the window closes, never after
    qtbot.waitUntil(lambda: not dlg.reviews, timeout=3000)


def test_export_and_delete_from_the_review(make_app, qtbot, tmp_path):
    """Export (plain CSV, the CLI's code) and Delete (asked first) from the review window."""
    import csv

    from conftest_helpers import write_session
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    from tallylight.store import sessions as store
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    write_session("s-review", label="to export", seconds=3)
    app = make_app(use_tray=False)
    changed = []
    win = ReviewWindow(app.tasks, "s-review", vault.unlock(PASSPHRASE), on_changed=lambda: changed.append(1))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)

    _click(win.export_button)
    qtbot.waitUntil(lambda: win.export_dialog is not None and win.export_dialog.isVisible(), timeout=3000)
    name = win.export_dialog.findChild(QLineEdit, "fileNameEdit")
    out = tmp_path / "mine.csv"
    name.setText(str(out))  # (typing would open the path completer's popup over the buttons)
    buttons = win.export_dialog.findChild(QDialogButtonBox)
    _click(buttons.button(QDialogButtonBox.StandardButton.Save))
    qtbot.waitUntil(lambda: win.status.text().startswith(("Wrote", "Nothing")), timeout=10000)
    assert win.status.text().startswith("Wrote"), win.status.text()
    assert "not encrypted" in win.status.text()
    rows = list(csv.DictReader(out.open()))
    assert [r["kind"] for r in rows] == ["key_down", "key_up", "move"]

    _click(win.delete_button)
    qtbot.waitUntil(lambda: win.confirm_box is not None and win.confirm_box.isVisible(), timeout=3000)
    assert "cannot be undone" in win.confirm_box.text()
    QTest.keyClick(win.confirm_box, Qt.Key.Key_Escape)  # "Keep it"
    qtbot.waitUntil(lambda: not win.confirm_box.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: not app.tasks.busy, timeout=5000)  # nothing was asked of a worker
    assert store.session_ids() == ["s-review"]
    _click(win.delete_button)
    qtbot.waitUntil(lambda: win.confirm_box.isVisible(), timeout=3000)
    _click(next(b for b in win.confirm_box.buttons() if b.text() == "Delete for good"))
    qtbot.waitUntil(lambda: store.session_ids() == [] and not win.isVisible(), timeout=5000)
    assert changed


def test_closing_while_loading_or_cutting_is_safe(make_app, qtbot):
    """Closing the window while the worker decodes, or while a cut runs, draws nothing and loses nothing."""
    from conftest_helpers import write_session
    from PySide6.QtCore import Qt

    from tallylight.store import sessions as store
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    write_session("s-close", label="close me", seconds=3)
    app = make_app(use_tray=False)
    unlocked = vault.unlock(PASSPHRASE)
    for _ in range(3):  # closed at once, while the worker still decodes
        win = ReviewWindow(app.tasks, "s-close", unlocked)
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        win.show()
        win.close()
        qtbot.waitUntil(lambda: not app.tasks.busy, timeout=15000)  # its result arrives for a closed window
    changed = []
    win = ReviewWindow(app.tasks, "s-close", unlocked, on_changed=lambda: changed.append(1))
    win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    _click(win.cut_button)
    _click(win.apply_cut_button)
    win.close()  # while the cut runs
    qtbot.waitUntil(lambda: bool(changed) and not app.tasks.busy, timeout=15000)
    cols = store.read("s-close", unlocked).columns()
    # the middle third (1 s to 2 s) held nothing: the three events stay, and the TRIMMED gap is recorded
    assert cols.kind.tolist().count(7) == 2
    assert len(cols) == 5


def _queue_bundle(session_id: str):
    """A confirmed share of ``session_id`` still waiting in the outbox (its upload not done yet).

    The outbox only reads a bundle's note (study, sessions) to decide what holds a session;
    the encrypted bytes are opaque to it, so these stand in for a real age bundle.
    """
    from tallylight.share import outbox
    from tallylight.share.bundle import Encrypted, new_bundle_id

    enc = Encrypted(new_bundle_id(), {}, b"age-encryption.org/v1\n(waiting bundle)")
    return outbox.put(enc, "study-x", [session_id], None)


def test_a_cut_and_a_delete_say_they_dropped_a_waiting_bundle(make_app, qtbot):
    """Issue 17 item 3/12: a cut or a delete in the review window drops the waiting bundle that
    holds the session, and the window says so (the share log keeps it as dropped)."""
    from conftest_helpers import write_session

    from tallylight.share import outbox
    from tallylight.store import sessions as store
    from tallylight.store import vault
    from tallylight.ui.review.window import ReviewWindow

    write_session("s-queued", label="queued", seconds=3)
    write_session("s-other", label="other", seconds=3)
    held = _queue_bundle("s-queued")
    other = _queue_bundle("s-other")
    app = make_app(use_tray=False)
    unlocked = vault.unlock(PASSPHRASE)
    win = ReviewWindow(app.tasks, "s-queued", unlocked)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)

    _click(win.cut_button)
    _click(win.apply_cut_button)
    qtbot.waitUntil(lambda: win.ready and len(win.undo_stack) == 1, timeout=15000)
    text = win.status.text()
    assert text.startswith("Cut "), text
    assert "1 bundle waiting to be sent held it and was dropped, so it is never sent." in text
    assert [p.bundle_id for p in outbox.pending()] == [other.bundle_id]
    assert [e.bundle_id for e in outbox.read_log() if e.action == "dropped"] == [held.bundle_id]
    win.close()

    # a delete: the window stays until the participant has read what was dropped
    win = ReviewWindow(app.tasks, "s-other", unlocked)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=15000)
    _click(win.delete_button)
    qtbot.waitUntil(lambda: win.confirm_box is not None and win.confirm_box.isVisible(), timeout=3000)
    _click(next(b for b in win.confirm_box.buttons() if b.text() == "Delete for good"))
    qtbot.waitUntil(
        lambda: store.session_ids() == ["s-queued"] and "deleted" in win.status.text(), timeout=5000
    )
    assert win.isVisible()
    assert win.status.text() == (
        "The session was deleted. 1 bundle waiting to be sent held it and was dropped, so it is never sent."
    )
    assert not win.delete_button.isEnabled()
    assert not win.cut_button.isEnabled()
    assert outbox.pending() == []
    assert [e.bundle_id for e in outbox.read_log() if e.action == "dropped"] == [
        held.bundle_id,
        other.bundle_id,
    ]
    _click(win.close_button)
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=3000)


def test_replay_shows_exactly_the_clicks_before_the_time_shown_scrubbed_either_way(qtbot) -> None:
    """Scrubbing forward adds only the new clicks (an 8-hour day has tens of thousands); any move
    still shows exactly the clicks made before the time shown, at their places."""
    from tallylight import events as ev
    from tallylight.review.prepare import prepare
    from tallylight.store import encoding
    from tallylight.ui.review.plots import ReplayCanvas

    s = 1_000_000_000
    evs = [ev.marker(0, ev.Marker.SESSION_START)]
    for i in range(1, 41):
        evs.append(ev.move(i * s, 10 * i, 5 * i))
        evs.append(ev.button(i * s + s // 2, 10 * i, 5 * i, ev.Button.LEFT, True))
        evs.append(ev.button(i * s + s // 2 + 1000, 10 * i, 5 * i, ev.Button.LEFT, False))
    evs.append(ev.marker(42 * s, ev.Marker.SESSION_STOP, 1))
    data = prepare(encoding.decode_payloads([encoding.encode_payload(evs)]))
    replay = ReplayCanvas()
    qtbot.addWidget(replay)
    replay.show_data(data)
    for t in (0.0, 3.7, 3.8, 12.6, 40.9, 7.2, 7.2, 30.0, 0.2, 41.0, 20.6):
        replay.seek(t)
        made = data.clicks_t <= t
        wanted = sorted(zip(data.clicks_x[made].tolist(), data.clicks_y[made].tolist(), strict=True))
        shown = sorted((int(p.pos().x()), int(p.pos().y())) for p in replay.clicks.points())
        assert 0 < len(wanted) < 40 or t in (0.0, 0.2, 40.9, 41.0)
        assert shown == wanted, t
