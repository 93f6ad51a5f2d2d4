"""The standard measures of pointing and text-entry tasks (formulas and sources: docs/TASKS.md).

Pointing follows ISO/TS 9241-411 as MacKenzie computes it (FittsTaskTwo): selection points
projected onto the task axis, We = 4.133 × SDx, Ae, IDe = log2(Ae/We + 1), TP = IDe / MT per
sequence, and throughput per participant and condition as the mean of sequence means, never
from pooled raw data. Text entry follows Soukoreff & MacKenzie (CHI 2003): WPM, the MSD error
rate, KSPC and the total, corrected and uncorrected error rates from the C / INF / IF / F
keystroke classes. Pure functions of plain numbers; a measure that is undefined for its input
(one trial, no spread, no time) is ``None``, never a division error or infinity.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: We = EFFECTIVE_WIDTH_FACTOR × SDx: the width of the central 96 % of a normal distribution
#: (± 2.066 SD), so that the error rate is 4 % by construction
EFFECTIVE_WIDTH_FACTOR = 4.133
#: the editing key in an input stream (it removes the character before it)
BACKSPACE = "\b"
CHARS_PER_WORD = 5


# ---------------------------------------------------------------- pointing


@dataclass(frozen=True)
class PointingTrial:
    """One tap: from the previous target's centre to this target's, selected at (sx, sy)."""

    from_x: float
    from_y: float
    to_x: float
    to_y: float
    select_x: float
    select_y: float
    movement_time_ms: float  # since the previous selection
    hit: bool


@dataclass(frozen=True)
class PointingSequence:
    amplitude_px: float  # nominal
    width_px: float  # nominal
    trials: int
    effective_width_px: float | None
    effective_amplitude_px: float
    effective_id_bits: float | None
    movement_time_ms: float
    throughput_bps: float | None
    error_rate: float


def projection(trial: PointingTrial) -> tuple[float, float]:
    """(a, dx): the task-axis length, and the selection's signed distance past the target centre."""
    a = math.hypot(trial.to_x - trial.from_x, trial.to_y - trial.from_y)
    b = math.hypot(trial.select_x - trial.to_x, trial.select_y - trial.to_y)
    c = math.hypot(trial.select_x - trial.from_x, trial.select_y - trial.from_y)
    if a == 0:
        return 0.0, 0.0
    return a, (c * c - b * b - a * a) / (2 * a)


def pointing_sequence(
    amplitude_px: float, width_px: float, trials: Sequence[PointingTrial]
) -> PointingSequence:
    """The measures of one sequence (one amplitude and width); at least one trial."""
    if not trials:
        raise ValueError("a sequence has at least one trial")
    axis = [projection(t) for t in trials]
    dxs = [dx for _, dx in axis]
    ae = statistics.fmean(a + dx for a, dx in axis)
    mt = statistics.fmean(t.movement_time_ms for t in trials)
    we = EFFECTIVE_WIDTH_FACTOR * statistics.stdev(dxs) if len(dxs) > 1 else None
    ide = math.log2(ae / we + 1) if we and ae / we + 1 > 0 else None
    tp = ide / (mt / 1000) if ide is not None and mt > 0 else None
    return PointingSequence(
        amplitude_px=amplitude_px,
        width_px=width_px,
        trials=len(trials),
        effective_width_px=we,
        effective_amplitude_px=ae,
        effective_id_bits=ide,
        movement_time_ms=mt,
        throughput_bps=tp,
        error_rate=sum(not t.hit for t in trials) / len(trials),
    )


def mean_throughput(sequences: Iterable[PointingSequence]) -> float | None:
    """Throughput of a participant in a condition: the mean of the sequences' throughputs."""
    values = [s.throughput_bps for s in sequences if s.throughput_bps is not None]
    return statistics.fmean(values) if values else None


# ---------------------------------------------------------------- typing


@dataclass(frozen=True)
class TypingTrial:
    presented: str
    transcribed: str
    wpm: float | None
    msd_error_rate: float
    kspc: float | None
    total_error_rate: float
    corrected_error_rate: float
    uncorrected_error_rate: float
    correct: int  # C
    incorrect_not_fixed: int  # INF
    incorrect_fixed: int  # IF
    fixes: int  # F


def msd(a: str, b: str) -> int:
    """Minimum string distance (Levenshtein): insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def transcribe(stream: Iterable[str]) -> str:
    """The text an input stream of characters and backspaces leaves in the field."""
    out: list[str] = []
    for key in stream:
        if key == BACKSPACE:
            if out:
                out.pop()
        else:
            out.append(key)
    return "".join(out)


def typing_trial(presented: str, stream: Sequence[str], times_ms: Sequence[float]) -> TypingTrial:
    """The measures of one phrase from its input stream (characters and backspaces, in order)
    and the time of each keystroke (ms, same clock)."""
    if len(stream) != len(times_ms):
        raise ValueError("one time per keystroke")
    transcribed = transcribe(stream)
    distance = msd(presented, transcribed)
    longest = max(len(presented), len(transcribed))
    fixes = sum(k == BACKSPACE for k in stream)
    correct = longest - distance
    inf = distance
    if_ = len(stream) - len(transcribed) - fixes
    seconds = (times_ms[-1] - times_ms[0]) / 1000 if times_ms else 0.0
    wpm = (len(transcribed) - 1) / seconds * 60 / CHARS_PER_WORD if seconds > 0 and transcribed else None
    typed = correct + inf + if_
    return TypingTrial(
        presented=presented,
        transcribed=transcribed,
        wpm=wpm,
        msd_error_rate=distance / longest if longest else 0.0,
        kspc=(correct + inf + if_ + fixes) / (correct + inf) if correct + inf else None,
        total_error_rate=(inf + if_) / typed if typed else 0.0,
        corrected_error_rate=if_ / typed if typed else 0.0,
        uncorrected_error_rate=inf / typed if typed else 0.0,
        correct=correct,
        incorrect_not_fixed=inf,
        incorrect_fixed=if_,
        fixes=fixes,
    )


def mean_wpm(trials: Iterable[TypingTrial]) -> float | None:
    """WPM of a participant in a task: the mean over phrases (each phrase weighs the same)."""
    values = [t.wpm for t in trials if t.wpm is not None]
    return statistics.fmean(values) if values else None
