"""The participant's settings (Qt-free model).

Stored as JSON in ``paths.config_dir() / "settings.json"``, written by atomic
replace (tallylight.fsutil.atomic_write). Unknown keys
are ignored and bad values fall back to the defaults, so an old or hand-edited
file never stops the app from starting. No captured data is ever stored here.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from tallylight import paths, safejson
from tallylight.errors import UsageError
from tallylight.fsutil import atomic_write
from tallylight.options import CaptureOptions, narrow

FILE_NAME = "settings.json"
#: where files written before settings held a CaptureOptions kept its fields (still read)
LEGACY_CAPTURE_FIELDS = ("keys", "mouse_moves", "clicks", "scrolls")

#: password managers, and Tallylight's own windows (typing a label or clicking Pause is not data)
DEFAULT_PRIVATE_APPS = ["KeePassXC", "Bitwarden", "1Password", "Seahorse", "Tallylight"]


@dataclass
class Settings:
    # What a session may capture: the participant's ceiling. The recorder narrows every
    # start to it (recorder.ceiling) and the start dialog offers only what it allows.
    capture: CaptureOptions = field(default_factory=CaptureOptions)
    # Limits (minutes; 0 = none).
    max_duration_min: int = 120
    idle_timeout_min: int = 15
    reminder_every_min: int = 30
    # Recorder-side pause hotkey (pynput HotKey syntax; "" = none).
    pause_hotkey: str = "<ctrl>+<alt>+p"
    # WM_CLASS names during whose focus capture pauses.
    private_apps: list[str] = field(default_factory=lambda: list(DEFAULT_PRIVATE_APPS))
    # First-run state.
    welcome_done: bool = False
    use_keychain: bool = False
    # "Start Tallylight when I log in" (the tray app only, never a session); off by default
    start_at_login: bool = False

    # ---- derived -------------------------------------------------------
    def narrow(self, requested: CaptureOptions) -> CaptureOptions:
        """``requested`` narrowed so it never exceeds what these settings allow
        (the one narrowing rule, tallylight.options.narrow)."""
        return narrow(self.capture, requested)

    # ---- (de)serialisation ----------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["capture"] = self.capture.to_dict()
        data["private_apps"] = list(self.private_apps)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        default = cls()
        values: dict[str, Any] = {"capture": _capture_from(data)}
        for f in fields(cls):
            if f.name not in data or f.name == "capture":
                continue
            value = data[f.name]
            current = getattr(default, f.name)
            if isinstance(current, bool):
                if isinstance(value, bool):
                    values[f.name] = value
            elif isinstance(current, int):
                if (
                    isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and 0 <= value <= 10_000_000
                ):
                    values[f.name] = int(value)
            elif isinstance(current, str) and isinstance(value, str):
                values[f.name] = value
            elif isinstance(current, list) and isinstance(value, list):
                values[f.name] = [str(v).strip() for v in value if str(v).strip()]
        return cls(**values)


def _capture_from(data: dict[str, Any]) -> CaptureOptions:
    """The ``capture`` object (or the flat fields of an older file), field by field:
    a bad value falls back to the default, an unknown name is ignored."""
    raw = data.get("capture")
    if not isinstance(raw, dict):
        raw = {k: data[k] for k in LEGACY_CAPTURE_FIELDS if k in data}
    options = CaptureOptions()
    for f in fields(CaptureOptions):
        if f.name in raw:
            with contextlib.suppress(UsageError, TypeError, ValueError):  # else keep the default
                options = replace(options, **{f.name: raw[f.name]})
    return options


def settings_path() -> Path:
    return paths.config_dir() / FILE_NAME


def load(path: Path | None = None) -> Settings:
    path = path or settings_path()
    try:
        data = safejson.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    return Settings.from_dict(data)


def save(settings: Settings, path: Path | None = None) -> Path:
    path = path or settings_path()
    paths.ensure_private_dir(path.parent)
    text = json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n"
    atomic_write(path, text.encode("utf-8"))
    return path
