"""Item 11: where the desktop runs a StatusNotifierWatcher, Qt's own tray icon registers as a
StatusNotifierItem (D-Bus), so Tallylight needs no tray code of its own for it."""

from __future__ import annotations

from conftest_helpers import on_private_bus

TRAY = r"""
import os, sys, time
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication([sys.argv[0], "-platform", "xcb"])
from tallylight import settings
from tallylight.ui.actions import AppActions
from tallylight.ui.controller import AppController
from tallylight.ui.tray import TrayUI
c = AppController(settings.Settings())
tray = TrayUI(c, AppActions(c))
tray.show()
deadline = time.monotonic() + 30
def quit_once_registered():  # the watcher heard the icon register, or the test fails on its output
    with open(os.environ["HEARD"]) as heard:
        if "REGISTERED" in heard.read() or time.monotonic() > deadline:
            print("OWN NOTICES", tray.qt_draws_balloons(), flush=True)
            app.quit()
poll = QTimer()
poll.timeout.connect(quit_once_registered)
poll.start(20)
app.exec()
"""


def test_the_tray_icon_is_a_status_notifier_item(xserver, tmp_path):
    proc = on_private_bus(xserver, "sni_watcher.py", TRAY, tmp_path)
    assert "WATCHING" in proc.stdout, proc.stdout + proc.stderr
    assert "REGISTERED" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    # no balloon of Qt's here: notices go to the desktop's notification service, not our window
    assert "OWN NOTICES False" in proc.stdout, proc.stdout + proc.stderr[-2000:]
