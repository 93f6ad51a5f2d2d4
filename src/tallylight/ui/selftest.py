"""``tallylight --self-test``: is this installation (a checkout, a wheel, a frozen app) whole?

One line per step, exit status 0 only if every step passed. It builds the same pieces
a session uses (the tray icon or the fallback window, the recorder process started the
way a session starts it, the capture probe) and records nothing: the recorder is
started without a session and stopped by closing its control channel.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from tallylight import resources
from tallylight import settings as settings_mod
from tallylight.capture.probe import probe
from tallylight.capture.watchdog import check_clock, default_input_clock
from tallylight.errors import TallylightError
from tallylight.protocol import RecorderMessage

#: pynput picks these at run time; a frozen build without them says "platform not supported"
BACKEND = {"linux": "_xorg", "win32": "_win32", "darwin": "_darwin"}
WAIT_S = 20.0


class StepFailed(Exception):
    """One step did not pass; the message says why."""


def wait_until(check: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    """Run Qt's event loop until ``check()`` holds or the time is up."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    return True


def check_resources() -> str:
    for name in resources.RUNTIME_FILES:
        resources.path(name)
    return f"{len(resources.RUNTIME_FILES)} files in {resources.root()}"


def check_backends() -> str:
    suffix = BACKEND.get("linux" if sys.platform.startswith("linux") else sys.platform)
    if suffix is None:
        raise StepFailed(f"no capture backend for {sys.platform}")
    needed = [f"pynput.keyboard.{suffix}", f"pynput.mouse.{suffix}"]
    if suffix == "_xorg":
        needed += ["Xlib.ext.record", "Xlib.ext.xtest", "Xlib.keysymdef.latin1"]
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise StepFailed("missing " + ", ".join(missing))
    return ", ".join(needed)


def check_commands() -> str:
    """Every ``tallylight`` command's module: the dispatcher imports them by name, so a
    frozen build can lack one that only that command shows missing."""
    from tallylight.cli.commands import command_modules

    missing = [name for name in command_modules() if importlib.util.find_spec(name) is None]
    if missing:
        raise StepFailed("missing " + ", ".join(missing))
    return f"{len(command_modules())} command modules"


def check_review() -> str:
    """The review window's modules: pyqtgraph imports parts of Qt by name at run time, so a
    frozen build can lack one that nothing else shows missing."""
    import pyqtgraph

    importlib.import_module("tallylight.ui.review.window")
    return f"review window loads (pyqtgraph {pyqtgraph.__version__})"


def check_probe() -> str:
    result = probe()
    if not result.usable:
        raise StepFailed(result.summary)
    return f"{result.status}: {result.summary}"


def check_indicator(qapp: QApplication) -> str:
    """The tray icon where there is a tray, else the fallback window, as the app makes them."""
    from tallylight.ui.actions import AppActions
    from tallylight.ui.controller import AppController

    controller = AppController(settings_mod.Settings(), qapp)
    actions = AppActions(controller, qapp)
    if QSystemTrayIcon.isSystemTrayAvailable():
        from tallylight.ui.tray import TrayUI

        tray = TrayUI(controller, actions, qapp)
        tray.show()
        shown = wait_until(lambda: tray.icon.isVisible() and not tray.icon.geometry().isEmpty())
        tray.hide()
        if not shown:
            raise StepFailed("the tray icon did not appear in the system tray")
        return "tray icon shown"
    from tallylight.ui.fallback_window import FallbackWindow

    window = FallbackWindow(controller, actions)
    window.show()
    handle = window.windowHandle()
    shown = wait_until(lambda: handle is not None and handle.isExposed())
    window.hide()
    if not shown:
        raise StepFailed("no system tray, and the fallback window did not appear")
    return "no system tray here; fallback window shown"


def check_recorder(qapp: QApplication) -> str:
    """Start the recorder the way a session does, see it ready, stop it (no session)."""
    from tallylight.ui.recorder_process import RecorderProcess, recorder_command

    proc = RecorderProcess(qapp)
    ready: list[RecorderMessage] = []
    codes: list[int] = []
    proc.ready.connect(ready.append)
    proc.finished.connect(codes.append)
    proc.spawn()
    if not wait_until(lambda: bool(ready) or bool(codes)) or not ready:
        proc.close_channel()
        proc.wait_stopped()
        tail = proc.stderr_tail[-1] if proc.stderr_tail else "no answer"
        raise StepFailed(f"the recorder did not start ({tail})")
    proc.close_channel()  # end of file: stop now
    if not wait_until(lambda: bool(codes), 10.0) or codes[0] != 0:
        proc.wait_stopped()
        raise StepFailed(f"the recorder did not stop cleanly (exit {codes[0] if codes else 'none'})")
    program, args = recorder_command()
    return f"{' '.join([program, *args])} answered (version {ready[0].raw.get('version')}) and stopped"


def main() -> int:
    """Run every step, print one line each, return 0 only if all passed."""
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    qapp.setQuitOnLastWindowClosed(False)
    steps: list[tuple[str, Callable[[], str]]] = [
        ("resources", check_resources),
        ("capture backends", check_backends),
        ("commands", check_commands),
        ("application", lambda: f"Qt {qapp.platformName()} platform"),
        ("indicator", lambda: check_indicator(qapp)),
        ("recorder", lambda: check_recorder(qapp)),
        ("review window", check_review),
        ("capture probe", check_probe),
        # Windows: the OS calls of the hook watchdog every session there runs
        ("hook watchdog", lambda: check_clock(default_input_clock())),
    ]
    failed = 0
    for name, step in steps:
        try:
            detail = step()
            print(f"ok    {name}: {detail}", flush=True)
        except (StepFailed, TallylightError, ImportError, OSError) as exc:
            failed += 1
            print(f"FAIL  {name}: {exc}", flush=True)
    verdict = f"self-test failed: {failed} of {len(steps)} steps" if failed else "self-test passed"
    print(verdict, flush=True)
    return 0 if not failed else 1


__all__ = ["main"]
