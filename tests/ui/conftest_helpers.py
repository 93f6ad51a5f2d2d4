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


def tray_icon_centres(display: str) -> list[tuple[int, int]]:
    """Root coordinates of the icons embedded in trayer's panel (Qt's geometry() is not global here)."""
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        root = d.screen().root
        out = []
        for top in root.query_tree().children:
            try:
                cls = top.get_wm_class()
            except Exception:  # noqa: BLE001 - windows may vanish
                continue
            if not cls or "trayer" not in cls:
                continue
            for slot in top.query_tree().children:
                g = slot.get_geometry()
                if g.width < 8 or g.height < 8:
                    continue
                pos = slot.translate_coords(root, 0, 0)
                out.append((-pos.x + g.width // 2, -pos.y + g.height // 2))
        return out
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
    qtbot.waitUntil(lambda: bool(tray_icon_centres(xserver.display)), timeout=5000)
    qtbot.wait(200)  # the icon is embedded: let trayer lay it out
    x, y = tray_icon_centres(xserver.display)[0]
    xserver.xdotool("mousemove", str(x), str(y), "click", "1")
    qtbot.waitUntil(tray.menu.isVisible, timeout=5000)


def on_private_bus(xserver, service: str, app_code: str, tmp_path, **env: str):
    """Run ``tests/ui/<service> READY`` and then ``app_code`` (a Python program) on a private
    D-Bus session bus and the test's X server; returns the finished process (both outputs).

    The service (a stand-in StatusNotifierWatcher or AT-SPI registry) runs in the
    background; the program starts once the service has created READY.
    """
    import subprocess
    import sys

    here = Path(__file__).resolve().parent
    ready = tmp_path / f"{service}.ready"
    program = tmp_path / "program.py"
    program.write_text(app_code)
    script = (
        f"{sys.executable} {here / service} {ready} & helper=$!; "
        f"for i in $(seq 100); do [ -e {ready} ] && break; sleep 0.1; done; "
        f"{sys.executable} {program}; status=$?; sleep 0.3; kill $helper; exit $status"
    )
    return subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script],
        env=xserver.env(QT_QPA_PLATFORM="xcb", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
