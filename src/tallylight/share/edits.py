"""The participant's cuts and deletes, with the outbox following them.

A bundle waiting in the outbox is already encrypted to the researcher, so it
cannot be trimmed: every participant-facing cut and delete (the review window,
the sessions window, ``tallylight sessions delete``, a withdrawal) comes through
here, which drops each waiting bundle that holds the session before the store
changes it. The store itself (:mod:`tallylight.store.edit`,
:mod:`tallylight.store.sessions`) knows nothing of sharing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tallylight.errors import StoreError
from tallylight.fsutil import is_locked
from tallylight.i18n import _
from tallylight.share import outbox
from tallylight.store import edit
from tallylight.store import sessions as store
from tallylight.store.index import Summarizer
from tallylight.store.layout import LOCK_FILE


@dataclass(frozen=True)
class Cut:
    """A cut made: the version before it (what undo writes back) and the bundles it dropped."""

    old: edit.Version
    dropped: tuple[str, ...] = ()  # ids of the waiting bundles that held the uncut session


def cut_session(
    session_dir: Path,
    vault: Any,
    start_ns: int,
    end_ns: int,
    *,
    summarize: Summarizer,
    clock: Callable[[], int] = time.time_ns,
) -> Cut:
    """Drop the waiting bundles that hold the uncut session, then cut (see ``store.edit.cut_session``).

    The caller tells the participant what was dropped (:func:`outbox.dropped_words`).
    """
    if is_locked(session_dir / LOCK_FILE):  # nothing is dropped for a cut that cannot happen
        raise StoreError(
            _("Session {name} is being recorded or changed right now; try again later.").format(
                name=session_dir.name
            )
        )
    dropped = outbox.drop_holding(
        [session_dir.name], "a span of the session was cut out", session_dir.parent.parent
    )
    old = edit.cut_session(session_dir, vault, start_ns, end_ns, summarize=summarize, clock=clock)
    return Cut(old, tuple(p.bundle_id for p in dropped))


def delete_session(session_id: str, data_dir: Path | None = None) -> list[str]:
    """Drop the waiting bundles that hold the session, then delete it; returns the dropped bundles' ids."""
    if is_locked(store.session_dir(session_id, data_dir) / LOCK_FILE):
        raise StoreError(
            _("Session {session_id} is being recorded; stop it before deleting it.").format(
                session_id=session_id
            )
        )
    dropped = [p.bundle_id for p in outbox.drop_holding([session_id], "the session was deleted", data_dir)]
    store.delete(session_id, data_dir)
    return dropped
