"""Unlocking the vault with a typed passphrase, off the GUI thread (Argon2id takes a moment)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tallylight.ui.tasks import TaskRunner


def unlock_in_worker(
    tasks: TaskRunner,
    passphrase: str,
    on_done: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
) -> None:
    """``on_done(unlocked_vault)`` or ``on_failed(error)``, both on the main thread."""

    def work() -> Any:
        from tallylight.store import vault

        return vault.unlock(passphrase)

    tasks.run(work, on_done, on_failed)
