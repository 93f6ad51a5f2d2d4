"""Windows: notice a low-level hook that Windows removed, restart it, record the gap.

Windows removes a low-level hook that misses ``LowLevelHooksTimeout`` (at most 1 s) and
says nothing: the listener just stops hearing input. ``GetLastInputInfo`` still sees the
participant's input, so when it moves on while the hook has been silent for longer than
``silence_s``, the hook is gone. The watchdog then restarts the listener and has a gap,
with its reason, written into the session. The OS call and the clock go through
:class:`InputClock` (the one seam the tests fake).
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field

GAP_REASON = "windows-hook-removed"
GAP_TEXT = (
    "Windows stopped delivering input to Tallylight (it removes a hook that answers late); "
    "the listener was restarted: input in between was not recorded."
)


class InputClock:
    """``GetLastInputInfo`` and the matching tick clock (Windows only)."""

    def last_input_ms(self) -> int:  # pragma: no cover - Windows only
        class LASTINPUTINFO(ctypes.Structure):
            _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint)]

        info = LASTINPUTINFO(ctypes.sizeof(LASTINPUTINFO), 0)
        ctypes.windll.user32.GetLastInputInfo(ctypes.byref(info))  # type: ignore[attr-defined]
        return int(info.dwTime)

    def now_ms(self) -> int:  # pragma: no cover - Windows only
        return int(ctypes.windll.kernel32.GetTickCount())  # type: ignore[attr-defined]


@dataclass
class HookWatchdog:
    """Call :meth:`heard` from the hook callback (cheap), :meth:`tick` from a timer thread."""

    clock: InputClock
    restart: Callable[[], None]
    write_gap: Callable[[str, str, int], None]  # (reason, text, since_ms)
    silence_s: float = 2.0
    restarts: int = 0
    _last_heard_ms: int = field(default=-1)

    def heard(self) -> None:
        self._last_heard_ms = -1  # "now": resolved lazily in tick (no OS call in the hook)

    def tick(self) -> bool:
        """True if the hook was found removed (and restarted)."""
        now = self.clock.now_ms()
        if self._last_heard_ms < 0:
            self._last_heard_ms = now
            return False
        last_input = self.clock.last_input_ms()
        silent_ms = now - self._last_heard_ms
        if last_input > self._last_heard_ms and silent_ms > self.silence_s * 1000:
            self.write_gap(GAP_REASON, GAP_TEXT, self._last_heard_ms)
            self.restart()
            self.restarts += 1
            self._last_heard_ms = now
            return True
        return False

    def run(self, stop: Callable[[], bool], interval_s: float = 0.5) -> None:  # pragma: no cover
        while not stop():
            self.tick()
            time.sleep(interval_s)


__all__ = ["GAP_REASON", "GAP_TEXT", "HookWatchdog", "InputClock"]
