"""Task and note markers as the review timeline shows them (Qt-free)."""

from __future__ import annotations

import pytest

from tallylight import events as ev
from tallylight.events import Marker, StopReason
from tallylight.review.prepare import prepare
from tallylight.review.timeline import TaskSpan, note_times, task_spans
from tallylight.store.encoding import EventColumns, decode_payloads, encode_payload

S = 1_000_000_000


def _cols(events: list[ev.Event]) -> EventColumns:
    return decode_payloads([encode_payload(events)])


def _session() -> list[ev.Event]:
    return [
        ev.marker(0, Marker.SESSION_START),
        ev.marker(1 * S, Marker.TASK_START, 1),
        ev.key_down(2 * S, ev.KeyClass.LETTER),
        ev.marker(3 * S, Marker.NOTE, 1),
        ev.marker(4 * S, Marker.TASK_END, 1),
        ev.marker(5 * S, Marker.TASK_START, 2),
        ev.marker(6 * S, Marker.TASK_END, 2),
        ev.marker(6 * S, Marker.TASK_START, 1),  # started again, never ended: runs to the stop
        ev.marker(9 * S, Marker.SESSION_STOP, StopReason.PARTICIPANT),
    ]


def test_task_spans_and_notes() -> None:
    cols = _cols(_session())
    assert task_spans(cols) == [
        TaskSpan(1 * S, 4 * S, 1),
        TaskSpan(5 * S, 6 * S, 2),
        TaskSpan(6 * S, 9 * S, 1),
    ]
    assert note_times(cols).tolist() == [3 * S]


def test_prepare_names_tasks_by_position() -> None:
    data = prepare(_cols(_session()), task_titles=("Copy a paragraph",))
    assert data.tasks == [
        (1.0, 4.0, "Copy a paragraph"),
        (5.0, 6.0, "Task 2"),
        (6.0, 9.0, "Copy a paragraph"),
    ]
    assert data.notes.tolist() == [3.0]


def test_a_session_without_tasks() -> None:
    cols = _cols([ev.marker(0, Marker.SESSION_START), ev.marker(S, Marker.SESSION_STOP, 1)])
    assert task_spans(cols) == []
    assert prepare(cols).tasks == []


def _late_task() -> list[ev.Event]:
    """A 2.96 s pointing task that starts 25 s into the session, with a 1 s pause of capture in it,
    and a task that starts while capture is paused."""
    out = [ev.marker(0, Marker.SESSION_START), ev.move(1 * S, 0, 0)]
    out += [ev.marker(25 * S, Marker.TASK_START, 1), ev.move(25 * S + S // 2, 5, 5)]
    out += [ev.marker(26 * S, Marker.PAUSE, 1), ev.marker(27 * S, Marker.RESUME)]
    out += [
        ev.button(27 * S + S // 2, 5, 5, ev.Button.LEFT, True),
        ev.marker(27_960_000_000, Marker.TASK_END, 1),
    ]
    out += [ev.marker(30 * S, Marker.PAUSE, 1), ev.marker(31 * S, Marker.TASK_START, 2)]
    out += [ev.marker(32 * S, Marker.RESUME), ev.move(33 * S, 1, 1), ev.marker(34 * S, Marker.TASK_END, 2)]
    out.append(ev.marker(40 * S, Marker.SESSION_STOP, StopReason.PARTICIPANT))
    return out


def test_task_times_count_only_inside_the_task() -> None:
    """Before the fix the 25 s before the task counted as idle (28.25 s reported for a 2.96 s task)."""
    from tallylight.review.features import mouse_features
    from tallylight.review.summary import summarize
    from tallylight.review.timeline import window

    cols = _cols(_late_task())
    first, second = summarize(cols).tasks
    assert first.duration_s == 2.96
    assert abs(first.recorded_s - 1.96) < 1e-9
    assert first.idle_s == 0
    assert first.idle_pauses == 0
    assert abs(first.active_s - 1.96) < 1e-9
    # the second task starts while capture is paused: that second is not recorded, and not idle
    assert second.duration_s == 3
    assert abs(second.recorded_s - 2) < 1e-9
    assert second.idle_s == 0
    # the features of a task's slice agree (the same window)
    assert mouse_features(window(cols, 25 * S, 27_960_000_000))["idle_time_s"] == 0
    assert mouse_features(window(cols, 25 * S, 27_960_000_000), 0.4)["idle_time_s"] == pytest.approx(1.96)
