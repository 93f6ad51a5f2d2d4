"""Windows freed by Python's cycle collector: on the GUI thread, and never taking the screen with them.

Both crashed the scaling test's ``scale_check.py`` with SIGSEGV here (CI saw one such crash,
which of the two is not known): the collector, run by a worker thread that happened to allocate,
deleted a widget there while the GUI thread handled one of its events; and a collected window
whose ``screen()`` had been asked took the application's QScreen with it, so the next window
hidden crashed in ``QXcbWindow::hide``.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import weakref
from pathlib import Path

from PySide6.QtCore import QObject

from tallylight.ui.gui_gc import GuiThreadCollector

SCREEN_CHECK = Path(__file__).with_name("screen_gc_check.py")


def test_a_cycle_is_freed_on_the_gui_thread_even_when_a_worker_allocates(qapp, qtbot) -> None:
    collector = GuiThreadCollector(interval_ms=20)
    try:
        gc.collect()  # counts from zero: the worker below crosses the first threshold
        freed_in: list[int] = []
        obj = QObject()
        obj.me = obj  # type: ignore[attr-defined]  # a cycle: only the collector frees it
        weakref.finalize(obj, lambda: freed_in.append(threading.get_ident()))
        del obj
        kept: list[list[int]] = []

        def allocate() -> None:  # a busy worker: far past the collector's threshold of allocations
            kept.extend([i] for i in range(50_000))

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: bool(freed_in), timeout=10_000)
        assert freed_in == [threading.get_ident()], "a Qt object was freed outside the GUI thread"
    finally:
        collector.stop()


def test_the_screen_outlives_task_windows_the_collector_frees() -> None:
    proc = subprocess.run([sys.executable, str(SCREEN_CHECK)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-6000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"screen_deleted": False}, "collecting a window deleted the application's screen"
