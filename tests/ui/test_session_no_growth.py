"""Issue 17 item 12: a session that has ended leaves nothing behind in the app.

The soak (benchmarks/bench_soak.py) saw the app's memory grow from cycle 10 to
500. Each session makes a RecorderProcess with its QProcess, connects a dozen
signals to the controller and shows notices; all of it must go once the
recorder has exited. These tests run start/pause/resume/stop cycles over the
app socket (as ``tallylight start`` does) and count what is still there:
QObjects under the app, widgets, Python objects by type, and receivers on the
controller's signals. A RecorderProcess left alive, a signal connected per
session to a long-lived object, or a window made per notice shows up here.
"""

from __future__ import annotations

import contextlib
import enum
import gc
import threading
from collections import Counter

import pytest
from pytestqt.exceptions import TimeoutError as WaitTimedOut

pytestmark = pytest.mark.x11

CYCLES = 10
WARM_UP = 2


def _cycles(qtbot, app, n: int) -> None:
    """``n`` start/pause/resume/stop cycles over the real socket, from another thread."""
    from tallylight import appctl

    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(n):
                for cmd in ("start", "pause", "resume", "stop"):
                    appctl.send(cmd, timeout=30)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    t = threading.Thread(target=work, daemon=True)
    t.start()
    qtbot.waitUntil(lambda: not t.is_alive(), timeout=240_000)
    assert not errors, errors
    qtbot.waitUntil(lambda: app.controller.state == "idle", timeout=20_000)


def _held(app) -> Counter[str]:
    """What the app holds: its QObjects by class, widgets, our and Qt's Python objects by type,
    and receivers of every controller signal. QMetaObjects and enum members are per class (made
    on first use), so they are left out."""
    from PySide6.QtCore import QMetaObject, QObject
    from PySide6.QtWidgets import QApplication

    gc.collect()
    held: Counter[str] = Counter()
    for obj in app.findChildren(QObject):
        held[f"child {type(obj).__name__}"] += 1
    held["widgets"] = len(QApplication.allWidgets())
    for obj in gc.get_objects():
        module = type(obj).__module__
        # a class whose __module__ is a descriptor (a metaclass's instances) is none of ours
        if (
            isinstance(module, str)
            and module.startswith(("tallylight", "PySide6"))
            and not isinstance(obj, (QMetaObject, enum.Enum))
        ):
            held[f"object {type(obj).__qualname__}"] += 1
    controller = app.controller
    meta = controller.metaObject()
    for i in range(meta.methodCount()):  # all: PySide may put the class's own in a base meta-object
        method = meta.method(i)
        if method.methodType() == method.MethodType.Signal:
            signature = bytes(method.methodSignature().data()).decode()
            held[f"receivers {signature}"] = controller.receivers(f"2{signature}")
    return held


def _grown(before: Counter[str], after: Counter[str]) -> dict[str, tuple[int, int]]:
    """What grew by half a thing per session or more. A wrapper Python makes the first time a
    rarer path runs (one, once) is not growth; one per session, or every other session, is."""
    return {k: (before[k], after[k]) for k in after if after[k] - before[k] >= CYCLES // 2}


@pytest.mark.parametrize("indicator", ["tray", "window"])
def test_ended_sessions_leave_nothing_behind(indicator, make_app, fake_recorder, qtbot, request) -> None:
    if indicator == "tray":
        request.getfixturevalue("tray_host")  # notices become the tray's balloon messages
    app = make_app(use_tray=indicator == "tray")
    assert (app.tray is not None) == (indicator == "tray")
    # the first sessions make lasting objects (imports, caches, wrappers Python asks for once)
    _cycles(qtbot, app, CYCLES)
    before = _held(app)
    _cycles(qtbot, app, CYCLES)
    # the last recorder's deletion may still be queued: wait for it, then compare
    with contextlib.suppress(WaitTimedOut):  # the assertion says what stayed
        qtbot.waitUntil(lambda: not _grown(before, _held(app)), timeout=10_000)
    assert not _grown(before, _held(app))


def test_counts_see_a_recorder_left_alive(make_app, fake_recorder, qtbot, monkeypatch) -> None:
    """The counts above would catch the obvious leak: RecorderProcess objects never deleted."""
    from tallylight.ui import recorder_process

    kept: list[object] = []
    monkeypatch.setattr(recorder_process.RecorderProcess, "deleteLater", lambda self: kept.append(self))
    app = make_app()
    _cycles(qtbot, app, WARM_UP)
    before = _held(app)
    _cycles(qtbot, app, CYCLES)
    grown = _grown(before, _held(app))
    kept_before = before["child RecorderProcess"]
    assert grown.get("child RecorderProcess") == (kept_before, kept_before + CYCLES)
    assert grown.get("child QProcess") == (kept_before, kept_before + CYCLES)


def test_a_socket_start_opens_no_x_connection(make_app, fake_recorder, qtbot, monkeypatch) -> None:
    """A start over the socket does not ask whether focus can be known: only the start dialog
    says so. Asking imports python-xlib and opens a connection whose objects are cyclic
    garbage once it closes (about 25 KB a start, freed only by a full collection): in the
    soak (bench_soak.py) that was 4.8 MiB of the app's anonymous memory at cycle 10 and
    most of its growth from there to cycle 200."""
    from tallylight.capture import focus

    asked: list[object] = []
    real = focus.focus_support

    def counted(*args, **kwargs):
        asked.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(focus, "focus_support", counted)
    app = make_app()
    _cycles(qtbot, app, WARM_UP)
    assert asked == []
