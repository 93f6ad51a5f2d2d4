"""The one lookup for files the app loads at run time (icons, licence texts).

They live in the repository's top-level ``resources/`` folder. A wheel carries that
folder as ``tallylight/_resources`` (see setup.py) and the frozen build puts it at the
same place beside the frozen package, so one rule finds them in a wheel and a frozen
app, and a checkout (an editable install) finds the folder itself.
"""

from __future__ import annotations

from pathlib import Path

from tallylight.errors import ResourceMissing
from tallylight.i18n import _

#: every file the app loads at run time, relative to ``resources/`` (a test checks each
#: resolves in a wheel install and that the code asks for no other)
APP_ICON_SVG = "icons/tallylight.svg"
APP_ICON_PNG = "icons/png/tallylight-256.png"
THIRD_PARTY_LICENSES = "licenses/THIRD-PARTY-LICENSES.txt"
RUNTIME_FILES = (APP_ICON_SVG, APP_ICON_PNG, THIRD_PARTY_LICENSES)


def root() -> Path:
    """The folder that holds the app's resources (wheel, frozen app or checkout)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_resources", package.parents[1] / "resources"):
        if (candidate / APP_ICON_SVG).is_file():
            return candidate
    raise ResourceMissing(
        _("Tallylight's own files (its icons and licence texts) are missing; reinstall Tallylight.")
    )


def path(name: str) -> Path:
    """The path of one resource file, e.g. ``path(APP_ICON_SVG)``; raises if it is missing."""
    found = root() / name
    if not found.is_file():
        raise ResourceMissing(
            _("Tallylight's file {name!r} is missing; reinstall Tallylight.").format(name=name)
        )
    return found


__all__ = ["APP_ICON_PNG", "APP_ICON_SVG", "RUNTIME_FILES", "THIRD_PARTY_LICENSES", "path", "root"]
