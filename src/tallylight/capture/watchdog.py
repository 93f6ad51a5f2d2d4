"""Windows: notice a low-level hook that Windows removed, restart it, record the gap.

Windows removes a low-level hook that misses ``LowLevelHooksTimeout`` (at most 1 s) and
says nothing: the listener just stops hearing input. ``GetLastInputInfo`` still sees the
participant's input, so when it moves on while the hook has been silent for longer than
``silence_s``, the hook is gone. The watchdog then has a gap (reason
``GapReason.HOOK_REMOVED``) written into the session and the listener restarted.

The recording session (:class:`tallylight.recorder.session.Session`) owns one while its
hooks are installed: its writer thread calls :meth:`HookWatchdog.heard` when a batch held
hook input (never the hook callback itself: that must stay as short as possible), its
watchdog thread calls :meth:`HookWatchdog.tick`. The OS call and the tick clock go
through :class:`InputClock`, the one seam the tests fake; :func:`default_input_clock`
gives the real one on Windows and None elsewhere (no watchdog there).

A limit: ``GetLastInputInfo`` does not say which device the input came from, so if Windows
removes only one of the two hooks (keyboard, mouse) while the other still hears input, the
watchdog does not notice until both are silent.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from tallylight.events import GapReason

GAP_REASON = GapReason.HOOK_REMOVED
TICK_S = 0.5  # how often the session's watchdog thread looks


class InputClock:
    """``GetLastInputInfo`` and the matching tick clock (Windows only)."""

    def last_input_ms(self) -> int:  # pragma: no cover - Windows only (release.yml self-test)
        class LASTINPUTINFO(ctypes.Structure):
            _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint)]

        info = LASTINPUTINFO(ctypes.sizeof(LASTINPUTINFO), 0)
        if not ctypes.windll.user32.GetLastInputInfo(ctypes.byref(info)):  # type: ignore[attr-defined]
            raise OSError("GetLastInputInfo failed")
        return int(info.dwTime)

    def now_ms(self) -> int:  # pragma: no cover - Windows only (release.yml self-test)
        # the same 32-bit millisecond tick count as LASTINPUTINFO.dwTime
        get_tick_count = ctypes.windll.kernel32.GetTickCount  # type: ignore[attr-defined]
        get_tick_count.restype = ctypes.c_uint32  # a DWORD: ctypes' default int goes negative
        return int(get_tick_count())


def default_input_clock() -> InputClock | None:
    """The real clock where a low-level hook can be removed silently (Windows), else None."""
    return InputClock() if sys.platform == "win32" else None


def check_clock(clock: InputClock | None) -> str:
    """The self-test's step: the watchdog's OS calls answer (Windows) or are not needed."""
    if clock is None:
        return "not needed on this system (only Windows removes input hooks silently)"
    now, last = clock.now_ms(), clock.last_input_ms()
    if not 0 <= (now - last) % 2**32 < 2**31:
        raise OSError(f"the last input ({last} ms) lies after now ({now} ms)")
    return f"GetLastInputInfo answers (last input {(now - last) % 2**32} ms ago)"


@dataclass
class HookWatchdog:
    """Call :meth:`heard` when hook input arrived (cheap), :meth:`tick` from a timer thread."""

    clock: InputClock
    restart: Callable[[], None]
    write_gap: Callable[[int], None]  # (the tick count since when nothing was heard)
    silence_s: float = 2.0
    restarts: int = 0
    _last_heard_ms: int = field(default=-1)

    def heard(self) -> None:
        self._last_heard_ms = -1  # "now": resolved lazily in tick (no OS call on the caller's thread)

    def tick(self) -> bool:
        """True if the hook was found removed (and a gap written, the hook restarted)."""
        now = self.clock.now_ms()
        if self._last_heard_ms < 0:
            self._last_heard_ms = now
            return False
        last_input = self.clock.last_input_ms()
        # tick counts are 32-bit and wrap after 49.7 days: compare differences modulo 2**32
        input_since_heard = 0 < (last_input - self._last_heard_ms) % 2**32 < 2**31
        silent_ms = (now - self._last_heard_ms) % 2**32
        if input_since_heard and silent_ms > self.silence_s * 1000:
            self.write_gap(self._last_heard_ms)
            self.restart()
            self.restarts += 1
            self._last_heard_ms = now
            return True
        return False


__all__ = ["GAP_REASON", "TICK_S", "HookWatchdog", "InputClock", "check_clock", "default_input_clock"]
