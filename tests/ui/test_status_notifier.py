"""Item 11: where the desktop runs a StatusNotifierWatcher, Qt's own tray icon registers as a
StatusNotifierItem (D-Bus), so Tallylight needs no tray code of its own for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.x11

HERE = Path(__file__).resolve().parent

TRAY = r"""
import sys, time
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
QTimer.singleShot(2500, app.quit)
app.exec()
"""


def test_the_tray_icon_is_a_status_notifier_item(xserver, tmp_path):
    ready = tmp_path / "watcher-ready"
    script = (
        f"{sys.executable} {HERE / 'sni_watcher.py'} {ready} & watcher=$!; "
        f"for i in $(seq 100); do [ -e {ready} ] && break; sleep 0.1; done; "
        f"{sys.executable} -c '{TRAY}'; kill $watcher"
    )
    proc = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script],
        env=xserver.env(QT_QPA_PLATFORM="xcb"),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert "WATCHING" in proc.stdout, proc.stdout + proc.stderr
    assert "REGISTERED" in proc.stdout, proc.stdout + proc.stderr[-2000:]
