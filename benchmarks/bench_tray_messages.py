"""What a tray notice costs the app's memory: the app's own notice window against Qt's balloon.

    python benchmarks/bench_tray_messages.py [--messages 2000] [--step 500] [--via both|notice|balloon]

The soak (bench_soak.py) shows about five notices per cycle (started from the
command line, private apps cannot be detected, paused, resumed, stopped). Until
the app had its own notice window (tallylight.ui.notice) it called
``QSystemTrayIcon.showMessage``: on a tray host without a notification service
(XEmbed, here trayer) Qt shows each notice as a new balloon window (QBalloonTip),
and each balloon leaves pixmaps in Qt's global QPixmapCache under keys no later
balloon uses again (about half of it is the balloon's close button, whose icon the
style makes anew for every balloon). That cache is bounded
(``QPixmapCache.cacheLimit()``, 10 MiB of pixels by default), so the growth
levels off, at ~17 MiB after ~5,300 notices (about 1,100 soak cycles).

This runs the real tray app on Xvfb with trayer and, in one process, first shows
``--messages`` notices the app's way (``TrayUI.show_message``, as the
controller's ``notify`` does: the reused window), then as many through Qt's
balloon (``tray.icon.showMessage``, what the app did before). It prints the
malloc'd bytes in use (glibc ``mallinfo2``) and RSS every ``--step`` notices, and
after the balloons again after ``QPixmapCache.clear()``: what the cache held.
Linux with glibc only.
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
    ap.add_argument("--messages", type=int, default=2000, help="notices per way")
    ap.add_argument("--step", type=int, default=500)
    ap.add_argument("--via", choices=("both", "notice", "balloon"), default="both")
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
            from tallylight.ui import icons
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

            def show_notice(i: int) -> None:
                # text of varying length, as real notices vary
                tray.show_message("Tallylight paused", "Recording paused by Ctrl+Alt+P" + "." * (i % 37))
                spin(3)

            def show_balloon(i: int) -> None:
                tray.icon.showMessage(
                    "Tallylight paused",
                    "Recording paused by Ctrl+Alt+P" + "." * (i % 37),
                    icons.icon_for(app.controller.state),
                    8000,
                )
                spin(3)

            ways = {"notice": show_notice, "balloon": show_balloon}
            chosen = list(ways) if args.via == "both" else [args.via]
            for way in chosen:  # warm up: fonts, the first window's lasting objects
                for i in range(20):
                    ways[way](i)
            print(f"QPixmapCache limit {QPixmapCache.cacheLimit()} KiB")
            per_notice: dict[str, float] = {}
            for way in chosen:
                show = ways[way]
                base, base_rss = in_use(), rss_kib()
                print(f"{way}: baseline malloc in use {base / 2**20:.1f} MiB, RSS {base_rss / 1024:.1f} MiB")
                t0 = time.monotonic()
                last = base
                for done in range(args.step, args.messages + 1, args.step):
                    for i in range(args.step):
                        show(i)
                    now = in_use()
                    print(
                        f"  {way} {done:6d}: malloc in use +{(now - base) / 2**20:6.2f} MiB "
                        f"({(now - last) / args.step:6.0f} B per notice in this step), "
                        f"RSS +{(rss_kib() - base_rss) / 1024:6.2f} MiB  [{time.monotonic() - t0:.0f} s]",
                        flush=True,
                    )
                    last = now
                per_notice[way] = (last - base) / args.messages
                if way == "balloon":
                    QPixmapCache.clear()
                    cleared = in_use()
                    print(
                        f"  after QPixmapCache.clear(): +{(cleared - base) / 2**20:.2f} MiB "
                        f"({(cleared - base) / args.messages:.0f} B per notice stays); the cache held "
                        f"{(last - cleared) / 2**20:.2f} MiB"
                    )
            print(
                "per notice, same run: "
                + ", ".join(f"{way} {b:.0f} B" for way, b in per_notice.items())
                + f" (load average {os.getloadavg()[0]:.2f})"
            )
            app.dispose()
    finally:
        stop_process(server.proc)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
