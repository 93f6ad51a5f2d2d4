"""Regression (docs/ARCHITECTURE.md): PySide6 6.12.0 on CPython 3.11 crashed after a few hundred emits."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
from PySide6.QtCore import QCoreApplication, QObject, Signal

class Emitter(QObject):
    fired = Signal(bool)

app = QCoreApplication([])
e = Emitter()
seen = []
e.fired.connect(lambda v: seen.append(v))
for i in range(20000):
    e.fired.emit(i % 2 == 0)
assert len(seen) == 20000, len(seen)
print("ok")
"""


def test_signal_emit_20000_times_does_not_crash():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"
