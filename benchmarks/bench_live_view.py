"""Live view at 8,000 events/s (issue 10): the GUI process's CPU and the recorder's losses.

    python benchmarks/bench_live_view.py [--rate 8000] [--seconds 10]

On a fresh Xvfb, this process runs the real tray app's controller (QApplication on
xcb) and starts a real session (the real recorder process writing the encrypted
store). An injector process (benchmarks/bench_capture.py's, paced XTest motion
with a round trip per event) sends ``rate`` moves a second for ``seconds``. This
is done twice: with the live view closed, then open. For each run: the GUI
process's CPU (utime + stime over the injection's wall time; 100 % = one core),
the live view's redraws, and the recorder's losses: moves injected minus moves in
the stored session (goal 0). The machine has 2 shared cores, so the figures are
noisy; the injector, Xvfb and the recorder run alongside. A one-second session
first warms everything up (the first session in a process costs more).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from xserver import start_xvfb, stop_process  # noqa: E402

PASS = "bench live view"


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def run(app, qapp, server, rate: float, seconds: float, live: bool, first: int) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer

    from tallylight.store import sessions, vault

    def spin(cond, timeout: float) -> None:
        loop = QEventLoop()
        poll = QTimer()
        poll.setInterval(10)
        poll.timeout.connect(lambda: loop.quit() if cond() else None)
        poll.start()
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
        poll.stop()

    c = app.controller
    view = app.open_live_view() if live else None
    c.start_session(label=f"live={live}")
    spin(lambda: c.state == "recording", 15)
    spin(lambda: False, 1.0)  # the recorder's hooks settle
    count = int(rate * seconds)
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_capture.py"), "_inject", "--rate", str(rate)]
    cmd += ["--count", str(count), "--first", str(first)]
    c0, t0 = cpu_s(), time.perf_counter()
    updates0 = view.updates if view else 0
    inj = subprocess.Popen(cmd, env=server.env(), stdout=subprocess.PIPE, text=True)
    spin(lambda: inj.poll() is not None, seconds * 3 + 30)
    out, _ = inj.communicate()
    wall = time.perf_counter() - t0
    gui = cpu_s() - c0
    report = json.loads(out)
    redraws = (view.updates - updates0) if view else 0
    spin(lambda: False, 1.5)  # let the recorder drain
    sid = c.session_id
    c.stop()
    spin(lambda: c.state == "idle", 20)
    if view is not None:
        view.close()
    cols = sessions.read(sid, vault.unlock(PASS)).columns()
    moves = int((cols.kind == 3).sum())
    from bench_capture import path_point

    got = set(zip(cols.x[cols.kind == 3].tolist(), cols.y[cols.kind == 3].tolist(), strict=True))
    missing = [i for i in range(count) if path_point(first + i) not in got]
    return {
        "live": live,
        "injected": count,
        "achieved_rate": count / report["elapsed_s"],
        "gui_cpu_pct": 100 * gui / wall,
        "redraws": redraws,
        "redraws_per_s": redraws / wall,
        "stored_moves": moves,
        "lost": count - moves,
        "missing": missing[:10],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=8000)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tl-bench-live-"))
    os.environ["TALLYLIGHT_HOME"] = str(home)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    os.environ.pop("TALLYLIGHT_RECORDER_CMD", None)
    server = start_xvfb()
    try:
        os.environ["DISPLAY"] = server.display
        from PySide6.QtWidgets import QApplication

        from tallylight import settings as settings_mod
        from tallylight.store import vault
        from tallylight.store.crypto import KdfParams
        from tallylight.ui.app import TallylightApp

        vault.create_vault(PASS, params=KdfParams(1, 1, 64))
        qapp = QApplication([sys.argv[0], "-platform", "xcb"])
        app = TallylightApp(qapp, use_tray=False, show_welcome=False, settings=settings_mod.Settings())
        print(f"# live view benchmark: {args.rate:g} moves/s for {args.seconds:g} s, 2 shared cores (noisy)")
        run(app, qapp, server, args.rate, 1.0, False, first=9_000_000)  # warm-up (first session costs more)
        results = []
        for i, live in enumerate((False, True)):
            results.append(run(app, qapp, server, args.rate, args.seconds, live, first=i * 1_000_000))
            print(f"  (run {i + 1} of 2 done)", flush=True)
        for r in results:
            print(
                f"  live view {'open  ' if r['live'] else 'closed'}: injected {r['injected']:,} "
                f"at {r['achieved_rate']:,.0f}/s; GUI process CPU {r['gui_cpu_pct']:.1f} % of a core; "
                f"live-view redraws {r['redraws_per_s']:.1f}/s; stored {r['stored_moves']:,} moves, "
                f"lost {r['lost']:,} (goal 0: {'met' if r['lost'] == 0 else 'MISSED'}; "
                f"first missing positions by index: {r['missing']})"
            )
        base, live_r = results
        print(f"  GUI CPU added by the live view: {live_r['gui_cpu_pct'] - base['gui_cpu_pct']:+.1f} points")
        app.dispose()
    finally:
        stop_process(server.proc)


if __name__ == "__main__":
    main()
