"""Helpers shared by UI tests."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

PASSPHRASE = "correct horse battery staple"


def screenshot_dir() -> Path:
    """Where tests write screenshots: ``$TALLYLIGHT_SCREENSHOTS``, else ``build/screenshots``.

    Never the tracked tree: ``make screenshots`` copies the README's pictures from
    here into docs/screenshots on purpose.
    """
    default = Path(__file__).resolve().parents[2] / "build" / "screenshots"
    out = Path(os.environ.get("TALLYLIGHT_SCREENSHOTS") or default).resolve()
    out.mkdir(parents=True, exist_ok=True)
    return out


def call_appctl(qtbot, command: str, timeout_ms: int = 20000, **fields: Any) -> dict:
    """Run appctl.send in a plain thread while the Qt event loop keeps running."""
    from tallylight import appctl

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["reply"] = appctl.send(command, **fields)
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    qtbot.waitUntil(lambda: not t.is_alive(), timeout=timeout_ms)
    if "error" in box:
        raise box["error"]
    return box["reply"]


def _trayer_slots(d) -> list:
    """trayer's icon slots on display ``d`` (python-xlib): the children of its panel windows
    that have been given a size (a new slot starts at 1x1 before trayer lays it out)."""
    out = []
    for top in d.screen().root.query_tree().children:
        try:
            cls = top.get_wm_class()
        except Exception:  # noqa: BLE001 - windows may vanish
            continue
        if not cls or "trayer" not in cls:
            continue
        for slot in top.query_tree().children:
            g = slot.get_geometry()
            if g.width >= 8 and g.height >= 8:
                out.append(slot)
    return out


def _root_centre(slot, root) -> tuple[int, int]:
    g = slot.get_geometry()
    pos = slot.translate_coords(root, 0, 0)
    return (-pos.x + g.width // 2, -pos.y + g.height // 2)


def tray_icon_centres(display: str) -> list[tuple[int, int]]:
    """Root coordinates of the icons embedded in trayer's panel (Qt's geometry() is not global here)."""
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        root = d.screen().root
        return [_root_centre(slot, root) for slot in _trayer_slots(d)]
    finally:
        d.close()


def tray_icon_targets(display: str) -> list[tuple[int, int, int]]:
    """The icons in trayer's panel that a click would reach now: (x, y, window) for each slot
    that is viewable and whose embedded window (the app's XEmbed client) is viewable and covers
    the slot's centre, (x, y) in root coordinates.

    trayer creates a slot, reparents the icon's window into it unmapped, then sizes and moves
    the slot and maps the icon: until all that has happened a click at the slot's centre may go
    to the panel. This is what the X server says, not how long the layout usually takes.
    """
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.error import XError

    d = xdisplay.Display(display)
    try:
        root = d.screen().root
        out = []
        for slot in _trayer_slots(d):
            try:
                if slot.get_attributes().map_state != X.IsViewable:
                    continue
                sg = slot.get_geometry()
                cx, cy = sg.width // 2, sg.height // 2
                for icon in slot.query_tree().children:
                    g = icon.get_geometry()
                    if icon.get_attributes().map_state != X.IsViewable:
                        continue
                    if g.x <= cx < g.x + g.width and g.y <= cy < g.y + g.height:
                        out.append((*_root_centre(slot, root), icon.id))
                        break
            except XError:  # the slot or its icon went away meanwhile
                continue
        return out
    finally:
        d.close()


def pointer_window(display: str) -> int:
    """The deepest window under the pointer, as the X server says: the window a click goes to
    (0 when the pointer is over the root window only)."""
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        w, found = d.screen().root, 0
        while True:
            child = w.query_pointer().child
            if not child:
                return found
            w, found = child, child.id
    finally:
        d.close()


def read_log(path) -> list[dict]:
    """The fake recorder's log: its pid, each command it got, how it exited."""
    import json

    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_session(
    session_id: str,
    label: str = "",
    seconds: float = 2.0,
    started_wall_ns: int | None = None,
    timing: dict | None = None,
):
    """A finished session in the test vault (real writer), without running a recorder; ``timing`` is
    the TIMING record the recorder writes when it stops (docs/FORMAT.md section 12)."""
    import dataclasses
    import time

    from store_helpers import make_info

    from tallylight import events as ev
    from tallylight.events import StopReason
    from tallylight.store import writer

    info = dataclasses.replace(
        make_info(session_id, label), started_wall_ns=started_wall_ns or time.time_ns()
    )
    w = writer.open_session(info, seal_interval_s=1e9)
    t_end = int(seconds * 1e9)
    w.write(
        [
            ev.key_down(1_000_000, ev.KeyClass.LETTER, 1, ""),
            ev.key_up(90_000_000, ev.KeyClass.LETTER, 1),
            ev.move(t_end, 10, 10),
        ]
    )
    w.seal()
    if timing is not None:
        w.note_timing(timing)
    w.close(StopReason.PARTICIPANT)


def stats_seen(controller, monkeypatch) -> list:
    """The recorder's stats messages, as the controller's session model takes them: a test waits
    for the next one to know that every message the recorder wrote before it has been handled."""
    seen: list = []
    take = controller.model.on_stats

    def counted(msg) -> None:
        take(msg)
        seen.append(msg)

    monkeypatch.setattr(controller.model, "on_stats", counted)
    return seen


def wait_recorded(controller, qtbot, wanted: str, timeout: int = 8000) -> None:
    """Wait until the recorder says it has written an event whose plain description (the live
    view's words, ``events.describe``) contains ``wanted``, e.g. ``"left button pressed at
    (500, 500)"``: its preview of the last events is asked again until it holds one.

    The recorder writes events in the X server's order, so everything the test injected before
    that event has been handled too (written, or left out) once this returns.
    """
    replies: list = []
    asked = [0]

    def take(msg) -> None:
        replies.append(msg)

    def seen() -> bool:
        if any(wanted in line for msg in replies for line in msg.events):
            return True
        if asked[0] == len(replies):  # one question at a time: the last one was answered
            asked[0] += controller.request_preview(40)
        return False

    controller.live_preview.connect(take)
    try:
        qtbot.waitUntil(seen, timeout=timeout)
    finally:
        controller.live_preview.disconnect(take)


def activate(widget, qtbot, timeout: int = 5000) -> None:
    """Make ``widget`` the active window, asking again until the platform says it is: another
    top-level window (left by an earlier test in this process) may take the activation first."""

    def active() -> bool:
        if not widget.isActiveWindow():
            widget.activateWindow()
        return widget.isActiveWindow()

    qtbot.waitUntil(active, timeout=timeout)


def settle() -> None:
    """Deliver what Qt has queued (layout requests, zero-time timers, deferred deletes, paints),
    until nothing new is queued: a widget's state after that is what it shows, with no wait."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    for _ in range(5):
        QCoreApplication.sendPostedEvents(None, 0)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        QApplication.processEvents()


def click(widget, pos=None) -> None:
    """A real left click (press and release through Qt's event path), at ``pos`` or the centre."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    QTest.mouseClick(
        widget,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        pos if pos is not None else QPoint(),
    )


def key(widget, k, modifiers=None) -> None:
    """A real key press and release on ``widget`` (QTest)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClick(widget, k, modifiers if modifiers is not None else Qt.KeyboardModifier.NoModifier)


def open_tray_menu(app, xserver, qtbot) -> None:
    """Click the real tray icon in trayer (xdotool) and wait for the menu."""
    tray = app.tray
    qtbot.waitUntil(lambda: tray.icon.geometry().isValid() and tray.icon.geometry().width() > 0, timeout=5000)
    click_tray_icon(xserver, qtbot)
    qtbot.waitUntil(tray.menu.isVisible, timeout=5000)


def click_tray_icon(xserver, qtbot) -> tuple[int, int]:
    """Click the first icon in trayer's panel once the X server says the click reaches it: the
    icon's window is mapped in its laid-out slot and is the window under the pointer. Returns
    where it clicked (root coordinates)."""
    targets: list[tuple[int, int, int]] = []

    def ready() -> bool:
        targets[:] = tray_icon_targets(xserver.display)
        return bool(targets)

    qtbot.waitUntil(ready, timeout=5000)
    x, y, icon = targets[0]
    xserver.xdotool("mousemove", str(x), str(y))
    qtbot.waitUntil(lambda: pointer_window(xserver.display) == icon, timeout=5000)
    xserver.xdotool("click", "1")
    return x, y


def on_private_bus(xserver, service: str, app_code: str, tmp_path, **env: str):
    """Run ``tests/ui/<service> READY`` and then ``app_code`` (a Python program) on a private
    D-Bus session bus and the test's X server; returns the finished process (both outputs).

    The service (a stand-in StatusNotifierWatcher or AT-SPI registry) runs in the
    background; the program starts once the service has created READY. What the service
    prints goes to the file named by the program's ``HEARD`` variable, so the program can
    wait until the service has heard what it sent (the file is then appended to stdout).
    """
    import subprocess
    import sys

    here = Path(__file__).resolve().parent
    ready = tmp_path / f"{service}.ready"
    heard = tmp_path / f"{service}.heard"
    program = tmp_path / "program.py"
    program.write_text(app_code)
    script = (
        f"{sys.executable} {here / service} {ready} > {heard} & helper=$!; "
        f"for i in $(seq 100); do [ -e {ready} ] && break; sleep 0.1; done; "  # polls READY
        f"{sys.executable} {program}; status=$?; kill $helper; cat {heard}; exit $status"
    )
    return subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script],
        env=xserver.env(QT_QPA_PLATFORM="xcb", HEARD=str(heard), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script],
        env=xserver.env(QT_QPA_PLATFORM="xcb", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def screen_of(widget: Any) -> Any:
    """The screen ``widget`` is on, through the app's own lookup: ``QWidget.screen()`` makes the
    app's QScreen a Python child of the widget, and a collected widget then deletes it (a crash
    at the next hide; see ``tallylight.ui.fit.screen_of``)."""
    from tallylight.ui.fit import screen_of as lookup

    screen = lookup(widget)
    assert screen is not None, "no screen"
    return screen
