"""What a tray notice costs the app's memory, and whether it comes back.

    python benchmarks/bench_tray_messages.py [--messages 6000] [--step 500]

The soak (bench_soak.py) shows about five notices per cycle (started from the
command line, private apps cannot be detected, paused, resumed, stopped), and
the app's RSS grew ~1.12x from cycle 10 to 500. On a tray host without a
notification service (XEmbed, here trayer) Qt shows each notice as a new
balloon window (QBalloonTip), and each balloon leaves pixmaps in Qt's global
QPixmapCache under keys no later balloon uses again (about half of it is the
balloon's close button, whose icon the style makes anew for every balloon: a
proxy style handing out one icon halved the rate). That cache is bounded
(``QPixmapCache.cacheLimit()``, 10 MiB of pixels by default), so the growth
levels off; Tallylight keeps nothing per notice (tests/ui/test_session_no_growth.py).

Measured here (2 shared cores, load ~11): ~3.3 KB of malloc per notice up to
~5,300 notices (+15.8 MiB), then ~0.3 KB per notice (+17.2 MiB at 7,000); after
``QPixmapCache.clear()`` +2.2 MiB stays (~0.3 KB per notice, Qt's balloon window).

This runs the real tray app on Xvfb with trayer, shows notices through
``TrayUI.show_message`` (as the controller's ``notify`` does), and prints the
malloc'd bytes in use (glibc ``mallinfo2``) and RSS every ``--step`` notices,
then again after ``QPixmapCache.clear()``: what the cache held, and what stays
(Qt's own, per balloon). Linux with glibc only.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from xserver import start_xvfb, stop_process, trayer  # noqa: E402


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


_libc = ctypes.CDLL("libc.so.6")
_libc.mallinfo2.restype = _MallInfo2


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=6000)
    ap.add_argument("--step", type=int, default=500)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tl-tray-messages-"))
    os.environ["TALLYLIGHT_HOME"] = str(home)
    server = start_xvfb()
    os.environ["DISPLAY"] = server.display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.pop("WAYLAND_DISPLAY", None)
    try:
        with trayer(server):
            from PySide6.QtCore import QEventLoop
            from PySide6.QtGui import QPixmapCache
            from PySide6.QtWidgets import QApplication, QSystemTrayIcon

            from tallylight import settings
            from tallylight.ui.app import TallylightApp

            qapp = QApplication([sys.argv[0]])
            qapp.setQuitOnLastWindowClosed(False)
            app = TallylightApp(qapp, show_welcome=False, settings=settings.Settings(welcome_done=True))
            tray = app.tray
            if tray is None or not QSystemTrayIcon.supportsMessages():
                print("no tray with messages here")
                return 1

            def spin(ms: int) -> None:
                end = time.monotonic() + ms / 1000
                while time.monotonic() < end:
                    qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)

            def in_use() -> int:
                gc.collect()
                spin(100)
                return int(_libc.mallinfo2().uordblks)

            def show(i: int) -> None:
                # text of varying length, as real notices vary
                tray.show_message("Tallylight paused", "Recording paused by Ctrl+Alt+P" + "." * (i % 37))
                spin(3)

            for i in range(20):  # warm up: fonts, the first balloon's lasting objects
                show(i)
            base, base_rss = in_use(), rss_kib()
            print(f"QPixmapCache limit {QPixmapCache.cacheLimit()} KiB")
            print(f"baseline: malloc in use {base / 2**20:.1f} MiB, RSS {base_rss / 1024:.1f} MiB")
            t0 = time.monotonic()
            last = base
            for done in range(args.step, args.messages + 1, args.step):
                for i in range(args.step):
                    show(i)
                now = in_use()
                print(
                    f"{done:6d} notices: malloc in use +{(now - base) / 2**20:6.2f} MiB "
                    f"({(now - last) / args.step:6.0f} B per notice in this step), "
                    f"RSS +{(rss_kib() - base_rss) / 1024:6.2f} MiB  [{time.monotonic() - t0:.0f} s]",
                    flush=True,
                )
                last = now
            full = in_use()
            QPixmapCache.clear()
            cleared = in_use()
            n = args.messages
            print(
                f"after QPixmapCache.clear(): +{(cleared - base) / 2**20:.2f} MiB "
                f"({(cleared - base) / n:.0f} B per notice stays); the cache held "
                f"{(full - cleared) / 2**20:.2f} MiB ({(full - cleared) / n:.0f} B per notice)"
            )
            app.dispose()
    finally:
        stop_process(server.proc)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
