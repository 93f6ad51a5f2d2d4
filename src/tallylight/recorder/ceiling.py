"""The capture ceiling: what no session may exceed, enforced in the recorder's start command.

Every way to start a session (the app's menu, ``tallylight start``,
``tallylight record``) ends in the recorder's ``start`` command, so narrowing
there means no path can skip it. The ceiling is a list: the participant's
settings, and (added by the studies code) the study the participant enrolled
in. Each ceiling can only narrow what is asked for (tallylight.options.narrow),
and each narrowing is reported in plain words so CLI and GUI can show it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from tallylight import settings, words
from tallylight.options import CaptureOptions, narrow


@dataclass(frozen=True)
class Ceiling:
    """The widest capture a source allows; ``because`` says so in words (words.PARTICIPANT_CEILING)."""

    options: CaptureOptions
    because: str


@dataclass(frozen=True)
class Narrowing:
    """One option the ceiling made narrower than asked."""

    option: str
    requested: Any
    effective: Any
    because: str

    def describe(self) -> str:
        return words.narrowed_option(self.option, _plain(self.effective), self.because)

    def to_dict(self) -> dict[str, Any]:
        return {
            "option": self.option,
            "requested": _plain(self.requested),
            "effective": _plain(self.effective),
            "because": self.because,
            "message": self.describe(),
        }


def _plain(value: Any) -> Any:
    return value.label if hasattr(value, "label") else value


def participant_ceiling() -> Ceiling:
    """The participant's settings (read from disk here, not taken from whoever sends ``start``)."""
    s = settings.load()
    return Ceiling(s.capture, words.PARTICIPANT_CEILING)


#: The sources of ceilings, in order. The studies code appends the enrolled study's.
CEILING_SOURCES: list[Callable[[], Ceiling | None]] = [participant_ceiling]


def current_ceilings() -> list[Ceiling]:
    return [c for c in (source() for source in CEILING_SOURCES) if c is not None]


def apply(requested: CaptureOptions, ceilings: Sequence[Ceiling]) -> tuple[CaptureOptions, list[Narrowing]]:
    """The options to record with, and what was narrowed (naming the ceiling that decided each value)."""
    effective = requested
    notes: dict[str, Narrowing] = {}
    for ceiling in ceilings:
        narrowed = narrow(ceiling.options, effective)
        for f in fields(CaptureOptions):
            before, after = getattr(effective, f.name), getattr(narrowed, f.name)
            if before != after:
                first = notes.get(f.name)
                notes[f.name] = Narrowing(
                    f.name, first.requested if first else before, after, ceiling.because
                )
        effective = narrowed
    return effective, list(notes.values())
