"""Where the participant's own files go when they save one (an export, a bundle)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths


def save_folder() -> Path:
    """The participant's documents folder, else their home: a save dialog must never open at the
    app's working directory, which is "/" when it was started from the desktop."""
    for location in (
        QStandardPaths.StandardLocation.DocumentsLocation,
        QStandardPaths.StandardLocation.HomeLocation,
    ):
        folder = QStandardPaths.writableLocation(location)
        if folder and Path(folder).is_dir():
            return Path(folder)
    return Path.home()
