"""Where the recorder's writer thread puts events.

The recorder does not know about files: it hands batches of already
privacy-transformed events to an ``EventSink``. The encrypted session store
implements this protocol; ``MemorySink`` keeps events in memory only (tests,
dry runs) and never touches the disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from tallylight.events import Event, SessionInfo, StopReason


class EventSink(Protocol):
    """A destination for one session's events.

    ``write`` may buffer; ``seal`` makes everything written so far durable and
    authenticated (the recorder calls it at least once per second and on
    pause/stop); ``close`` seals, writes the end record and releases the files.
    A sink may also have ``note_timing(quality)``: the recorder calls it just before
    ``close`` with the session's timing-quality record (a JSON-able dict); and
    ``write_trials(trials)``: task trials (docs/FORMAT.md section 14), after their events.
    Failures raise :class:`tallylight.errors.StoreError` (``StorageFull`` for a
    full disk); everything sealed before the failure must stay readable.
    """

    info: SessionInfo

    def write(self, events: Sequence[Event]) -> None: ...

    def seal(self) -> None: ...

    def close(self, reason: StopReason) -> None: ...


class MemorySink:
    """Keeps a session in memory; nothing is written anywhere."""

    def __init__(self, info: SessionInfo) -> None:
        self.info = info
        self.events: list[Event] = []
        self.timing: dict[str, Any] | None = None
        self.trials: list[dict[str, Any]] = []

    def write_trials(self, trials: Sequence[dict[str, Any]]) -> None:
        self.trials.extend(trials)

    def write(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def seal(self) -> None:
        pass  # memory holds nothing to make durable

    def note_timing(self, quality: dict[str, Any]) -> None:
        self.timing = quality

    def close(self, reason: StopReason) -> None:
        pass
