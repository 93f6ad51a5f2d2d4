"""The machine facts a bundle carries: OS, screens (geometry and DPI) and keyboard layout.

Observed when the bundle is made (screens and layout may have changed since a
session was recorded; bundle.json says so). Nothing that names the person or
the machine (host name, user name) is included. On X11 the facts come from the
X server (python-xlib); elsewhere, or when the display does not answer, they are
null rather than guessed.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from tallylight.timeouts import call_with_timeout

X_TIMEOUT_S = 2.0


def probe() -> dict[str, Any]:
    screens, layout = None, None
    display = os.environ.get("DISPLAY", "")
    if sys.platform.startswith("linux") and display:
        try:
            screens, layout = call_with_timeout(lambda: _x11(display), X_TIMEOUT_S, "tallylight-env")
        except Exception:  # noqa: BLE001 - facts we cannot read are null, never a failure to share
            screens, layout = None, None
    return {
        "observed": "when the bundle was made",
        "os": {"system": platform.system(), "release": platform.release(), "machine": platform.machine()},
        "screens": screens,
        "keyboard_layout": layout,
    }


def _x11(display: str) -> tuple[list[dict[str, Any]], str | None]:
    from Xlib import X, Xatom
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        screens = []
        for i in range(d.screen_count()):
            s = d.screen(i)
            w, h, wmm, hmm = s.width_in_pixels, s.height_in_pixels, s.width_in_mms, s.height_in_mms
            dpi = round(w / (wmm / 25.4), 1) if wmm else None
            screens.append(
                {
                    "x_px": 0,
                    "y_px": 0,
                    "width_px": w,
                    "height_px": h,
                    "dpi": dpi,
                    "width_mm": wmm,
                    "height_mm": hmm,
                }
            )
        layout = None
        atom = d.intern_atom("_XKB_RULES_NAMES", only_if_exists=True)
        if atom != X.NONE:
            prop = d.screen().root.get_full_property(atom, Xatom.STRING)
            if prop is not None:
                # rules, model, layout, variant, options (NUL-separated)
                raw = prop.value if isinstance(prop.value, bytes) else bytes(prop.value)
                parts = raw.decode("latin-1").split("\0")
                if len(parts) > 2 and parts[2]:
                    layout = parts[2] + (f"({parts[3]})" if len(parts) > 3 and parts[3] else "")
        return screens, layout
    finally:
        d.close()
