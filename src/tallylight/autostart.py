"""'Start Tallylight when I log in': the per-user login entry of each OS, off by default.

It starts the tray app only (idle, its light off): a session still needs the participant.
Linux: an XDG autostart desktop entry; Windows: a value under the per-user Run key;
macOS: a per-user LaunchAgent that runs the app at login. Every OS call goes through
:class:`LoginEntry`, so tests exercise the real files (Linux) or a fake registry.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from tallylight import reentry
from tallylight.fsutil import atomic_write

APP_ID = "org.tallylight.Tallylight"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def _xdg_autostart(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ if env is None else env)
    config = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(config) / "autostart" / f"{APP_ID}.desktop"


def desktop_entry(argv: list[str]) -> str:
    """The autostart entry: the tray app with no command (so no session starts)."""
    return (
        "[Desktop Entry]\nType=Application\nName=Tallylight\n"
        "Comment=Shows the Tallylight tray light; records nothing until you start a session\n"
        f"Exec={shlex.join(argv)}\nIcon=tallylight\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
    )


class LoginEntry:
    """The login entry of ``platform`` (default: this one)."""

    def __init__(self, platform: str | None = None, env: dict[str, str] | None = None) -> None:
        self.platform = platform or sys.platform
        self.env = env

    def path(self) -> Path:
        if self.platform == "darwin":
            return Path.home() / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
        return _xdg_autostart(self.env)

    def enabled(self) -> bool:
        if self.platform == "win32":
            return self._registry_get() is not None
        return self.path().is_file()

    def set_enabled(self, on: bool) -> None:
        argv = reentry.app_argv()
        if self.platform == "win32":
            self._registry_set(subprocess.list2cmdline(argv) if on else None)
            return
        path = self.path()
        if not on:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.platform == "darwin":
            data = plistlib.dumps({"Label": APP_ID, "ProgramArguments": argv, "RunAtLoad": True})
        else:
            data = desktop_entry(argv).encode("utf-8")
        atomic_write(path, data)

    # ---- the Windows registry (the one seam a test replaces there) ----------------------
    def _registry_get(self) -> str | None:  # pragma: no cover - Windows only
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            reg: Any = winreg
            with reg.OpenKey(reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                return str(reg.QueryValueEx(key, "Tallylight")[0])
        except OSError:
            return None

    def _registry_set(self, command: str | None) -> None:  # pragma: no cover - Windows only
        import winreg  # type: ignore[import-not-found,unused-ignore]

        reg: Any = winreg  # (typeshed declares its functions on Windows only)
        with reg.CreateKey(reg.HKEY_CURRENT_USER, RUN_KEY) as key:
            if command is None:
                with contextlib.suppress(FileNotFoundError):
                    reg.DeleteValue(key, "Tallylight")
            else:
                reg.SetValueEx(key, "Tallylight", 0, reg.REG_SZ, command)


__all__ = ["APP_ID", "LoginEntry", "desktop_entry"]
