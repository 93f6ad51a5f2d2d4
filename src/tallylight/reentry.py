"""How Tallylight starts its own helper processes, from source and from a frozen app.

From source a helper is ``python -m <module>``. In a frozen app ``sys.executable`` is
the app itself and there is no ``-m``: the app re-enters itself with a role flag
(``tallylight --recorder``), which the launcher dispatches before it imports anything
heavy. One table serves both directions, and the PyInstaller spec reads it for its
hidden imports, so a new helper cannot be forgotten in the frozen build.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

#: role flag -> the module whose ``main()`` runs that helper (and ``python -m`` runs it too)
ROLES: dict[str, str] = {
    "--recorder": "tallylight.recorder.process",
    "--tally-window": "tallylight.ui.tally_window",
    "--outbox-sender": "tallylight.ui.outbox_sender",
    "--xinject": "tallylight.capture.xinject",
}
#: what ``python -m`` names for a role (the recorder's package has a ``__main__``)
_DASH_M = {"tallylight.recorder.process": "tallylight.recorder"}


def frozen() -> bool:
    """True inside a PyInstaller (or similar) build, where ``sys.executable`` is the app."""
    return bool(getattr(sys, "frozen", False))


def child_argv(module: str, *args: str) -> list[str]:
    """The command line that runs helper ``module`` with ``args``, frozen or not."""
    flag = next((f for f, m in ROLES.items() if m == module), None)
    if flag is None:
        raise ValueError(f"{module} is not a Tallylight helper (see tallylight.reentry.ROLES)")
    if frozen():
        return [sys.executable, flag, *args]
    return [sys.executable, "-m", _DASH_M.get(module, module), *args]


def app_argv() -> list[str]:
    """The command that starts the tray app (a login entry runs it): the frozen app itself
    (in an AppImage the image file, which its runtime names in ``APPIMAGE``: the app runs
    from a mount point that changes at every start), else the ``tallylight`` script beside
    this interpreter, else ``python -m``."""
    if frozen():
        image = os.environ.get("APPIMAGE", "")
        if image and os.path.isfile(image):
            return [image]
        return [sys.executable]
    script = Path(sys.executable).with_name("tallylight.exe" if sys.platform == "win32" else "tallylight")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "tallylight.launcher"]


def dispatch(argv: Sequence[str]) -> int | None:
    """Run the helper that ``argv[0]`` names, or return None when it names none."""
    if not argv or argv[0] not in ROLES:
        return None
    sys.argv = [sys.argv[0] if sys.argv else "tallylight", *argv[1:]]
    module = importlib.import_module(ROLES[argv[0]])
    return int(module.main() or 0)


__all__ = ["ROLES", "app_argv", "child_argv", "dispatch", "frozen"]
