"""Run in a child under a headless Weston: the task window of a joined study opens on Wayland.

Prints ``platform``, ``opened WxH`` once the window is shown, then closes it and prints the
``stopped`` session id. Used by tests/test_wayland.py.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tallylight.ui.task_run import TaskRun, find_task


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # as task_run.main: the run ends when the recorder stopped
    print("platform", app.platformName(), flush=True)
    study_id, task = find_task(sys.argv[1], None)
    run = TaskRun(app, study_id, task, device="mouse")

    def poll() -> None:
        w = run.window
        if w is not None and w.isVisible():
            print(f"opened {w.width()}x{w.height()} tally={w.tally.text()!r}", flush=True)
            w.close()
        else:
            QTimer.singleShot(50, poll)

    QTimer.singleShot(0, run.start)
    QTimer.singleShot(0, poll)
    QTimer.singleShot(30_000, app.quit)  # never hang a test run
    app.exec()
    print("finished", run.finished, "code", run.code, flush=True)
    return run.code


if __name__ == "__main__":
    sys.exit(main())
