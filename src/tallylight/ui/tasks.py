"""Background work whose results land on the main thread: the GUI's one operation and error path.

Workers are plain Python threads (a ``ThreadPoolExecutor``); they never touch Qt.
They put ``(callback, args)`` on a ``SimpleQueue`` that a ``QTimer`` on the main
thread drains, so every callback runs on the GUI thread (docs/ARCHITECTURE.md: signals
emitted from Python threads have crashed PySide6).

As in Anki's ``QueryOp``: work runs off the GUI thread, and a failure nobody
handles goes to :meth:`TaskRunner.report`, which logs it and tells the participant
in plain words — a :class:`~tallylight.errors.TallylightError` is an expected
failure and says what happened; anything else is a bug, logged with its traceback
and said to be one. A caller that may ignore a failure says so with
:func:`quietly`, which still logs it. Only ``Exception`` is caught: Ctrl-C and
exits are never swallowed.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from tallylight import words
from tallylight.errors import TallylightError
from tallylight.i18n import N_, _

log = logging.getLogger(__name__)

BUG_WORDS = N_(
    "Something went wrong inside Tallylight (a bug, not something you did). "
    "Nothing saved before was lost; the details are in Tallylight's log."
)


def is_bug(exc: BaseException) -> bool:
    """An unexpected failure (a bug), not one of Tallylight's own errors."""
    return not isinstance(exc, TallylightError)


def failure_words(exc: BaseException, what: str = "") -> str:
    """What the participant reads about a failure: its own sentence, or that it is a bug."""
    head = _("{what} failed.").format(what=what[:1].upper() + what[1:]) + " " if what else ""
    return head + (_(BUG_WORDS) if is_bug(exc) else words.printable(str(exc)))


def log_failure(exc: BaseException, what: str = "a background task") -> None:
    """Expected failures in a line; bugs with their traceback."""
    if is_bug(exc):
        log.error("%s failed (a bug): %r", what, exc, exc_info=exc)
    else:
        log.warning("%s failed: %s", what, exc)


def quietly(what: str, then: Callable[[], None] | None = None) -> Callable[[BaseException], None]:
    """A failure handler for work whose failure the participant need not hear of (a fallback
    follows: ``then``); the failure is still logged."""

    def handler(exc: BaseException) -> None:
        log_failure(exc, what)
        if then is not None:
            then()

    return handler


class TaskRunner(QObject):
    def __init__(self, parent: QObject | None = None, workers: int = 2) -> None:
        super().__init__(parent)
        self.last_report: QMessageBox | None = None  # the failure said last (kept alive while shown)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tallylight-task")
        self._results: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.SimpleQueue()
        self._pending = 0
        self._closed = False  # shut down: the app is quitting, new work is dropped
        self._timer = QTimer(self)
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._drain)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        """Run ``fn()`` in a worker; then ``on_done(result)`` or ``on_error(exc)`` on the main thread
        (without ``on_error``: :meth:`report`). After :meth:`shutdown` nothing runs: a window
        that still asks (a change seen while the app quits) gets a cancelled future."""
        if self._closed:
            dropped: Future[Any] = Future()
            dropped.cancel()
            return dropped

        def work() -> None:
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - delivered to the caller, or reported: never lost
                self._results.put((on_error or self.report, (exc,)))
            else:
                if on_done is not None:
                    self._results.put((on_done, (result,)))
            finally:
                self._results.put((_noop, ()))

        self._pending += 1
        if not self._timer.isActive():
            self._timer.start()
        return self._pool.submit(work)

    @property
    def busy(self) -> bool:
        """Work is running, or its result has not reached the main thread yet: what a caller
        (or a test) waits on to know every result was delivered, instead of waiting a while."""
        return self._pending > 0

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
            except Exception as exc:  # noqa: BLE001 - a bug in a callback must not kill the event loop: reported
                self.report(exc)
        if self._pending <= 0:
            self._pending = 0
            self._timer.stop()

    def shutdown(self) -> None:
        self._closed = True
        self._timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def report(self, exc: BaseException, what: str = "") -> None:
        """The default failure handler: log it, and tell the participant in plain words."""
        log_failure(exc, what or "a background task")
        owner = self.parent()
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Tallylight",
            failure_words(exc, what),
            QMessageBox.StandardButton.Ok,
            owner if isinstance(owner, QWidget) else None,
        )
        box.setAccessibleName(_("Tallylight could not finish something"))
        self.last_report = box
        box.open()


def _noop() -> None:
    pass
