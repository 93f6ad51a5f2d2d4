"""Which task kinds can run on this desktop (``tallylight doctor``).

``free`` tasks need global capture (the probe); ``typing`` and ``pointing`` tasks need only a
window of our own: a display on Linux (X11 or Wayland), always on Windows and macOS.
"""

from __future__ import annotations

import os
import sys

from tallylight.i18n import N_


def window_tasks() -> tuple[bool, str]:
    """(available, why) for the task window's kinds."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        return True, N_("Tallylight's own window can open here")
    if os.environ.get("WAYLAND_DISPLAY"):
        return True, N_("Tallylight's own window can open on this Wayland desktop")
    if os.environ.get("DISPLAY"):
        return True, N_("Tallylight's own window can open on this X11 desktop")
    return False, N_("there is no graphical display for Tallylight's task window")
