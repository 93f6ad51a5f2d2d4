"""The Qt-free session model: every step it takes, every step it refuses, its clock, a recorder that dies."""

from __future__ import annotations

import pytest

from tallylight.errors import UsageError
from tallylight.session_model import TRANSITIONS, SessionModel
from tallylight.words import AppState


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def model_in(state: AppState, clock: Clock | None = None) -> SessionModel:
    """A model brought to ``state`` by the steps a real session takes."""
    m = SessionModel(clock or Clock())
    if state == AppState.IDLE:
        return m
    if state == AppState.ERROR:
        m.launching()
        m.failed("the recorder refused")
        m.ended()
        return m
    m.launching()
    if state in (AppState.RECORDING, AppState.PAUSED):
        m.started()
    if state == AppState.PAUSED:
        m.paused()
    if state == AppState.STOPPING:
        m.started()
        m.stopping()
    assert m.state == state
    return m


ALL = list(AppState)


@pytest.mark.parametrize("start", ALL)
@pytest.mark.parametrize("to", ALL)
def test_each_step_is_taken_or_refused_as_the_table_says(start: AppState, to: AppState) -> None:
    m = model_in(start)
    if to == start or to in TRANSITIONS[start]:
        m.go(to)
        assert m.state == to
    else:
        with pytest.raises(UsageError, match=f"from {start.value} to {to.value}"):
            m.go(to)
        assert m.state == start


def test_a_session_from_start_to_stop() -> None:
    clock = Clock()
    m = SessionModel(clock)
    assert not m.active
    assert m.elapsed_s == 0.0
    m.launching()
    assert m.state == AppState.STARTING
    assert m.active
    clock.now += 1
    m.started()
    assert m.state == AppState.RECORDING
    clock.now += 10
    m.paused()
    clock.now += 5
    assert m.state == AppState.PAUSED
    assert m.elapsed_s == 10
    assert m.paused_s == 5
    m.resumed()
    clock.now += 2
    assert m.stopping()
    assert m.state == AppState.STOPPING
    m.stopped()
    clock.now += 100  # the clock froze when the recorder said stopped
    assert m.ended() == AppState.IDLE
    assert m.elapsed_s == 12
    assert m.paused_s == 5
    assert not m.stopping()  # nothing to stop


def test_late_messages_never_turn_the_light_back_on() -> None:
    m = model_in(AppState.STOPPING)
    m.paused()
    m.resumed()
    m.started()
    assert m.state == AppState.STOPPING
    m.ended()
    m.paused()
    m.resumed()
    m.started()
    assert m.state == AppState.IDLE


@pytest.mark.parametrize("state", [AppState.STARTING, AppState.RECORDING, AppState.PAUSED, AppState.STOPPING])
def test_a_recorder_that_dies_in_each_state_fails_the_session(state: AppState) -> None:
    clock = Clock()
    m = model_in(state, clock)
    clock.now += 3
    m.failed("The recorder ended unexpectedly.")
    m.failed("a later reason")  # the first reason is kept
    assert m.ended() == AppState.ERROR
    assert not m.active
    clock.now += 50
    assert m.fatal_error == "The recorder ended unexpectedly."
    assert m.elapsed_s + m.paused_s <= 3 + 1e-9  # the clock stopped when it died
    m.launching()  # a new session may start after a failure, with a fresh clock
    assert m.state == AppState.STARTING
    assert m.fatal_error == ""
    assert m.elapsed_s == 0.0


@pytest.mark.parametrize("state", [AppState.STARTING, AppState.RECORDING, AppState.PAUSED, AppState.STOPPING])
def test_a_recorder_that_ends_cleanly_in_each_state_leaves_the_light_off(state: AppState) -> None:
    m = model_in(state)
    m.stopped()
    assert m.ended() == AppState.IDLE
    assert not m.active


def test_a_stop_asked_while_starting_keeps_the_clock_but_not_the_recording_light() -> None:
    clock = Clock()
    m = model_in(AppState.STARTING, clock)
    assert m.stopping()
    m.started()  # the recorder had already started when it read the stop
    clock.now += 4
    assert m.state == AppState.STOPPING
    assert m.elapsed_s == 4


def test_failed_is_ignored_without_a_recorder() -> None:
    m = SessionModel(Clock())
    m.failed("nothing runs")
    assert m.fatal_error == ""
    assert m.ended() == AppState.IDLE
    with pytest.raises(UsageError):
        model_in(AppState.RECORDING).launching()  # one session at a time


def test_the_stop_summary_keeps_the_recorders_figures_and_the_lights_clock() -> None:
    from tallylight.protocol import RecorderMessage

    clock = Clock()
    m = model_in(AppState.RECORDING, clock)
    clock.now += 7
    m.paused()
    clock.now += 2
    said = RecorderMessage.parse(
        {"event": "stopped", "reason": "participant", "summary": {"counts": {"key_down": 4}, "duration_s": 9}}
    )
    last = m.stopped_with(said, {"key_down": 1}, "morning", "s1")
    assert last is m.last_stop
    assert (last.reason, last.label, last.session_id) == ("participant", "morning", "s1")
    assert last.summary.counts == {"key_down": 4}  # the recorder's own count wins
    assert (last.summary.recorded_s, last.summary.paused_s, last.summary.duration_s) == (7, 2, 9)


@pytest.mark.parametrize("state", [AppState.STARTING, AppState.RECORDING, AppState.PAUSED, AppState.STOPPING])
def test_a_recorder_that_dies_without_a_summary_keeps_what_was_seen(state: AppState) -> None:
    from tallylight.protocol import RECORDER_EXITED, RecorderMessage

    clock = Clock()
    m = model_in(state, clock)
    clock.now += 3
    died = RecorderMessage("stopped", reason=RECORDER_EXITED, exit_code=None, signal=9)
    last = m.stopped_with(died, {"move": 12}, "", "s2")
    m.failed("The recorder ended unexpectedly.")
    assert m.ended() == AppState.ERROR
    assert last.reason == RECORDER_EXITED
    assert last.summary.counts == {"move": 12}
    assert last.summary.duration_s == pytest.approx(m.elapsed_s + m.paused_s)
