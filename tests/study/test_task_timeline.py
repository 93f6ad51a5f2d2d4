"""Task and note markers as the review timeline shows them (Qt-free)."""

from __future__ import annotations

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
    assert task_spans(cols) == [] and prepare(cols).tasks == []
