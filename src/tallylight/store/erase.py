"""'Delete all my Tallylight data': the vault, every session, studies, outbox and settings.

Every file is overwritten and unlinked (:func:`tallylight.fsutil.shred_file`) before its
folder goes, and the vault key is removed from the OS keychain, so uninstalling afterwards
leaves nothing behind. The caller makes sure no session is recording.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from tallylight import paths
from tallylight.fsutil import shred_file
from tallylight.store import vault
from tallylight.store.layout import data_root


def erase_all(data_dir: Path | None = None, config_dir: Path | None = None) -> int:
    """Shred everything Tallylight keeps for this user; return how many files were shredded."""
    root = data_root(data_dir)
    with contextlib.suppress(Exception):  # no vault, no keychain: nothing to forget there
        vault.forget_keychain(data_dir)
    shredded = 0
    for folder in (root, config_dir if config_dir is not None else paths.config_dir()):
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_file() and not path.is_symlink():
                shred_file(path)
                shredded += 1
        shutil.rmtree(folder, ignore_errors=True)
    return shredded


__all__ = ["erase_all"]
