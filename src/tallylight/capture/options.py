"""What a session captures, and the rule that a study can only narrow it.

Key modes are ordered from narrowest to widest: ``none`` < ``class`` < ``hashed``
< ``full``. ``hashed`` keeps the key class plus a per-session keyed hash of the
physical key, so it is strictly wider than ``class``; that total order is what
makes "narrow, never widen" a simple minimum.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from tallylight.errors import UsageError


class KeyMode(enum.IntEnum):
    NONE = 0
    CLASS = 1
    HASHED = 2
    FULL = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | KeyMode) -> KeyMode:
        if isinstance(value, KeyMode):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            choices = ", ".join(m.label for m in cls)
            raise UsageError(f"Unknown key mode {value!r}; choose one of: {choices}.") from None


KEY_MODE_PLAIN = {
    KeyMode.NONE: "no keyboard events at all",
    KeyMode.CLASS: "when each key goes down and up and what kind of key it is (letter, digit, space, "
    "backspace…) — never which letter or what you typed",
    KeyMode.HASHED: "when each key goes down and up, what kind of key it is, and a code per physical key "
    "that changes every session, so the same key can be matched within a session but never read as a "
    "letter",
    KeyMode.FULL: "when each key goes down and up and which key it was (the text you type can be read)",
}


@dataclass(frozen=True)
class CaptureOptions:
    keys: KeyMode = KeyMode.CLASS
    mouse_moves: bool = True
    move_min_interval_ms: float = 0.0
    move_min_distance_px: float = 0.0
    clicks: bool = True
    scrolls: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", KeyMode.parse(self.keys))
        for name in ("move_min_interval_ms", "move_min_distance_px"):
            value = getattr(self, name)
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not value >= 0
                or value > 1e6
            ):
                raise UsageError(f"{name} must be a number of at least 0, not {value!r}.")
            object.__setattr__(self, name, float(value))
        for name in ("mouse_moves", "clicks", "scrolls"):
            if not isinstance(getattr(self, name), bool):
                raise UsageError(f"{name} must be true or false, not {getattr(self, name)!r}.")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keys"] = self.keys.label
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaptureOptions:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise UsageError(f"Unknown capture option(s): {', '.join(sorted(unknown))}.")
        return cls(**dict(data))

    def describe(self) -> list[str]:
        """Plain-language lines for consent and start dialogs."""
        lines = [f"Keyboard: {KEY_MODE_PLAIN[self.keys]}."]
        if self.mouse_moves:
            thin = []
            if self.move_min_interval_ms:
                thin.append(f"at most one every {self.move_min_interval_ms:g} ms")
            if self.move_min_distance_px:
                thin.append(f"only after moving {self.move_min_distance_px:g} px")
            lines.append(
                "Mouse movement: the pointer position" + (f" ({', '.join(thin)})" if thin else "") + "."
            )
        else:
            lines.append("Mouse movement: not recorded.")
        lines.append("Mouse clicks: " + ("which button and where." if self.clicks else "not recorded."))
        lines.append("Scrolling: " + ("how far and where." if self.scrolls else "not recorded."))
        return lines


def narrow(allowed: CaptureOptions, requested: CaptureOptions) -> CaptureOptions:
    """The options to use: ``requested`` wherever it is narrower, ``allowed`` elsewhere.

    Never wider than ``allowed`` in any respect, whatever ``requested`` says.
    """
    return CaptureOptions(
        keys=min(allowed.keys, requested.keys),
        mouse_moves=allowed.mouse_moves and requested.mouse_moves,
        move_min_interval_ms=max(allowed.move_min_interval_ms, requested.move_min_interval_ms),
        move_min_distance_px=max(allowed.move_min_distance_px, requested.move_min_distance_px),
        clicks=allowed.clicks and requested.clicks,
        scrolls=allowed.scrolls and requested.scrolls,
    )


def is_within(options: CaptureOptions, allowed: CaptureOptions) -> bool:
    return narrow(allowed, options) == options
