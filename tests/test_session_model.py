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


# ---------------------------------------------------------------- the start command and the link


class Link:
    """A recorder link that keeps what the model sent down it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []
        self.closed = False

    def send(self, cmd: object, **fields: object) -> None:
        self.sent.append((str(cmd), fields))

    def close_channel(self) -> None:
        self.closed = True


def _started(m: SessionModel, **fields: object) -> None:
    from tallylight.protocol import RecorderMessage

    m.on_started(RecorderMessage.parse({"event": "started", "session_id": "s1", **fields}))


def test_the_start_command_is_narrowed_by_the_settings_and_carries_their_limits() -> None:
    from tallylight.options import CaptureOptions, KeyMode
    from tallylight.session_model import start_command
    from tallylight.settings import Settings

    settings = Settings(
        capture=CaptureOptions(keys=KeyMode.HASHED, scrolls=False),
        max_duration_min=30,
        idle_timeout_min=5,
        pause_hotkey="Ctrl+Alt+P",
        private_apps=["keepassxc"],
    )
    asked = CaptureOptions(keys=KeyMode.FULL, move_min_interval_ms=8.0)
    cmd = start_command(settings, asked, label="typing", study="st-1", seconds_per_minute=2.0)
    assert cmd.options == {**asked.to_dict(), "keys": "hashed", "scrolls": False}  # never wider
    assert (cmd.max_duration_s, cmd.idle_timeout_s) == (60.0, 10.0)
    assert cmd.pause_hotkey == "<ctrl>+<alt>+p"
    assert cmd.private_apps == ("keepassxc",)
    assert (cmd.label, cmd.study) == ("typing", "st-1")
    # no options asked: the settings' own; an unusable hotkey is left out, not fatal
    plain = start_command(Settings(pause_hotkey="Ctrl+Ctrl"))
    assert plain.options == Settings().capture.to_dict()
    assert plain.pause_hotkey == ""
    assert "pause_hotkey" not in plain.fields()


def test_the_model_keeps_the_limits_and_the_backstop() -> None:
    from tallylight.protocol import StartCommand

    m = SessionModel(Clock())
    m.begin(Link(), StartCommand(max_duration_s=120.0, idle_timeout_s=30.0))
    assert m.limits == (120.0, 30.0)
    assert m.backstop_s == 135.0  # the app stops a recorder that missed its own limit
    m.begin(Link(), StartCommand())
    assert m.backstop_s == 0.0


@pytest.mark.parametrize("state", list(AppState))
def test_commands_reach_the_recorder_only_in_states_that_take_them(state: AppState) -> None:
    from tallylight.protocol import StartCommand

    m = model_in(state)
    link = Link()
    m.link = link if state.active else None
    m.request = StartCommand()
    m.tasks = [{"id": "copy", "title": "Copy a text"}]
    assert m.pause() is (state == AppState.RECORDING)
    assert m.resume() is (state == AppState.PAUSED)
    assert m.add_note() is state.active
    assert m.start_task("copy") is state.active
    assert m.start_task("unknown") is False
    assert m.end_task() is False  # no task running
    assert m.own_ui_open(True) is (state in (AppState.RECORDING, AppState.PAUSED))
    sent = [cmd for cmd, _ in link.sent]
    assert ("pause" in sent) is (state == AppState.RECORDING)
    assert ("resume" in sent) is (state == AppState.PAUSED)
    assert ("note" in sent) is state.active


def test_a_session_through_its_link() -> None:
    from tallylight.protocol import RECORDER_EXITED, RecorderMessage, StartCommand

    m = SessionModel(Clock())
    link = Link()
    m.begin(link, StartCommand(label="typing", options={"keys": "class"}))
    assert (m.state, m.label, m.options) == (AppState.STARTING, "typing", {"keys": "class"})
    _started(
        m,
        options={"keys": "none"},
        narrowed=[{"message": "keys: the study allows none"}],
        study_title="A study",
        tasks=[{"id": "copy", "title": "Copy a text"}],
    )
    assert m.state == AppState.RECORDING
    assert (m.session_id, m.options, m.study_title) == ("s1", {"keys": "none"}, "A study")
    assert m.narrowed == ["keys: the study allows none"]
    assert m.start_task("copy")
    m.on_marked(RecorderMessage.parse({"event": "task", "action": "start", "task": "copy"}))
    assert m.task == "copy"
    assert m.task_title("copy") == "Copy a text"
    assert m.end_task()
    m.on_marked(RecorderMessage.parse({"event": "task", "action": "end"}))
    m.on_marked(RecorderMessage.parse({"event": "note", "number": 1}))
    assert (m.task, m.notes) == ("", 1)
    m.on_stats(
        RecorderMessage.parse({"event": "stats", "counts": {"key_down": 3}, "rate": 2.5, "private": True})
    )
    assert (m.counts, m.rate, m.private) == ({"key_down": 3}, 2.5, True)
    m.on_private(RecorderMessage.parse({"event": "private", "on": True}))
    assert m.own_ui_private
    assert m.stop()
    assert m.stop()
    assert [cmd for cmd, _ in link.sent].count("stop") == 1
    assert ("stop", {"reason": "participant"}) in link.sent
    last = m.on_stopped(RecorderMessage("stopped", reason=RECORDER_EXITED, exit_code=0))
    assert last.label == "typing"
    assert last.session_id == "s1"
    assert last.summary.counts == {"key_down": 3}  # the last counts seen
    assert m.on_exit() == AppState.IDLE
    assert m.link is None
    assert not m.pause()
    assert not m.stop()


def test_a_new_session_forgets_the_last_ones_facts() -> None:
    from tallylight.protocol import RecorderMessage, StartCommand

    m = SessionModel(Clock())
    m.begin(Link(), StartCommand(label="first"))
    _started(m)
    m.on_stats(RecorderMessage.parse({"event": "stats", "counts": {"key_down": 3}}))
    m.on_stopped(RecorderMessage.parse({"event": "stopped", "reason": "participant", "summary": {}}))
    m.on_exit()
    m.begin(Link(), StartCommand(label="second"))
    assert (m.label, m.session_id, m.counts, m.notes) == ("second", "", {}, 0)
    assert m.last_stop is not None
    assert m.last_stop.label == "first"


def test_the_apps_study_session_may_fall_back_to_the_task_window() -> None:
    """Only the tray app, which can show the task window, asks for the window-only fallback
    (Wayland), and only for a study session; ``record`` never does (docs/CONTROL.md)."""
    from tallylight.session_model import start_command
    from tallylight.settings import Settings

    assert start_command(Settings(), study="s").fields()["window_tasks_fallback"] is True
    assert "window_tasks_fallback" not in start_command(Settings()).fields()
