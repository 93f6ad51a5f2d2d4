"""From raw hook tuples to privacy-respecting events (runs on the writer thread).

Hook callbacks enqueue raw tuples, cheapest possible:
``(t_abs_ns, Kind.KEY_DOWN|KEY_UP, key_obj, keycode)``, ``(t, Kind.MOVE, x, y)``,
``(t, Kind.BUTTON_DOWN|BUTTON_UP, x, y, button_obj)``, ``(t, Kind.SCROLL, x, y, dx, dy)``,
``(t, Kind.MARKER, Marker, reason)``. Input tuples from the hooks carry one more
element, the event's OS time (see :mod:`tallylight.capture.clockmap`); the writer
replaces ``t`` by the best estimate and drops it before anything here sees the
tuple. Everything else (pairing downs with ups, the key privacy mode, mouse
thinning) happens here, off the hook thread.
"""

from __future__ import annotations

import math
from typing import Any

from tallylight.capture.keys import classify, key_name, keyed_hash, physical_id
from tallylight.events import Button, Event, Kind, RawEvent
from tallylight.options import CaptureOptions, KeyMode

#: Event times are kept to 100 µs. Input times from the OS are no finer (X11 and
#: Windows hooks report milliseconds), so finer digits would only record delivery
#: jitter; dropping them makes the encrypted files about 30% smaller.
TIME_QUANTUM_NS = 100_000

#: Length of each kind's raw tuple without the OS time.
RAW_LEN = {
    int(Kind.KEY_DOWN): 4,
    int(Kind.KEY_UP): 4,
    int(Kind.MOVE): 4,
    int(Kind.BUTTON_DOWN): 5,
    int(Kind.BUTTON_UP): 5,
    int(Kind.SCROLL): 6,
    int(Kind.MARKER): 4,
}

_BUTTONS = {
    "left": Button.LEFT,
    "middle": Button.MIDDLE,
    "right": Button.RIGHT,
    "x1": Button.BACK,
    "x2": Button.FORWARD,
    "button8": Button.BACK,
    "button9": Button.FORWARD,
}


def button_code(obj: Any) -> int:
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name in _BUTTONS:
        return int(_BUTTONS[name])
    if isinstance(name, str) and name.startswith("button") and name[6:].isdigit():
        return int(name[6:])
    return int(Button.UNKNOWN)


class Transformer:
    """Turns raw tuples into :class:`Event` s for one session; stateful (pairing, thinning)."""

    def __init__(self, options: CaptureOptions, t0_ns: int, hash_key: bytes) -> None:
        self.options = options
        self.t0_ns = t0_ns
        self._hash_key = hash_key
        self._held: dict[int, tuple[int, int, str]] = {}  # phys -> (class, key, text) at key-down
        self._min_interval_ns = int(options.move_min_interval_ms * 1e6)
        self._min_distance = options.move_min_distance_px
        self._last_move: tuple[int, int, int] | None = None  # t, x, y

    def __call__(self, raw: RawEvent) -> Event | None:
        kind = raw[1]
        t = (raw[0] - self.t0_ns) // TIME_QUANTUM_NS * TIME_QUANTUM_NS
        if kind == Kind.MOVE:
            return self._move(t, raw[2], raw[3])
        if kind == Kind.KEY_DOWN or kind == Kind.KEY_UP:
            return self._key(t, kind, raw[2], raw[3])
        if kind == Kind.BUTTON_DOWN or kind == Kind.BUTTON_UP:
            if not self.options.clicks:
                return None
            return Event(t, Kind(kind), x=int(raw[2]), y=int(raw[3]), button=button_code(raw[4]))
        if kind == Kind.SCROLL:
            if not self.options.scrolls:
                return None
            return Event(t, Kind.SCROLL, x=int(raw[2]), y=int(raw[3]), dx=int(raw[4]), dy=int(raw[5]))
        if kind == Kind.MARKER:
            return Event(t, Kind.MARKER, marker=int(raw[2]), reason=int(raw[3]))
        return None

    def capture_stopped(self) -> int:
        """Capture stops here (a pause, a private app's gap, the stop): keys held now are released
        unseen, so their later ups are dropped like any up without a captured down. Returns how
        many keys were held: their downs stay unpaired, the one orphan no recorder can avoid
        (docs/BUNDLE.md's pairing drops a down never released before the stretch ends)."""
        held = len(self._held)
        self._held.clear()
        return held

    def _move(self, t: int, x: Any, y: Any) -> Event | None:
        if not self.options.mouse_moves:
            return None
        x, y = int(x), int(y)
        last = self._last_move
        if last is not None:
            if self._min_interval_ns and t - last[0] < self._min_interval_ns:
                return None
            if self._min_distance and math.hypot(x - last[1], y - last[2]) < self._min_distance:
                return None
        self._last_move = (t, x, y)
        return Event(t, Kind.MOVE, x=x, y=y)

    def _key(self, t: int, kind: int, key: Any, keycode: int | None) -> Event | None:
        mode = self.options.keys
        # a key typed into a typing task's own field, allowed by the participant's separate
        # consent for it (the recorder decides: tallylight.recorder.window_input)
        task_text = getattr(key, "task_text", False) is True
        if mode == KeyMode.NONE and not task_text:
            return None
        phys = physical_id(key, keycode)
        if kind == Kind.KEY_UP:
            if phys not in self._held:
                # its down was not captured (pressed before the session, in a pause or a private
                # app): a release alone is no keystroke, and never written (issue 20 item 5)
                return None
            # pair by physical key: report the up exactly as its down was reported
            key_class, code, text = self._held.pop(phys)
            return Event(t, Kind.KEY_UP, key_class=key_class, key=code, text=text)
        key_class = int(classify(key))
        code = 0
        text = ""
        if mode >= KeyMode.HASHED:
            code = keyed_hash(self._hash_key, phys) if mode == KeyMode.HASHED else phys
        if mode == KeyMode.FULL or task_text:
            text = key_name(key)
        if kind == Kind.KEY_DOWN:
            self._held[phys] = (key_class, code, text)
        return Event(t, Kind(kind), key_class=key_class, key=code, text=text)
