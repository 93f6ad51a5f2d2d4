"""The participant's settings (Qt-free model).

Stored as JSON in ``paths.config_dir() / "settings.json"``, written by atomic
replace (tallylight.fsutil.atomic_write). Unknown keys
are ignored and bad values fall back to the defaults, so an old or hand-edited
file never stops the app from starting. No captured data is ever stored here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tallylight import paths, safejson
from tallylight.capture.options import CaptureOptions, KeyMode, narrow
from tallylight.fsutil import atomic_write

KEY_MODES = tuple(m.label for m in KeyMode)  # narrowest to widest
OPTION_NAMES = ("keys", "mouse_moves", "clicks", "scrolls")  # what the settings and dialogs choose
FILE_NAME = "settings.json"

#: password managers, and Tallylight's own windows (typing a label or clicking Pause is not data)
DEFAULT_PRIVATE_APPS = ["KeePassXC", "Bitwarden", "1Password", "Seahorse", "Tallylight"]


def key_mode_rank(mode: str) -> int:
    return KEY_MODES.index(mode) if mode in KEY_MODES else 0


@dataclass
class Settings:
    # What a session captures by default (the ceiling the start dialog narrows).
    keys: str = "class"
    mouse_moves: bool = True
    clicks: bool = True
    scrolls: bool = True
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

    # ---- derived -------------------------------------------------------
    def capture_options(self) -> dict[str, Any]:
        """The defaults' ``options`` object for the recorder's start command."""
        return {
            "keys": self.keys,
            "mouse_moves": self.mouse_moves,
            "clicks": self.clicks,
            "scrolls": self.scrolls,
        }

    def narrow(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """``wanted`` options narrowed so they never exceed these defaults.

        The one narrowing rule (tallylight.capture.options.narrow) decides;
        UsageError for a value that is not an option at all.
        """
        allowed = self.capture_options()
        requested = {**allowed, **{k: wanted[k] for k in OPTION_NAMES if k in wanted}}
        effective = narrow(CaptureOptions.from_dict(allowed), CaptureOptions.from_dict(requested)).to_dict()
        return {k: effective[k] for k in OPTION_NAMES}

    def limits(self) -> dict[str, float]:
        return {
            "max_duration_s": float(self.max_duration_min * 60),
            "idle_timeout_s": float(self.idle_timeout_min * 60),
        }

    # ---- (de)serialisation ----------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        default = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
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
        settings = cls(**values)
        if settings.keys not in KEY_MODES:
            settings.keys = default.keys
        return settings


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
