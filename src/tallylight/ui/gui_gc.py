"""Python's cycle collector runs on the GUI thread only, between events.

A window or dialog that took part in a reference cycle (a lambda slot that names its
window, a child that keeps its parent) is freed by the cycle collector, not when its last
name goes. Left to itself the collector runs in whichever thread happens to allocate when
its threshold is crossed: a ``TaskRunner`` worker, for instance, which then deletes the
widget there while the GUI thread is handling one of its events (the scaling test's
SIGSEGV in ``QObject::event`` of a ``QFrame``, with a worker in ``QWidget::~QWidget``
called from ``gc_collect_main``). Qt objects must be destroyed on their own thread, so the
app turns automatic collection off and runs the same collections from a timer on the GUI
thread, with the thresholds the collector had (pyqtgraph's ``GarbageCollector`` does the
same for the same reason).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

#: how often the GUI thread looks whether a collection is due (a look reads three integers; a
#: full collection then comes about every 100 s at the default thresholds, as pyqtgraph does)
INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    """Collects on the GUI thread when the collector's own counts say so; ``stop`` hands back."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self.thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    @Slot()
    def check(self) -> None:
        """Run each generation's collection that the automatic collector would have run by now."""
        for generation in (2, 1, 0):  # an older generation's collection takes the younger ones too
            threshold = self.thresholds[generation]
            if threshold and gc.get_count()[generation] > threshold:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Back to automatic collection (the event loop is over: no GUI thread turns come)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()


def collect_on_gui_thread(parent: QObject | None = None) -> GuiThreadCollector:
    """From now on the cycle collector runs only on this (the GUI) thread, between events."""
    return GuiThreadCollector(parent)
