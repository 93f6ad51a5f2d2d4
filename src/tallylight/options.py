"""What a session captures, and the rule that a study can only narrow it.

The one shape of capture options, at the bottom of the stack so that every layer
(capture, store, study, share, the researcher's ``lab``) uses the same class: the
recorder's start command, a manifest's ``[capture]`` table, a consent record, a
session's INFO record and the settings file all become a :class:`CaptureOptions`.

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
from tallylight.i18n import _


class KeyMode(enum.IntEnum):
    """How much of each key a session keeps, narrowest first."""

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
            raise UsageError(
                _("Unknown key mode {value!r}; choose one of: {choices}.").format(
                    value=value, choices=choices
                )
            ) from None


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
                raise UsageError(
                    _("{name} must be a number of at least 0, not {value!r}.").format(name=name, value=value)
                )
            object.__setattr__(self, name, float(value))
        for name in ("mouse_moves", "clicks", "scrolls"):
            if not isinstance(getattr(self, name), bool):
                raise UsageError(
                    _("{name} must be true or false, not {self!r}.").format(
                        name=name, self=getattr(self, name)
                    )
                )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keys"] = self.keys.label
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaptureOptions:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise UsageError(
                _("Unknown capture option(s): {items}.").format(items=", ".join(sorted(unknown)))
            )
        return cls(**dict(data))

    def to_record(self) -> dict[str, Any]:
        """The flat form of an INFO record and a bundle's ``capture`` (``key_mode``, not ``keys``)."""
        data = self.to_dict()
        return {"key_mode": data.pop("keys"), **data}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> CaptureOptions:
        """The options of an INFO record or a bundle's ``capture`` (members not about capture are ignored)."""
        return cls(keys=data["key_mode"], **{n: data[n] for n in RECORD_FIELDS[1:]})


#: the capture fields of a session's INFO record, in the order docs/FORMAT.md lists them
RECORD_FIELDS: tuple[str, ...] = (
    "key_mode",
    "mouse_moves",
    "move_min_interval_ms",
    "move_min_distance_px",
    "clicks",
    "scrolls",
)
#: the key modes' names as files spell them, narrowest first
KEY_MODE_LABELS: tuple[str, ...] = tuple(m.name.lower() for m in KeyMode)


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
