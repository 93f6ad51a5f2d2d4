"""Calling something that may never answer (an X server, a keychain) without hanging."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def call_with_timeout(fn: Callable[[], T], timeout: float, name: str = "tallylight-call") -> T:
    """``fn()`` run in a daemon thread; its result or exception, or TimeoutError.

    The thread is abandoned on timeout: only use this for calls that are safe to
    leave running (a blocked socket read, a D-Bus call nobody answers).
    """
    values: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            values.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            errors.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError
    if errors:
        raise errors[0]
    return values[0]
