"""Can the recorder know which application has focus? (Qt-free; runs in a worker.)

On X11 the window manager publishes the focused window in ``_NET_ACTIVE_WINDOW``
(listed in ``_NET_SUPPORTED``) and each window names its app in ``WM_CLASS``.
Where that is missing (no EWMH window manager, Wayland, other systems), private
apps cannot pause capture automatically, and Settings says so.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping


def focus_support(env: Mapping[str, str] | None = None) -> tuple[bool, str]:
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux") and not sys.platform.startswith("freebsd"):
        return False, "On this system Tallylight cannot yet tell which app has focus, so private apps do not pause capture. Pause by hand."
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return False, "This is a Wayland session: Tallylight cannot tell which app has focus, so private apps do not pause capture. Pause by hand."
    display = env.get("DISPLAY")
    if not display:
        return False, "No X display: Tallylight cannot tell which app has focus."
    try:
        from Xlib import X, display as xdisplay

        d = xdisplay.Display(display)
    except Exception as exc:  # noqa: BLE001
        return False, f"Could not ask the X server which app has focus ({exc})."
    try:
        root = d.screen().root
        supported = root.get_full_property(d.intern_atom("_NET_SUPPORTED"), X.AnyPropertyType)
        active = d.intern_atom("_NET_ACTIVE_WINDOW")
        if supported is None or active not in list(supported.value):
            return False, ("Your window manager does not say which window has focus (_NET_ACTIVE_WINDOW), "
                           "so private apps cannot pause capture automatically here. Pause by hand.")
        return True, "Tallylight can tell which app has focus (X11): capture pauses while a private app is focused."
    finally:
        d.close()
