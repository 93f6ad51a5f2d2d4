"""Calling something that may never answer (an X server, a keychain) without hanging."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# How long each layer waits for the one below it when starting a session. Each waits longer
# than everything beneath it, so the innermost failure is the one the participant reads (not
# "did not answer in time" while the session then starts after all); only a real hang meets them.

#: The OS's input hooks (XRecord's handshake, a hook thread): well under a second normally;
#: 5 s was once too little with both CPUs busy and three test suites running.
HOOKS_START_S = 15.0
#: Spawning the recorder until its ``ready``: an interpreter's start and imports.
RECORDER_READY_S = 20.0
#: The recorder's reply to ``start``: the hooks' start, then the store's first writes.
RECORDER_START_S = HOOKS_START_S + 10.0
#: The app's answer to ``tallylight start`` and the like: it may spawn a recorder and start it.
APP_REPLY_S = RECORDER_READY_S + RECORDER_START_S + 5.0
#: ``tallylight start`` and the like, waiting for the app (or a running ``record``).
APPCTL_REPLY_S = APP_REPLY_S + 5.0


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
