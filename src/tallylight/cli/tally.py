"""The tally-light window of ``tallylight record`` (Qt-free client side).

``tallylight record`` records only while its tally-light window is on screen,
for the whole session, in a terminal or not: a terminal's status line proves
nothing about who sees it (``script -qfc "tallylight record" log &`` gives a
pseudo-terminal nobody looks at). Where no window can be shown it refuses.

The window is a small Qt process (``tallylight.ui.tally_window``) so the CLI
itself never imports Qt; this module starts it, waits until it is on screen,
forwards state to it, and calls ``on_gone`` at once when the window says it was
hidden or closed, or when its process ends.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Callable

from tallylight.errors import CaptureUnavailable
from tallylight.hardening import child_env
from tallylight.i18n import _
from tallylight.protocol import TallyEvent, TallyNotice, TallyUpdate
from tallylight.recorder.client import end_child
from tallylight.reentry import child_argv

SHOW_TIMEOUT_S = 20.0


class TallyWindow:
    """One tally-light window process; ``on_gone(why)`` runs once if it stops being visible."""

    def __init__(self, on_gone: Callable[[str], None], on_stop: Callable[[], None]) -> None:
        self._on_gone = on_gone
        self._on_stop = on_stop
        self._first: queue.SimpleQueue[TallyNotice | None] = queue.SimpleQueue()
        self._gone = threading.Event()
        self._closing = False
        self._stderr: list[str] = []
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - our own module (child_argv)
                child_argv("tallylight.ui.tally_window"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=child_env(),
            )
        except OSError as exc:
            raise CaptureUnavailable(self._refusal(exc.strerror or str(exc))) from None
        threading.Thread(target=self._read, name="tallylight-tally-reader", daemon=True).start()
        threading.Thread(target=self._drain_stderr, name="tallylight-tally-stderr", daemon=True).start()
        try:
            first = self._first.get(timeout=SHOW_TIMEOUT_S)
        except queue.Empty:
            first = None
        if first is None or first.event != TallyEvent.SHOWN:
            self.close()
            why = (self._stderr[-1] if self._stderr else "") or "it did not appear on screen"
            raise CaptureUnavailable(self._refusal(why))

    @staticmethod
    def _refusal(why: str) -> str:
        return _(
            "tallylight record records only while you can see it, with its tally-light window on "
            "screen, and that window cannot be shown here ({why}). Nothing was recorded."
        ).format(why=why)

    @property
    def gone(self) -> bool:
        return self._gone.is_set()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        shown = False
        for line in self.proc.stdout:
            notice = TallyNotice.decode(line)
            if notice is None:
                continue
            if not shown:
                shown = notice.event == TallyEvent.SHOWN
                self._first.put(notice)
                continue
            if notice.event == TallyEvent.STOP:
                self._on_stop()
            elif notice.event == TallyEvent.HIDDEN:
                self._lost(notice.why or "hidden")
        if not shown:
            self._first.put(None)
        self._lost("closed")

    def _lost(self, why: str) -> None:
        if self._gone.is_set() or self._closing:
            return
        self._gone.set()
        self._on_gone(why)

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.strip():
                self._stderr.append(line.strip())
                del self._stderr[:-5]

    def update(self, state: str, lines: list[str]) -> None:
        if self.proc.stdin is None or self._gone.is_set():
            return
        try:
            self.proc.stdin.write(TallyUpdate(state, tuple(lines)).encode())
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        """Close the window (end of its input) and reap it."""
        self._closing = True
        end_child(self.proc)
