"""What a task presents, in order: pointing targets in screen pixels, typing phrases.

One function per kind, pure and seeded, shared by the task window and
``tallylight-lab task layout``: same manifest, same screen, same seed → same targets.
Layout of ISO 9241-9 multi-directional tapping (ISO/TS 9241-411 annex B): ``n`` (odd)
targets of width ``W`` equally spaced on a circle of diameter ``A`` around the screen's
centre; a sequence starts on the top target (trial 0, not measured) and then jumps across
the circle ``(n + 1) / 2`` positions at a time, so after ``n`` trials every target was the
goal once and the sequence ends where it began.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from tallylight.errors import TaskError
from tallylight.i18n import _
from tallylight.study.manifest import PointingTask, TypingTask

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Target:
    """One target as presented: ``trial`` 0 is a sequence's start target (timing begins there)."""

    sequence: int  # 1-based, in presentation order across the whole task
    trial: int  # 0 = start target, 1..n = measured trials
    x: float  # centre, screen pixels from the screen's left edge
    y: float  # centre, screen pixels from the screen's top edge
    width: float  # diameter, screen pixels
    amplitude: float  # nominal amplitude (circle diameter), screen pixels
    position: int  # the target's place on the circle, 0 = top, clockwise

    def as_json(self) -> dict[str, float | int]:
        return {
            "sequence": self.sequence,
            "trial": self.trial,
            "x": round(self.x, 3),
            "y": round(self.y, 3),
            "width": round(self.width, 3),
            "amplitude": round(self.amplitude, 3),
        }


def to_px(value: float, unit: str, dpi: float | None) -> float:
    """A size in ``px`` or ``mm`` as screen pixels (mm need the screen's physical DPI)."""
    if unit == "px":
        return value
    if dpi is None or not math.isfinite(dpi) or dpi <= 0:
        raise TaskError(_("This task gives sizes in millimetres; the screen's physical DPI is needed."))
    return value * dpi / MM_PER_INCH


def conditions(spec: PointingTask, dpi: float | None = None) -> list[tuple[float, float]]:
    """(amplitude, width) pairs in px, in presentation order: shuffled by the seed, else as written."""
    pairs = [
        (to_px(a, spec.amplitude_unit, dpi), to_px(w, spec.width_unit, dpi))
        for a in spec.amplitudes
        for w in spec.widths
    ]
    if spec.seed is not None:
        random.Random(spec.seed).shuffle(pairs)
    return pairs


def circle_position(trial: int, targets: int) -> int:
    """The place on the circle of a sequence's ``trial`` (0 = the start target at the top)."""
    return (trial * (targets + 1) // 2) % targets


def pointing_layout(
    spec: PointingTask, screen_width: int, screen_height: int, dpi: float | None = None
) -> tuple[Target, ...]:
    """Every target of a pointing task, in presentation order, on a screen of this size."""
    if screen_width <= 0 or screen_height <= 0:
        raise TaskError(
            _("The screen size {screen_width}×{screen_height} is not a screen.").format(
                screen_width=screen_width, screen_height=screen_height
            )
        )
    cx, cy = screen_width / 2, screen_height / 2
    room = min(screen_width, screen_height)
    n = spec.targets_per_circle
    out: list[Target] = []
    sequence = 0
    for amplitude, width in conditions(spec, dpi):
        if amplitude + width > room:
            raise TaskError(
                _(
                    "An amplitude of {amplitude:.0f} px with targets {width:.0f} px wide does not fit on a "
                    "{screen_width}×{screen_height} screen (at most {room} px across)."
                ).format(
                    amplitude=amplitude,
                    width=width,
                    screen_width=screen_width,
                    screen_height=screen_height,
                    room=room,
                )
            )
        for _repeat in range(spec.sequences_per_condition):
            sequence += 1
            for trial in range(n + 1):
                position = circle_position(trial, n)
                angle = 2 * math.pi * position / n - math.pi / 2
                out.append(
                    Target(
                        sequence=sequence,
                        trial=trial,
                        x=cx + amplitude / 2 * math.cos(angle),
                        y=cy + amplitude / 2 * math.sin(angle),
                        width=width,
                        amplitude=amplitude,
                        position=position,
                    )
                )
    return tuple(out)


def typing_phrases(spec: TypingTask) -> tuple[str, ...]:
    """The phrases in presentation order: each ``repetitions`` times, shuffled by the seed."""
    phrases = [p for _ in range(spec.repetitions) for p in spec.phrases]
    if spec.seed is not None:
        random.Random(spec.seed).shuffle(phrases)
    return tuple(phrases)
