"""Task results from stored trials: the blocks ``sessions summary --json`` prints, the lines the
task window shows at the end, and throughput/WPM per task and condition for ``lab features``.

Trials are the TRIALS records' objects (docs/FORMAT.md section 14); skipped trials and trials
of unknown kinds are left out. Pure.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any

from tallylight.tasks import measures
from tallylight.tasks.measures import PointingSequence, TypingTrial


def _used(trials: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [t for t in trials if t.get("kind") == kind and not t.get("skipped")]


def _num(trial: dict[str, Any], name: str) -> float:
    value = trial.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"a pointing trial has no number {name}")
    return float(value)


def _runs(trials: list[dict[str, Any]]) -> dict[int, int]:
    """id(trial) -> which run of its task it belongs to (0, 1, …), per session.

    A task run again (in the same session, or trials pooled from several sessions, which
    carry a ``session`` member) numbers its sequences and trials from 1 again: the k-th
    trial in time with the same (sequence, trial) belongs to run k.
    """
    out: dict[int, int] = {}
    seen: dict[tuple[str, str, int, int], int] = {}
    for t in sorted(trials, key=lambda t: (t["start_ns"], t["end_ns"])):
        key = (str(t.get("session", "")), str(t["task"]), int(t.get("sequence", 0)), int(t["trial"]))
        out[id(t)] = seen.get(key, 0)
        seen[key] = out[id(t)] + 1
    return out


def pointing_sequences(trials: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], PointingSequence]]:
    """(the sequence's first trial, its measures) per sequence, in order of task, condition,
    session, run and sequence (a sequence never pools trials of two runs or sessions)."""
    used = _used(trials, "pointing")
    run = _runs(used)

    def key(t: dict[str, Any]) -> tuple[str, str, str, int, int]:
        task, condition, session = str(t["task"]), str(t.get("condition", "")), str(t.get("session", ""))
        return (task, condition, session, run[id(t)], int(t.get("sequence", 0)))

    rows = sorted(used, key=lambda t: (*key(t), t["trial"]))
    out = []
    for _key, group in groupby(rows, key=key):
        items = list(group)
        try:
            taps = [
                measures.PointingTrial(
                    _num(t, "from_x"),
                    _num(t, "from_y"),
                    _num(t, "target_x"),
                    _num(t, "target_y"),
                    _num(t, "select_x"),
                    _num(t, "select_y"),
                    (t["end_ns"] - t["start_ns"]) / 1e6,
                    t.get("hit") is True,
                )
                for t in items
            ]
        except ValueError:
            continue  # a trial written by something else: not measured
        first = items[0]
        out.append((first, measures.pointing_sequence(_num(first, "amplitude"), _num(first, "width"), taps)))
    return out


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def pointing_block(trials: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """``{"sequences": [...], "throughput_bps"}``: the mean of sequence throughputs (never pooled)."""
    seqs = pointing_sequences(trials)
    if not seqs:
        return None
    return {
        "sequences": [
            {
                "task": first["task"],
                "condition": first.get("condition", ""),
                "sequence": first.get("sequence", 0),
                "amplitude_px": s.amplitude_px,
                "width_px": s.width_px,
                "trials": s.trials,
                "effective_width_px": _round(s.effective_width_px),
                "effective_amplitude_px": _round(s.effective_amplitude_px),
                "effective_id_bits": _round(s.effective_id_bits),
                "movement_time_ms": _round(s.movement_time_ms, 3),
                "throughput_bps": _round(s.throughput_bps),
                "error_rate": _round(s.error_rate),
            }
            for first, s in seqs
        ],
        "throughput_bps": _round(measures.mean_throughput(s for _, s in seqs)),
    }


def typing_trials(trials: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], TypingTrial]]:
    out = []
    for t in _used(trials, "typing"):
        presented, stream = t.get("presented"), t.get("input")
        if not isinstance(presented, str) or not isinstance(stream, str) or not stream:
            continue
        keys = list(stream)
        times = [t["start_ns"] / 1e6] * (len(keys) - 1) + [t["end_ns"] / 1e6]
        out.append((t, measures.typing_trial(presented, keys, times)))
    return out


def typing_block(trials: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    rows = typing_trials(trials)
    if not rows:
        return None
    return {
        "trials": [
            {
                "task": t["task"],
                "trial": t["trial"],
                "presented": m.presented,
                "transcribed": m.transcribed,
                "wpm": _round(m.wpm, 3),
                "msd_error_rate": _round(m.msd_error_rate),
                "kspc": _round(m.kspc),
                "total_error_rate": _round(m.total_error_rate),
                "corrected_error_rate": _round(m.corrected_error_rate),
                "uncorrected_error_rate": _round(m.uncorrected_error_rate),
            }
            for t, m in rows
        ],
        "wpm": _round(measures.mean_wpm(m for _, m in rows), 3),
    }


def blocks(trials: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``pointing`` and ``typing`` blocks of a session summary (only those with trials)."""
    out: dict[str, Any] = {}
    pointing, typing = pointing_block(trials), typing_block(trials)
    if pointing is not None:
        out["pointing"] = pointing
    if typing is not None:
        out["typing"] = typing
    return out


def by_condition(trials: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per task and condition (device): throughput (mean of sequence means) and mean WPM."""
    groups: dict[tuple[str, str], dict[str, list[float]]] = {}
    for first, s in pointing_sequences(trials):
        g = groups.setdefault((first["task"], str(first.get("condition", ""))), {"tp": [], "wpm": []})
        if s.throughput_bps is not None:
            g["tp"].append(s.throughput_bps)
    for t, m in typing_trials(trials):
        g = groups.setdefault((t["task"], str(t.get("condition", ""))), {"tp": [], "wpm": []})
        if m.wpm is not None:
            g["wpm"].append(m.wpm)
    return [
        {
            "task": task,
            "condition": condition,
            "throughput_bps": statistics.fmean(g["tp"]) if g["tp"] else None,
            "sequences": len(g["tp"]),
            "wpm": statistics.fmean(g["wpm"]) if g["wpm"] else None,
            "phrases": len(g["wpm"]),
        }
        for (task, condition), g in sorted(groups.items())
    ]
