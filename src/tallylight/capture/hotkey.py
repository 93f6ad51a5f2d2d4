"""The global pause hotkey: detected by its own listener, removed from the recording.

Two parts that agree on what the hotkey is:

- :class:`HotkeyFilter` (pure, runs on the writer thread) takes the raw key
  stream in time order and removes the hotkey's own presses and releases, so the
  data never shows the participant pausing. It holds back presses of the
  hotkey's modifiers until it knows whether the hotkey follows.
- :class:`tallylight.capture.listeners.HotkeyListener` (pynput ``GlobalHotKeys``)
  fires the pause/resume. It records nothing, and runs for the whole session,
  so the hotkey also resumes.
"""

from __future__ import annotations

from typing import Any

from tallylight.capture.keys import canonical_name
from tallylight.errors import UsageError
from tallylight.events import GapReason, Kind, Marker

MODIFIER_NAMES = {"ctrl", "alt", "shift", "cmd", "alt_gr"}
HOLD_LIMIT_NS = 1_000_000_000  # a modifier held longer than this is passed on (bounded crash loss)


def parse_hotkey(text: str) -> tuple[frozenset[str], str]:
    """``"<ctrl>+<alt>+p"`` → ({"ctrl", "alt"}, "p"); at least one modifier and one other key."""
    parts = [p.strip() for p in str(text).split("+")]
    if len(parts) < 2 or any(not p for p in parts):
        raise UsageError(f"Cannot read the hotkey {text!r}; write it like <ctrl>+<alt>+p.")
    names = []
    for part in parts:
        if part.startswith("<") and part.endswith(">") and len(part) > 2:
            names.append(part[1:-1].lower())
        elif len(part) == 1:
            names.append(part.lower())
        else:
            raise UsageError(
                f"Cannot read {part!r} in the hotkey {text!r}; name keys like <ctrl>, <f5> or p."
            )
    *mods, trigger = names
    if not mods or not set(mods) <= MODIFIER_NAMES or trigger in MODIFIER_NAMES:
        raise UsageError(
            f"The hotkey {text!r} needs modifiers (<ctrl>, <alt>, <shift>, <cmd>) and then one key."
        )
    return frozenset(mods), trigger


class HotkeyFilter:
    """Removes the hotkey's own key events from a time-ordered raw stream."""

    def __init__(self, modifiers: frozenset[str], trigger: str) -> None:
        self.modifiers = modifiers
        self.trigger = trigger
        self._held: list[tuple] = []  # modifier presses waiting for a decision
        self._down: dict[Any, str] = {}  # phys → canonical name of keys down (passed or held)
        self._swallow: set[Any] = set()  # phys whose release is dropped
        self._expect_release: set[str] = set()  # after a hotkey resume: keys still held from the press

    def __call__(self, raw: tuple, out: list[tuple]) -> None:
        kind = raw[1]
        if kind == Kind.KEY_DOWN:
            self._key_down(raw, out)
        elif kind == Kind.KEY_UP:
            self._key_up(raw, out)
        else:
            if kind == Kind.MARKER and raw[3] == GapReason.PAUSE_HOTKEY:
                if raw[2] == Marker.RESUME:
                    self._expect_release = set(self.modifiers) | {self.trigger}
                elif raw[2] == Marker.PAUSE:
                    # the hotkey listener may stamp the pause before our hook stamps the
                    # trigger: the modifiers held back so far belong to the hotkey
                    self._swallow_held()
            self.flush(out)
            out.append(raw)

    def flush(self, out: list[tuple], older_than: int | None = None) -> None:
        """Pass on held presses (all, or those stamped before ``older_than``)."""
        if older_than is not None and (not self._held or self._held[0][0] >= older_than):
            return
        out.extend(self._held)
        self._held.clear()

    def _key_down(self, raw: tuple, out: list[tuple]) -> None:
        name = canonical_name(raw[2])
        phys = _phys(raw)
        self._expect_release.discard(name)
        if name in self.modifiers:
            self._down[phys] = name
            self._held.append(raw)
            return
        if name == self.trigger and self.modifiers <= set(self._down.values()):
            # the hotkey: drop it and the modifier presses still held back
            self._swallow.add(phys)
            self._swallow_held()
            return
        self.flush(out)
        self._down[phys] = name
        out.append(raw)

    def _swallow_held(self) -> None:
        for held in self._held:
            self._swallow.add(_phys(held))
        self._held.clear()

    def _key_up(self, raw: tuple, out: list[tuple]) -> None:
        phys = _phys(raw)
        name = self._down.pop(phys, None)
        if phys in self._swallow:
            self._swallow.discard(phys)
            return
        if name is None:
            name = canonical_name(raw[2])
            if name in self._expect_release:
                self._expect_release.discard(name)
                return
        self.flush(out)
        out.append(raw)


def _phys(raw: tuple) -> Any:
    return raw[3] if raw[3] is not None else canonical_name(raw[2])


__all__ = ["HOLD_LIMIT_NS", "HotkeyFilter", "parse_hotkey"]
