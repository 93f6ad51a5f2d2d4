"""Background work whose results land on the main thread.

Workers are plain Python threads (a ``ThreadPoolExecutor``); they never touch Qt.
They put ``(callback, args)`` on a ``SimpleQueue`` that a ``QTimer`` on the main
thread drains, so every callback runs on the GUI thread (docs/ARCHITECTURE.md: signals
emitted from Python threads have crashed PySide6).
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    def __init__(self, parent: QObject | None = None, workers: int = 2) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tallylight-task")
        self._results: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.SimpleQueue()
        self._pending = 0
        self._timer = QTimer(self)
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._drain)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        """Run ``fn()`` in a worker; then ``on_done(result)`` or ``on_error(exc)`` on the main thread."""

        def work() -> None:
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - delivered to the caller
                if on_error is not None:
                    self._results.put((on_error, (exc,)))
                else:
                    self._results.put((_log_error, (exc,)))
            else:
                if on_done is not None:
                    self._results.put((on_done, (result,)))
            finally:
                self._results.put((_noop, ()))

        self._pending += 1
        if not self._timer.isActive():
            self._timer.start()
        return self._pool.submit(work)

    @Slot()
    def _drain(self) -> None:
        while True:
            try:
                callback, args = self._results.get_nowait()
            except queue.Empty:
                break
            if callback is _noop:
                self._pending -= 1
                continue
            try:
                callback(*args)
            except Exception:  # a bug in a callback must not kill the event loop
                log.exception("background task callback failed")
        if self._pending <= 0:
            self._pending = 0
            self._timer.stop()

    def shutdown(self) -> None:
        self._timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _noop() -> None:
    pass


def _log_error(exc: BaseException) -> None:
    log.error("background task failed: %s", exc, exc_info=exc)
