"""What a session's TIMING record says (docs/FORMAT.md section 12.3), apart from how it was measured.

The recorder measures the figures (:mod:`tallylight.recorder.timing`); the store
owns the record, so the plain-language notes and the recount after a cut
(:mod:`tallylight.store.edit`) live here, where both may use them.
"""

from __future__ import annotations

from typing import Any

from tallylight.events import Kind

_MARKER = int(Kind.MARKER)


#: figures counted per event at delivery: once events are cut out they cannot be told apart
PER_EVENT_FIGURES = (
    "events_with_os_time",
    "events_without_os_time",
    "retimed",
    "delivery_lag_p50_us",
    "delivery_lag_p99_us",
    "delivery_lag_max_us",
    "late_reordered",
    "unreleased_keys",
    "dropped_or_merged",  # where the lost moves were is not stored: after a cut, unknown
)


def after_cut(q: dict[str, Any], t_ns: Any, kind: Any, removed: int) -> dict[str, Any]:
    """The TIMING record recomputed from the events that remain after a cut (docs/FORMAT.md 12.3).

    ``t_ns`` and ``kind`` are the remaining events' columns (numpy arrays), ``removed`` how
    many input events the cut took out. Counts and
    rates are counted again; the per-event delivery figures cannot be (which events were
    re-timed is not stored), so where input events were removed they become ``null``
    rather than keep describing what the participant removed.
    """
    import numpy as np

    inputs = np.asarray(t_ns)[np.asarray(kind) != _MARKER]
    n = int(inputs.size)
    t = np.asarray(t_ns)
    duration_s = (int(t.max()) - min(0, int(t.min()))) / 1e9 if t.size else 0.0
    out = dict(q)
    out["input_events"] = n
    out["rate_mean_per_s"] = round(n / duration_s, 2) if duration_s > 0 else 0.0
    out["rate_peak_per_s"] = int(np.unique(inputs // 1_000_000_000, return_counts=True)[1].max()) if n else 0
    if removed > 0:
        for name in PER_EVENT_FIGURES:
            if name in out:
                out[name] = None
    out["notes"] = notes(out)
    if removed > 0:
        out["notes"].append(
            f"{removed} input events were cut out afterwards; the per-event delivery figures "
            "are unknown for the events that remain."
        )
    return out


def notes(q: dict[str, Any]) -> list[str]:
    """Plain sentences about what the figures mean for this session's timing (members may be missing)."""
    out = []
    if q.get("os_clock") == "none":
        out.append(
            "This system gave no OS event times: times are when the recorder received each event "
            "(accurate only while the machine was not busy)."
        )
    elif q.get("events_with_os_time") and q.get("retimed") is not None:
        share = q["retimed"] / q["events_with_os_time"]
        out.append(
            f"{q['retimed']} of {q['events_with_os_time']} events ({share:.1%}) reached the recorder late "
            "and were timed from the OS clock instead."
        )
        if (q.get("os_clock_resolution_ns") or 0) > 2_000_000:
            out.append(
                f"The OS stamps events only every {q['os_clock_resolution_ns'] / 1e6:.1f} ms here, "
                "so re-timed events are that coarse."
            )
    cpus = q.get("cpu_count") or 1
    load = max((q.get("load_average_start") or [0])[:1] + (q.get("load_average_stop") or [0])[:1])
    if load > cpus:
        out.append(f"The machine was busy (load average {load:.1f} on {cpus} CPUs).")
    if q.get("late_reordered"):
        out.append(
            f"{q['late_reordered']} events arrived so late that they were placed right after "
            "events already saved (their times are a little too late)."
        )
    if q.get("unreleased_keys"):
        out.append(
            f"{q['unreleased_keys']} key(s) were held down when capture paused or stopped: their "
            "release was not captured, so those presses have no key_up (pair keys within each "
            "stretch of capture)."
        )
    lost = q.get("dropped_or_merged")
    if lost:
        out.append(
            f"{lost} pointer moves never reached the recorder: the X server dropped them while the "
            "recorder was behind (the moves around them are kept)."
        )
    elif lost is None and q.get("os_clock") == "x11-server-time":
        out.append("Whether the X server dropped any pointer moves could not be checked for this session.")
    return out
