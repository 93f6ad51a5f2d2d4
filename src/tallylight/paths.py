"""Where Tallylight keeps its files.

``TALLYLIGHT_HOME`` overrides everything (tests, portable installs); otherwise
platformdirs picks the per-user data and config directories.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import warnings
from pathlib import Path

import platformdirs

from tallylight.errors import StoreError, UsageError
from tallylight.i18n import _

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


def state_dir() -> Path:
    """Directory for Tallylight's own logs (the recorder's exit log); never captured data."""
    base = home_override()
    return base / "state" if base else Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def runtime_dir() -> Path:
    """Directory for the single-instance socket and lock (see :func:`private_runtime_dir`).

    ``$XDG_RUNTIME_DIR/tallylight`` where the session has one (a per-user folder
    the system creates). Without it, a folder in the user's own cache directory,
    never a guessable name in the shared ``/tmp`` that another local user could
    create first.
    """
    base = home_override()
    if base:
        return base / "run"
    if sys.platform.startswith("linux") and not os.environ.get("XDG_RUNTIME_DIR"):
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir(APP_NAME, appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable only by the user; StoreError in a sentence if it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(
            _(
                "Tallylight cannot create its folder {path} ({value}). Check TALLYLIGHT_HOME, and that you "
                "may write there."
            ).format(path=path, value=exc.strerror or exc)
        ) from None
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def check_private_dir(path: Path) -> None:
    """Refuse (one sentence) a folder that is a link, not a folder, or another user's.

    The socket and lock live here: a folder someone else owns or points to could
    let them answer in the app's place or lock it out. Checked with ``lstat``, so
    a link is never followed. Group/other permission bits of our own folder are removed.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(
            _("Tallylight cannot check its runtime folder {path} ({strerror}).").format(
                path=path, strerror=exc.strerror
            )
        ) from None
    if stat.S_ISLNK(st.st_mode):
        raise UsageError(
            _(
                "Tallylight's runtime folder {path} is a link; for safety it must be a real folder of "
                "yours. Remove it and start again."
            ).format(path=path)
        )
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(
            _("Tallylight's runtime folder {path} is not a folder. Remove it and start again.").format(
                path=path
            )
        )
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise UsageError(
            _(
                "Tallylight's runtime folder {path} belongs to another user, so it cannot be trusted. "
                "Remove it, or set XDG_RUNTIME_DIR to a folder of your own."
            ).format(path=path)
        )
    if st.st_mode & 0o077:
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)


def private_runtime_dir(*, create: bool = True) -> Path:
    """:func:`runtime_dir`, checked (:func:`check_private_dir`) and, with ``create``, made."""
    path = runtime_dir()
    check_private_dir(path)
    if create:
        ensure_private_dir(path)
        check_private_dir(path)
    return path
