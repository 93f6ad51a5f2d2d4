"""Where Tallylight keeps its files.

``TALLYLIGHT_HOME`` overrides everything (tests, portable installs); otherwise
platformdirs picks the per-user data and config directories.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import platformdirs

APP_NAME = "tallylight"


def home_override() -> Path | None:
    value = os.environ.get("TALLYLIGHT_HOME")
    return Path(value) if value else None


def data_dir() -> Path:
    """Directory holding the vault and the encrypted sessions."""
    base = home_override()
    path = base / "data" if base else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return path


def config_dir() -> Path:
    """Directory holding settings (no captured data ever goes here)."""
    base = home_override()
    return base / "config" if base else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def runtime_dir() -> Path:
    """Directory for the single-instance socket and other transient files."""
    base = home_override()
    if base:
        return base / "run"
    with warnings.catch_warnings():  # no XDG_RUNTIME_DIR: platformdirs' per-user /tmp fallback is fine
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir(APP_NAME, appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable only by the user."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path
