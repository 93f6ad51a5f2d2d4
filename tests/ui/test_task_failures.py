"""The GUI's one error path: a failure nobody handles is logged and told in plain words, bugs apart."""

from __future__ import annotations

import logging
from concurrent.futures import Future

import pytest

from tallylight.errors import StoreError
from tallylight.ui.tasks import BUG_WORDS, TaskRunner, failure_words, quietly


@pytest.fixture
def runner(qapp, qtbot):
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    qtbot.addWidget(owner)
    r = TaskRunner(owner)
    yield r
    r.shutdown()


def _fail(exc: BaseException):
    def work() -> None:
        raise exc

    return work


def test_an_expected_failure_is_told_in_its_own_words(runner, qtbot, caplog) -> None:
    caplog.set_level(logging.WARNING, "tallylight.ui.tasks")
    runner.run(_fail(StoreError("The disk is full while saving the settings.")))
    qtbot.waitUntil(lambda: runner.last_report is not None and runner.last_report.isVisible(), timeout=5000)
    assert runner.last_report.text() == "The disk is full while saving the settings."
    assert any(r.levelno == logging.WARNING and r.exc_info is None for r in caplog.records)
    runner.last_report.close()


def test_a_bug_is_said_to_be_one_and_logged_with_its_traceback(runner, qtbot, caplog) -> None:
    caplog.set_level(logging.WARNING, "tallylight.ui.tasks")
    runner.run(_fail(KeyError("internal detail")))
    qtbot.waitUntil(lambda: runner.last_report is not None and runner.last_report.isVisible(), timeout=5000)
    assert runner.last_report.text() == BUG_WORDS
    assert "internal detail" not in runner.last_report.text()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors
    assert errors[0].exc_info is not None
    runner.last_report.close()


def test_a_failing_result_handler_is_reported_not_lost(runner, qtbot) -> None:
    def broken(_result: object) -> None:
        raise RuntimeError("bug in a callback")

    runner.run(lambda: 1, broken)
    qtbot.waitUntil(lambda: runner.last_report is not None, timeout=5000)
    assert runner.last_report.text() == BUG_WORDS
    runner.last_report.close()


def test_quietly_logs_and_falls_back_without_a_message(runner, qtbot, caplog) -> None:
    caplog.set_level(logging.WARNING, "tallylight.ui.tasks")
    fell_back: list[bool] = []
    runner.run(
        _fail(StoreError("no vault")), on_error=quietly("looking for a vault", lambda: fell_back.append(True))
    )
    qtbot.waitUntil(lambda: bool(fell_back), timeout=5000)
    assert runner.last_report is None
    assert any("looking for a vault failed: no vault" in r.getMessage() for r in caplog.records)


def test_an_interrupt_is_never_swallowed(runner, qtbot) -> None:
    seen: list[BaseException] = []
    future: Future = runner.run(_fail(KeyboardInterrupt()), on_error=seen.append)
    qtbot.waitUntil(future.done, timeout=5000)
    assert isinstance(future.exception(), KeyboardInterrupt)
    assert seen == []


def test_failure_words_name_what_failed() -> None:
    assert failure_words(StoreError("It is locked."), "saving the settings") == (
        "Saving the settings failed. It is locked."
    )
    assert failure_words(ValueError("x")).startswith("Something went wrong inside Tallylight")


def test_work_asked_after_shutdown_is_dropped_not_raised(qapp, qtbot) -> None:
    """A window that still asks for work while the app quits (a change on disk seen late) gets a
    cancelled future; the event loop sees no 'cannot schedule new futures after shutdown'."""
    from PySide6.QtWidgets import QWidget

    owner = QWidget()
    qtbot.addWidget(owner)
    r = TaskRunner(owner)
    r.shutdown()
    ran: list[int] = []
    future = r.run(lambda: ran.append(1), lambda _result: ran.append(2))
    assert future.cancelled()
    assert not r.busy
    assert ran == []
