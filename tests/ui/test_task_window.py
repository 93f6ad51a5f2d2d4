"""The task window end to end on X11: xdotool taps and types, the real recorder stores, the measures agree.

The references are computed here from what was injected (points, keystrokes) and from the X
server's own time of each press, read by a second X client (xserver.ServerTimes): under load
xdotool's pauses stretch, and how promptly it ran is not the task window's to control.
xdotool runs beside the Qt event loop, which keeps delivering events as they come.
"""

from __future__ import annotations

import math
import statistics
import subprocess

import pytest
from conftest_helpers import PASSPHRASE
from PySide6.QtWidgets import QMenu

from tallylight.store import sessions, vault
from tallylight.study import enrolment
from tallylight.tasks import layout, results
from task_helpers import join_task_study
from xserver import ServerTimes

POINTING = """
[[tasks]]
id = "tap"
title = "Click the circles"
instructions = "Click each highlighted circle as quickly and accurately as you can."
kind = "pointing"
amplitudes_px = [500]
widths_px = [60]
targets_per_circle = 5
sequences_per_condition = 2
seed = 1
devices = ["mouse"]

"""
GAP_S = 0.5
OFFSETS = (-8, 0, 8, -4, 4, -12, 6, 0, 10, -6)  # px along the task axis, one per measured trial


def run_task(qapp, qtbot, task_id: str, drive) -> list[dict]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from tallylight.ui.task_run import TaskRun, find_task

    study_id, task = find_task(task_id, None)
    done: list[bool] = []
    run = TaskRun(qapp, study_id, task, device="mouse", on_done=lambda: done.append(True))
    run.start()
    qtbot.waitUntil(lambda: run.window is not None and run.window.isVisible(), timeout=15000)
    window = run.window
    assert window is not None
    qtbot.waitExposed(window)
    # the window activates itself; its shortcuts (Esc, F8, Ctrl+Q) answer only once it is active,
    # which a loaded X server tells Qt a little after the window is exposed
    qtbot.waitUntil(window.isActiveWindow, timeout=15000)
    assert window.tally.text().endswith("Recording")  # the tally light is on while the task runs
    QTest.keyClick(window, Qt.Key.Key_Return)  # Enter starts
    qtbot.waitUntil(lambda: window.running, timeout=3000)
    drive(window)
    qtbot.waitUntil(lambda: bool(done), timeout=60000)
    assert run.code == 0
    return window.trials


def xdotool(qtbot, xserver, *args: str) -> None:
    """Run xdotool to its end while the Qt event loop runs (the window takes each event as it comes)."""
    proc = subprocess.Popen(["xdotool", *args], env=xserver.env())
    try:
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=120000)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


def tap_each(qtbot, xserver, window, taps: list[tuple[int, int]], gap_s: float) -> None:
    """Click each point in turn, ``gap_s`` apart (a participant's pace), each once the window
    has taken the click before it (it moved on to the next target): a loaded machine delays
    the window, and a click sent before it moved on would land on the old target."""
    for i, (x, y) in enumerate(taps):
        pace = ["sleep", str(gap_s)] if i else []
        xdotool(qtbot, xserver, *pace, "mousemove", str(x), str(y), "click", "--delay", "0", "1")
        qtbot.waitUntil(lambda i=i: window.index > i or not window.running, timeout=10000)


def stored_trials() -> list[dict]:
    unlocked = vault.unlock(PASSPHRASE)
    (study,) = [enrolment.load(sid) for sid in enrolment.enrolled_ids()]
    (session_id,) = study.session_ids()
    return sessions.read(session_id, unlocked).trials


def test_pointing_task_trials_and_throughput_match_the_injected_taps(
    qapp, qtbot, xserver, vault_ready
) -> None:
    join_task_study(POINTING, typing_text=False)
    spec = enrolment.load(enrolment.enrolled_ids()[0]).manifest.task("tap").pointing
    assert spec is not None
    screen = qapp.primaryScreen().geometry()
    targets = layout.pointing_layout(spec, screen.width(), screen.height())
    injected: list[tuple[int, int]] = []
    measured = 0
    for i, t in enumerate(targets):
        if t.trial == 0:
            x, y = round(t.x), round(t.y)
        else:
            prev = targets[i - 1]
            ux, uy = (t.x - prev.x), (t.y - prev.y)
            n = math.hypot(ux, uy)
            d = OFFSETS[measured % len(OFFSETS)]
            measured += 1
            x, y = round(t.x + d * ux / n), round(t.y + d * uy / n)
        injected.append((x, y))

    server = ServerTimes(xserver.display, keys=False, buttons=True)
    try:
        run_task(qapp, qtbot, "tap", lambda window: tap_each(qtbot, xserver, window, injected, GAP_S))
        qtbot.waitUntil(lambda: server.read() >= len(targets), timeout=10000)
    finally:
        server.close()
    pressed = server.times("button_press")  # the X server's own time of each click, ms
    assert len(pressed) == len(targets)
    trials = stored_trials()
    taps = [(i, t) for i, t in enumerate(targets) if t.trial > 0]
    assert [(tr["sequence"], tr["trial"]) for tr in trials] == [(t.sequence, t.trial) for _, t in taps]
    for (i, t), tr in zip(taps, trials, strict=True):
        assert (tr["select_x"], tr["select_y"]) == pytest.approx(injected[i], abs=0.51)
        # the targets shown are those `tallylight-lab task layout` prints for this screen
        assert (tr["target_x"], tr["target_y"], tr["width"]) == (t.x, t.y, t.width)

    # the reference: the injected points projected on the task axis, the clicks' server times
    block = results.blocks(trials)["pointing"]
    tps = []
    for seq in block["sequences"]:
        mine = [(i, t) for i, t in taps if t.sequence == seq["sequence"]]
        dxs, aes = [], []
        first, last = mine[0][0] - 1, mine[-1][0]  # the sequence's start target, its last tap
        mt_s = (pressed[last] - pressed[first]) / len(mine) / 1000
        for i, t in mine:
            prev = targets[i - 1]
            a = math.hypot(t.x - prev.x, t.y - prev.y)
            sx, sy = injected[i]
            dx = ((sx - t.x) * (t.x - prev.x) + (sy - t.y) * (t.y - prev.y)) / a
            dxs.append(dx)
            aes.append(a + dx)
        we = 4.133 * statistics.stdev(dxs)
        ae = statistics.fmean(aes)
        ide = math.log2(ae / we + 1)
        tp = ide / mt_s
        tps.append(tp)
        assert seq["effective_width_px"] == pytest.approx(we, rel=0.01)
        assert seq["effective_id_bits"] == pytest.approx(ide, rel=0.01)
        assert seq["throughput_bps"] == pytest.approx(tp, rel=0.01)
        print(
            f"sequence {seq['sequence']}: We {seq['effective_width_px']:.3f} vs {we:.3f}, "
            f"IDe {seq['effective_id_bits']:.4f} vs {ide:.4f}, TP {seq['throughput_bps']:.4f} vs {tp:.4f}, "
            f"MT {seq['movement_time_ms']:.2f} vs {mt_s * 1000:.2f} ms"
        )
    assert block["throughput_bps"] == pytest.approx(statistics.fmean(tps), rel=0.01)

    # the review window shows the trials and their measures
    from tallylight.ui.review.window import ReviewWindow
    from tallylight.ui.tasks import TaskRunner
    from tallylight.words import task_result_lines

    (study,) = [enrolment.load(sid) for sid in enrolment.enrolled_ids()]
    (session_id,) = study.session_ids()
    runner = TaskRunner()
    try:
        win = ReviewWindow(runner, session_id, vault.unlock(PASSPHRASE))
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.ready, timeout=30000)
        shown = win.summary_label.text()
        assert f"{len(trials)} task trials recorded." in shown, shown
        assert task_result_lines(results.blocks(trials))[0] in shown, shown
        win.close()
    finally:
        runner.shutdown()


TYPING = """
[[tasks]]
id = "copy"
title = "Copy the phrases"
instructions = "Type each phrase as shown, then press Enter."
kind = "typing"
phrases = ["the quick", "hello"]
repetitions = 1
show_results = true

"""
DELAY_MS = 400
#: (xdotool keysyms, the input stream they make); one error fixed, one left
SCRIPT = (
    (["t", "h", "w", "BackSpace", "e", "space", "q", "u", "i", "c", "k"], "thw\be quick"),
    (["h", "e", "l", "o"], "helo"),
)


def test_typing_measures_match_the_keystroke_script(qapp, qtbot, xserver, vault_ready) -> None:
    from tallylight.tasks.measures import BACKSPACE, msd

    join_task_study(TYPING, typing_text=True)

    def drive(window) -> None:
        for keys, _stream in SCRIPT:
            xdotool(qtbot, xserver, "key", "--delay", str(DELAY_MS), *keys)
            xdotool(qtbot, xserver, "key", "Return")
        qtbot.waitUntil(lambda: window.stack.currentIndex() == 3, timeout=10000)  # the results page
        shown = window.result.text()
        assert "words a minute" in shown, shown
        window.close()

    server = ServerTimes(xserver.display, keys=True)
    presses = sum(len(keys) + 1 for keys, _stream in SCRIPT)  # each phrase's keys, then Return
    try:
        run_task(qapp, qtbot, "copy", drive)

        def all_pressed() -> bool:
            server.read()
            return len(server.times("key_press")) >= presses

        qtbot.waitUntil(all_pressed, timeout=10000)
    finally:
        server.close()
    pressed = server.times("key_press")  # the X server's own time of each key press, ms
    assert len(pressed) == presses
    trials = stored_trials()
    assert [t["input"] for t in trials] == [stream for _keys, stream in SCRIPT]
    block = results.blocks(trials)["typing"]["trials"]
    starts = [0, len(SCRIPT[0][0]) + 1]  # index of each phrase's first key press
    for got, (keys, stream), presented, k0 in zip(block, SCRIPT, ("the quick", "hello"), starts, strict=True):
        text = ""
        for k in stream:
            text = text[:-1] if k == BACKSPACE else text + k
        d = msd(presented, text)
        c, inf = max(len(presented), len(text)) - d, d
        f = stream.count(BACKSPACE)
        if_ = len(stream) - len(text) - f
        seconds = (pressed[k0 + len(keys) - 1] - pressed[k0]) / 1000  # first to last keystroke
        wpm = (len(text) - 1) / seconds * 60 / 5
        assert got["transcribed"] == text
        assert got["msd_error_rate"] == pytest.approx(d / max(len(presented), len(text)), abs=1e-4)
        assert got["kspc"] == pytest.approx((c + inf + if_ + f) / (c + inf), abs=1e-4)
        assert got["total_error_rate"] == pytest.approx((inf + if_) / (c + inf + if_), abs=1e-4)
        assert got["corrected_error_rate"] == pytest.approx(if_ / (c + inf + if_), abs=1e-4)
        assert got["uncorrected_error_rate"] == pytest.approx(inf / (c + inf + if_), abs=1e-4)
        print(f"{presented!r}: WPM {got['wpm']:.3f} vs {wpm:.3f}")
        assert got["wpm"] == pytest.approx(wpm, rel=0.01)


def test_the_study_task_menu_opens_the_task_window_and_closing_it_ends_the_task(
    make_app, qtbot, xserver, monkeypatch
) -> None:
    monkeypatch.setenv("TALLYLIGHT_SINK", "memory")
    monkeypatch.delenv("TALLYLIGHT_RECORDER_CMD", raising=False)
    study_id = join_task_study(POINTING, typing_text=False)
    app = make_app(use_tray=False)
    c = app.controller
    c.start_session(study=study_id)
    qtbot.waitUntil(lambda: c.state == "recording", timeout=10000)
    # the participant opens the main window's study task menu and picks the task, by keyboard
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    window = app.window
    assert window is not None
    qtbot.waitUntil(window.task_button.isVisible, timeout=5000)
    picked: list[str] = []

    def pick() -> None:  # runs while the menu is open (its exec is modal)
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        for _ in menu.actions():  # down to the pointing task's entry
            QTest.keyClick(menu, Qt.Key.Key_Down)
            active = menu.activeAction()
            if active is not None and "Click the circles" in active.text():
                break
        active = menu.activeAction()
        picked.append(active.text() if active is not None else "")
        QTest.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(0, pick)
    QTest.mouseClick(window.task_button, Qt.MouseButton.LeftButton)
    assert len(picked) == 1
    assert "Click the circles" in picked[0], picked
    qtbot.waitUntil(lambda: "task" in app.dialogs and app.dialogs["task"].isVisible(), timeout=10000)
    assert c.task == "tap"
    app.dialogs["task"].close()
    qtbot.waitUntil(lambda: c.task == "", timeout=5000)
    c.stop()
    qtbot.waitUntil(lambda: c.state == "idle", timeout=10000)


def test_the_review_summary_counts_the_trials_and_gives_their_measures() -> None:
    from tallylight.ui.review.window import _trial_lines

    typed = {
        "task": "copy",
        "kind": "typing",
        "trial": 1,
        "start_ns": 0,
        "end_ns": 10**9,
        "presented": "ab",
        "transcribed": "ab",
        "input": "ab",
    }
    lines = _trial_lines([typed])
    assert lines[0] == "1 task trial recorded."
    assert "words a minute" in lines[1]
    assert _trial_lines([]) == ()


def test_the_task_window_is_operable_by_keyboard_alone(qapp, qtbot, xserver, vault_ready) -> None:
    """Enter starts, Esc pauses and continues (the recording pauses with it), F8 skips the
    phrase (stored as skipped), Ctrl+Q quits (the task and the session end): keys only."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from tallylight.events import Marker

    join_task_study(TYPING, typing_text=True)

    def key(window, k, mods=Qt.KeyboardModifier.NoModifier) -> None:
        QTest.keyClick(qapp.focusWidget() or window, k, mods)  # where the participant's keys go

    def drive(window) -> None:
        assert window.phrase.text() == "the quick"
        key(window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: window.paused, timeout=3000)
        assert "Paused" in window.tally.text()
        key(window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not window.paused, timeout=3000)
        assert window.tally.text().endswith("Recording")
        QTest.keyClicks(window.field, "th")
        key(window, Qt.Key.Key_F8)
        qtbot.waitUntil(lambda: window.phrase.text() == "hello", timeout=3000)
        key(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=3000)

    shown = run_task(qapp, qtbot, "copy", drive)
    assert [(t["trial"], t.get("skipped")) for t in shown] == [(1, True)]
    (stored,) = stored_trials()
    assert stored["skipped"] is True
    assert stored["presented"] == "the quick"
    (study,) = [enrolment.load(sid) for sid in enrolment.enrolled_ids()]
    (session_id,) = study.session_ids()
    markers = sessions.read(session_id, vault.unlock(PASSPHRASE)).columns().marker.tolist()
    for m in (Marker.PAUSE, Marker.RESUME, Marker.TASK_START, Marker.TASK_END, Marker.SESSION_STOP):
        assert int(m) in markers, m


BOTH = POINTING + TYPING
HIVE = "hive_partitioning = true, hive_types_autocast = false"


def test_a_study_with_both_tasks_runs_end_to_end_to_the_lab(
    qapp, qtbot, xserver, vault_ready, tmp_path, monkeypatch
) -> None:
    """Issue 19's "done when" on X11: the task window (xdotool taps and types), the session
    summary, the share (the real CLI), ``lab open``'s trials table and ``features``' throughput
    and WPM, which equal the summary's."""
    import json
    import os

    import duckdb

    from helpers import run_cli_in_process
    from tallylight.lab.main import main as lab_main
    from tallylight.study import keys

    researcher = keys.generate(tmp_path / "researcher")
    study_id = join_task_study(BOTH, typing_text=True, recipient=researcher.recipient)
    spec = enrolment.load(study_id).manifest.task("tap").pointing
    assert spec is not None
    screen = qapp.primaryScreen().geometry()
    targets = layout.pointing_layout(spec, screen.width(), screen.height())
    taps = [(round(t.x), round(t.y + 3 * (t.trial % 3 - 1))) for t in targets]
    run_task(qapp, qtbot, "tap", lambda window: tap_each(qtbot, xserver, window, taps, 0.3))

    def type_phrases(window) -> None:
        for keys_, _stream in SCRIPT:
            xdotool(qtbot, xserver, "key", "--delay", "150", *keys_)
            xdotool(qtbot, xserver, "key", "Return")
        qtbot.waitUntil(lambda: window.stack.currentIndex() == 3, timeout=10000)
        window.close()

    run_task(qapp, qtbot, "copy", type_phrases)
    ids = enrolment.load(study_id).session_ids()
    assert len(ids) == 2
    env = {**os.environ, "TALLYLIGHT_PASSPHRASE": PASSPHRASE}
    summaries = {}
    for sid in ids:
        r = run_cli_in_process(["sessions", "summary", sid, "--json"], env=env)
        assert r.returncode == 0, r.stderr
        summaries[sid] = json.loads(r.stdout)
    pointing = next(s["pointing"] for s in summaries.values() if "pointing" in s)
    typing = next(s["typing"] for s in summaries.values() if "typing" in s)

    out = tmp_path / "bundle.tallylight.age"
    r = run_cli_in_process(["share", *ids, "--study", study_id, "--out", str(out), "--yes"], env=env)
    assert r.returncode == 0, r.stderr
    assert "trials.csv" in r.stdout + r.stderr  # the preview named it before anything left
    dataset = tmp_path / "dataset"
    identity = tmp_path / "researcher" / keys.IDENTITY
    assert lab_main(["open", str(out), "--identity", str(identity), "--out", str(dataset), "--quiet"]) == 0
    assert lab_main(["features", str(dataset), "--quiet"]) == 0
    with duckdb.connect() as con:
        rows = con.execute(
            f"select kind, count(*) from read_parquet('{dataset}/trials/**/*.parquet', {HIVE}) "
            "group by kind order by kind"
        ).fetchall()
        measured = con.execute(
            "select task, condition, throughput_bps, wpm from "
            f"read_parquet('{dataset}/task_results/**/*.parquet', {HIVE}) order by task"
        ).fetchall()
    n_taps = sum(1 for t in targets if t.trial > 0)
    assert rows == [("pointing", n_taps), ("typing", len(SCRIPT))]
    assert [(task, condition) for task, condition, _tp, _wpm in measured] == [("copy", ""), ("tap", "mouse")]
    (_, _, _, wpm), (_, _, tp, _) = measured
    assert tp == pytest.approx(pointing["throughput_bps"], abs=1e-4)  # the summary rounds to 4 digits
    assert wpm == pytest.approx(typing["wpm"], abs=1e-3)
    print(f"end to end: TP {tp:.4f} bits/s, WPM {wpm:.3f}")


def _luminance(c) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_targets_are_drawn_high_contrast(qtbot) -> None:
    """WCAG 2.1: the targets' outline and the goal's fill stand out from the background (at least
    4.5:1, above the 3:1 non-text minimum), and the window draws them in those colours."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor
    from PySide6.QtTest import QTest
    from scale_check import task_window_tasks

    from tallylight.ui.task_window import BACKGROUND, CURRENT, OUTLINE, TaskWindow

    assert _contrast(OUTLINE, BACKGROUND) >= 4.5
    assert _contrast(CURRENT, BACKGROUND) >= 4.5
    assert _contrast(QColor("#FF4040"), BACKGROUND) >= 4.5  # the tally light's text
    w = TaskWindow(task_window_tasks()["pointing"], lambda *_a, **_k: None)
    qtbot.addWidget(w)
    w.show_full_screen()
    qtbot.waitExposed(w)
    QTest.keyClick(w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.running, timeout=3000)
    w.start_button.setFocus()  # nothing drawn over the canvas but the targets
    image = w.canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    current = w.current
    assert current is not None
    goal = next(t for t in w.sequence_targets() if t.position == current.position)  # filled: hit it next
    other = next(t for t in w.sequence_targets() if t.position != current.position)  # outlined only
    centre = w.to_local(goal.x, goal.y)
    row = round(w.to_local(other.x, other.y).y() * ratio)
    span = range(
        round(w.to_local(other.x, other.y).x() * ratio),
        round(w.to_local(other.x + other.width, 0).x() * ratio),
    )
    assert OUTLINE in [image.pixelColor(x, row) for x in span]  # its outline, 3 px wide, in full white
    middle = w.to_local(other.x, other.y)
    assert image.pixelColor(round(middle.x() * ratio), round(middle.y() * ratio)) == BACKGROUND
    assert image.pixelColor(round(centre.x() * ratio), round(centre.y() * ratio)) == CURRENT
    assert image.pixelColor(round(2 * ratio), round(image.height() - 2 * ratio)) == BACKGROUND
    w.close()
