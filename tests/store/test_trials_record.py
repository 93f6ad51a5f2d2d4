"""The TRIALS record (docs/FORMAT.md section 14): round trip, strict parsing, compaction and cuts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from store_helpers import make_info

from tallylight import events as ev
from tallylight.events import Marker, StopReason
from tallylight.review.summary import list_summary
from tallylight.store import edit, reader, sessions, writer
from tallylight.store import trials as trial_records

S = 1_000_000_000
T = st.integers(-(1 << 62), (1 << 62) - 1)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(1 << 53), 1 << 53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def trials(draw: st.DrawFn) -> dict:
    start = draw(T)
    end = draw(st.integers(start, (1 << 62) - 1))
    extra = draw(st.dictionaries(st.text(max_size=8), json_values, max_size=4))
    base = {"task": draw(st.text(max_size=20)), "kind": draw(st.sampled_from(["pointing", "typing", "x"]))}
    return {**extra, **base, "trial": draw(st.integers(0, 1 << 40)), "start_ns": start, "end_ns": end}


@given(st.lists(trials(), min_size=1, max_size=20))
def test_trials_round_trip_with_their_unknown_members(items: list[dict]) -> None:
    assert trial_records.parse(trial_records.encode(items)) == items


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"trials": []},
        {"trials": {}},
        {"trials": [1]},
        {"trials": [{"task": "a", "kind": "typing", "trial": 1, "start_ns": 5}]},
        {"trials": [{"task": "a", "kind": "typing", "trial": True, "start_ns": 5, "end_ns": 6}]},
        {"trials": [{"task": "a", "kind": "typing", "trial": -1, "start_ns": 5, "end_ns": 6}]},
        {"trials": [{"task": "a", "kind": "typing", "trial": 1, "start_ns": 5, "end_ns": 4}]},
        {"trials": [{"task": "a", "kind": "typing", "trial": 1, "start_ns": 5, "end_ns": 1 << 62}]},
        {"trials": [{"task": 1, "kind": "typing", "trial": 1, "start_ns": 5, "end_ns": 6}]},
    ],
)
def test_malformed_trials_are_refused(doc: object) -> None:
    with pytest.raises(ValueError, match="trial"):
        trial_records.parse(json.dumps(doc).encode())


@given(st.binary(max_size=200))
def test_any_bytes_parse_or_raise_value_error(body: bytes) -> None:
    try:
        got = trial_records.parse(body)
    except ValueError:
        return
    assert got
    assert all(isinstance(t, dict) for t in got)


def trial(task: str, n: int, start_s: float, end_s: float) -> dict:
    return {
        "task": task,
        "kind": "pointing",
        "trial": n,
        "start_ns": int(start_s * S),
        "end_ns": int(end_s * S),
    }


def test_trials_survive_compaction_and_a_cut_removes_those_it_touches(data_dir, unlocked) -> None:
    w = writer.open_session(make_info("t1"), data_dir, seal_interval_s=1e9, summarize=list_summary)
    w.write([ev.marker(0, Marker.SESSION_START)] + [ev.move(i * S // 10, i, i) for i in range(1, 50)])
    w.seal()
    first = [trial("point", 1, 0.5, 1.0), trial("point", 2, 1.0, 2.5)]
    w.write_trials(first)
    w.write([ev.move(i * S // 10, i, i) for i in range(50, 99)])
    w.seal()
    later = [trial("point", 3, 6.0, 7.0)]
    w.write_trials(later)
    w.write([ev.marker(10 * S, Marker.SESSION_STOP, 1)])
    w.close(StopReason.PARTICIPANT)
    d = data_dir / "sessions" / "t1"
    data = reader.read_session(d, unlocked)
    assert data.report.verdict == reader.Verdict.COMPLETE
    assert len(data.payloads) == 1
    assert data.trials == first + later

    old = edit.cut_session(d, unlocked, 2 * S, 5 * S, summarize=list_summary)  # meets trial 2 (ends at 2.5 s)
    assert list(old.trials) == first + later
    assert sessions.read("t1", unlocked).trials == [first[0], later[0]]
    edit.restore_session(d, unlocked, old, summarize=list_summary)
    assert sessions.read("t1", unlocked).trials == first + later


def test_a_trial_the_format_cannot_hold_is_a_store_error_not_a_broken_session(data_dir, unlocked) -> None:
    from tallylight.errors import StoreError

    w = writer.open_session(make_info("t2"), data_dir, seal_interval_s=1e9)
    with pytest.raises(StoreError, match="bug"):
        w.write_trials([{"task": "x"}])
    w.close(StopReason.PARTICIPANT)
    assert (
        reader.read_session(data_dir / "sessions" / "t2", unlocked).report.verdict == reader.Verdict.COMPLETE
    )
