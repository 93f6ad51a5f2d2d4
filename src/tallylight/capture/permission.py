"""macOS Input Monitoring: checked at every start, asked for with an explanation, re-checked.

pynput's listener is an event tap, which macOS allows only with the Input Monitoring
permission (macOS 10.15+: ``CGPreflightListenEventAccess`` / ``CGRequestListenEventAccess``).
The grant is tied to the app's signature and can be revoked at any time, so the app checks
it at every start and again when the participant comes back from System Settings. Every OS
call goes through :class:`InputAccess`, the one seam the tests fake.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import enum
import subprocess
from dataclasses import dataclass, field

from tallylight.hardening import child_env
from tallylight.i18n import N_, _

SETTINGS_URL = "x-apple.systempreferences:com.apple.preference.security?Privacy_ListenEvent"


class InputAccess:
    """The OS calls (macOS only; a test passes a fake with the same three methods)."""

    def _core_graphics(self) -> ctypes.CDLL:  # pragma: no cover - macOS only
        lib = ctypes.cdll.LoadLibrary(ctypes.util.find_library("CoreGraphics") or "")
        lib.CGPreflightListenEventAccess.restype = ctypes.c_bool
        lib.CGRequestListenEventAccess.restype = ctypes.c_bool
        return lib

    def preflight(self) -> bool:  # pragma: no cover - macOS only
        return bool(self._core_graphics().CGPreflightListenEventAccess())

    def request(self) -> bool:  # pragma: no cover - macOS only
        """Adds Tallylight to the Input Monitoring list (switched off) and asks once."""
        return bool(self._core_graphics().CGRequestListenEventAccess())

    def open_settings(self) -> None:  # pragma: no cover - macOS only
        subprocess.run(["/usr/bin/open", SETTINGS_URL], check=False, timeout=10, env=child_env())  # noqa: S603 - a fixed URL


class Grant(enum.StrEnum):
    GRANTED = "granted"
    MISSING = "missing"


#: why a session cannot start without the grant (said where the start is refused)
REFUSAL = N_(
    "macOS has not allowed Tallylight to see keyboard and mouse input (Input Monitoring), so a "
    "session cannot start. Allow it in System Settings → Privacy & Security → Input Monitoring."
)


@dataclass
class PermissionFlow:
    """Check at start; when missing, explain, open the settings pane, re-check on return."""

    access: InputAccess
    state: Grant = Grant.MISSING
    asked: bool = False
    log: list[str] = field(default_factory=list)

    def check(self) -> Grant:
        """At every start and whenever the participant comes back to the app."""
        self.state = Grant.GRANTED if self.access.preflight() else Grant.MISSING
        self.log.append(f"check:{self.state}")
        return self.state

    def open_settings(self) -> None:
        """The explanation window's button: register the app (first time) and open the pane."""
        if not self.asked:
            self.asked = True
            self.access.request()
        self.access.open_settings()
        self.log.append("opened-settings")

    def may_start(self) -> str:
        """'' when a session may start, else the reason it cannot (checked afresh)."""
        return "" if self.check() == Grant.GRANTED else _(REFUSAL)


__all__ = ["REFUSAL", "SETTINGS_URL", "Grant", "InputAccess", "PermissionFlow"]
