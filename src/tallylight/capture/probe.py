"""Can global input capture work here? Answer before any listener starts.

Importing pynput without a usable display raises, and a listener on a dummy
backend can hang; so we look at the environment first, talk to the X server
with a timeout, and only then let the recorder import pynput. Never hangs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tallylight.i18n import _
from tallylight.timeouts import call_with_timeout

Status = Literal["ok", "limited", "unavailable"]

X_TIMEOUT_S = 3.0


@dataclass
class ProbeResult:
    status: Status
    summary: str
    details: list[str] = field(default_factory=list)
    backend: str = ""

    @property
    def usable(self) -> bool:
        return self.status != "unavailable"


def probe(env: Mapping[str, str] | None = None, platform: str | None = None) -> ProbeResult:
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if platform.startswith("linux") or platform.startswith("freebsd"):
        return _probe_unix(env)
    if platform == "darwin":
        return _probe_macos()
    if platform in ("win32", "cygwin"):
        return _probe_windows()
    return ProbeResult(
        "unavailable", _("Global input capture is not supported on {platform}.").format(platform=platform)
    )


def _probe_unix(env: Mapping[str, str]) -> ProbeResult:
    display = env.get("DISPLAY", "")
    wayland = bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    if not display:
        if wayland:
            return ProbeResult(
                "unavailable",
                _(
                    "This is a Wayland session without XWayland: Wayland lets no program see global "
                    "keyboard and mouse input, so Tallylight cannot record here."
                ),
                [_("Log in with an 'X11' or 'Xorg' session from the login screen's menu to record.")],
                backend="wayland",
            )
        return ProbeResult(
            "unavailable",
            _("No graphical display was found (DISPLAY is not set), so there is no input to record."),
            [_("Run Tallylight inside your desktop session, or set DISPLAY to your X server.")],
        )
    try:
        info = call_with_timeout(lambda: _query_x(display), X_TIMEOUT_S, "tallylight-probe")
    except TimeoutError:
        return ProbeResult(
            "unavailable",
            _("The X display {display!r} did not answer within {seconds:g} seconds.").format(
                display=display, seconds=X_TIMEOUT_S
            ),
            backend="xorg",
        )
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the verdict
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ProbeResult(
            "unavailable",
            _("Could not connect to the X display {display!r}: {reason}.").format(
                display=display, reason=reason
            ),
            [_("Check that DISPLAY names your running X server and that you may connect to it (xauth).")],
            backend="xorg",
        )
    vendor, has_record, _has_xtest = info
    if not has_record:
        return ProbeResult(
            "unavailable",
            _(
                "The X server at {display!r} ({vendor}) lacks the RECORD extension, which global capture "
                "needs."
            ).format(display=display, vendor=vendor),
            [_("Enable the RECORD extension in the X server configuration (it is on by default in Xorg).")],
            backend="xorg",
        )
    details = [_("X server: {vendor}; RECORD extension present.").format(vendor=vendor)]
    if wayland:
        return ProbeResult(
            "limited",
            _(
                "This is a Wayland session: Tallylight sees input only while an XWayland (X11) program has "
                "focus, not in native Wayland programs."
            ),
            [*details, _("For complete recordings, log in with an 'X11' or 'Xorg' session.")],
            backend="xwayland",
        )
    return ProbeResult(
        "ok",
        _("Global input capture works on X display {display!r}.").format(display=display),
        details,
        backend="xorg",
    )


def _query_x(display: str) -> tuple[str, bool, bool]:
    from Xlib import display as xdisplay  # python-xlib: pure Python, no pynput import

    d = xdisplay.Display(display)
    try:
        vendor = d.display.info.vendor
        return str(vendor), bool(d.has_extension("RECORD")), bool(d.has_extension("XTEST"))
    finally:
        d.close()


def _probe_macos() -> ProbeResult:
    details = []
    try:
        appsvc = ctypes.cdll.LoadLibrary(ctypes.util.find_library("ApplicationServices") or "")
        appsvc.AXIsProcessTrusted.restype = ctypes.c_bool
        trusted = bool(appsvc.AXIsProcessTrusted())
    except (OSError, AttributeError):
        trusted = None
    try:
        iokit = ctypes.cdll.LoadLibrary(ctypes.util.find_library("IOKit") or "")
        iokit.IOHIDCheckAccess.restype = ctypes.c_int
        listen = iokit.IOHIDCheckAccess(1)  # kIOHIDRequestTypeListenEvent; 0 granted, 1 denied, 2 unknown
    except (OSError, AttributeError):
        listen = None
    if listen == 1 or trusted is False:
        return ProbeResult(
            "unavailable",
            _("macOS has not given Tallylight permission to see keyboard and mouse input."),
            [
                "Open System Settings → Privacy & Security → Input Monitoring (and Accessibility), "
                "allow Tallylight (or your terminal), then start it again."
            ],
            backend="darwin",
        )
    if listen is None or trusted is None:
        details.append(_("Could not ask macOS about Input Monitoring; capture may fail until it is allowed."))
    return ProbeResult("ok", _("Global input capture is allowed on this Mac."), details, backend="darwin")


def _probe_windows() -> ProbeResult:
    return ProbeResult(
        "ok",
        _("Global input capture works on Windows for programs running as your user."),
        [
            _(
                "Input to programs running as administrator is not seen unless Tallylight runs as "
                "administrator."
            ),
            _("Nothing is captured on the lock screen or in UAC prompts (the secure desktop)."),
        ],
        backend="win32",
    )
