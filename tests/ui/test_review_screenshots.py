"""Screenshots of the review window and the sessions list on a few minutes of lifelike input.

Written to ``conftest_helpers.screenshot_dir()`` (never the tracked tree);
``make screenshots`` copies them into docs/screenshots/ for the README.
"""

from __future__ import annotations

import math
import random

from conftest_helpers import PASSPHRASE, screenshot_dir, settle

S = 1_000_000_000


def lifelike(minutes: float, seed: int = 2) -> list:
    """Pointer movements with clicks, typing bursts, scrolling, a pause and a private-app gap."""
    from tallylight import events as ev
    from tallylight.events import GapReason, KeyClass, Marker

    rng = random.Random(seed)
    out = [ev.marker(0, Marker.SESSION_START)]
    t, x, y = S // 5, 900, 500
    end = int(minutes * 60 * S)
    pause = (int(end * 0.45), int(end * 0.52))
    private = (int(end * 0.75), int(end * 0.78))
    out += [
        ev.marker(pause[0], Marker.PAUSE, GapReason.PAUSED_BY_PARTICIPANT),
        ev.marker(pause[1], Marker.RESUME),
    ]
    out += [ev.marker(private[0], Marker.GAP, GapReason.PRIVATE_APP), ev.marker(private[1], Marker.RESUME)]
    while t < end:
        if pause[0] <= t < pause[1] or private[0] <= t < private[1]:
            t += S
            continue
        r = rng.random()
        if r < 0.5:
            tx, ty = rng.randint(40, 1880), rng.randint(40, 1040)
            steps = rng.randint(40, 160)
            x0, y0 = x, y
            for i in range(1, steps + 1):
                f = (1 - math.cos(math.pi * i / steps)) / 2
                x, y = round(x0 + (tx - x0) * f), round(y0 + (ty - y0) * f)
                t += 8_000_000
                out.append(ev.move(t, x, y))
            if rng.random() < 0.6:
                t += 150_000_000
                b = ev.Button.LEFT if rng.random() < 0.85 else ev.Button.RIGHT
                out += [ev.button(t, x, y, b, True), ev.button(t + 100_000_000, x, y, b, False)]
        elif r < 0.85:
            for _ in range(rng.randint(5, 40)):
                kc = rng.choice([KeyClass.LETTER] * 8 + [KeyClass.SPACE, KeyClass.BACKSPACE_DELETE])
                t += int(rng.lognormvariate(math.log(160e6), 0.4))
                hold = int(rng.lognormvariate(math.log(95e6), 0.3))
                out += [ev.key_down(t, kc), ev.key_up(t + hold, kc)]
        else:
            t += int(rng.expovariate(1 / 4e9))
    out.append(ev.marker(end, Marker.SESSION_STOP, 1))
    out.sort(key=lambda e: e.t_ns)
    return out


def write(session_id: str, label: str, events: list) -> None:
    from store_helpers import make_info

    from tallylight.events import StopReason
    from tallylight.review.summary import list_summary
    from tallylight.store import writer

    w = writer.open_session(make_info(session_id, label), seal_interval_s=1e9, summarize=list_summary)
    for i in range(0, len(events), 500):
        w.write(events[i : i + 500])
        w.seal()
    w.close(StopReason.PARTICIPANT)


def test_review_and_sessions_screenshots(make_app, qtbot):
    from tallylight.store import vault
    from tallylight.ui.dialogs.sessions import SessionsDialog
    from tallylight.ui.review.window import ReviewWindow

    write("20261129T101500Z-a1", "typing task", lifelike(4))
    write("20261129T113000Z-b2", "free browsing", lifelike(2, seed=5))
    app = make_app(use_tray=False)
    unlocked = vault.unlock(PASSPHRASE)

    dlg = SessionsDialog(app.tasks)
    qtbot.addWidget(dlg)
    dlg.resize(1000, 300)
    dlg.show()
    dlg._set_vault(unlocked)
    dlg.refresh()
    qtbot.waitUntil(lambda: dlg.table.rowCount() == 2 and dlg.table.item(0, 1).text() != "", timeout=10000)
    dlg.grab().save(str(screenshot_dir() / "sessions-window.png"))

    win = ReviewWindow(app.tasks, "20261129T101500Z-a1", unlocked)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.ready, timeout=20000)
    win.seek(win.loaded.data.duration_s * 0.3)
    assert win.replay.position is not None
    win.grab().save(str(screenshot_dir() / "review-window.png"))
    win.tabs.setCurrentIndex(1)
    settle()
    win.grab().save(str(screenshot_dir() / "review-path.png"))
    win.tabs.setCurrentIndex(2)
    settle()
    win.grab().save(str(screenshot_dir() / "review-rhythm.png"))
    win.tabs.setCurrentIndex(0)
    win.begin_cut()
    win.grab().save(str(screenshot_dir() / "review-cut.png"))
    win.end_cut()
