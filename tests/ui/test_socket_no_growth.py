"""Issue 17 item 12: the app keeps nothing per app-socket request.

The soak (benchmarks/bench_soak.py) polls ``status`` many times a second; the
app's memory grew about 1 KiB per request. Each accepted socket is a child of the
QLocalServer, and PySide kept its wrapper in the server's list of children after
Qt deleted the socket. These tests count what is still held once the requests
are answered: the wrappers, and the reply timers of commands that wait.
"""

from __future__ import annotations

import gc
import threading

import pytest

pytestmark = pytest.mark.x11

REQUESTS = 200


def _live(cls: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, cls))


def _requests(qtbot, commands: list[str]) -> None:
    """Send each command over the real socket from another thread, one connection each."""
    from tallylight import appctl
    from tallylight.errors import TallylightError

    errors: list[BaseException] = []

    def work() -> None:
        for cmd in commands:
            try:
                appctl.send(cmd, timeout=20)
            except TallylightError:
                pass  # a refused command ("nothing to pause") still used a connection
            except BaseException as exc:  # noqa: BLE001 - handed to the test
                errors.append(exc)
                return

    t = threading.Thread(target=work, daemon=True)
    t.start()
    qtbot.waitUntil(lambda: not t.is_alive(), timeout=120_000)
    assert not errors, errors


def test_answered_requests_leave_no_socket_behind(make_app, fake_recorder, qtbot) -> None:
    from PySide6.QtNetwork import QLocalSocket

    app = make_app()
    _requests(qtbot, ["status"])  # warm up: the first request may create lasting objects
    before = _live(QLocalSocket)
    _requests(qtbot, ["status"] * REQUESTS)
    # every connection has ended on both sides: only the deletion may still be queued
    qtbot.waitUntil(lambda: not app.server._buffers, timeout=10_000)
    qtbot.waitUntil(lambda: _live(QLocalSocket) <= before, timeout=10_000)
    assert _live(QLocalSocket) <= before


def test_commands_that_wait_leave_no_timer_behind(make_app, fake_recorder, qtbot) -> None:
    from PySide6.QtCore import QTimer

    app = make_app()
    server = app.server

    def timers() -> int:
        return len(server.findChildren(QTimer))

    _requests(qtbot, ["start", "pause", "resume", "stop"])
    before = timers()
    _requests(qtbot, ["start", "pause", "resume", "stop"] * 5)
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=20_000)
    qtbot.waitUntil(lambda: timers() <= before, timeout=10_000)
    assert timers() <= before
