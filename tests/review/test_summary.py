"""Stretches without capture, idle pauses, activity, path length and the summary."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given

from strategies import event_streams
from tallylight import events as ev
from tallylight.events import GapReason, Marker
from tallylight.review import activity_per_second, idle_pauses, no_capture_stretches, path_length, summarize
from tallylight.review.timeline import INPUT_KINDS, session_span
from tallylight.store.encoding import decode_payloads, encode_payload

S = 1_000_000_000
L = ev.KeyClass.LETTER


def scripted() -> list[ev.Event]:
    """20 s: typing and moving, a 3 s pause (5-8 s), a 1 s private-app gap (10-11 s), idle 12-15 s."""
    out = [ev.marker(0, Marker.SESSION_START)]
    for i in range(10):  # keys at 0.1 s steps, held 50 ms
        out += [ev.key_down(S // 10 * (i + 1), L), ev.key_up(S // 10 * (i + 1) + 50_000_000, L)]
    out += [ev.move(2 * S, 0, 0), ev.move(2 * S + 1, 30, 40), ev.move(3 * S, 30, 0)]  # 50 + 40 px
    out += [
        ev.button(3 * S + 5, 30, 0, ev.Button.LEFT, True),
        ev.button(3 * S + 9, 30, 0, ev.Button.LEFT, False),
    ]
    out += [ev.marker(5 * S, Marker.PAUSE, GapReason.PAUSED_BY_PARTICIPANT), ev.marker(8 * S, Marker.RESUME)]
    out += [ev.move(9 * S, 1000, 1000)]  # the jump over the pause is not travel
    out += [ev.marker(10 * S, Marker.GAP, GapReason.PRIVATE_APP), ev.marker(11 * S, Marker.RESUME)]
    out += [ev.move(11 * S + 1, 1000, 1003), ev.scroll(12 * S, 1000, 1003, 0, -1)]
    out += [ev.move(15 * S, 1000, 1004), ev.key_down(19 * S, L), ev.key_up(19 * S + 80_000_000, L)]
    out += [ev.marker(20 * S, Marker.SESSION_STOP, 1)]
    return out


def cols_of(events: list[ev.Event]):
    return decode_payloads([encode_payload(events)])


def test_stretches_and_durations() -> None:
    cols = cols_of(scripted())
    st_ = no_capture_stretches(cols)
    assert [(s.start_ns, s.end_ns, s.reason) for s in st_] == [
        (5 * S, 8 * S, GapReason.PAUSED_BY_PARTICIPANT),
        (10 * S, 11 * S, GapReason.PRIVATE_APP),
    ]
    s = summarize(cols)
    assert s.duration_s == 20
    assert s.paused_s == 3
    assert s.other_gaps_s == 1
    assert s.recorded_s == 16
    assert s.key_presses == 11
    assert s.clicks == 1
    assert s.scrolls == 1
    assert s.moves == 6
    assert s.path_px == 50 + 40 + 1  # the jumps over the pause and the private-app gap are left out
    assert s.median_hold_ms == 50
    assert s.median_down_down_ms == 100
    # idle: 12..15 s and 15..19 s; 3.000000009..5 s stops at the pause and is just short of 2 s
    starts, durs = idle_pauses(cols, st_)
    assert list(zip((starts / S).tolist(), (durs / S).tolist(), strict=True)) == [(12, 3), (15, 4)]
    assert s.longest_pause_s == 4
    assert s.idle_pauses == 2
    assert [g.reason for g in s.gaps] == ["paused_by_participant", "private_app"]
    text = " ".join(s.plain_language())
    assert "You recorded for 16 s." in text
    assert "a private app was in front" in text
    assert "You pressed 11 keys, clicked 1 time and scrolled 1 time." in text
    json.dumps(s.to_dict())


def test_activity_per_second_counts_every_input_event() -> None:
    events = scripted()
    cols = cols_of(events)
    times, counts = activity_per_second(cols)
    assert times[0] == 0
    assert times.size == 21
    assert counts.sum() == sum(1 for e in events if e.kind != ev.Kind.MARKER)
    assert counts[0, INPUT_KINDS.index(ev.Kind.KEY_DOWN)] == 9  # 0.1 .. 0.9 s


def test_overlapping_pause_and_private_gap() -> None:
    # a private app in front, then the participant pauses, then resumes while it is still in front
    events = [ev.marker(0, Marker.SESSION_START), ev.marker(S, Marker.GAP, GapReason.PRIVATE_APP)]
    events += [
        ev.marker(2 * S, Marker.PAUSE, GapReason.PAUSED_BY_PARTICIPANT),
        ev.marker(4 * S, Marker.RESUME),
    ]
    events += [ev.move(5 * S, 1, 1)]  # no SESSION_STOP: a recovered session ends at its last event
    st_ = no_capture_stretches(cols_of(events))
    assert [(s.start_ns // S, s.end_ns // S, s.reason.name) for s in st_] == [
        (1, 2, "PRIVATE_APP"),
        (2, 4, "PAUSED_BY_PARTICIPANT"),
    ]


def test_gap_left_open_runs_to_the_end() -> None:
    events = [ev.marker(0, Marker.SESSION_START), ev.marker(S, Marker.GAP, GapReason.PRIVATE_APP)]
    events += [ev.marker(3 * S, Marker.SESSION_STOP, 1)]
    s = summarize(cols_of(events))
    assert s.recorded_s == 1
    assert s.other_gaps_s == 2


@given(event_streams(max_size=80))
def test_summary_is_consistent_for_any_stream(events: list[ev.Event]) -> None:
    cols = cols_of(events)
    s = summarize(cols)
    start, end = session_span(cols)
    assert start <= end
    assert s.recorded_s >= 0
    assert s.paused_s >= 0
    assert s.other_gaps_s >= 0
    assert sum(s.counts.values()) == len(cols)
    assert s.path_px >= 0
    assert s.longest_pause_s >= 0
    assert path_length(cols) >= s.path_px - 1e-6
    _, counts = activity_per_second(cols, bin_ns=max(1, (end - start) // 50 + 1))
    assert counts.sum() == int(np.count_nonzero(cols.kind != ev.Kind.MARKER))
    json.dumps(s.to_dict())
    s.plain_language()


def clicks_without_moves() -> list[ev.Event]:
    """Two clicks 27 px apart, mouse moves not captured (the acceptance run's session)."""
    return [
        ev.marker(0, Marker.SESSION_START),
        ev.button(1 * S, 100, 100, ev.Button.LEFT, True),
        ev.button(1 * S + 5, 100, 100, ev.Button.LEFT, False),
        ev.button(2 * S, 127, 100, ev.Button.LEFT, True),
        ev.button(2 * S + 5, 127, 100, ev.Button.LEFT, False),
        ev.scroll(3 * S, 127, 200, 0, -1),
        ev.marker(4 * S, Marker.SESSION_STOP, 1),
    ]


def test_path_length_comes_from_moves_only() -> None:
    """Clicks and scrolls carry a position, but the line between them is not travel that was seen."""
    cols = cols_of(clicks_without_moves())
    assert path_length(cols) == 0
    moves = [ev.move(S // 2, 0, 0), ev.move(S // 2 + 1, 3, 4)]
    assert path_length(cols_of(clicks_without_moves() + moves)) == 5


def test_summary_says_movement_was_not_recorded() -> None:
    from store_helpers import make_info

    cols = cols_of(clicks_without_moves())
    s = summarize(cols, make_info(mouse_moves=False))
    assert s.path_px == 0
    assert not s.moves_recorded
    text = " ".join(s.plain_language())
    assert "Mouse movement was not recorded" in text
    assert "pointer travelled" not in text
    recorded = " ".join(summarize(cols_of(scripted()), make_info()).plain_language())
    assert "The pointer travelled 91 pixels." in recorded
    assert "not recorded" not in recorded
