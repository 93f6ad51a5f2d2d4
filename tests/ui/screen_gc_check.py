"""Collect task windows and say whether the application's screen went with them (run as a script).

Used by test_gui_gc.py in a fresh interpreter: whether the collector reaches the screen depends on
the order it finds the windows' wrappers in, which a long test process no longer reproduces.
Two task windows (the intro, a started task) ask for their screen as the app's do, their
controls are read as scale_check.py reads them, then the windows are dropped and collected.
Prints one JSON object: ``{"screen_deleted": bool}``.
"""

from __future__ import annotations

import faulthandler
import gc
import json
import sys

faulthandler.enable()


def main() -> int:
    from PySide6.QtWidgets import QApplication, QWidget

    from tallylight.study.manifest import PointingTask, Task, Text
    from tallylight.ui.task_window import TaskWindow

    app = QApplication([sys.argv[0], "-platform", "offscreen"])
    long = "Click each highlighted circle as quickly and accurately as you can. " * 3
    task = Task(
        "tap",
        Text((("", "Click the circles"),)),
        Text((("", long),)),
        kind="pointing",
        pointing=PointingTask((256.0, 512.0), "px", (32.0, 64.0), "px", 9, 1, 7, ("mouse", "trackpad")),
    )

    def read_parents(window: QWidget) -> None:
        for child in window.findChildren(QWidget):
            if child.isVisible():
                parent = child.parent()
                while parent is not None and parent is not window:
                    parent = parent.parent()

    for start in (False, True):
        window = TaskWindow(task, lambda *_a, **_k: None)
        window.show_full_screen()
        if start:
            window.start()
        app.processEvents()
        read_parents(window)
    deleted: list[bool] = []
    app.primaryScreen().destroyed.connect(lambda *_a: deleted.append(True))
    del window  # each task window is in a cycle (its canvas names it): only the collector frees it
    gc.collect()
    print(json.dumps({"screen_deleted": bool(deleted)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
