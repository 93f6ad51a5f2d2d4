"""Starting a session: each layer waits longer than the one below it, so a slow start ends
in the real failure (or in a session), not in "did not answer in time" from above."""

from __future__ import annotations

import inspect
import threading
import time

import pytest

from tallylight import appctl, timeouts
from tallylight.capture import listeners
from tallylight.errors import CaptureUnavailable


def test_each_layer_outwaits_the_one_below() -> None:
    assert timeouts.HOOKS_START_S >= 15  # 5 s was too little once, with both CPUs busy
    assert timeouts.HOOKS_START_S < timeouts.RECORDER_START_S
    assert timeouts.RECORDER_READY_S + timeouts.RECORDER_START_S < timeouts.APP_REPLY_S
    assert timeouts.APP_REPLY_S < timeouts.APPCTL_REPLY_S
    assert inspect.signature(appctl.send).parameters["timeout"].default == timeouts.APPCTL_REPLY_S


class _NeverReady:
    """A pynput listener whose hook never comes up."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def wait(self) -> None:
        self.release.wait()

    def is_alive(self) -> bool:
        return True


def test_hooks_that_never_start_are_reported_with_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listeners, "HOOKS_START_S", 0.2)
    hook = _NeverReady()
    began = time.monotonic()
    try:
        limit = r"^The input hooks did not start within 0\.2 seconds\.$"
        with pytest.raises(CaptureUnavailable, match=limit):
            listeners.wait_capturing([hook])
    finally:
        hook.release.set()
    assert time.monotonic() - began >= 0.2


def test_hooks_that_start_late_start(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = _NeverReady()
    threading.Timer(0.3, hook.release.set).start()
    monkeypatch.setattr(listeners, "HOOKS_START_S", 30.0)
    listeners.wait_capturing([hook])  # returns once the hook is up
    assert hook.release.is_set()
