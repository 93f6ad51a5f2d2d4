"""Run by tests/test_gui_offscreen.py in its own process: Qt's offscreen platform, no X server.

Drives the GUI's one failure path (ui.tasks) and the shared key-mode choice, and
prints what a participant would see as one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtWidgets import QApplication, QWidget

from tallylight.errors import StoreError
from tallylight.options import KeyMode
from tallylight.ui.capture_form import KeyModeChoice
from tallylight.ui.tasks import TaskRunner


def _until(app: QApplication, done, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.01)
    return True


def main() -> int:
    app = QApplication(sys.argv[:1])
    owner = QWidget()
    runner = TaskRunner(owner)
    seen: dict[str, object] = {"platform": app.platformName()}

    def expected() -> None:
        raise StoreError("The settings could not be saved (disk full).")

    def bug() -> None:
        raise ZeroDivisionError("internal")

    for name, work in (("expected", expected), ("bug", bug)):
        runner.last_report = None
        runner.run(work)
        shown = _until(app, lambda: runner.last_report is not None and runner.last_report.isVisible())
        seen[name] = runner.last_report.text() if shown and runner.last_report is not None else None
        if runner.last_report is not None:
            runner.last_report.close()
    box = KeyModeChoice("Keyboard capture")
    box.offer(KeyMode.HASHED)
    seen["modes"] = [box.itemData(i) for i in range(box.count())]
    runner.shutdown()
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
