"""The TRIALS record (docs/FORMAT.md section 14): task trials beside the events.

A trial is a JSON object; the store checks only the members every reader relies on
(what task, which trial, when) and keeps the rest as written, so the task window can
grow new members without a format change. Pure: objects in, bytes out, and back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tallylight import safejson

#: members every trial has, and their JSON types (``int``: a JSON integer, never true/false)
REQUIRED: dict[str, type] = {"task": str, "kind": str, "trial": int, "start_ns": int, "end_ns": int}
T_LIMIT = 1 << 62  # the event time range of section 6.2
MAX_TRIALS_PER_RECORD = 10_000


def encode(trials: Sequence[dict[str, Any]]) -> bytes:
    """The record body; ValueError for a trial this format cannot hold (a bug in the caller)."""
    for trial in trials:
        check(trial)
    if not 1 <= len(trials) <= MAX_TRIALS_PER_RECORD:
        raise ValueError(f"a TRIALS record holds 1 to {MAX_TRIALS_PER_RECORD} trials, not {len(trials)}")
    return json.dumps(
        {"trials": list(trials)}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def parse(body: bytes) -> list[dict[str, Any]]:
    """The trials of a record body; ValueError if it is not a well-formed TRIALS body."""
    doc = safejson.loads(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("trials"), list):
        raise ValueError("not an object with a list of trials")
    trials: list[dict[str, Any]] = doc["trials"]
    if not 1 <= len(trials) <= MAX_TRIALS_PER_RECORD:
        raise ValueError("no trials, or too many")
    for trial in trials:
        check(trial)
    return trials


def check(trial: object) -> None:
    if not isinstance(trial, dict):
        raise ValueError("a trial is not an object")
    for name, typ in REQUIRED.items():
        value = trial.get(name)
        if not isinstance(value, typ) or isinstance(value, bool):
            raise ValueError(f"a trial's {name} is missing or of the wrong type")
    if trial["trial"] < 0 or not all(-T_LIMIT <= trial[k] < T_LIMIT for k in ("start_ns", "end_ns")):
        raise ValueError("a trial's number or time is out of range")
    if trial["end_ns"] < trial["start_ns"]:
        raise ValueError("a trial ends before it starts")


def overlaps(trial: dict[str, Any], start_ns: int, end_ns: int) -> bool:
    """True if the trial's time span meets ``[start_ns, end_ns]`` (a cut of that span removes it)."""
    lo, hi = min(start_ns, end_ns), max(start_ns, end_ns)
    return bool(trial["start_ns"] <= hi and trial["end_ns"] >= lo)
